// WsClient: the WsSession with a real host — sockets from library_realtime.js, timers from
// emscripten's timer API, events to the web/ layer — exposed through embind as `_WsClient`.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "js_api.h"
#include "object_binding.h"
#include "ws_session.h"

namespace realtime::web {
namespace {
int g_live_clients = 0;
}  // namespace

int live_ws_clients() { return g_live_clients; }

class WsClient final : public WsHost, private LifecycleListener {
 public:
  // `config` is the manager's config object (web/src): what it leaves out keeps the C++ default.
  WsClient(int handle, const emscripten::val& config) : WsClient(handle, JsConfig(config)) {}
  WsClient(int handle, JsConfig&& config)
      : handle_(handle),
        lifecycle_(config.flag("lifecycle", true)),
        session_(to_config(config), *this) {
    ++g_live_clients;
    if (lifecycle_) lifecycle_add(this);
  }
  ~WsClient() override {
    if (lifecycle_) lifecycle_remove(this);
    --g_live_clients;
  }

  void connect() { session_.connect(); }
  void disconnect(int code, const std::string& reason) { session_.disconnect(code, reason); }
  bool send(const std::string& type, const std::string& payload_json, const std::string& id,
            double timestamp) {
    OutgoingEnvelope m{.type = type, .payload_json = payload_json, .id = id};
    if (!std::isnan(timestamp)) m.timestamp = timestamp;
    return session_.send(m);
  }
  // Registers interest in a message type; returns the id that rt_emit_message will carry.
  int subscribe_type(const std::string& type) { return types_.subscribe(type); }
  void unsubscribe_type(const std::string& type) { types_.unsubscribe(type); }
  void set_wildcard(bool on) { wildcard_ = on; }
  void set_preamble(const std::string& type, const std::string& payload_json) {
    session_.set_open_preamble(type, payload_json);
  }
  void provide_url(double seq, const std::string& url) {
    session_.provide_url(static_cast<std::uint32_t>(seq), url);
  }
  void url_failed(double seq, const std::string& detail) {
    session_.url_failed(static_cast<std::uint32_t>(seq), detail);
  }
  void provide_token(double seq, const std::string& token) {
    session_.provide_token(static_cast<std::uint32_t>(seq), token);
  }
  void token_failed(double seq, const std::string& detail) {
    session_.token_failed(static_cast<std::uint32_t>(seq), detail);
  }
  // Epoch ms, or NaN when no refresh is scheduled.
  double refresh_scheduled_at() const { return session_.refresh_scheduled_at().value_or(NAN); }
  // The id of the pending message, or (a number) the Errc that refused it at once.
  emscripten::val send_with_ack(const std::string& type, const std::string& payload_json,
                                const std::string& id, double timestamp, double timeout_ms) {
    OutgoingEnvelope m{.type = type, .payload_json = payload_json, .id = id};
    if (!std::isnan(timestamp)) m.timestamp = timestamp;
    Errc error = Errc::kOk;
    std::string sent = session_.send_with_ack(m, timeout_ms, &error);
    if (error != Errc::kOk) return emscripten::val(static_cast<int>(error));
    return emscripten::val(sent);
  }
  bool withdraw_ack(const std::string& id) { return session_.withdraw_ack(id); }
  // `since` is null or {epoch, offset}.
  int join_channel(const std::string& name, const emscripten::val& since) {
    std::optional<ChannelPosition> position;
    if (!since.isNull() && !since.isUndefined()) {
      emscripten::val epoch = since["epoch"];
      emscripten::val offset = since["offset"];
      position = ChannelPosition{
          epoch.isString() ? epoch.as<std::string>() : std::string(),
          offset.isNumber() ? static_cast<std::uint64_t>(std::max(0.0, offset.as<double>())) : 0};
    }
    return static_cast<int>(session_.join_channel(name, position));
  }
  void leave_channel(const std::string& name) { session_.leave_channel(name); }
  emscripten::val channel_position(const std::string& name) const {
    auto p = session_.channel_position(name);
    if (!p) return emscripten::val::null();
    emscripten::val o = emscripten::val::object();
    o.set("epoch", p->epoch);
    o.set("offset", static_cast<double>(p->offset));
    return o;
  }
  int ready_state() const { return session_.ready_state(); }
  std::string state() const { return std::string(ws_state_name(session_.state())); }
  emscripten::val stats() const {
    WsStats s = session_.stats();
    emscripten::val o = emscripten::val::object();
    o.set("messagesReceived", static_cast<double>(s.messages_received));
    o.set("messagesSent", static_cast<double>(s.messages_sent));
    o.set("errors", static_cast<double>(s.errors));
    o.set("dropped", static_cast<double>(s.dropped));
    o.set("reconnects", s.reconnects);
    o.set("queueDepth", static_cast<double>(s.queue_depth));
    o.set("rtt", s.last_rtt_ms);
    o.set("acksPending", static_cast<double>(s.acks_pending));
    o.set("duplicates", static_cast<double>(s.duplicates));
    return o;
  }

