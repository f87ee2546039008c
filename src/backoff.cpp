#include "backoff.h"

#include <algorithm>
#include <cmath>

namespace realtime {

Backoff::Backoff(BackoffConfig config, std::function<std::uint32_t()> random)
    : config_(config), random_(std::move(random)) {}

double Backoff::delay_for(std::uint32_t attempt) const {
  double base = std::max(0.0, config_.reconnect_interval_ms);
  double delay = base * std::pow(2.0, std::min<std::uint32_t>(attempt, 60));
  double cap = config_.max_reconnect_interval_ms > 0 ? config_.max_reconnect_interval_ms : delay;
  delay = std::min(delay, cap);
  if (config_.jitter && random_) {
    delay = std::floor(delay * (static_cast<double>(random_()) / 4294967296.0));
  }
  return delay;
}

std::optional<double> Backoff::next_delay() {
  if (attempt_ >= config_.reconnect_attempts) return std::nullopt;
  return delay_for(attempt_++);
}

}  // namespace realtime
