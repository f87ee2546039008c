#include "errc.h"

namespace realtime {
namespace {
struct Entry {
  Errc code;
  std::string_view name;
  std::string_view message;
};
constexpr Entry kTable[] = {
    {Errc::kOk, "ok", "ok"},
    {Errc::kNotJson, "not_json", "message is not valid JSON"},
    {Errc::kNotObject, "not_object", "message is not a JSON object"},
    {Errc::kTypeMissing, "type_missing", "message has no \"type\" field"},
    {Errc::kTypeNotString, "type_not_string", "message \"type\" is not a string"},
    {Errc::kTooLarge, "too_large", "message is larger than the configured limit"},
    {Errc::kTooDeep, "too_deep", "JSON nesting is deeper than the configured limit"},
    {Errc::kInvalidUtf8, "invalid_utf8", "message is not valid UTF-8"},
    {Errc::kBinaryFrame, "binary_frame", "binary frames are not supported"},
    {Errc::kConnectFailed, "connect_failed", "connection failed"},
    {Errc::kGaveUp, "gave_up", "gave up reconnecting after the configured attempts"},
    {Errc::kHeartbeatTimeout, "heartbeat_timeout",
     "no frame from the server within the heartbeat window"},
    {Errc::kHttpStatus, "http_status", "server answered with an HTTP error status"},
    {Errc::kBadContentType, "bad_content_type", "response is not text/event-stream"},
    {Errc::kStreamTooLarge, "stream_too_large",
     "event or line is larger than the configured limit"},
    {Errc::kInvalidUrl, "invalid_url", "invalid URL"},
    {Errc::kUnauthorized, "unauthorized", "server rejected the credentials"},
    {Errc::kNoWebSocket, "no_websocket",
     "no WebSocket implementation: run `npm install ws`, or pass config `WebSocket`"},
    {Errc::kConnectTimeout, "connect_timeout", "the connection did not open within connectTimeout"},
    {Errc::kAckTimeout, "ack_timeout", "no acknowledgement within the timeout; withdrawn"},
    {Errc::kServerError, "server_error", "the server reported an error"},
    {Errc::kAckStoreFull, "ack_store_full", "too many unacknowledged messages"},
    {Errc::kProtocolUnsupported, "protocol_unsupported",
     "the server did not select the realtime.v1 subprotocol (set realtimeProtocol: true, and "
     "use a realtime.v1 server)"},
    {Errc::kMalformedToken, "malformed_token", "token is not a well-formed JWT"},
    {Errc::kTokenExpired, "token_expired", "token is expired"},
    {Errc::kDecryptFailed, "decrypt_failed", "message could not be decrypted"},
    {Errc::kTokenRefreshFailed, "token_refresh_failed", "the token could not be refreshed"},
    {Errc::kUnknownChannel, "unknown_channel", "channel does not exist"},
    {Errc::kInvalidConfig, "invalid_config", "invalid configuration"},
};
const Entry* find(Errc e) {
  for (const auto& entry : kTable) {
    if (entry.code == e) return &entry;
  }
  return nullptr;
}
}  // namespace

std::string_view errc_name(Errc e) {
  const Entry* entry = find(e);
  return entry ? entry->name : "unknown";
}
std::string_view errc_message(Errc e) {
  const Entry* entry = find(e);
  return entry ? entry->message : "unknown error";
}

}  // namespace realtime
