// What every native client shares on the browser side: timers, subscribed-type registries, and
// the live-handle count that leak tests read.
#include <emscripten/bind.h>
#include <emscripten/eventloop.h>
#include <emscripten/heap.h>

#include <algorithm>
#include <cmath>
#include <string_view>

#include "errc.h"
#include "js_api.h"
#include "jwt.h"

namespace realtime::web {
namespace {
int g_live_timers = 0;
std::vector<LifecycleListener*> g_lifecycle;

// The browser's names for the events (library_realtime.js passes them as they come).
constexpr std::pair<std::string_view, LifecycleEvent> kLifecycleNames[] = {
    {"online", LifecycleEvent::kOnline},     {"offline", LifecycleEvent::kOffline},
    {"visible", LifecycleEvent::kVisible},   {"hidden", LifecycleEvent::kHidden},
    {"freeze", LifecycleEvent::kFreeze},     {"resume", LifecycleEvent::kResume},
    {"pagehide", LifecycleEvent::kPageHide}, {"pageshow", LifecycleEvent::kPageShow},
};
}  // namespace

emscripten::val JsConfig::get(const char* key) const { return object_[key]; }

double JsConfig::num(const char* key, double fallback, double min, double max, bool integer) {
  emscripten::val v = get(key);
  if (v.isUndefined() || v.isNull()) return fallback;
  const double d = v.isNumber() ? v.as<double>() : NAN;
  if (d >= min && d <= max && (!integer || d == std::floor(d))) return d;  // false for NaN
  if (!error_.empty()) return fallback;  // the first problem is the one reported
  // The finite bounds in use are whole numbers >= 0 (js_api.h).
  error_.append(key).append(integer ? " must be an integer" : " must be a number");
  if (std::isfinite(min))
    error_.append(" >= ").append(std::to_string(static_cast<unsigned long>(min)));
  if (std::isfinite(max))
    error_.append(" and <= ").append(std::to_string(static_cast<unsigned long>(max)));
  return fallback;
}

bool JsConfig::flag(const char* key, bool fallback) {
  emscripten::val v = get(key);
  if (v.isUndefined() || v.isNull()) return fallback;
  if (v.isTrue() || v.isFalse()) return v.isTrue();
  if (error_.empty()) error_.append(key).append(" must be true or false");
  return fallback;
}

std::vector<std::string> JsConfig::strings(const char* key) const {
  emscripten::val v = get(key);
  std::vector<std::string> out;
  if (v.isString()) {
    out.push_back(v.as<std::string>());
  } else if (v.isArray()) {
    auto n = v["length"].as<unsigned>();
    for (unsigned i = 0; i < n; ++i) {
      emscripten::val item = v[i];
      if (item.isString()) out.push_back(item.as<std::string>());
    }
  }
  return out;
}

bool JsConfig::is_function(const char* key) const {
  return get(key).typeOf().as<std::string>() == "function";
}

ConnectorConfig read_connector_config(JsConfig& c) {
  ConnectorConfig out;
  out.dynamic_url = c.is_function("url");
  if (!out.dynamic_url) out.urls = c.strings("url");
  BackoffConfig& b = out.backoff;
  double attempts = c.num("reconnectAttempts", b.reconnect_attempts, 0, INFINITY, true);
  b.reconnect_attempts = attempts >= static_cast<double>(kUnlimitedAttempts)
                             ? kUnlimitedAttempts
                             : static_cast<std::uint32_t>(attempts);
  b.reconnect_interval_ms = c.num("reconnectInterval", b.reconnect_interval_ms, 0);
  b.max_reconnect_interval_ms = c.num("maxReconnectInterval", b.max_reconnect_interval_ms, 0);
  b.jitter = c.flag("reconnectJitter", b.jitter);
  out.connect_timeout_ms = c.num("connectTimeout", out.connect_timeout_ms, 0);
  out.min_uptime_ms = c.num("minUptime", out.min_uptime_ms, 0);
  out.pause_when_hidden = c.flag("pauseWhenHidden", out.pause_when_hidden);
  return out;
}

void lifecycle_add(LifecycleListener* listener) {
  int now = rt_lifecycle_install();
  g_lifecycle.push_back(listener);
  if ((now & 1) == 0) listener->on_lifecycle(LifecycleEvent::kOffline);
  if ((now & 2) == 0) listener->on_lifecycle(LifecycleEvent::kHidden);
}

void lifecycle_remove(LifecycleListener* listener) {
  g_lifecycle.erase(std::remove(g_lifecycle.begin(), g_lifecycle.end(), listener),
                    g_lifecycle.end());
}

void Timer::arm(double delay_ms, void (*callback)(void*), void* user_data, bool unref) {
  cancel();
  callback_ = callback;
  user_data_ = user_data;
  unref_ = unref;
  remaining_ms_ = delay_ms > 0 ? delay_ms : 0;  // NaN too: at once
  step();
  armed_ = true;
  ++g_live_timers;
}

void Timer::step() {
  constexpr double kMaxDelayMs = 2147483647;  // what setTimeout takes
  const double delay = remaining_ms_ < kMaxDelayMs ? remaining_ms_ : kMaxDelayMs;
  remaining_ms_ -= delay;
  id_ = unref_ ? rt_set_timeout_unref(&Timer::on_step, delay, this)
               : emscripten_set_timeout(&Timer::on_step, delay, this);
}

void Timer::on_step(void* self) {
  auto* timer = static_cast<Timer*>(self);
  if (timer->remaining_ms_ > 0) return timer->step();
  timer->callback_(timer->user_data_);
}

void Timer::cancel() {
  if (!armed_) return;
  emscripten_clear_timeout(id_);
  fired();
}

void Timer::fired() {
  if (!armed_) return;
  armed_ = false;
  --g_live_timers;
}

int TypeRegistry::subscribe(const std::string& type) {
  auto [it, inserted] = ids_.try_emplace(type, next_id_);
  if (inserted) ++next_id_;
  return it->second;
}

void TypeRegistry::unsubscribe(const std::string& type) {
  if (auto it = ids_.find(type); it != ids_.end()) ids_.erase(it);
}

int TypeRegistry::find(std::string_view type) const {
  auto it = ids_.find(type);
  return it == ids_.end() ? 0 : it->second;
}

int live_handles() {
  return live_ws_clients() + live_sse_clients() + g_live_timers + rt_ws_live_sockets() +
         rt_sse_live_streams() + live_pools();
}

}  // namespace realtime::web

