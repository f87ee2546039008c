#include "ws_session.h"

#include <algorithm>
#include <functional>

#include "attributes.h"

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
    case DropReason::kAckStoreFull: return "ack_store_full";
  }
  return "unknown";
}

namespace {
// The provider's retries: the reconnect backoff (one backoff), `max_retries` of them, with full
// jitter (a fleet whose token service failed does not retry in lockstep).
BackoffConfig token_retry_config(const WsConfig& c) {
  BackoffConfig b = c.connection.backoff;
  b.reconnect_attempts = c.credentials.max_retries;
  b.jitter = true;
  return b;
}
// Close codes after which a server is expected back: reconnect even when the close was clean.
bool server_expects_reconnect(int code) {
  return code == 1001 || code == 1011 || code == 1012 || code == 1013 || code == 1014;
}
}  // namespace

bool is_auth_close_code(int code) { return code == 4001 || code == 4401; }

WsSession::WsSession(WsConfig config, WsHost& host)
    : config_(std::move(config)),
      host_(host),
      connector_(config_.connection, *this),
      heartbeat_(config_.heartbeat),
      queue_(config_.message_queue_size),
      acks_(config_.delivery),
      token_retry_(token_retry_config(config_), [this] { return host_.random_u32(); }) {}

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

RT_COLD WsStats WsSession::stats() const {
  WsStats s = stats_;
  s.queue_depth = queue_.size();
  s.acks_pending = acks_.size();
  s.dropped = queue_.dropped_total();
  if (auto rtt = heartbeat_.last_rtt()) s.last_rtt_ms = *rtt;
  return s;
}

void WsSession::set_state(WsState s) {
  if (s == state_) return;
  WsState old = state_;
  state_ = s;
  if (s == WsState::kClosed) stop_credentials();
  host_.on_state(s, old);
}

RT_COLD void WsSession::emit_error(Errc code, std::string detail) {
  ++stats_.errors;
  std::string message(errc_message(code));
  if (!detail.empty()) message += ": " + detail;
  host_.on_error(code, message);
}

RT_COLD void WsSession::connect() {
  if (state_ == WsState::kConnecting || state_ == WsState::kOpen ||
      state_ == WsState::kReconnecting) {
    return;
  }
  drop_socket();  // a socket still closing from an earlier disconnect() is abandoned
  host_.cancel_timer(WsTimer::kCloseTimeout);
  if (!config_.connection.invalid.empty()) {  // an option the host could not take: never open
    set_state(WsState::kConnecting);
    emit_error(Errc::kInvalidConfig, config_.connection.invalid);
    set_state(WsState::kClosed);
    return;
  }
  ever_opened_ = false;
  auth_retries_left_ = config_.auth.retries;
  first_attempt_ = true;
  set_state(WsState::kConnecting);
  schedule_refresh();  // a token still held from before a disconnect(): its refresh again
  connector_.start();
}

namespace {
WsTimer ws_timer(ConnectorTimer t) {
  return t == ConnectorTimer::kReconnect ? WsTimer::kReconnect : WsTimer::kConnectTimeout;
}
}  // namespace

void WsSession::set_timer(ConnectorTimer timer, double delay_ms) {
  host_.set_timer(ws_timer(timer), delay_ms);
}
void WsSession::cancel_timer(ConnectorTimer timer) { host_.cancel_timer(ws_timer(timer)); }

RT_COLD void WsSession::start_transport(const std::string& url) {
  drop_socket();
  bool first = first_attempt_;
  first_attempt_ = false;
  // The credentials step: without a usable token this attempt waits for one.
  if (config_.credentials.enabled && !token_usable()) return hold_for_token(url, first);
  open_transport(url);
}

RT_COLD void WsSession::open_transport(const std::string& url) {
  socket_ = host_.open_socket(url, config_.protocols);
  if (socket_ == 0) {
    connector_.stop();
    emit_error(Errc::kInvalidUrl, url);
    settle_acks(Errc::kGaveUp, "invalid URL");
    set_state(WsState::kClosed);
  }
}

RT_COLD void WsSession::provide_url(std::uint32_t seq, const std::string& url) {
  connector_.provide_url(seq, url);
}

