#include "sse_session.h"

#include <algorithm>
#include <cctype>

namespace realtime {

namespace {
// "text/event-stream", ignoring case, parameters and surrounding white space.
bool is_event_stream(std::string_view content_type) {
  auto semicolon = content_type.find(';');
  std::string_view essence = content_type.substr(0, semicolon);
  while (!essence.empty() && std::isspace(static_cast<unsigned char>(essence.front()))) {
    essence.remove_prefix(1);
  }
  while (!essence.empty() && std::isspace(static_cast<unsigned char>(essence.back()))) {
    essence.remove_suffix(1);
  }
  constexpr std::string_view kWanted = "text/event-stream";
  return essence.size() == kWanted.size() &&
         std::equal(essence.begin(), essence.end(), kWanted.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}
}  // namespace

SseSession::SseSession(SseConfig config, SseHost& host)
    : config_(std::move(config)),
      host_(host),
      connector_(config_.connection, *this),
      parser_(config_.limits) {}

SseSession::~SseSession() {
  host_.cancel_timer(ConnectorTimer::kReconnect);
  host_.cancel_timer(ConnectorTimer::kConnectTimeout);
  if (stream_ != 0) host_.close_stream(stream_);
}

int SseSession::ready_state() const {
  switch (state_) {
    case WsState::kConnecting:
    case WsState::kReconnecting: return 0;
    case WsState::kOpen: return 1;
    default: return 2;
  }
}

void SseSession::set_state(WsState s) {
  if (s == state_) return;
  WsState old = state_;
  state_ = s;
  host_.on_state(s, old);
}

void SseSession::connect() {
  if (state_ != WsState::kClosed) return;
  if (!config_.connection.invalid.empty()) {  // an option the host could not take: never open
    set_state(WsState::kConnecting);
    return fail(Errc::kInvalidConfig, config_.connection.invalid, 0);  // closed again
  }
  ever_opened_ = false;
  set_state(WsState::kConnecting);
  connector_.start();
}

void SseSession::start_transport(const std::string& url) {
  drop_stream();
  parser_.reset_stream();
  stream_ = host_.open_stream(url, parser_.last_event_id());
  if (stream_ == 0) fail(Errc::kInvalidUrl, url, 0);
}

void SseSession::provide_url(std::uint32_t seq, const std::string& url) {
  connector_.provide_url(seq, url);
}

void SseSession::url_failed(std::uint32_t seq, std::string_view detail) {
  if (!connector_.url_failed(seq)) return;
  host_.on_error(Errc::kConnectFailed, "the url function failed: " + std::string(detail), 0);
  handle_lost();
}

void SseSession::drop_stream() {
  if (stream_ == 0) return;
  host_.close_stream(stream_);
  stream_ = 0;
}

void SseSession::disconnect() {
  connector_.stop();
  drop_stream();
  set_state(WsState::kClosed);
}

void SseSession::fail(Errc code, std::string detail, int status) {
  connector_.stop();
  drop_stream();
  std::string message(errc_message(code));
  if (!detail.empty()) message += ": " + detail;
  host_.on_error(code, message, status);
  set_state(WsState::kClosed);
}

void SseSession::on_stream_open(std::uint32_t stream, int status, std::string_view content_type) {
  if (stream != stream_ || stream == 0) return;
  if (status == 0) {
    fail(Errc::kConnectFailed,
         "EventSource failed the connection (HTTP error or wrong content type)", 0);
    return;
  }
  if (status != 200) {
    std::string detail = "HTTP " + std::to_string(status);
    if (status == 204) detail += " (the server asked the client to stop reconnecting)";
    fail(Errc::kHttpStatus, detail, status);
    return;
  }
  if (!is_event_stream(content_type)) {
    fail(Errc::kBadContentType, "got '" + std::string(content_type.substr(0, 100)) + "'", status);
    return;
  }
  if (ever_opened_) ++reconnects_;
  ever_opened_ = true;
  connector_.opened();
  events_since_open_ = 0;
  set_state(WsState::kOpen);
}

void SseSession::on_stream_bytes(std::uint32_t stream, std::string_view bytes) {
  if (stream != stream_ || stream == 0 || state_ != WsState::kOpen) return;
  if (parser_.feed(bytes, *this) == Errc::kStreamTooLarge) {
    fail(Errc::kStreamTooLarge,
         "more than " + std::to_string(config_.limits.max_event_bytes) + " bytes", 0);
  }
}

void SseSession::on_stream_event(std::uint32_t stream, std::string_view type, std::string_view data,
                                 std::string_view last_event_id) {
  if (stream != stream_ || stream == 0) return;
  parser_.set_last_event_id(std::string(last_event_id));
  // The browser's parser has no limit: the bound is enforced here, per event. The event is
  // already in memory, so it is dropped (with an error) and the stream keeps serving.
  if (data.size() > config_.limits.max_event_bytes) {
    on_stream_oversize(stream, last_event_id, data.size());
    return;
  }
  on_event(SseEvent{type, data, last_event_id});
}

void SseSession::on_stream_oversize(std::uint32_t stream, std::string_view last_event_id,
                                    std::size_t size) {
  if (stream != stream_ || stream == 0) return;
  parser_.set_last_event_id(std::string(last_event_id));
  host_.on_error(Errc::kStreamTooLarge,
                 std::string(errc_message(Errc::kStreamTooLarge)) + ": event of " +
                     std::to_string(size) + "+ bytes > " +
                     std::to_string(config_.limits.max_event_bytes) + " dropped",
                 0);
}

void SseSession::on_event(const SseEvent& event) {
  ++events_;
  ++events_since_open_;
  host_.on_event(event);
}

void SseSession::on_retry(std::uint32_t milliseconds) {
  connector_.set_base_interval(milliseconds);
}

void SseSession::on_stream_end(std::uint32_t stream) {
  if (stream != stream_ || stream == 0) return;
  drop_stream();
  handle_lost();
}

void SseSession::on_stream_retrying(std::uint32_t stream) {
  if (stream != stream_ || stream == 0) return;
  if (!connector_.transport_retrying(events_since_open_ > 0)) {
    std::uint32_t attempts = config_.connection.backoff.reconnect_attempts;
    fail(Errc::kGaveUp, std::to_string(attempts) + " attempts", 0);
    return;
  }
  set_state(WsState::kReconnecting);
}

void SseSession::handle_lost() {
  if (connector_.lost(false, events_since_open_ > 0) == Connector::Lost::kGaveUp) {
    std::uint32_t attempts = config_.connection.backoff.reconnect_attempts;
    fail(Errc::kGaveUp, std::to_string(attempts) + " attempts", 0);
    return;
  }
  set_state(WsState::kReconnecting);
}

void SseSession::on_timer(ConnectorTimer timer) {
  if (!connector_.on_timer(timer)) return;  // kReconnect starts the attempt by itself
  std::string message(errc_message(Errc::kConnectTimeout));
  message +=
      ": " + std::to_string(static_cast<long long>(config_.connection.connect_timeout_ms)) + " ms";
  host_.on_error(Errc::kConnectTimeout, message, 0);
  drop_stream();
  handle_lost();
}

void SseSession::on_lifecycle(LifecycleEvent event) {
  switch (connector_.on_lifecycle(event, state_ != WsState::kClosed)) {
    case Connector::Lifecycle::kNothing:
    case Connector::Lifecycle::kProbe: return;  // no heartbeat on a stream
    case Connector::Lifecycle::kSuspend: return disconnect();
    case Connector::Lifecycle::kReconnect: return connect();
  }
}

}  // namespace realtime