extern "C" EMSCRIPTEN_KEEPALIVE void rt_lifecycle(const char* name, std::size_t len) {
  using realtime::web::g_lifecycle;
  std::string_view event_name(name, len);
  for (const auto& [known, event] : realtime::web::kLifecycleNames) {
    if (known != event_name) continue;
    // A listener may go away while the others are told (a state listener disposes a manager).
    auto listeners = g_lifecycle;
    for (auto* l : listeners) {
      if (std::find(g_lifecycle.begin(), g_lifecycle.end(), l) != g_lifecycle.end()) {
        l->on_lifecycle(event);
      }
    }
    return;
  }
}

namespace {
// The one JWT decoder (src/jwt.h), for tests/js/jwt.test.mjs: {error, reason, expMs, iatMs,
// nbfMs}, error '' when valid, a claim null when absent.
emscripten::val decode_jwt_value(const std::string& token) {
  realtime::JwtDecodeResult r = realtime::decode_jwt(token);
  emscripten::val o = emscripten::val::object();
  o.set("error", r.error == realtime::Errc::kOk ? std::string() : std::string(errc_name(r.error)));
  o.set("reason", std::string(r.reason));
  const char* names[] = {"expMs", "iatMs", "nbfMs"};
  const std::optional<double>* claims[] = {&r.claims.exp_ms, &r.claims.iat_ms, &r.claims.nbf_ms};
  for (int i = 0; i < 3; ++i) {
    o.set(names[i], *claims[i] ? emscripten::val(**claims[i]) : emscripten::val::null());
  }
  return o;
}
// Its strict base64url, as hex (the bytes need not be UTF-8), or null.
emscripten::val base64url_hex(const std::string& text) {
  std::optional<std::string> bytes = realtime::base64url_decode(text);
  if (!bytes) return emscripten::val::null();
  std::string hex;
  for (unsigned char c : *bytes) {
    hex += "0123456789abcdef"[c >> 4];
    hex += "0123456789abcdef"[c & 15];
  }
  return emscripten::val(hex);
}
}  // namespace

EMSCRIPTEN_BINDINGS(realtime_support) {
  emscripten::function("_decodeJwt", &decode_jwt_value);
  emscripten::function("_base64UrlDecodeHex", &base64url_hex);
  emscripten::function("_liveHandles", &realtime::web::live_handles);
  // Bytes of WebAssembly memory (it only grows): for tests that bound memory under a flood.
  emscripten::function(
      "_heapBytes", +[]() { return static_cast<double>(emscripten_get_heap_size()); });
  emscripten::function(
      "_errcName", +[](int code) {
        return std::string(realtime::errc_name(static_cast<realtime::Errc>(code)));
      });
}
