// C declarations of the functions in library_realtime.js, and the callbacks it calls.
#pragma once

#include <cstdint>
#include <string_view>

extern "C" {
std::uint32_t rt_ws_open(void* client, int handle, const char* url, std::size_t url_len,
                         const char* protocols, std::size_t protocols_len);
void rt_ws_send(std::uint32_t socket, const char* data, std::size_t len);
void rt_ws_close(std::uint32_t socket, int code, const char* reason, std::size_t len);
void rt_ws_release(std::uint32_t socket);
int rt_ws_live_sockets();

void rt_emit_state(int handle, int new_state, int old_state);
void rt_emit_message(int handle, int type_id, const char* payload, std::size_t len);
void rt_emit_raw(int handle, const char* text, std::size_t len);
void rt_emit_error(int handle, int code, const char* message, std::size_t len);
void rt_emit_drop(int handle, int reason, int count);
std::uint32_t rt_random_u32();
double rt_date_now();
}

namespace realtime::web {
// Timers through emscripten's timer API; `slot` is cleared by cancel or when it fires.
struct TimerSlot {
  long id = 0;
  bool armed = false;
};
int live_timers();
// Live _ConnectionPool objects (emscripten/pool_bindings.cpp), counted by _liveHandles.
int live_pools();
}  // namespace realtime::web
