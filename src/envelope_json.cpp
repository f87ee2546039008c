// The envelope codec's cold half: encoding, UUIDs, unescaping and number parsing (numbers are
// parsed on demand: a publication's offset and timestamp, JWT claims). Kept apart from
// envelope.cpp, whose decoder runs for every frame and is compiled for speed, while this file is
// compiled for size (see CMakeLists.txt).
//
// Strings are escaped and unescaped here by hand, byte for byte as nlohmann/json's dump() and
// parse() did (the tests compare with nlohmann): going through a json DOM linked nlohmann's
// parser, serializer, snprintf and their error texts into the module for two small loops (about
// 9 kB gzip of the WebAssembly module). Non-integer timestamps are still written by nlohmann's
// shortest round-trip double formatter (the one dump() uses), called directly.
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "decimal.h"
#include "envelope.h"

namespace realtime {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence at s[i], or 0 with `bad` = the bytes of its maximal
// subpart (WHATWG "UTF-8 decode": each is one U+FFFD), as nlohmann's replacing dump() does.
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::size_t& bad) {
  auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t need = 0;
  unsigned lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  }
  std::size_t k = 1;
  for (; k <= need && i + k < s.size(); ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) break;
  }
  if (need > 0 && k == need + 1) return k;
  bad = k;
  return 0;
}

int hex4(std::string_view s, std::size_t i) {
  if (s.size() < i + 4) return -1;
  int v = 0;
  for (std::size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    int h = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

// `s` as a JSON string literal: ", \ and controls escaped (\u00xx in lower case), other bytes
// as they are, invalid UTF-8 replaced by U+FFFD.
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t bad = 0;
      std::size_t len = utf8_sequence(s, i, bad);
      if (len) {
        out.append(s.data() + i, len);
        i += len;
      } else {
        out += "\xEF\xBF\xBD";
        i += bad;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0x0F];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

std::string unescape_json_string(std::string_view token) {
  // Exactly one JSON string (the scanner's rules: strict UTF-8, escapes, surrogate pairs), else "".
  if (validate_json(token, 1).error != Errc::kOk) return std::string();
  const std::size_t begin = token.find_first_not_of(" \t\n\r");  // JSON whitespace only
  const std::size_t end = token.find_last_of('"');               // the closing quote
  if (begin == std::string_view::npos || token[begin] != '"' || end == begin) return std::string();
  std::string out;
  out.reserve(end - begin);
  for (std::size_t i = begin + 1; i < end;) {
    char c = token[i];
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    char e = token[i + 1];
    i += 2;
    switch (e) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        auto cp = static_cast<std::uint32_t>(hex4(token, i));
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // validated: a low surrogate follows
          auto low = static_cast<std::uint32_t>(hex4(token, i + 2));
          i += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(out, cp);
        break;
      }
      default: out += e;  // " \\ /
    }
  }
  return out;
}

std::string uuid_v4(const std::function<std::uint32_t()>& random) {
  unsigned char bytes[16];
  for (int i = 0; i < 16; i += 4) {
    std::uint32_t r = random();
    for (int j = 0; j < 4; ++j) bytes[i + j] = static_cast<unsigned char>(r >> (8 * j));
  }
  bytes[6] = (bytes[6] & 0x0F) | 0x40;  // version 4
  bytes[8] = (bytes[8] & 0x3F) | 0x80;  // RFC 4122 variant
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
  append_json_string(out, message.type);
  out += ",\"payload\":";
  out += message.payload_json.empty() ? std::string_view("null") : message.payload_json;
  out += ",\"id\":";
  if (message.id.empty()) {
    append_json_string(out, uuid_v4(random));
  } else {
    append_json_string(out, message.id);
  }
  out += ",\"timestamp\":";
  double ts = message.timestamp.value_or(now_ms);
  if (!std::isfinite(ts)) ts = now_ms;                     // JSON has no NaN or Infinity
  constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53
  if (std::fabs(ts) < kMaxExactInteger && std::trunc(ts) == ts) {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(ts));
    out.append(buf, res.ptr);
  } else {
    char buf[64];  // what nlohmann's dump() writes for a finite double
    out.append(buf, nlohmann::detail::to_chars(buf, buf + sizeof buf, ts));
  }
  if (message.ack) out += ",\"ack\":true";
  out += '}';
  return out;
}

namespace {
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

// `raw` is a number token the scanner already validated (or any other JSON value: nullopt).
// Fast path (Clinger): a decimal mantissa below 2^53 scaled by 10^k, |k| <= 22, is one IEEE
// multiply or divide of two exact doubles, hence correctly rounded, as strtod would give. Epoch
// timestamps always take it. Anything else takes decimal_to_double (decimal.h: exact, slower,
// and small, where musl's strtod computed in software 128-bit long double).
std::optional<double> parse_json_number(std::string_view raw) {
  if (raw.empty() || !(raw[0] == '-' || is_ascii_digit(raw[0]))) return std::nullopt;
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  constexpr std::uint64_t kMaxExact = std::uint64_t{1} << 53;
  std::size_t i = 0;
  bool negative = raw[0] == '-';
  if (negative) ++i;
  std::uint64_t mantissa = 0;
  int digits = 0;  // significant digits accumulated (leading zeros excluded)
  int exp10 = 0;
  bool fast = true;
  for (; i < raw.size() && is_ascii_digit(raw[i]); ++i) {
    if (mantissa == 0 && raw[i] == '0') continue;
    if (++digits > 19) fast = false;
    mantissa = mantissa * 10 + static_cast<unsigned>(raw[i] - '0');
  }
  if (i < raw.size() && raw[i] == '.') {
    for (++i; i < raw.size() && is_ascii_digit(raw[i]); ++i) {
      if (mantissa == 0 && raw[i] == '0') {
        --exp10;
        continue;
      }
      if (++digits > 19) fast = false;
      mantissa = mantissa * 10 + static_cast<unsigned>(raw[i] - '0');
      --exp10;
    }
  }
  if (i < raw.size() && (raw[i] == 'e' || raw[i] == 'E')) {
    ++i;
    bool exp_negative = i < raw.size() && raw[i] == '-';
    if (i < raw.size() && (raw[i] == '-' || raw[i] == '+')) ++i;
    int e = 0;
    for (; i < raw.size() && is_ascii_digit(raw[i]); ++i) {
      if (e < 100000) e = e * 10 + (raw[i] - '0');
    }
    exp10 += exp_negative ? -e : e;
  }
  if (fast && i == raw.size() && mantissa <= kMaxExact && exp10 >= -22 && exp10 <= 22) {
    double v = static_cast<double>(mantissa);
    v = exp10 < 0 ? v / kPow10[-exp10] : v * kPow10[exp10];
    return negative ? -v : v;
  }
  return decimal_to_double(raw);
}

std::optional<double> Envelope::timestamp() const {
  std::optional<double> t = parse_json_number(timestamp_text);
  if (t && !std::isfinite(*t)) return std::nullopt;  // 1e400
  return t;
}

std::optional<double> JsonFields::number(std::string_view key) const {
  std::string_view raw = get(key);
  return raw.empty() ? std::nullopt : parse_json_number(raw);
}

}  // namespace realtime
