#include "envelope.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "swar.h"

namespace realtime {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A byte that may stand in a JSON string as itself, without ending it or needing a look:
// printable ASCII other than '"' and '\\'.
constexpr bool is_plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

// The bytes of x that are not plain, as their high bits (SWAR). Each test may also flag bytes
// above a flagged one (a borrow runs upward), never below: the lowest flag is exact.
constexpr std::uint64_t special_bytes(std::uint64_t x) {
  using namespace swar;
  return (x & kHighs) | bytes_below_lowest(x, 0x20) | bytes_equal_lowest(x, '"') |
         bytes_equal_lowest(x, '\\');
}

// The index of the first byte at or after i that is not plain, or n.
inline std::size_t find_special(const unsigned char* data, std::size_t i, std::size_t n) {
  if constexpr (std::endian::native == std::endian::little) {
    for (; n - i >= 8; i += 8) {
      if (std::uint64_t m = special_bytes(swar::load8(data + i)); m != 0) {
        return i + (static_cast<std::size_t>(std::countr_zero(m)) >> 3);  // lowest address
      }
    }
  }
  while (i < n && is_plain(data[i])) ++i;
  return i;
}

// Whether the N bytes at a equal those at b (unrolled: wasm has no inline memcmp expansion).
template <std::size_t N>
inline bool same_bytes(const char* a, const char* b) {
  for (std::size_t i = 0; i < N; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// A stack of open containers (object or array), one bit each; deep ones spill to the heap.
class ContainerStack {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  void push(bool object) {
    std::size_t word = size_ / 64;
    std::uint64_t bit = std::uint64_t{1} << (size_ % 64);
    if (word >= kInline && word - kInline >= spill_.size()) spill_.push_back(0);
    std::uint64_t& w = word < kInline ? inline_[word] : spill_[word - kInline];
    w = object ? (w | bit) : (w & ~bit);
    ++size_;
  }
  void pop() { --size_; }
  bool top_is_object() const {
    std::size_t i = size_ - 1;
    std::uint64_t w = i / 64 < kInline ? inline_[i / 64] : spill_[i / 64 - kInline];
    return (w >> (i % 64)) & 1;
  }

 private:
  static constexpr std::size_t kInline = 2;  // 128 levels, the default maxDepth
  std::uint64_t inline_[kInline] = {};
  std::vector<std::uint64_t> spill_;
  std::size_t size_ = 0;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One pass over a JSON text: strict RFC 8259 grammar, strict UTF-8 inside strings, bounded nesting
// kept on an explicit stack (no recursion, so hostile nesting cannot overflow the C++ stack).
class Scanner {
 public:
  Scanner(std::string_view text, std::uint32_t max_depth) : s_(text), max_depth_(max_depth) {}

  std::size_t pos() const { return pos_; }
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_ws() {
    while (pos_ < s_.size() && is_ws(s_[pos_])) ++pos_;
  }
  bool consume(char c) {
    if (peek() != c || at_end()) return false;
    ++pos_;
    return true;
  }

  // Scans a string token starting at the opening quote. `escaped` tells whether it held escapes.
  // Runs of plain bytes (printable ASCII other than '"' and '\\') are skipped 8 at a time.
  Errc scan_string(bool* escaped) {
    if (!consume('"')) return Errc::kNotJson;
    bool any_escape = false;
    const auto* data = reinterpret_cast<const unsigned char*>(s_.data());
    const std::size_t n = s_.size();
    std::size_t i = pos_;
    for (;;) {
      i = find_special(data, i, n);
      if (i >= n) {
        pos_ = n;
        return Errc::kNotJson;
      }
      unsigned c = data[i];
      if (c == '"') {
        pos_ = i + 1;
        if (escaped) *escaped = any_escape;
        return Errc::kOk;
      }
      pos_ = i;
      if (c < 0x20) return Errc::kNotJson;
      if (c == '\\') {
        any_escape = true;
        if (Errc e = scan_escape(); e != Errc::kOk) return e;
      } else if (!scan_utf8_sequence()) {  // c >= 0x80
        return Errc::kInvalidUtf8;
      }
      i = pos_;
    }
  }

  // Scans one complete JSON value (of any nesting) starting at the current position.
  // `depth` is the nesting level of the container holding this value.
  Errc scan_value(std::uint32_t depth) {
    ContainerStack stack;
    for (;;) {
      skip_ws();
      // A value starts here.
      char c = peek();
      if (at_end()) return Errc::kNotJson;
      if (c == '{' || c == '[') {
        if (depth + stack.size() + 1 > max_depth_) return Errc::kTooDeep;
        ++pos_;
        stack.push(c == '{');
        skip_ws();
        if (consume(c == '{' ? '}' : ']')) {
          stack.pop();
        } else if (c == '{') {
          if (Errc e = scan_key(); e != Errc::kOk) return e;
          continue;
        } else {
          continue;
        }
      } else if (c == '"') {
        if (Errc e = scan_string(nullptr); e != Errc::kOk) return e;
      } else if (c == '-' || is_digit(c)) {
        if (!scan_number()) return Errc::kNotJson;
      } else if (!scan_literal()) {
        return Errc::kNotJson;
      }
      // A value ended: close containers until one wants another element.
      for (;;) {
        if (stack.empty()) return Errc::kOk;
        skip_ws();
        char close = stack.top_is_object() ? '}' : ']';
        if (consume(close)) {
          stack.pop();
          continue;
        }
        if (!consume(',')) return Errc::kNotJson;
        if (stack.top_is_object()) {
          skip_ws();
          if (Errc e = scan_key(); e != Errc::kOk) return e;
        }
        break;
      }
    }
  }

  // "key" ws ':'
  Errc scan_key() {
    if (peek() != '"') return Errc::kNotJson;
    if (Errc e = scan_string(nullptr); e != Errc::kOk) return e;
    skip_ws();
    return consume(':') ? Errc::kOk : Errc::kNotJson;
  }

 private:
  Errc scan_escape() {
    ++pos_;  // backslash
    if (at_end()) return Errc::kNotJson;
    char c = s_[pos_++];
    switch (c) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't': return Errc::kOk;
      case 'u': {
        int cp = read_hex4();
        if (cp < 0) return Errc::kNotJson;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return Errc::kNotJson;  // lone low surrogate
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (!(consume('\\') && consume('u'))) return Errc::kNotJson;
          int low = read_hex4();
          if (low < 0xDC00 || low > 0xDFFF) return Errc::kNotJson;
        }
        return Errc::kOk;
      }
      default: return Errc::kNotJson;
    }
  }

  int read_hex4() {
    if (s_.size() - pos_ < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; ++i) {
      int h = hex_value(s_[pos_ + i]);
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    pos_ += 4;
    return v;
  }

  bool scan_utf8_sequence() {
    auto byte = [&](std::size_t i) -> unsigned {
      return pos_ + i < s_.size() ? static_cast<unsigned char>(s_[pos_ + i]) : 0u;
    };
    auto cont = [](unsigned b) { return b >= 0x80 && b <= 0xBF; };
    unsigned b0 = byte(0), b1 = byte(1);
    std::size_t len = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = cont(b1) ? 2 : 0;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      bool second_ok = b0 == 0xE0   ? (b1 >= 0xA0 && b1 <= 0xBF)
                       : b0 == 0xED ? (b1 >= 0x80 && b1 <= 0x9F)
                                    : cont(b1);
      len = second_ok && cont(byte(2)) ? 3 : 0;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      bool second_ok = b0 == 0xF0   ? (b1 >= 0x90 && b1 <= 0xBF)
                       : b0 == 0xF4 ? (b1 >= 0x80 && b1 <= 0x8F)
                                    : cont(b1);
      len = second_ok && cont(byte(2)) && cont(byte(3)) ? 4 : 0;
    }
    pos_ += len;
    return len != 0;
  }

  bool scan_number() {
    consume('-');
    if (consume('0')) {
      // no leading zeros
    } else if (is_digit(peek()) && !at_end()) {
      while (!at_end() && is_digit(peek())) ++pos_;
    } else {
      return false;
    }
    if (!at_end() && peek() == '.') {
      ++pos_;
      if (at_end() || !is_digit(peek())) return false;
      while (!at_end() && is_digit(peek())) ++pos_;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (at_end() || !is_digit(peek())) return false;
      while (!at_end() && is_digit(peek())) ++pos_;
    }
    return true;
  }

  bool scan_literal() {
    for (std::string_view word : {"true", "false", "null"}) {
      if (s_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return true;
      }
    }
    return false;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::uint32_t max_depth_;
};

}  // namespace

DecodeResult validate_json(std::string_view text, std::uint32_t max_depth) {
  Scanner sc(text, max_depth);
  Errc e = sc.scan_value(0);
  if (e == Errc::kOk) {
    sc.skip_ws();
    if (!sc.at_end()) e = Errc::kNotJson;
  }
  return {e, sc.pos()};
}

Errc json_candidate(std::string_view text, std::uint32_t max_depth) {
  std::size_t i = 0;
  while (i < text.size() && is_ws(text[i])) ++i;
  if (i == text.size()) return Errc::kNotJson;
  const char c = text[i];
  if (!(c == '{' || c == '[' || c == '"' || c == '-' || is_digit(c) || c == 't' || c == 'f' ||
        c == 'n')) {
    return Errc::kNotJson;
  }
  if (text.size() - i <= max_depth) return Errc::kOk;  // too short to nest that deep
  // Count '{' and '[', eight bytes at a time.
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t opens = 0;
  if constexpr (std::endian::native == std::endian::little) {
    for (; n - i >= 8; i += 8) {
      const std::uint64_t x = swar::load8(data + i);
      opens += static_cast<std::size_t>(
          std::popcount(swar::bytes_equal(x, '{') | swar::bytes_equal(x, '[')));
    }
  }
  for (; i < n; ++i) opens += data[i] == '{' || data[i] == '[';
  if (opens <= max_depth) return Errc::kOk;
  const Errc e = validate_json(text, max_depth).error;
  return e == Errc::kOk || e == Errc::kTooDeep ? e : Errc::kNotJson;
}

namespace {
// Walks the members of the JSON object in `text` (the whole of it), calling
// on_field(key, value, value_is_string, value_escaped) with the unescaped key and the raw value
// text. Errors as decode_envelope's; kNotObject when `text` is another JSON value.
template <typename OnField>
DecodeResult walk_object(std::string_view text, std::uint32_t max_depth, OnField&& on_field) {
  Scanner sc(text, max_depth);
  sc.skip_ws();
  if (sc.peek() != '{' || sc.at_end()) {
    DecodeResult whole = validate_json(text, max_depth);
    return {whole.error == Errc::kOk ? Errc::kNotObject : whole.error, whole.error_offset};
  }
  if (max_depth < 1) return {Errc::kTooDeep, sc.pos()};
  sc.consume('{');
  sc.skip_ws();
  if (!sc.consume('}')) {
    for (;;) {
      sc.skip_ws();
      std::size_t key_start = sc.pos();
      bool key_escaped = false;
      if (sc.peek() != '"') return {Errc::kNotJson, sc.pos()};
      if (Errc e = sc.scan_string(&key_escaped); e != Errc::kOk) return {e, sc.pos()};
      // The raw key is the key unless it holds escapes ("\u0074ype" is "type", as for any JSON
      // parser); only then is it unescaped.
      std::string_view key = text.substr(key_start + 1, sc.pos() - key_start - 2);
      std::string unescaped_key;
      if (key_escaped) {
        unescaped_key = unescape_json_string(text.substr(key_start, sc.pos() - key_start));
        key = unescaped_key;
      }
      sc.skip_ws();
      if (!sc.consume(':')) return {Errc::kNotJson, sc.pos()};
      sc.skip_ws();
      std::size_t value_start = sc.pos();
      bool value_is_string = sc.peek() == '"';
      bool value_escaped = false;
      Errc e = value_is_string ? sc.scan_string(&value_escaped) : sc.scan_value(1);
      if (e != Errc::kOk) return {e, sc.pos()};
      on_field(key, text.substr(value_start, sc.pos() - value_start), value_is_string,
               value_escaped);
      sc.skip_ws();
      if (sc.consume(',')) continue;
      if (sc.consume('}')) break;
      return {Errc::kNotJson, sc.pos()};
    }
  }
  sc.skip_ws();
  if (!sc.at_end()) return {Errc::kNotJson, sc.pos()};
  return {};
}
}  // namespace

DecodeResult decode_envelope(std::string_view text, const DecodeLimits& limits, Envelope& out) {
  out = Envelope{};
  if (text.size() > limits.max_message_bytes) return {Errc::kTooLarge, limits.max_message_bytes};
  std::string_view raw_type;
  bool type_escaped = false;
  bool type_is_string = false;
  bool has_type = false;
  DecodeResult r = walk_object(
      text, limits.max_depth,
      [&](std::string_view key, std::string_view value, bool value_is_string, bool value_escaped) {
        switch (key.size()) {  // one length test, then one fixed-size compare
          case 4:
            if (same_bytes<4>(key.data(), "type")) {
              has_type = true;
              type_is_string = value_is_string;
              type_escaped = value_escaped;
              raw_type = value;
            }
            break;
          case 7:
            if (same_bytes<7>(key.data(), "payload")) {
              out.payload = value;
            } else if (same_bytes<7>(key.data(), "channel")) {
              out.channel = value;
            }
            break;
          case 6:
            if (same_bytes<6>(key.data(), "offset")) out.offset = parse_json_number(value);
            break;
          case 2:
            if (same_bytes<2>(key.data(), "id")) out.id = value;
            break;
          case 9:
            if (same_bytes<9>(key.data(), "timestamp")) out.timestamp_text = value;
            break;
          default: break;
        }
      });
  if (r.error != Errc::kOk) return r;
  if (!has_type) return {Errc::kTypeMissing, 0};
  if (!type_is_string) return {Errc::kTypeNotString, 0};
  if (type_escaped) {
    out.type_storage = unescape_json_string(raw_type);
    out.type = out.type_storage;
  } else {
    out.type = raw_type.substr(1, raw_type.size() - 2);
  }
  return {};
}

JsonFields json_object_fields(std::string_view text, std::uint32_t max_depth) {
  JsonFields out;
  out.result =
      walk_object(text, max_depth, [&](std::string_view key, std::string_view value, bool, bool) {
        out.fields.emplace_back(std::string(key), value);
      });
  return out;
}

std::string JsonFields::string(std::string_view key) const {
  std::string_view raw = get(key);
  return raw.empty() || raw.front() != '"' ? std::string() : unescape_json_string(raw);
}

std::string_view JsonFields::get(std::string_view key) const {
  // A duplicated key: the last one counts, as for JSON.parse (and RFC 7519 for JWT claims).
  for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
    if (it->first == key) return it->second;
  }
  return {};
}

}  // namespace realtime