RT_COLD void WsSession::url_failed(std::uint32_t seq, std::string_view detail) {
  if (!connector_.url_failed(seq)) return;
  emit_error(Errc::kConnectFailed, "the url function failed: " + std::string(detail));
  handle_lost(false);
}

void WsSession::drop_socket() {
  if (socket_ == 0) return;
  host_.release_socket(socket_);
  socket_ = 0;
}

RT_COLD void WsSession::disconnect(int code, std::string_view reason) {
  connector_.stop();
  host_.cancel_timer(WsTimer::kHeartbeat);
  stop_credentials();
  if (state_ == WsState::kClosed || state_ == WsState::kClosing) return;
  if (socket_ == 0) {
    set_state(WsState::kClosed);
    return;
  }
  set_state(WsState::kClosing);
  host_.close_socket(socket_, code, reason);
  host_.set_timer(WsTimer::kCloseTimeout, config_.close_timeout_ms);
}

RT_COLD std::string WsSession::send_with_ack(const OutgoingEnvelope& message, double timeout_ms,
                                             Errc* error) {
  *error = Errc::kOk;
  bool open = state_ == WsState::kOpen && socket_ != 0;
  if (open && !v1_) {
    *error = Errc::kProtocolUnsupported;
    return {};
  }
  OutgoingEnvelope m = message;
  std::string id = m.id.empty() ? uuid_v4([this] { return random(); }) : std::string(m.id);
  if (acks_.contains(id)) return id;  // already pending: one message, settled once for both
  m.id = id;
  m.ack = true;
  double now = host_.now_ms();
  std::string text = encode_envelope(m, now, [this] { return random(); });
  if (!acks_.add({.id = id, .text = text, .deadline = now + timeout_ms, .seq = ++send_seq_})) {
    *error = Errc::kAckStoreFull;
    host_.on_drop(DropReason::kAckStoreFull, 1);
    return {};
  }
  if (open) transmit(text);
  arm_ack_timer();
  return id;
}

RT_COLD bool WsSession::withdraw_ack(std::string_view id) {
  if (!acks_.remove(id)) return false;
  arm_ack_timer();
  return true;
}

RT_COLD void WsSession::arm_ack_timer() {
  if (auto next = acks_.next_deadline()) {
    host_.set_timer(WsTimer::kAckTimeout, std::max(0.0, *next - host_.now_ms()));
  } else {
    host_.cancel_timer(WsTimer::kAckTimeout);
  }
}

RT_COLD void WsSession::settle_acks(Errc code, std::string_view detail) {
  for (const std::string& id : acks_.take_all()) host_.on_ack(id, code, detail);
  host_.cancel_timer(WsTimer::kAckTimeout);
}

RT_COLD std::uint32_t WsSession::join_channel(const std::string& name,
                                              const std::optional<ChannelPosition>& since) {
  std::uint32_t id = channels_.join(name, since);
  if (state_ == WsState::kOpen && socket_ != 0 && v1_) transmit(channels_.join_frame(name));
  return id;
}

RT_COLD void WsSession::leave_channel(std::string_view name) {
  if (!channels_.leave(name)) return;
  if (state_ == WsState::kOpen && socket_ != 0 && v1_) transmit(ChannelTable::leave_frame(name));
}

// On every open, before 'open' is announced (a listener may send at once): the preamble, the
// channel joins with their positions, then every message not yet acknowledged or sent, in send
// order (the acknowledged sends and the offline queue merged by sequence number).
RT_COLD void WsSession::flush_on_open() {
  if (!preamble_type_.empty()) {
    transmit(encode_envelope({.type = preamble_type_, .payload_json = preamble_payload_},
                             host_.now_ms(), [this] { return random(); }));
  }
  if (v1_) {
    for (const std::string& frame : channels_.join_frames()) transmit(frame);
  } else if (!acks_.entries().empty() || !channels_.empty()) {
    emit_error(Errc::kProtocolUnsupported, "acknowledged sends and channels need it");
    settle_acks(Errc::kProtocolUnsupported, "");
  }
  const auto& pending = acks_.entries();
  std::size_t next_ack = 0;
  while (!queue_.empty() || next_ack < pending.size()) {
    if (next_ack < pending.size() &&
        (queue_.empty() || pending[next_ack].seq < queue_.front_seq())) {
      transmit(pending[next_ack++].text);
    } else {
      transmit(queue_.pop_front());
    }
  }
}

