// What every native client shares on the browser side: timers, subscribed-type registries, and
// the live-handle count that leak tests read.
#include <emscripten/bind.h>
#include <emscripten/eventloop.h>
#include <emscripten/heap.h>

#include "errc.h"
#include "js_api.h"

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
         rt_sse_live_streams() + live_optimize_objects() + live_pools();
}

}  // namespace realtime::web

EMSCRIPTEN_BINDINGS(realtime_support) {
  emscripten::function("_liveHandles", &realtime::web::live_handles);
  // Bytes of WebAssembly memory (it only grows): for tests that bound memory under a flood.
  emscripten::function(
      "_heapBytes", +[]() { return static_cast<double>(emscripten_get_heap_size()); });
  emscripten::function("_errcName", +[](int code) {
    return std::string(realtime::errc_name(static_cast<realtime::Errc>(code)));
  });
}
