// The ConnectionPool bookkeeping (src/connection_pool.h) exposed through embind as
// `_ConnectionPool`. Ids and closed-id lists cross the boundary as JS strings and arrays; the
// web/ layer (web/src/connection-pool.ts) owns the connection objects and the timer.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "connection_pool.h"
#include "js_api.h"
#include "object_binding.h"

namespace realtime::web {
namespace {
int g_live_pools = 0;

emscripten::val to_array(const std::vector<std::string>& ids) {
  emscripten::val out = emscripten::val::array();
  for (const auto& id : ids) out.call<void>("push", id);
  return out;
}

// Out-of-range values fall back to safe ones.
std::int32_t to_max(double max_connections) {
  if (!std::isfinite(max_connections) || max_connections < 1) return 0;  // 0: the default
  if (max_connections > std::numeric_limits<std::int32_t>::max()) {
    return std::numeric_limits<std::int32_t>::max();
  }
  return static_cast<std::int32_t>(max_connections);
}

// The pool's effective config: the options object with the C++ defaults for what it leaves out,
// checked by ConnectionPool::validate (and maxConnections an integer): {maxConnections,
// idleTimeout, healthCheckInterval}, or, when invalid, what the options must be (the message of
// web/src/connection-pool.ts's invalid_config). It asks before it creates the pool; out-of-range
// values would still fall back to safe ones below.
emscripten::val effective_config(const emscripten::val& options) {
  JsConfig c(options);
  const ConnectionPoolConfig d;
  double max = c.num("maxConnections", d.max_connections);
  ConnectionPoolConfig config{to_max(max), c.num("idleTimeout", d.idle_timeout_ms),
                              c.num("healthCheckInterval", d.health_check_interval_ms)};
  if (!c.error().empty() || max != std::floor(max) || max != config.max_connections ||
      ConnectionPool::validate(config) != Errc::kOk) {
    return emscripten::val(
        "maxConnections must be an integer >= 1, idleTimeout a finite number >= 0 and "
        "healthCheckInterval a finite number > 0");
  }
  emscripten::val o = emscripten::val::object();
  o.set("maxConnections", config.max_connections);
  o.set("idleTimeout", config.idle_timeout_ms);
  o.set("healthCheckInterval", config.health_check_interval_ms);
  return o;
}

ConnectionPoolConfig to_config(double max_connections, double idle_timeout,
                               double health_check_interval) {
  return ConnectionPoolConfig{to_max(max_connections), idle_timeout, health_check_interval};
}
}  // namespace

int live_pools() { return g_live_pools; }

class PoolBinding {
 public:
  PoolBinding(double max_connections, double idle_timeout, double health_check_interval)
      : pool_(to_config(max_connections, idle_timeout, health_check_interval)) {
    ++g_live_pools;
  }
  ~PoolBinding() { --g_live_pools; }
  PoolBinding(const PoolBinding&) = delete;
  PoolBinding& operator=(const PoolBinding&) = delete;

  emscripten::val acquire(const std::string& id, double now_ms) {
    AcquireResult r = pool_.acquire(id, now_ms);
    emscripten::val o = emscripten::val::object();
    o.set("created", r.created);
    o.set("overCapacity", r.over_capacity);
    o.set("closed", to_array(r.closed));
    return o;
  }
  emscripten::val release(const std::string& id, double now_ms) {
    ReleaseResult r = pool_.release(id, now_ms);
    emscripten::val o = emscripten::val::object();
    o.set("error", static_cast<int>(r.error));
    o.set("closed", to_array(r.closed));
    return o;
  }
  int remove(const std::string& id) { return static_cast<int>(pool_.remove(id)); }
  emscripten::val on_timer(double now_ms) { return to_array(pool_.on_timer(now_ms)); }
  emscripten::val destroy() { return to_array(pool_.destroy()); }
  // When the health check is due, or NaN while the pool is empty (no timer needed).
  double next_deadline() const {
    auto d = pool_.next_deadline();
    return d ? *d : std::numeric_limits<double>::quiet_NaN();
  }
  double size() const { return static_cast<double>(pool_.size()); }
  bool contains(const std::string& id) const { return pool_.contains(id); }
  double users(const std::string& id) const { return pool_.users(id); }

 private:
  ConnectionPool pool_;
};

}  // namespace realtime::web

EMSCRIPTEN_BINDINGS(realtime_pool) {
  using namespace emscripten;
  using realtime::web::PoolBinding;
  function("_poolConfig", &realtime::web::effective_config);
  realtime::web::ObjectBinding<PoolBinding>("_ConnectionPool")
      .constructor<double, double, double>()
      .method<&PoolBinding::acquire>("acquire")
      .method<&PoolBinding::release>("release")
      .method<&PoolBinding::remove>("remove")
      .method<&PoolBinding::on_timer>("onTimer")
      .method<&PoolBinding::destroy>("destroy")
      .method<&PoolBinding::next_deadline>("nextDeadline")
      .method<&PoolBinding::size>("size")
      .method<&PoolBinding::contains>("contains")
      .method<&PoolBinding::users>("users");
}