  // ---- socket callbacks (from library_realtime.js through the rt_ws_on_* exports) ----
  WsSession& session() { return session_; }

  // ---- WsHost ----
  double now_ms() override { return rt_date_now(); }  // epoch ms: also the envelope timestamp
  std::uint32_t random_u32() override { return rt_random_u32(); }
  std::uint32_t open_socket(const std::string& url,
                            const std::vector<std::string>& protocols) override {
    std::string joined;
    for (const auto& p : protocols) {
      if (!joined.empty()) joined += ',';
      joined += p;
    }
    return rt_ws_open(this, handle_, url.data(), url.size(), joined.data(), joined.size(),
                      static_cast<double>(session_.config().limits.max_message_bytes));
  }
  void request_url(std::uint32_t seq) override { rt_emit_url_request(handle_, seq); }
  void request_token(std::uint32_t seq) override { rt_emit_token_request(handle_, seq); }
  void on_auth(AuthPhase phase, TokenReason reason, double expires_at) override {
    std::string_view p = auth_phase_name(phase), r = token_reason_name(reason);
    rt_emit_auth(handle_, p.data(), p.size(), r.data(), r.size(), expires_at);
  }
  void send_text(std::uint32_t socket, const std::string& text) override {
    rt_ws_send(socket, text.data(), text.size());
  }
  void close_socket(std::uint32_t socket, int code, std::string_view reason) override {
    rt_ws_close(socket, code, reason.data(), reason.size());
  }
  void release_socket(std::uint32_t socket) override { rt_ws_release(socket); }
  void set_timer(WsTimer timer, double delay_ms) override {
    auto i = static_cast<int>(timer);
    // The refresh before expiry never keeps a Node process alive (unref'd).
    timers_[i].arm(delay_ms, &WsClient::fire, &timer_cookies_[i], timer == WsTimer::kTokenRefresh);
  }
  void cancel_timer(WsTimer timer) override { timers_[static_cast<int>(timer)].cancel(); }
  void on_state(WsState n, WsState o) override {
    std::string_view a = ws_state_name(n), b = ws_state_name(o);
    rt_emit_state(handle_, a.data(), a.size(), b.data(), b.size());
  }
  void on_message(const Envelope& env, std::string_view raw) override {
    if (wildcard_) rt_emit_raw(handle_, raw.data(), raw.size());
    int type_id = types_.find(env.type);
    if (type_id == 0) return;
    std::string_view payload = env.payload.empty() ? std::string_view("null") : env.payload;
    rt_emit_message(handle_, type_id, payload.data(), payload.size());
  }
  void on_error(Errc code, const std::string& message) override {
    rt_emit_error(handle_, static_cast<int>(code), message.data(), message.size());
  }
  void on_close(int code, std::string_view reason, bool was_clean) override {
    rt_emit_close(handle_, code, reason.data(), reason.size(), was_clean ? 1 : 0);
  }
  void on_ack(std::string_view id, Errc code, std::string_view detail) override {
    if (code != Errc::kOk && detail.empty()) detail = errc_message(code);
    rt_emit_ack(handle_, id.data(), id.size(), static_cast<int>(code), detail.data(),
                detail.size());
  }
  void on_publication(std::uint32_t channel_id, const Envelope& env,
                      std::string_view /*raw*/) override {
    // Publications go to their channel only (not to type subscribers nor the 'message' event).
    std::string_view payload = env.payload.empty() ? std::string_view("null") : env.payload;
    std::string_view id = env.id.size() >= 2 && env.id.front() == '"'
                              ? env.id.substr(1, env.id.size() - 2)
                              : std::string_view();
    rt_emit_publication(handle_, static_cast<int>(channel_id), env.type.data(), env.type.size(),
                        payload.data(), payload.size(), id.data(), id.size(),
                        env.offset.value_or(0), env.timestamp().value_or(0));
  }
  void on_gap(std::uint32_t channel_id, const ChannelTable::Gap& gap) override {
    rt_emit_gap(handle_, static_cast<int>(channel_id), gap.from.epoch.data(), gap.from.epoch.size(),
                static_cast<double>(gap.from.offset), gap.epoch.data(), gap.epoch.size());
  }
  void on_drop(DropReason reason, std::uint32_t count) override {
    std::string_view name = drop_reason_name(reason);
    rt_emit_drop(handle_, name.data(), name.size(), static_cast<int>(count));
  }

