#include "heartbeat.h"

#include <algorithm>

namespace realtime {

void Heartbeat::start(double now) {
  last_frame_ = now;
  next_tick_ = now + config_.interval_ms;
  grace_until_ = 0;
  ping_sent_ = std::nullopt;
}

Heartbeat::Tick Heartbeat::on_tick(double now) {
  bool late = now - next_tick_ > std::max(kPauseMs, config_.interval_ms / 2);
  next_tick_ = now + config_.interval_ms;
  if (late) {
    probe(now);
    return Tick::kProbe;
  }
  double silence = now - last_frame_;
  if (silence >= config_.interval_ms * config_.missed_limit && now >= grace_until_) {
    return Tick::kDead;
  }
  ping_sent_ = now;
  return Tick::kSendPing;
}

void Heartbeat::probe(double now) {
  next_tick_ = now + config_.interval_ms;
  grace_until_ = now + config_.interval_ms / 2;  // the next tick may judge, no earlier one
  ping_sent_ = now;
}

std::optional<double> Heartbeat::on_pong(double now) {
  if (!ping_sent_) return std::nullopt;
  last_rtt_ = now - *ping_sent_;
  ping_sent_ = std::nullopt;
  return last_rtt_;
}

}  // namespace realtime
