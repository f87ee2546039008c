// Keep-alive and dead-connection detection. While open, a tick every heartbeatInterval sends a
// `ping` envelope; when no frame at all has arrived from the server for
// heartbeatInterval * heartbeatMissedLimit of wall-clock time, the connection is declared dead
// (a half-open socket that the seed's version never noticed). heartbeatInterval 0 disables both.
//
// Pauses: a throttled, busy or frozen page runs its timers late, and the frames that arrived
// meanwhile may not have been handed over yet. A tick that comes late (by more than half an
// interval, at least kPauseMs) therefore never declares the connection dead: it probes (a ping)
// and gives the server one interval of grace to answer. A half-open connection is still replaced
// at the next tick, about one heartbeat after the pause. probe() does the same on demand (the page
// became visible, resumed, or the network changed).
#pragma once

#include <cstdint>
#include <optional>

namespace realtime {

struct HeartbeatConfig {
  double interval_ms = 30000;      // heartbeatInterval
  std::uint32_t missed_limit = 2;  // heartbeatMissedLimit
};

class Heartbeat {
 public:
  enum class Tick { kSendPing, kProbe, kDead };
  static constexpr double kPauseMs = 1000;

  explicit Heartbeat(HeartbeatConfig config) : config_(config) {}

  bool enabled() const { return config_.interval_ms > 0; }
  double interval() const { return config_.interval_ms; }
  void start(double now);
  void on_frame(double now) { last_frame_ = now; }
  // Call when the heartbeat timer fires (it is re-armed for one interval after every tick).
  // kProbe: the tick came late (a pause): ping, and do not judge before the next tick.
  Tick on_tick(double now);
  // A ping sent now outside the schedule; the next tick (re-armed for one interval) judges.
  void probe(double now);
  // A `pong` arrived: the round trip since the last ping, if one is outstanding.
  std::optional<double> on_pong(double now);
  std::optional<double> last_rtt() const { return last_rtt_; }

 private:
  HeartbeatConfig config_;
  double last_frame_ = 0;
  double next_tick_ = 0;
  double grace_until_ = 0;
  std::optional<double> ping_sent_;
  std::optional<double> last_rtt_;
};

}  // namespace realtime