 private:
  struct TimerCookie {
    WsClient* self;
    WsTimer timer;
  };
  static void fire(void* user_data) {
    auto* cookie = static_cast<TimerCookie*>(user_data);
    cookie->self->timers_[static_cast<int>(cookie->timer)].fired();
    cookie->self->session_.on_timer(cookie->timer);
  }
  void on_lifecycle(LifecycleEvent event) override { session_.on_lifecycle(event); }

  // Every option with its C++ default and its range; the first invalid one is reported by
  // connect() (ConnectorConfig::invalid).
  static WsConfig to_config(JsConfig& c) {
    WsConfig w;
    w.connection = read_connector_config(c);
    w.protocols = c.strings("protocols");
    // realtimeProtocol: offer realtime.v1 too (acknowledged sends and channels need it). Off by
    // default: the `ws` client fails a handshake in which a server that ignores subprotocols
    // selects none, so plain servers keep working as they are.
    if (c.flag("realtimeProtocol", false) &&
        std::find(w.protocols.begin(), w.protocols.end(), kRealtimeProtocol) == w.protocols.end()) {
      w.protocols.emplace_back(kRealtimeProtocol);
    }
    w.delivery.max_pending = static_cast<std::size_t>(
        c.count("maxPendingAcks", static_cast<double>(w.delivery.max_pending), 1));
    w.delivery.max_pending_bytes = static_cast<std::size_t>(
        c.count("maxPendingAckBytes", static_cast<double>(w.delivery.max_pending_bytes), 1));
    w.heartbeat.interval_ms = c.num("heartbeatInterval", w.heartbeat.interval_ms, 0);
    w.heartbeat.missed_limit =
        static_cast<std::uint32_t>(c.count("heartbeatMissedLimit", w.heartbeat.missed_limit, 1));
    w.message_queue_size = static_cast<std::size_t>(
        c.count("messageQueueSize", static_cast<double>(w.message_queue_size), 0));
    w.limits.max_message_bytes = static_cast<std::size_t>(
        c.count("maxMessageBytes", static_cast<double>(w.limits.max_message_bytes), 1));
    w.limits.max_depth = static_cast<std::uint32_t>(c.count("maxDepth", w.limits.max_depth, 1));
    double auth_retries = c.count("authRetries", -1, 0);  // absent: no 4001/4401 policy
    w.auth.enabled = auth_retries >= 0;
    if (w.auth.enabled) {
      w.auth.retries = static_cast<std::uint32_t>(auth_retries);
      w.auth.reset_after_ms = c.num("authRetryResetMs", w.auth.reset_after_ms, 0);
    }
    CredentialsConfig& k = w.credentials;
    k.enabled = c.flag("credentials", false);
    k.refresh_threshold_ms = c.num("refreshThreshold", k.refresh_threshold_ms, 0);
    k.max_retries = static_cast<std::uint32_t>(c.count("maxRetries", k.max_retries, 0));
    k.subprotocol = c.flag("tokenSubprotocol", k.subprotocol);
    w.connection.invalid = c.error();
    return w;
  }

