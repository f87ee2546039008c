// Error codes shared by every component. Errors are values: no exception crosses the WASM
// boundary. web/src/errors.ts mirrors the names (keep the numbers stable).
#pragma once

#include <cstdint>
#include <string_view>

namespace realtime {

enum class Errc : std::uint16_t {
  kOk = 0,
  // Inbound message problems (the connection keeps serving the next message).
  kNotJson = 1,
  kNotObject = 2,
  kTypeMissing = 3,
  kTypeNotString = 4,
  kTooLarge = 5,
  kTooDeep = 6,
  kInvalidUtf8 = 7,
  kBinaryFrame = 8,
  // Connection problems.
  kConnectFailed = 20,
  kGaveUp = 21,
  kHeartbeatTimeout = 22,
  kHttpStatus = 23,
  kBadContentType = 24,
  kStreamTooLarge = 25,
  kInvalidUrl = 26,
  kUnauthorized = 27,
  kNoWebSocket = 28,  // no WebSocket implementation in this runtime (Node < 22 without `ws`)
  kConnectTimeout = 29,
  // Delivery (realtime.v1).
  kAckTimeout = 30,
  kServerError = 31,
  kAckStoreFull = 32,
  kProtocolUnsupported = 33,
  // Security.
  kMalformedToken = 40,
  kTokenExpired = 41,
  kDecryptFailed = 42,
  kTokenRefreshFailed = 43,
  // Local misuse.
  kUnknownChannel = 60,
  kInvalidConfig = 61,
};

// The codes below this one are about one inbound message: the connection itself is fine and keeps
// serving the next message (scripts/gen-errc.mjs exports them as MESSAGE_ERROR_CODES).
constexpr std::uint16_t kFirstConnectionErrc = 20;
constexpr bool is_message_error(Errc e) {
  return e != Errc::kOk && static_cast<std::uint16_t>(e) < kFirstConnectionErrc;
}

// Stable machine-readable name ("not_json", "too_large", …) used as the JS error code.
std::string_view errc_name(Errc e);
// Human-readable default message.
std::string_view errc_message(Errc e);

}  // namespace realtime
