#include "envelope.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

namespace realtime {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

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
  Errc scan_string(bool* escaped) {
    if (!consume('"')) return Errc::kNotJson;
    bool any_escape = false;
    while (pos_ < s_.size()) {
      auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        if (escaped) *escaped = any_escape;
        return Errc::kOk;
      }
      if (c < 0x20) return Errc::kNotJson;
      if (c == '\\') {
        any_escape = true;
        if (Errc e = scan_escape(); e != Errc::kOk) return e;
        continue;
      }
      if (c < 0x80) {
        ++pos_;
        continue;
      }
      if (!scan_utf8_sequence()) return Errc::kInvalidUtf8;
    }
    return Errc::kNotJson;
  }

  // Scans one complete JSON value (of any nesting) starting at the current position.
  // `depth` is the nesting level of the container holding this value.
  Errc scan_value(std::uint32_t depth) {
    std::string stack;  // '{' or '[' per open container
    for (;;) {
      skip_ws();
      // A value starts here.
      char c = peek();
      if (at_end()) return Errc::kNotJson;
      if (c == '{' || c == '[') {
        if (depth + stack.size() + 1 > max_depth_) return Errc::kTooDeep;
        ++pos_;
        stack.push_back(c);
        skip_ws();
        if (consume(c == '{' ? '}' : ']')) {
          stack.pop_back();
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
        char close = stack.back() == '{' ? '}' : ']';
        if (consume(close)) {
          stack.pop_back();
          continue;
        }
        if (!consume(',')) return Errc::kNotJson;
        if (stack.back() == '{') {
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
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        return Errc::kOk;
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
      default:
        return Errc::kNotJson;
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

std::optional<double> parse_number(std::string_view raw) {
  if (raw.empty() || !(raw[0] == '-' || is_digit(raw[0]))) return std::nullopt;
  return std::strtod(std::string(raw).c_str(), nullptr);
}

std::string json_string(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                              nlohmann::json::error_handler_t::replace);
}

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

DecodeResult decode_envelope(std::string_view text, const DecodeLimits& limits, Envelope& out) {
  out = Envelope{};
  if (text.size() > limits.max_message_bytes) return {Errc::kTooLarge, limits.max_message_bytes};
  Scanner sc(text, limits.max_depth);
  sc.skip_ws();
  if (sc.peek() != '{' || sc.at_end()) {
    DecodeResult whole = validate_json(text, limits.max_depth);
    return {whole.error == Errc::kOk ? Errc::kNotObject : whole.error, whole.error_offset};
  }
  if (limits.max_depth < 1) return {Errc::kTooDeep, sc.pos()};
  sc.consume('{');
  sc.skip_ws();
  std::string_view raw_type;
  bool type_escaped = false;
  bool type_is_string = false;
  bool has_type = false;
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
        auto parsed = nlohmann::json::parse(text.substr(key_start, sc.pos() - key_start), nullptr,
                                            false);
        unescaped_key = parsed.is_string() ? parsed.get<std::string>() : std::string();
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
      std::string_view value = text.substr(value_start, sc.pos() - value_start);
      if (key == "type") {
        has_type = true;
        type_is_string = value_is_string;
        type_escaped = value_escaped;
        raw_type = value;
      } else if (key == "payload") {
        out.payload = value;
      } else if (key == "id") {
        out.id = value;
      } else if (key == "timestamp") {
        out.timestamp = parse_number(value);
        if (out.timestamp && !std::isfinite(*out.timestamp)) out.timestamp.reset();  // 1e400
      }
      sc.skip_ws();
      if (sc.consume(',')) continue;
      if (sc.consume('}')) break;
      return {Errc::kNotJson, sc.pos()};
    }
  }
  sc.skip_ws();
  if (!sc.at_end()) return {Errc::kNotJson, sc.pos()};
  if (!has_type) return {Errc::kTypeMissing, 0};
  if (!type_is_string) return {Errc::kTypeNotString, 0};
  if (type_escaped) {
    auto parsed = nlohmann::json::parse(raw_type, nullptr, false);
    out.type_storage = parsed.is_string() ? parsed.get<std::string>() : std::string();
    out.type = out.type_storage;
  } else {
    out.type = raw_type.substr(1, raw_type.size() - 2);
  }
  return {};
}

std::string uuid_v4(const std::function<std::uint32_t()>& random) {
  unsigned char bytes[16];
  for (int i = 0; i < 16; i += 4) {
    std::uint32_t r = random();
    for (int j = 0; j < 4; ++j) bytes[i + j] = static_cast<unsigned char>(r >> (8 * j));
  }
  bytes[6] = (bytes[6] & 0x0F) | 0x40;  // version 4
  bytes[8] = (bytes[8] & 0x3F) | 0x80;  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0F]);
  }
  return out;
}

std::string encode_envelope(const OutgoingEnvelope& message, double now_ms,
                            const std::function<std::uint32_t()>& random) {
  std::string out;
  out.reserve(64 + message.type.size() + message.payload_json.size());
  out += "{\"type\":";
  out += json_string(message.type);
  out += ",\"payload\":";
  out += message.payload_json.empty() ? std::string_view("null") : message.payload_json;
  out += ",\"id\":";
  out += json_string(message.id.empty() ? uuid_v4(random) : std::string(message.id));
  out += ",\"timestamp\":";
  double ts = message.timestamp.value_or(now_ms);
  if (!std::isfinite(ts)) ts = now_ms;  // JSON has no NaN or Infinity
  constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53
  if (std::fabs(ts) < kMaxExactInteger && std::trunc(ts) == ts) {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(ts));
    out.append(buf, res.ptr);
  } else {
    out += nlohmann::json(ts).dump();
  }
  out += '}';
  return out;
}

}  // namespace realtime
