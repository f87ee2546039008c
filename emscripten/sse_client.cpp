// SseClient: the SseSession with a real host — a fetch stream or an EventSource from
// library_realtime.js, a reconnect timer from emscripten's timer API — exposed as `_SseClient`.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>

#include <array>
#include <string>

#include "envelope.h"
#include "js_api.h"
#include "object_binding.h"
#include "sse_session.h"

namespace realtime::web {
namespace {
int g_live_sse_clients = 0;
}

int live_sse_clients() { return g_live_sse_clients; }

class SseClient final : public SseHost, private LifecycleListener {
 public:
  // `config` is the manager's config object (web/src): what it leaves out keeps the C++ default.
  SseClient(int handle, const emscripten::val& config) : SseClient(handle, JsConfig(config)) {}
  SseClient(int handle, JsConfig&& config)
      : handle_(handle),
        max_depth_(
            static_cast<std::uint32_t>(config.count("maxDepth", DecodeLimits{}.max_depth, 1))),
        lifecycle_(config.flag("lifecycle", true)),
        session_(to_config(config), *this) {
    ++g_live_sse_clients;
    if (lifecycle_) lifecycle_add(this);
  }
  ~SseClient() override {
    if (lifecycle_) lifecycle_remove(this);
    --g_live_sse_clients;
  }

  void connect() { session_.connect(); }
  void disconnect() { session_.disconnect(); }
  int subscribe_type(const std::string& type) { return types_.subscribe(type); }
  void unsubscribe_type(const std::string& type) { types_.unsubscribe(type); }
  void set_wildcard(bool on) { wildcard_ = on; }
  void provide_url(double seq, const std::string& url) {
    session_.provide_url(static_cast<std::uint32_t>(seq), url);
  }
  void url_failed(double seq, const std::string& detail) {
    session_.url_failed(static_cast<std::uint32_t>(seq), detail);
  }
  int ready_state() const { return session_.ready_state(); }
  std::string state() const { return std::string(ws_state_name(session_.state())); }
  std::string last_event_id() const { return session_.last_event_id(); }
  double reconnects() const { return session_.reconnects(); }
  double events_received() const { return static_cast<double>(session_.events_received()); }
  SseSession& session() { return session_; }

  // ---- SseHost ----
  double now_ms() override { return rt_date_now(); }
  std::uint32_t random_u32() override { return rt_random_u32(); }
  std::uint32_t open_stream(const std::string& url, const std::string& last_event_id) override {
    return rt_sse_open(this, handle_, url.data(), url.size(), last_event_id.data(),
                       last_event_id.size(),
                       static_cast<double>(session_.config().limits.max_event_bytes));
  }
  void close_stream(std::uint32_t stream) override { rt_sse_close(stream); }
  void set_timer(ConnectorTimer timer, double delay_ms) override {
    auto i = static_cast<int>(timer);
    timers_[i].arm(delay_ms, &SseClient::fire, &timer_cookies_[i]);
  }
  void cancel_timer(ConnectorTimer timer) override { timers_[static_cast<int>(timer)].cancel(); }
  void request_url(std::uint32_t seq) override { rt_emit_url_request(handle_, seq); }
  void on_state(WsState n, WsState o) override {
    std::string_view a = ws_state_name(n), b = ws_state_name(o);
    rt_emit_state(handle_, a.data(), a.size(), b.data(), b.size());
  }
  void on_event(const SseEvent& e) override {
    int type_id = types_.find(e.type);
    if (type_id == 0 && !wildcard_) return;
    Errc json = json_candidate(e.data, max_depth_);
    if (json == Errc::kTooDeep) {
      // Valid-looking JSON nested past the limit: not handed over as a string either (the
      // subscriber expects the parsed value); an error, and the stream keeps serving.
      std::string message(errc_message(json));
      message += ": event '" + std::string(e.type.substr(0, 64)) + "' dropped";
      rt_emit_http_error(handle_, static_cast<int>(json), message.data(), message.size(), 0);
      return;
    }
    bool is_json = json == Errc::kOk;  // "may be JSON": web/src/sse-manager.ts parses it
    rt_emit_sse(handle_, type_id, e.type.data(), e.type.size(), e.data.data(), e.data.size(),
                e.last_event_id.data(), e.last_event_id.size(), is_json ? 1 : 0);
  }
  void on_error(Errc code, const std::string& message, int status) override {
    rt_emit_http_error(handle_, static_cast<int>(code), message.data(), message.size(), status);
  }

