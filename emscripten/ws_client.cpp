// WsClient: the WsSession with a real host — sockets from library_realtime.js, timers from
// emscripten's timer API, events to the web/ layer — exposed through embind as `_WsClient`.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>

#include <array>
#include <cmath>
#include <string>
#include <unordered_map>

#include "js_api.h"
#include "ws_session.h"

namespace realtime::web {
namespace {
int g_live_clients = 0;
}  // namespace

int live_ws_clients() { return g_live_clients; }

// The config as embind sees it (a plain JS object with every field set by web/).
struct WsClientConfig {
  std::string url;
  std::string protocols;  // comma-separated
  double reconnectAttempts;
  double reconnectInterval;
  double maxReconnectInterval;
  bool reconnectJitter;
  double heartbeatInterval;
  double heartbeatMissedLimit;
  double messageQueueSize;
  double maxMessageBytes;
  double maxDepth;
  double authRetries;  // < 0: no auth-close policy (plain WebSocketManager)
  double authRetryResetMs;
};

class WsClient final : public WsHost {
 public:
  WsClient(int handle, const WsClientConfig& c) : handle_(handle), session_(to_config(c), *this) {
    ++g_live_clients;
  }
  ~WsClient() override { --g_live_clients; }

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
  void send_text(std::uint32_t socket, const std::string& text) override {
    rt_ws_send(socket, text.data(), text.size());
  }
  void close_socket(std::uint32_t socket, int code, std::string_view reason) override {
    rt_ws_close(socket, code, reason.data(), reason.size());
  }
  void release_socket(std::uint32_t socket) override { rt_ws_release(socket); }
  void set_timer(WsTimer timer, double delay_ms) override {
    auto i = static_cast<int>(timer);
    timers_[i].arm(delay_ms, &WsClient::fire, &timer_cookies_[i]);
  }
  void cancel_timer(WsTimer timer) override { timers_[static_cast<int>(timer)].cancel(); }
  void on_state(WsState n, WsState o) override {
    rt_emit_state(handle_, static_cast<int>(n), static_cast<int>(o));
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
  void on_drop(DropReason reason, std::uint32_t count) override {
    rt_emit_drop(handle_, static_cast<int>(reason), static_cast<int>(count));
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
  static WsConfig to_config(const WsClientConfig& c) {
    WsConfig w;
    w.url = c.url;
    std::string_view rest = c.protocols;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      w.protocols.emplace_back(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    w.backoff.reconnect_attempts = static_cast<std::uint32_t>(c.reconnectAttempts);
    w.backoff.reconnect_interval_ms = c.reconnectInterval;
    w.backoff.max_reconnect_interval_ms = c.maxReconnectInterval;
    w.backoff.jitter = c.reconnectJitter;
    w.heartbeat.interval_ms = c.heartbeatInterval;
    w.heartbeat.missed_limit = static_cast<std::uint32_t>(c.heartbeatMissedLimit);
    w.message_queue_size = static_cast<std::size_t>(c.messageQueueSize);
    w.limits.max_message_bytes = static_cast<std::size_t>(c.maxMessageBytes);
    w.limits.max_depth = static_cast<std::uint32_t>(c.maxDepth);
    w.auth.enabled = c.authRetries >= 0;
    if (w.auth.enabled) {
      w.auth.retries = static_cast<std::uint32_t>(c.authRetries);
      w.auth.reset_after_ms = c.authRetryResetMs;
    }
    return w;
  }

  int handle_;
  std::array<Timer, kWsTimerCount> timers_;
  std::array<TimerCookie, kWsTimerCount> timer_cookies_{{{this, WsTimer::kReconnect},
                                                         {this, WsTimer::kHeartbeat},
                                                         {this, WsTimer::kCloseTimeout}}};
  TypeRegistry types_;
  bool wildcard_ = false;
  WsSession session_;  // last: destroyed first, while the host parts above still exist
};

}  // namespace realtime::web

using realtime::web::WsClient;

extern "C" {
EMSCRIPTEN_KEEPALIVE void rt_ws_on_open(void* client, std::uint32_t socket) {
  static_cast<WsClient*>(client)->session().on_socket_open(socket);
}
EMSCRIPTEN_KEEPALIVE void rt_ws_on_message(void* client, std::uint32_t socket, const char* data,
                                           std::size_t len, int is_text) {
  static_cast<WsClient*>(client)->session().on_socket_message(socket, {data, len}, is_text != 0);
}
EMSCRIPTEN_KEEPALIVE void rt_ws_on_oversize(void* client, std::uint32_t socket, double size) {
  static_cast<WsClient*>(client)->session().on_socket_oversize(socket,
                                                               static_cast<std::size_t>(size));
}
// `code` is an Errc the transport recognised (library_realtime.js maps the socket's error).
EMSCRIPTEN_KEEPALIVE void rt_ws_on_error(void* client, std::uint32_t socket, int code,
                                         const char* detail, std::size_t len) {
  static_cast<WsClient*>(client)->session().on_socket_error(
      socket, static_cast<realtime::Errc>(code), {detail, len});
}
EMSCRIPTEN_KEEPALIVE void rt_ws_on_close(void* client, std::uint32_t socket, int code,
                                         const char* reason, std::size_t len, int clean) {
  static_cast<WsClient*>(client)->session().on_socket_close(socket, code, {reason, len},
                                                            clean != 0);
}
}

EMSCRIPTEN_BINDINGS(realtime_ws) {
  using namespace emscripten;
  value_object<realtime::web::WsClientConfig>("_WsClientConfig")
      .field("url", &realtime::web::WsClientConfig::url)
      .field("protocols", &realtime::web::WsClientConfig::protocols)
      .field("reconnectAttempts", &realtime::web::WsClientConfig::reconnectAttempts)
      .field("reconnectInterval", &realtime::web::WsClientConfig::reconnectInterval)
      .field("maxReconnectInterval", &realtime::web::WsClientConfig::maxReconnectInterval)
      .field("reconnectJitter", &realtime::web::WsClientConfig::reconnectJitter)
      .field("heartbeatInterval", &realtime::web::WsClientConfig::heartbeatInterval)
      .field("heartbeatMissedLimit", &realtime::web::WsClientConfig::heartbeatMissedLimit)
      .field("messageQueueSize", &realtime::web::WsClientConfig::messageQueueSize)
      .field("maxMessageBytes", &realtime::web::WsClientConfig::maxMessageBytes)
      .field("maxDepth", &realtime::web::WsClientConfig::maxDepth)
      .field("authRetries", &realtime::web::WsClientConfig::authRetries)
      .field("authRetryResetMs", &realtime::web::WsClientConfig::authRetryResetMs);
  class_<WsClient>("_WsClient")
      .constructor<int, const realtime::web::WsClientConfig&>()
      .function("connect", &WsClient::connect)
      .function("disconnect", &WsClient::disconnect)
      .function("send", &WsClient::send)
      .function("subscribeType", &WsClient::subscribe_type)
      .function("unsubscribeType", &WsClient::unsubscribe_type)
      .function("setWildcard", &WsClient::set_wildcard)
      .function("setPreamble", &WsClient::set_preamble)
      .function("readyState", &WsClient::ready_state)
      .function("state", &WsClient::state)
      .function("stats", &WsClient::stats);

}
