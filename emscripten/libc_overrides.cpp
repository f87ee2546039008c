// Replaces musl's siprintf (the integer-only sprintf clang calls for a format with no floats) in
// the module, for its only caller: embind's __getTypeName, which (with RTTI off, see
// CMakeLists.txt) formats a type's id as sprintf(buf, "%p", id) for the message of an
// unbound-type error. musl's is printf_core: about 2 kB gzip of the module for that one "%p".
// Any other format traps, loudly: nothing else in the module calls it (sprintf, snprintf and
// vsnprintf, were they ever used, are musl's own, not replaced).
#include <cstdarg>
#include <cstdint>
#include <cstring>

extern "C" int siprintf(char* out, const char* format, ...) {
  if (std::strcmp(format, "%p") != 0) __builtin_trap();
  va_list args;
  va_start(args, format);
  auto value = reinterpret_cast<std::uintptr_t>(va_arg(args, void*));
  va_end(args);
  char digits[2 * sizeof value];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[value & 0xF];
    value >>= 4;
  } while (value != 0);
  int len = 0;
  out[len++] = '0';
  out[len++] = 'x';
  while (n > 0) out[len++] = digits[--n];
  out[len] = '\0';
  return len;
}
