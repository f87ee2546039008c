// Keep-alive and dead-connection detection. While open, a tick every heartbeatInterval sends a
// `ping` envelope; when no frame at all has arrived from the server for
// heartbeatInterval * heartbeatMissedLimit, the connection is declared dead (a half-open socket
// that the seed's version never noticed). heartbeatInterval 0 disables both.
#pragma once

#include <cstdint>
#include <optional>

namespace realtime {

struct HeartbeatConfig {
  double interval_ms = 30000;       // heartbeatInterval
  std::uint32_t missed_limit = 2;   // heartbeatMissedLimit
};

class Heartbeat {
 public:
  enum class Tick { kSendPing, kDead };

  explicit Heartbeat(HeartbeatConfig config) : config_(config) {}

  bool enabled() const { return config_.interval_ms > 0; }
  double interval() const { return config_.interval_ms; }
  void start(double now) { last_frame_ = now; ping_sent_ = std::nullopt; }
  void on_frame(double now) { last_frame_ = now; }
  // Call when the heartbeat timer fires.
  Tick on_tick(double now);
  // A `pong` arrived: the round trip since the last ping, if one is outstanding.
  std::optional<double> on_pong(double now);
  std::optional<double> last_rtt() const { return last_rtt_; }

 private:
  HeartbeatConfig config_;
  double last_frame_ = 0;
  std::optional<double> ping_sent_;
  std::optional<double> last_rtt_;
};

}  // namespace realtime
