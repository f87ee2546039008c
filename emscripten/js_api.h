// C declarations of the functions in library_realtime.js, and the callbacks it calls.
#pragma once

#include <emscripten/val.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "connector.h"
#include "small_map.h"

extern "C" {
// max_bytes: a text frame whose length alone proves it longer than this is not copied into the
// heap; rt_ws_on_oversize reports it instead.
std::uint32_t rt_ws_open(void* client, int handle, const char* url, std::size_t url_len,
                         const char* protocols, std::size_t protocols_len, double max_bytes);
void rt_ws_send(std::uint32_t socket, const char* data, std::size_t len);
void rt_ws_close(std::uint32_t socket, int code, const char* reason, std::size_t len);
void rt_ws_release(std::uint32_t socket);
int rt_ws_live_sockets();

// The state names are C++'s (ws_state_name): 'connecting', 'open', 'reconnecting', …
void rt_emit_state(int handle, const char* new_state, std::size_t new_len, const char* old_state,
                   std::size_t old_len);
void rt_emit_message(int handle, int type_id, const char* payload, std::size_t len);
void rt_emit_raw(int handle, const char* text, std::size_t len);
void rt_emit_error(int handle, int code, const char* message, std::size_t len);
// The reason is its C++ name (drop_reason_name): queue_full, ack_store_full.
void rt_emit_drop(int handle, const char* reason, std::size_t reason_len, int count);
void rt_emit_ack(int handle, const char* id, std::size_t id_len, int code, const char* detail,
                 std::size_t detail_len);
void rt_emit_publication(int handle, int channel_id, const char* type, std::size_t type_len,
                         const char* payload, std::size_t payload_len, const char* id,
                         std::size_t id_len, double offset, double timestamp);
void rt_emit_gap(int handle, int channel_id, const char* from_epoch, std::size_t from_epoch_len,
                 double from_offset, const char* epoch, std::size_t epoch_len);
// Dynamic URL: asks the handle's url function for attempt `seq` (answered via provideUrl).
void rt_emit_url_request(int handle, std::uint32_t seq);
// Credentials: asks the handle's token provider for request `seq` (answered via provideToken).
void rt_emit_token_request(int handle, std::uint32_t seq);
void rt_emit_auth(int handle, const char* phase, std::size_t phase_len, const char* reason,
                  std::size_t reason_len, double expires_at);
// setTimeout, unref'd where the runtime has that (Node): it never keeps the process alive.
long rt_set_timeout_unref(void (*callback)(void*), double delay_ms, void* user_data);
// Installs the page lifecycle listeners once; returns the state now: bit 0 online, bit 1 visible.
int rt_lifecycle_install();
void rt_emit_close(int handle, int code, const char* reason, std::size_t len, int clean);
std::uint32_t rt_random_u32();
double rt_date_now();

// max_event_bytes: the EventSource transport does not copy a longer event's data into the heap
// (rt_sse_on_oversize instead).
std::uint32_t rt_sse_open(void* client, int handle, const char* url, std::size_t url_len,
                          const char* last_event_id, std::size_t id_len, double max_event_bytes);
void rt_sse_close(std::uint32_t stream);
int rt_sse_live_streams();
void rt_emit_sse(int handle, int type_id, const char* type, std::size_t type_len, const char* data,
                 std::size_t data_len, const char* id, std::size_t id_len, int is_json);
void rt_emit_http_error(int handle, int code, const char* message, std::size_t len, int status);
}

namespace realtime::web {

// One emscripten timeout (emscripten_set_timeout), counted among the live handles. A JS timer
// takes at most 2^31 - 1 ms (about 24.8 days) and fires at once for a longer delay, so a longer
// one is armed in steps of at most that, and only the last step calls back: a reconnect delay or
// a connectTimeout of months waits that long instead of spinning a timer every millisecond.
class Timer {
 public:
  Timer() = default;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer() { cancel(); }
  void arm(double delay_ms, void (*callback)(void*), void* user_data, bool unref = false);
  void cancel();
  // Call first thing in the callback: the timeout is spent.
  void fired();

 private:
  static void on_step(void* self);
  void step();

  long id_ = 0;
  bool armed_ = false;
  bool unref_ = false;
  double remaining_ms_ = 0;  // still to wait after the step armed now
  void (*callback_)(void*) = nullptr;
  void* user_data_ = nullptr;
};

// Message or event types that JS subscribed to, each with the small id JS dispatches on. A plain
// vector: an app subscribes a handful of types per connection, and a scan of a few short strings
// costs no more per message than hashing the type would; a hash table cost the module 1.2 kB gzip.
class TypeRegistry {
 public:
  int subscribe(const std::string& type);
  void unsubscribe(const std::string& type);
  int find(std::string_view type) const;  // 0 when not subscribed

 private:
  SmallMap<int> ids_;
  int next_id_ = 1;
};

// A JS config object: a key that is undefined or null keeps the C++ default.
class JsConfig {
 public:
  explicit JsConfig(const emscripten::val& object) : object_(object) {}
  // A number option: absent (undefined or null) gives `fallback`. Anything else must be a number
  // from `min` to `max` (never NaN), and an integer when `integer`; else `fallback`, and the first
  // such problem is kept for error(). Finite bounds must be whole numbers >= 0 (the message
  // prints them as such).
  double num(const char* key, double fallback, double min = -INFINITY, double max = INFINITY,
             bool integer = false);
  // A count stored in 32 bits: an integer from `min` to 2^32 - 1.
  double count(const char* key, double fallback, double min) {
    return num(key, fallback, min, 4294967295.0, true);
  }
  // A boolean option: absent gives `fallback`; anything but true or false is a problem.
  bool flag(const char* key, bool fallback);
  // A string, or an array of strings (also a comma-free list of protocols), else empty.
  std::vector<std::string> strings(const char* key) const;
  bool is_function(const char* key) const;
  // The first problem with an option read so far ("messageQueueSize must be …"); empty if none.
  const std::string& error() const { return error_; }

 private:
  emscripten::val get(const char* key) const;
  const emscripten::val& object_;
  std::string error_;
};

// url (string | string[] | function), reconnectAttempts (Infinity = unlimited),
// reconnectInterval, maxReconnectInterval, reconnectJitter, connectTimeout, minUptime,
// pauseWhenHidden — both managers' connection options, with the C++ defaults.
ConnectorConfig read_connector_config(JsConfig& config);

// Receives the page's lifecycle events (online, offline, visibility, freeze, back/forward cache).
class LifecycleListener {
 public:
  virtual void on_lifecycle(LifecycleEvent event) = 0;

 protected:
  ~LifecycleListener() = default;
};
// Registers a listener (unless the config says `lifecycle: false`) and tells it the current
// state (offline, hidden) at once.
void lifecycle_add(LifecycleListener* listener);
void lifecycle_remove(LifecycleListener* listener);

int live_handles();
int live_sse_clients();
int live_ws_clients();
// Live _ConnectionPool objects (emscripten/pool_bindings.cpp).
int live_pools();

}  // namespace realtime::web
