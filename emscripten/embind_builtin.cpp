// Replaces libembind's only file (emscripten 3.1.6 system/lib/embind/bind.cpp): the two symbols it
// defines are defined here, so the linker never pulls it from the archive. Size (docs/size.md):
// bind.cpp registers every builtin type at start-up — 17 memory views, the wide strings,
// std::basic_string<unsigned char>, 64-bit integers — and with each registration the module keeps
// its name and the glue keeps its converter. The bindings use none of those. This registers
// the rest, with the same names (embind reads "std::string" to pick UTF-8); a binding that ever
// used a type left out fails at load with embind's "unbound types" error, naming the type's id.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <emscripten/wire.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <typeinfo>

namespace {
template <typename T>
void register_integer(const char* name) {
  using namespace emscripten::internal;
  _embind_register_integer(TypeID<T>::get(), name, sizeof(T), std::numeric_limits<T>::min(),
                           std::numeric_limits<T>::max());
}

template <typename T>
void register_float(const char* name) {
  using namespace emscripten::internal;
  _embind_register_float(TypeID<T>::get(), name, sizeof(T));
}
}  // namespace

extern "C" {

// A type's name for embind's errors. RTTI is off (CMakeLists.txt), so, as bind.cpp does then,
// the name is the type id's address in hex ("0x…"); the caller frees it.
EMSCRIPTEN_KEEPALIVE const char* __getTypeName(const std::type_info* ti) {
  auto value = reinterpret_cast<std::uintptr_t>(ti);
  char digits[2 * sizeof value];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[value & 0xF];
    value >>= 4;
  } while (value != 0);
  char* out = static_cast<char*>(std::malloc(3 + static_cast<std::size_t>(n)));
  if (out == nullptr) return nullptr;
  int len = 0;
  out[len++] = '0';
  out[len++] = 'x';
  while (n > 0) out[len++] = digits[--n];
  out[len] = '\0';
  return out;
}

EMSCRIPTEN_KEEPALIVE __attribute__((constructor)) void
__embind_register_native_and_builtin_types() {
  using namespace emscripten::internal;
  _embind_register_void(TypeID<void>::get(), "void");
  _embind_register_bool(TypeID<bool>::get(), "bool", sizeof(bool), true, false);
  register_integer<char>("char");
  register_integer<signed char>("signed char");
  register_integer<unsigned char>("unsigned char");
  register_integer<signed short>("short");
  register_integer<unsigned short>("unsigned short");
  register_integer<signed int>("int");
  register_integer<unsigned int>("unsigned int");
  register_integer<signed long>("long");
  register_integer<unsigned long>("unsigned long");
  register_float<float>("float");
  register_float<double>("double");
  _embind_register_std_string(TypeID<std::string>::get(), "std::string");
  _embind_register_emval(TypeID<emscripten::val>::get(), "emscripten::val");
}

}  // extern "C"