  int handle_;
  std::array<Timer, kWsTimerCount> timers_;
  std::array<TimerCookie, kWsTimerCount> timer_cookies_{{{this, WsTimer::kReconnect},
                                                         {this, WsTimer::kHeartbeat},
                                                         {this, WsTimer::kCloseTimeout},
                                                         {this, WsTimer::kConnectTimeout},
                                                         {this, WsTimer::kAckTimeout},
                                                         {this, WsTimer::kTokenRefresh},
                                                         {this, WsTimer::kTokenRetry}}};
  TypeRegistry types_;
  bool wildcard_ = false;
  bool lifecycle_ = true;
  WsSession session_;  // last: destroyed first, while the host parts above still exist
};

}  // namespace realtime::web

using realtime::web::WsClient;

extern "C" {
EMSCRIPTEN_KEEPALIVE void rt_ws_on_open(void* client, std::uint32_t socket, const char* protocol,
                                        std::size_t len) {
  static_cast<WsClient*>(client)->session().on_socket_open(socket, {protocol, len});
}
EMSCRIPTEN_KEEPALIVE void rt_ws_on_message(void* client, std::uint32_t socket, const char* data,
                                           std::size_t len, int is_text) {
  static_cast<WsClient*>(client)->session().on_socket_message(socket, {data, len}, is_text != 0);
}
EMSCRIPTEN_KEEPALIVE void rt_ws_on_oversize(void* client, std::uint32_t socket, double size) {
  static_cast<WsClient*>(client)->session().on_socket_oversize(socket,
                                                               static_cast<std::size_t>(size));
}
// The socket's error carried a code (the `ws` package says why it failed a connection; browsers
// do not): the ones recognised become an error event. Only fixed texts are passed on: a foreign
// error message could hold the URL (and a token in it).
EMSCRIPTEN_KEEPALIVE void rt_ws_on_error(void* client, std::uint32_t socket, const char* code,
                                         std::size_t len) {
  std::string_view name(code, len);
  realtime::Errc errc = name == "WS_ERR_INVALID_UTF8"                 ? realtime::Errc::kInvalidUtf8
                        : name == "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ? realtime::Errc::kTooLarge
                                                                      : realtime::Errc::kOk;
  if (errc == realtime::Errc::kOk) return;
  static_cast<WsClient*>(client)->session().on_socket_error(
      socket, errc,
      "the WebSocket implementation failed the connection (" + std::string(name) + ")");
}
EMSCRIPTEN_KEEPALIVE void rt_ws_on_close(void* client, std::uint32_t socket, int code,
                                         const char* reason, std::size_t len, int clean) {
  static_cast<WsClient*>(client)->session().on_socket_close(socket, code, {reason, len},
                                                            clean != 0);
}
}

EMSCRIPTEN_BINDINGS(realtime_ws) {
  using namespace emscripten;
  realtime::web::ObjectBinding<WsClient>("_WsClient")
      .constructor<int, const emscripten::val&>()
      .method<&WsClient::connect>("connect")
      .method<&WsClient::disconnect>("disconnect")
      .method<&WsClient::send>("send")
      .method<&WsClient::subscribe_type>("subscribeType")
      .method<&WsClient::unsubscribe_type>("unsubscribeType")
      .method<&WsClient::set_wildcard>("setWildcard")
      .method<&WsClient::set_preamble>("setPreamble")
      .method<&WsClient::provide_url>("provideUrl")
      .method<&WsClient::send_with_ack>("sendWithAck")
      .method<&WsClient::withdraw_ack>("withdrawAck")
      .method<&WsClient::join_channel>("joinChannel")
      .method<&WsClient::leave_channel>("leaveChannel")
      .method<&WsClient::channel_position>("channelPosition")
      .method<&WsClient::url_failed>("urlFailed")
      .method<&WsClient::provide_token>("provideToken")
      .method<&WsClient::token_failed>("tokenFailed")
      .method<&WsClient::refresh_scheduled_at>("refreshScheduledAt")
      .method<&WsClient::ready_state>("readyState")
      .method<&WsClient::state>("state")
      .method<&WsClient::stats>("stats");
}