RT_COLD void WsSession::on_socket_open(std::uint32_t socket, std::string_view protocol) {
  if (socket != socket_ || socket == 0) return;
  if (ever_opened_) ++stats_.reconnects;
  ever_opened_ = true;
  opened_at_ = host_.now_ms();
  v1_ = protocol == kRealtimeProtocol;
  connector_.opened();
  flush_on_open();  // send_text calls back into nothing: no re-check is needed here
  set_state(WsState::kOpen);
  if (state_ != WsState::kOpen || socket_ != socket) return;  // a listener closed it
  if (heartbeat_.enabled()) {
    heartbeat_.start(host_.now_ms());
    frame_since_tick_ = false;
    host_.set_timer(WsTimer::kHeartbeat, heartbeat_.interval());
  }
}

RT_COLD bool WsSession::handle_control(const Envelope& env) {
  std::string_view payload = env.payload.empty() ? std::string_view("null") : env.payload;
  if (env.type == "rt:ack") {
    auto ack = parse_ack(payload);
    if (!ack || !acks_.remove(ack->id)) return true;  // unknown: timed out or withdrawn before
    arm_ack_timer();
    if (ack->ok) {
      host_.on_ack(ack->id, Errc::kOk, ack->reply_json);
    } else {
      host_.on_ack(ack->id, Errc::kServerError, ack->message);
    }
    return true;
  }
  if (env.type == "rt:joined") {
    auto joined = parse_joined(payload);
    if (!joined) return true;
    auto gap =
        channels_.on_joined(joined->channel, joined->epoch, joined->offset, joined->recovered);
    if (gap) host_.on_gap(channels_.id_of(joined->channel), *gap);
    return true;
  }
  if (env.type == "rt:error") {
    auto err = parse_error_frame(payload);
    if (!err) return false;
    // About a pending acknowledged send: settled with the server's word, except 'unavailable'
    // (the store failed; the handler may not have run): that one is re-sent on the next open.
    if (!err->id.empty() && err->code != "unavailable" && acks_.remove(err->id)) {
      arm_ack_timer();
      host_.on_ack(err->id, Errc::kServerError, err->code + ": " + err->message);
      return true;
    }
    std::string detail = err->code + ": " + err->message;
    if (!err->channel.empty()) detail += " (channel " + err->channel + ")";
    emit_error(Errc::kServerError, detail);
    return true;
  }
  return false;  // an rt: type this client does not know: delivered like any message
}

RT_COLD void WsSession::on_socket_close(std::uint32_t socket, int code, std::string_view reason,
                                        bool was_clean) {
  if (socket != socket_ || socket == 0) return;
  drop_socket();
  host_.on_close(code, reason, was_clean);
  host_.cancel_timer(WsTimer::kHeartbeat);
  if (state_ == WsState::kClosing || state_ == WsState::kClosed) {
    host_.cancel_timer(WsTimer::kCloseTimeout);
    set_state(WsState::kClosed);
    return;
  }
  if (config_.credentials.enabled && is_auth_close_code(code)) token_.stale = true;
  if (config_.auth.enabled && is_auth_close_code(code)) {
    if (ever_opened_ && host_.now_ms() - opened_at_ >= config_.auth.reset_after_ms) {
      auth_retries_left_ = config_.auth.retries;  // it served a while: not a rejection streak
    }
    if (auth_retries_left_ > 0) {
      --auth_retries_left_;
      set_state(WsState::kReconnecting);
      connector_.retry_now();  // the host refreshes the token before opening
      return;
    }
    connector_.stop();
    emit_error(Errc::kUnauthorized, "close code " + std::to_string(code) + " after " +
                                        std::to_string(config_.auth.retries) +
                                        " token refresh(es)");
    settle_acks(Errc::kGaveUp, "unauthorized");
    set_state(WsState::kClosed);
    return;
  }
  if (was_clean && !server_expects_reconnect(code)) {
    connector_.stop();
    set_state(WsState::kClosed);
    return;
  }
  handle_lost(false);
}

