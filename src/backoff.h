// Reconnect delays. The seed's rule, kept as the default: reconnectInterval * 2^attempt, for at
// most reconnectAttempts attempts. Added: a cap (maxReconnectInterval) and optional full jitter
// (a uniformly random delay in [0, capped delay], as AWS and centrifuge-js recommend, so that a
// fleet of clients does not reconnect in lockstep after a server restart).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

namespace realtime {

struct BackoffConfig {
  std::uint32_t reconnect_attempts = 5;      // reconnectAttempts
  double reconnect_interval_ms = 1000;       // reconnectInterval
  double max_reconnect_interval_ms = 30000;  // maxReconnectInterval
  bool jitter = false;                       // reconnectJitter: full jitter
};

class Backoff {
 public:
  explicit Backoff(BackoffConfig config, std::function<std::uint32_t()> random = {});

  // The delay before the next attempt, or nullopt when the attempts are used up. Counts it.
  std::optional<double> next_delay();
  // The delay for a given attempt number (0-based), without counting; ignores the limit.
  double delay_for(std::uint32_t attempt) const;
  // A server-provided delay (SSE `retry:`) replaces reconnectInterval as the base.
  void set_base_interval(double ms) { config_.reconnect_interval_ms = ms; }
  void reset() { attempt_ = 0; }
  std::uint32_t attempts() const { return attempt_; }
  const BackoffConfig& config() const { return config_; }

 private:
  BackoffConfig config_;
  std::function<std::uint32_t()> random_;
  std::uint32_t attempt_ = 0;
};

}  // namespace realtime
