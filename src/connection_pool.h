// RealtimeConnectionPool bookkeeping (seed: "Connection Pool Management"). Pure state, keyed by a
// string id (the JS layer uses the URL/config key): the JS side owns the connection objects,
// connects when acquire() says `created`, and disconnects every id this class reports as closed.
//
//  - acquire(id, now): reuses the entry (one more user) or creates it. Creating when the pool
//    already holds max_connections entries first closes the least recently used IDLE entries
//    (0 users). When none is idle the entry is still created (a mounting component must not
//    fail) and `over_capacity` is set so the JS side can report it; while over capacity, an entry
//    whose last user releases it is closed at once, so the pool shrinks back to the limit.
//  - release(id, now): one user fewer. A connection left with 0 users stays open until it has
//    been idle longer than idle_timeout (a quick remount reuses it).
//  - on_timer(now): the health check, every health_check_interval while the pool holds entries;
//    closes entries with 0 users idle longer than idle_timeout.
//  - remove(id): forget an entry whose connection failed or was closed from outside.
//
// Errors: kInvalidConfig from validate(); kUnknownChannel ("unknown key") for release or remove
// of an id the pool does not hold, and for a release of an entry that has no users left.
// Fixes over the seed: it exceeded maxConnections silently, clamped a double release silently,
// never evicted an entry last used in the current millisecond, and ran its timer forever.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "errc.h"
#include "small_map.h"

namespace realtime {

struct ConnectionPoolConfig {
  std::int32_t max_connections = 10;        // maxConnections, at least 1
  double idle_timeout_ms = 300000;          // idleTimeout, 5 minutes, >= 0
  double health_check_interval_ms = 60000;  // healthCheckInterval, 1 minute, > 0
};

struct AcquireResult {
  bool created = false;             // true: the JS side creates and connects the connection
  bool over_capacity = false;       // created although max_connections entries are in use
  std::vector<std::string> closed;  // idle entries evicted to make room: disconnect them
};

struct ReleaseResult {
  Errc error = Errc::kOk;
  std::vector<std::string> closed;  // the entry itself when the pool is over capacity
};

class ConnectionPool {
 public:
  // kOk, or kInvalidConfig for max_connections < 1, a negative idle_timeout_ms, a
  // health_check_interval_ms <= 0, or a non-finite time.
  static Errc validate(const ConnectionPoolConfig& config);

  // Expects a config that passed validate(); invalid fields fall back to the defaults.
  explicit ConnectionPool(const ConnectionPoolConfig& config = {});

  AcquireResult acquire(std::string_view id, double now_ms);
  ReleaseResult release(std::string_view id, double now_ms);
  Errc remove(std::string_view id);
  // Health check: the ids closed for being idle longer than idle_timeout.
  std::vector<std::string> on_timer(double now_ms);
  // Closes everything: every id, for the JS side to disconnect.
  std::vector<std::string> destroy();

  // When on_timer() should be called next, or nullopt while the pool is empty.
  std::optional<double> next_deadline() const;
  std::size_t size() const { return entries_.size(); }
  bool contains(std::string_view id) const { return entries_.find(id) != entries_.end(); }
  // Current users of an entry (0 when idle or unknown).
  std::uint32_t users(std::string_view id) const;
  const ConnectionPoolConfig& config() const { return config_; }

 private:
  struct Entry {
    std::uint32_t users = 0;
    double last_used_ms = 0;
    std::uint64_t last_used_seq = 0;  // tie-break: least recently used first
  };

  using EntryMap = SmallMap<Entry>;

  // The idle entry with the oldest last use, or end().
  EntryMap::iterator oldest_idle();

  ConnectionPoolConfig config_;
  EntryMap entries_;
  double next_check_ms_ = 0;
  std::uint64_t seq_ = 0;
};

}  // namespace realtime
