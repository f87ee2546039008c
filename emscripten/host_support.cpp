// What every native client shares on the browser side: timers, subscribed-type registries, and
// the live-handle count that leak tests read.
#include <emscripten/bind.h>
#include <emscripten/eventloop.h>
#include <emscripten/heap.h>
#include <emscripten/val.h>

#include "errc.h"
#include "js_api.h"
#include "jwt.h"

namespace realtime::web {
namespace {
int g_live_timers = 0;
}

void Timer::arm(double delay_ms, void (*callback)(void*), void* user_data) {
  cancel();
  id_ = emscripten_set_timeout(callback, delay_ms, user_data);
  armed_ = true;
  ++g_live_timers;
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

void TypeRegistry::unsubscribe(const std::string& type) { ids_.erase(type); }

int TypeRegistry::find(std::string_view type) const {
  auto it = ids_.find(type);
  return it == ids_.end() ? 0 : it->second;
}

int live_handles() {
  return live_ws_clients() + live_sse_clients() + g_live_timers + rt_ws_live_sockets() +
         rt_sse_live_streams();
}

// {error: '' | 'malformed_token', reason, expMs: number | null}. The reason is static text from
// decode_jwt: never any part of the token.
emscripten::val decode_jwt_claims(const std::string& token) {
  JwtDecodeResult r = decode_jwt(token);
  emscripten::val o = emscripten::val::object();
  o.set("error", r.error == Errc::kOk ? std::string() : std::string(errc_name(r.error)));
  o.set("reason", std::string(r.reason));
  o.set("expMs", r.claims.exp_ms ? emscripten::val(*r.claims.exp_ms) : emscripten::val::null());
  return o;
}

}  // namespace realtime::web

EMSCRIPTEN_BINDINGS(realtime_support) {
  emscripten::function("_liveHandles", &realtime::web::live_handles);
  emscripten::function("_decodeJwt", &realtime::web::decode_jwt_claims);
  // Bytes of WebAssembly memory (it only grows): for tests that bound memory under a flood.
  emscripten::function(
      "_heapBytes", +[]() { return static_cast<double>(emscripten_get_heap_size()); });
  emscripten::function("_errcName", +[](int code) {
    return std::string(realtime::errc_name(static_cast<realtime::Errc>(code)));
  });
}