 private:
  struct TimerCookie {
    SseClient* self;
    ConnectorTimer timer;
  };
  static void fire(void* user_data) {
    auto* cookie = static_cast<TimerCookie*>(user_data);
    cookie->self->timers_[static_cast<int>(cookie->timer)].fired();
    cookie->self->session_.on_timer(cookie->timer);
  }
  void on_lifecycle(LifecycleEvent event) override { session_.on_lifecycle(event); }
  // Every option with its C++ default and its range; the first invalid one is reported by
  // connect() (ConnectorConfig::invalid).
  static SseConfig to_config(JsConfig& c) {
    SseConfig s;
    s.connection = read_connector_config(c);
    s.limits.max_event_bytes = static_cast<std::size_t>(
        c.count("maxEventBytes", static_cast<double>(s.limits.max_event_bytes), 1));
    s.connection.invalid = c.error();
    return s;
  }

  int handle_;
  std::uint32_t max_depth_;
  std::array<Timer, 2> timers_;
  std::array<TimerCookie, 2> timer_cookies_{
      {{this, ConnectorTimer::kReconnect}, {this, ConnectorTimer::kConnectTimeout}}};
  bool lifecycle_ = true;
  TypeRegistry types_;
  bool wildcard_ = false;
  SseSession session_;  // last: destroyed first, while the host parts above still exist
};

}  // namespace realtime::web

using realtime::web::SseClient;

extern "C" {
EMSCRIPTEN_KEEPALIVE void rt_sse_on_open(void* client, std::uint32_t stream, int status,
                                         const char* content_type, std::size_t len) {
  static_cast<SseClient*>(client)->session().on_stream_open(stream, status, {content_type, len});
}
EMSCRIPTEN_KEEPALIVE void rt_sse_on_bytes(void* client, std::uint32_t stream, const char* data,
                                          std::size_t len) {
  static_cast<SseClient*>(client)->session().on_stream_bytes(stream, {data, len});
}
EMSCRIPTEN_KEEPALIVE void rt_sse_on_event(void* client, std::uint32_t stream, const char* type,
                                          std::size_t type_len, const char* data,
                                          std::size_t data_len, const char* id,
                                          std::size_t id_len) {
  static_cast<SseClient*>(client)->session().on_stream_event(stream, {type, type_len},
                                                             {data, data_len}, {id, id_len});
}
EMSCRIPTEN_KEEPALIVE void rt_sse_on_oversize(void* client, std::uint32_t stream, const char* id,
                                             std::size_t id_len, double size) {
  static_cast<SseClient*>(client)->session().on_stream_oversize(stream, {id, id_len},
                                                                static_cast<std::size_t>(size));
}
EMSCRIPTEN_KEEPALIVE void rt_sse_on_end(void* client, std::uint32_t stream) {
  static_cast<SseClient*>(client)->session().on_stream_end(stream);
}
EMSCRIPTEN_KEEPALIVE void rt_sse_on_retrying(void* client, std::uint32_t stream) {
  static_cast<SseClient*>(client)->session().on_stream_retrying(stream);
}
}

EMSCRIPTEN_BINDINGS(realtime_sse) {
  using namespace emscripten;
  realtime::web::ObjectBinding<SseClient>("_SseClient")
      .constructor<int, const emscripten::val&>()
      .method<&SseClient::connect>("connect")
      .method<&SseClient::disconnect>("disconnect")
      .method<&SseClient::subscribe_type>("subscribeType")
      .method<&SseClient::unsubscribe_type>("unsubscribeType")
      .method<&SseClient::set_wildcard>("setWildcard")
      .method<&SseClient::provide_url>("provideUrl")
      .method<&SseClient::url_failed>("urlFailed")
      .method<&SseClient::ready_state>("readyState")
      .method<&SseClient::state>("state")
      .method<&SseClient::last_event_id>("lastEventId")
      .method<&SseClient::reconnects>("reconnects")
      .method<&SseClient::events_received>("eventsReceived");
}
