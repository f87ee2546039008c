// The envelope codec's cold half: encoding, UUIDs and unescaping, through nlohmann/json. Kept
// apart from envelope.cpp, whose decoder runs for every frame and is compiled for speed, while
// this file is compiled for size (see CMakeLists.txt).
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "envelope.h"

namespace realtime {
namespace {

std::string json_string(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string unescape_json_string(std::string_view token) {
  auto parsed = nlohmann::json::parse(token, nullptr, false);
  return parsed.is_string() ? parsed.get<std::string>() : std::string();
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
  if (!std::isfinite(ts)) ts = now_ms;                     // JSON has no NaN or Infinity
  constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53
  if (std::fabs(ts) < kMaxExactInteger && std::trunc(ts) == ts) {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(ts));
    out.append(buf, res.ptr);
  } else {
    out += nlohmann::json(ts).dump();
  }
  if (message.ack) out += ",\"ack\":true";
  out += '}';
  return out;
}

}  // namespace realtime