RT_COLD void WsSession::on_socket_oversize(std::uint32_t socket, std::size_t size) {
  if (socket != socket_ || socket == 0) return;
  frame_since_tick_ = true;  // stamped at the next tick, as for every frame
  emit_error(Errc::kTooLarge, std::to_string(size) + "+ bytes > " +
                                  std::to_string(config_.limits.max_message_bytes));
}

RT_COLD void WsSession::on_socket_error(std::uint32_t socket, Errc code, std::string_view detail) {
  if (socket != socket_ || socket == 0) return;
  emit_error(code, std::string(detail));
}

void WsSession::set_open_preamble(std::string type, std::string payload_json) {
  preamble_type_ = std::move(type);
  preamble_payload_ = std::move(payload_json);
}

RT_COLD void WsSession::handle_lost(bool dead) {
  token_.waiting = false;  // an attempt held for a token (connectTimeout) is abandoned
  switch (connector_.lost(dead)) {
    case Connector::Lost::kRetrying:
    case Connector::Lost::kWaiting: set_state(WsState::kReconnecting); return;
    case Connector::Lost::kGaveUp: {
      std::uint32_t attempts = config_.connection.backoff.reconnect_attempts;
      emit_error(Errc::kGaveUp, std::to_string(attempts) + " attempts");
      settle_acks(Errc::kGaveUp, std::to_string(attempts) + " attempts");
      set_state(WsState::kClosed);
      return;
    }
  }
}

void WsSession::send_ping(double now) {
  host_.send_text(socket_, encode_envelope({.type = "ping", .payload_json = "{}"}, now,
                                           [this] { return random(); }));
}

RT_COLD void WsSession::probe() {
  if (state_ != WsState::kOpen || !heartbeat_.enabled()) return;
  double now = host_.now_ms();
  heartbeat_.probe(now);
  send_ping(now);
  host_.set_timer(WsTimer::kHeartbeat, heartbeat_.interval());
}

RT_COLD void WsSession::on_lifecycle(LifecycleEvent event) {
  bool active = state_ != WsState::kClosed && state_ != WsState::kClosing;
  switch (connector_.on_lifecycle(event, active)) {
    case Connector::Lifecycle::kNothing: return;
    case Connector::Lifecycle::kProbe: return probe();
    case Connector::Lifecycle::kSuspend:
      return disconnect(1001, "page entered the back/forward cache");
    case Connector::Lifecycle::kReconnect: return connect();
  }
}

RT_COLD void WsSession::on_timer(WsTimer timer) {
  switch (timer) {
    case WsTimer::kReconnect:
      if (state_ != WsState::kReconnecting) return;
      connector_.on_timer(ConnectorTimer::kReconnect);
      return;
    case WsTimer::kConnectTimeout:
      if (!connector_.on_timer(ConnectorTimer::kConnectTimeout)) return;
      emit_error(
          Errc::kConnectTimeout,
          std::to_string(static_cast<long long>(config_.connection.connect_timeout_ms)) + " ms");
      drop_socket();
      handle_lost(false);
      return;
    case WsTimer::kHeartbeat: {
      if (state_ != WsState::kOpen) return;
      double now = host_.now_ms();
      if (frame_since_tick_) {
        heartbeat_.on_frame(now);
        frame_since_tick_ = false;
      }
      switch (heartbeat_.on_tick(now)) {
        case Heartbeat::Tick::kDead:
          emit_error(Errc::kHeartbeatTimeout);
          host_.close_socket(socket_, 4000, "heartbeat timeout");
          drop_socket();
          handle_lost(true);
          return;
        case Heartbeat::Tick::kProbe:
          connector_.resumed();  // the page was stalled: a close that follows is no failure
          break;
        case Heartbeat::Tick::kSendPing: break;
      }
      send_ping(now);
      host_.set_timer(WsTimer::kHeartbeat, heartbeat_.interval());
      return;
    }
    case WsTimer::kAckTimeout:
      for (const std::string& id : acks_.expire(host_.now_ms())) {
        host_.on_ack(id, Errc::kAckTimeout, "");
      }
      arm_ack_timer();
      return;
    case WsTimer::kTokenRefresh:
    case WsTimer::kTokenRetry: return on_token_timer(timer);
    case WsTimer::kCloseTimeout:
      if (state_ != WsState::kClosing) return;
      drop_socket();
      set_state(WsState::kClosed);
      return;
  }
}

}  // namespace realtime
