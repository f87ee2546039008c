#include "heartbeat.h"

namespace realtime {

Heartbeat::Tick Heartbeat::on_tick(double now) {
  double silence = now - last_frame_;
  if (silence >= config_.interval_ms * config_.missed_limit) return Tick::kDead;
  ping_sent_ = now;
  return Tick::kSendPing;
}

std::optional<double> Heartbeat::on_pong(double now) {
  if (!ping_sent_) return std::nullopt;
  last_rtt_ = now - *ping_sent_;
  ping_sent_ = std::nullopt;
  return last_rtt_;
}

}  // namespace realtime
