#include "message_throttler.h"

#include <cmath>

namespace realtime {

Errc MessageThrottler::validate(double delay_ms) {
  return std::isfinite(delay_ms) && delay_ms >= 0 ? Errc::kOk : Errc::kInvalidConfig;
}

MessageThrottler::MessageThrottler(double delay_ms)
    : delay_ms_(validate(delay_ms) == Errc::kOk ? delay_ms : 0) {}

void MessageThrottler::run(double now_ms) {
  last_run_ms_ = now_ms;
  pending_ = false;
}

ThrottleDecision MessageThrottler::call(double now_ms) {
  if (!last_run_ms_ || now_ms >= *last_run_ms_ + delay_ms_) {
    run(now_ms);
    return {true, 0};
  }
  pending_ = true;
  return {false, *last_run_ms_ + delay_ms_};
}

bool MessageThrottler::on_timer(double now_ms) {
  if (!pending_ || now_ms < *last_run_ms_ + delay_ms_) return false;
  run(now_ms);
  return true;
}

bool MessageThrottler::flush(double now_ms) {
  if (!pending_) return false;
  run(now_ms);
  return true;
}

bool MessageThrottler::cancel() {
  const bool had = pending_;
  pending_ = false;
  return had;
}

std::optional<double> MessageThrottler::next_deadline() const {
  if (!pending_) return std::nullopt;
  return *last_run_ms_ + delay_ms_;
}

}  // namespace realtime
