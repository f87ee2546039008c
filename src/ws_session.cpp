#include "ws_session.h"

#include <functional>

namespace realtime {

std::string_view ws_state_name(WsState s) {
  switch (s) {
    case WsState::kConnecting: return "connecting";
    case WsState::kOpen: return "open";
    case WsState::kReconnecting: return "reconnecting";
    case WsState::kClosing: return "closing";
    case WsState::kClosed: return "closed";
  }
  return "closed";
}

std::string_view drop_reason_name(DropReason r) {
  switch (r) {
    case DropReason::kQueueFull: return "queue_full";
  }
  return "unknown";
}

namespace {
// Close codes after which a server is expected back: reconnect even when the close was clean.
bool server_expects_reconnect(int code) {
  return code == 1001 || code == 1011 || code == 1012 || code == 1013 || code == 1014;
}
}  // namespace

bool is_auth_close_code(int code) { return code == 4001 || code == 4401; }

WsSession::WsSession(WsConfig config, WsHost& host)
    : config_(std::move(config)),
      host_(host),
      backoff_(config_.backoff, [this] { return random(); }),
      heartbeat_(config_.heartbeat),
      queue_(config_.message_queue_size) {}

WsSession::~WsSession() {
  for (int t = 0; t < kWsTimerCount; ++t) host_.cancel_timer(static_cast<WsTimer>(t));
  if (socket_ != 0) host_.release_socket(socket_);
}

int WsSession::ready_state() const {
  switch (state_) {
    case WsState::kConnecting:
    case WsState::kReconnecting: return 0;
    case WsState::kOpen: return 1;
    case WsState::kClosing: return 2;
    case WsState::kClosed: return 3;
  }
  return 3;
}

WsStats WsSession::stats() const {
  WsStats s = stats_;
  s.queue_depth = queue_.size();
  s.dropped = queue_.dropped_total();
  if (auto rtt = heartbeat_.last_rtt()) s.last_rtt_ms = *rtt;
  return s;
}

void WsSession::set_state(WsState s) {
  if (s == state_) return;
  WsState old = state_;
  state_ = s;
  host_.on_state(s, old);
}

void WsSession::emit_error(Errc code, std::string detail) {
  ++stats_.errors;
  std::string message(errc_message(code));
  if (!detail.empty()) message += ": " + detail;
  host_.on_error(code, message);
}

void WsSession::connect() {
  if (state_ == WsState::kConnecting || state_ == WsState::kOpen ||
      state_ == WsState::kReconnecting) {
    return;
  }
  drop_socket();  // a socket still closing from an earlier disconnect() is abandoned
  host_.cancel_timer(WsTimer::kCloseTimeout);
  backoff_.reset();
  ever_opened_ = false;
  auth_retries_left_ = config_.auth.retries;
  set_state(WsState::kConnecting);
  open_new_socket();
}

void WsSession::open_new_socket() {
  socket_ = host_.open_socket(config_.url, config_.protocols);
  if (socket_ == 0) {
    emit_error(Errc::kInvalidUrl, config_.url);
    set_state(WsState::kClosed);
  }
}

void WsSession::drop_socket() {
  if (socket_ == 0) return;
  host_.release_socket(socket_);
  socket_ = 0;
}

void WsSession::disconnect(int code, std::string_view reason) {
  host_.cancel_timer(WsTimer::kReconnect);
  host_.cancel_timer(WsTimer::kHeartbeat);
  if (state_ == WsState::kClosed || state_ == WsState::kClosing) return;
  if (socket_ == 0) {
    set_state(WsState::kClosed);
    return;
  }
  set_state(WsState::kClosing);
  host_.close_socket(socket_, code, reason);
  host_.set_timer(WsTimer::kCloseTimeout, config_.close_timeout_ms);
}

bool WsSession::send(const OutgoingEnvelope& message) {
  std::string text = encode_envelope(message, host_.now_ms(), [this] { return random(); });
  if (state_ == WsState::kOpen && socket_ != 0) {
    host_.send_text(socket_, text);
    ++stats_.messages_sent;
    return true;
  }
  if (std::size_t dropped = queue_.push(std::move(text)); dropped > 0) {
    host_.on_drop(DropReason::kQueueFull, static_cast<std::uint32_t>(dropped));
  }
  return false;
}

void WsSession::on_socket_open(std::uint32_t socket) {
  if (socket != socket_ || socket == 0) return;
  if (ever_opened_) ++stats_.reconnects;
  ever_opened_ = true;
  opened_at_ = host_.now_ms();
  backoff_.reset();
  // Before the 'open' state is announced (a listener may send at once): the preamble first, then
  // the offline queue in order. send_text calls back into nothing, so no re-check is needed here.
  if (!preamble_type_.empty()) {
    host_.send_text(socket_,
                    encode_envelope({.type = preamble_type_, .payload_json = preamble_payload_},
                                    host_.now_ms(), [this] { return random(); }));
    ++stats_.messages_sent;
  }
  while (!queue_.empty()) {
    host_.send_text(socket_, queue_.pop_front());
    ++stats_.messages_sent;
  }
  set_state(WsState::kOpen);
  if (state_ != WsState::kOpen || socket_ != socket) return;  // a listener closed it
  if (heartbeat_.enabled()) {
    heartbeat_.start(host_.now_ms());
    frame_since_tick_ = false;
    host_.set_timer(WsTimer::kHeartbeat, heartbeat_.interval());
  }
}

void WsSession::on_socket_message(std::uint32_t socket, std::string_view data, bool is_text) {
  if (socket != socket_ || socket == 0) return;
  // No clock read per frame (in the browser that is a call out to Date.now(), which cost more
  // than the rest of this bookkeeping): a frame marks the current heartbeat interval as live,
  // and the next tick stamps it. With ticks every interval this detects a silent server at the
  // same tick as stamping every frame would; it is never earlier.
  frame_since_tick_ = true;
  if (!is_text) {
    emit_error(Errc::kBinaryFrame, std::to_string(data.size()) + " bytes");
    return;
  }
  Envelope env;
  DecodeResult r = decode_envelope(data, config_.limits, env);
  if (r.error != Errc::kOk) {
    std::string detail = r.error == Errc::kTooLarge
                             ? std::to_string(data.size()) + " bytes > " +
                                   std::to_string(config_.limits.max_message_bytes)
                             : "at byte " + std::to_string(r.error_offset);
    emit_error(r.error, detail);
    return;
  }
  ++stats_.messages_received;
  if (env.type == "pong") heartbeat_.on_pong(host_.now_ms());
  host_.on_message(env, data);
}

void WsSession::on_socket_close(std::uint32_t socket, int code, std::string_view reason,
                                bool was_clean) {
  if (socket != socket_ || socket == 0) return;
  drop_socket();
  host_.on_close(code, reason, was_clean);
  host_.cancel_timer(WsTimer::kHeartbeat);
  if (state_ == WsState::kClosing) {
    host_.cancel_timer(WsTimer::kCloseTimeout);
    set_state(WsState::kClosed);
    return;
  }
  if (config_.auth.enabled && is_auth_close_code(code)) {
    if (ever_opened_ && host_.now_ms() - opened_at_ >= config_.auth.reset_after_ms) {
      auth_retries_left_ = config_.auth.retries;  // it served a while: not a rejection streak
    }
    if (auth_retries_left_ > 0) {
      --auth_retries_left_;
      set_state(WsState::kReconnecting);
      host_.set_timer(WsTimer::kReconnect, 0);  // the host refreshes the token before opening
      return;
    }
    emit_error(Errc::kUnauthorized, "close code " + std::to_string(code) + " after " +
                                        std::to_string(config_.auth.retries) +
                                        " token refresh(es)");
    set_state(WsState::kClosed);
    return;
  }
  if (was_clean && !server_expects_reconnect(code)) {
    set_state(WsState::kClosed);
    return;
  }
  schedule_reconnect();
}

void WsSession::on_socket_oversize(std::uint32_t socket, std::size_t size) {
  if (socket != socket_ || socket == 0) return;
  frame_since_tick_ = true;  // stamped at the next tick, as for every frame
  emit_error(Errc::kTooLarge, std::to_string(size) + "+ bytes > " +
                                  std::to_string(config_.limits.max_message_bytes));
}

void WsSession::on_socket_error(std::uint32_t socket, Errc code, std::string_view detail) {
  if (socket != socket_ || socket == 0) return;
  emit_error(code, std::string(detail));
}

void WsSession::set_open_preamble(std::string type, std::string payload_json) {
  preamble_type_ = std::move(type);
  preamble_payload_ = std::move(payload_json);
}

void WsSession::schedule_reconnect() {
  std::optional<double> delay = backoff_.next_delay();
  if (!delay) {
    emit_error(Errc::kGaveUp, std::to_string(config_.backoff.reconnect_attempts) + " attempts");
    set_state(WsState::kClosed);
    return;
  }
  set_state(WsState::kReconnecting);
  host_.set_timer(WsTimer::kReconnect, *delay);
}

void WsSession::on_timer(WsTimer timer) {
  switch (timer) {
    case WsTimer::kReconnect:
      if (state_ != WsState::kReconnecting) return;
      open_new_socket();
      return;
    case WsTimer::kHeartbeat: {
      if (state_ != WsState::kOpen) return;
      double now = host_.now_ms();
      if (frame_since_tick_) {
        heartbeat_.on_frame(now);
        frame_since_tick_ = false;
      }
      if (heartbeat_.on_tick(now) == Heartbeat::Tick::kDead) {
        emit_error(Errc::kHeartbeatTimeout);
        host_.close_socket(socket_, 4000, "heartbeat timeout");
        drop_socket();
        schedule_reconnect();
        return;
      }
      host_.send_text(socket_, encode_envelope({.type = "ping", .payload_json = "{}"}, now,
                                               [this] { return random(); }));
      host_.set_timer(WsTimer::kHeartbeat, heartbeat_.interval());
      return;
    }
    case WsTimer::kCloseTimeout:
      if (state_ != WsState::kClosing) return;
      drop_socket();
      set_state(WsState::kClosed);
      return;
  }
}

}  // namespace realtime
