#include "message_batcher.h"

#include <algorithm>
#include <cmath>

namespace realtime {

namespace {
constexpr double kGapWeight = 0.25;        // weight of the newest gap in the moving average
constexpr double kQuietFactor = 2.0;       // quiet = this many average gaps without a message
constexpr double kMinQuietFraction = 0.1;  // quiet wait never below flush_interval / 10
}  // namespace

std::optional<BatchPriority> batch_priority_from_name(std::string_view name) {
  if (name == "size") return BatchPriority::kSize;
  if (name == "time" || name == "frame") return BatchPriority::kTime;
  if (name == "adaptive") return BatchPriority::kAdaptive;
  return std::nullopt;
}

Errc MessageBatcher::validate(const BatchingConfig& config) {
  if (config.batch_size < 1) return Errc::kInvalidConfig;
  if (!std::isfinite(config.flush_interval_ms) || config.flush_interval_ms < 0) {
    return Errc::kInvalidConfig;
  }
  switch (config.priority) {
    case BatchPriority::kSize:
    case BatchPriority::kTime:
    case BatchPriority::kAdaptive: return Errc::kOk;
  }
  return Errc::kInvalidConfig;
}

MessageBatcher::MessageBatcher(const BatchingConfig& config) : config_(config) {
  config_.batch_size = std::max<std::int32_t>(config_.batch_size, 1);
  if (!(config_.flush_interval_ms >= 0) || std::isinf(config_.flush_interval_ms)) {
    config_.flush_interval_ms = 0;
  }
  if (validate(config_) != Errc::kOk) config_.priority = BatchPriority::kSize;
}

double MessageBatcher::quiet_wait_ms() const {
  const double interval = config_.flush_interval_ms;
  if (!avg_gap_ms_) return interval;
  return std::clamp(kQuietFactor * *avg_gap_ms_, interval * kMinQuietFraction, interval);
}

std::optional<double> MessageBatcher::next_deadline() const {
  if (pending_ == 0 || destroyed_) return std::nullopt;
  double deadline = oldest_ms_ + config_.flush_interval_ms;
  if (config_.priority == BatchPriority::kAdaptive) {
    deadline = std::min(deadline, *last_add_ms_ + quiet_wait_ms());
  }
  return deadline;
}

bool MessageBatcher::add(double now_ms) {
  if (destroyed_) {  // pass-through: the caller flushes this message at once
    ++pending_;
    return true;
  }
  const std::optional<double> deadline_before = next_deadline();
  if (last_add_ms_) {
    const double gap = std::clamp(now_ms - *last_add_ms_, 0.0, config_.flush_interval_ms);
    avg_gap_ms_ = avg_gap_ms_ ? *avg_gap_ms_ + kGapWeight * (gap - *avg_gap_ms_) : gap;
  }
  last_add_ms_ = now_ms;
  if (pending_ == 0) oldest_ms_ = now_ms;
  ++pending_;

  const bool full = pending_ >= static_cast<std::uint32_t>(config_.batch_size);
  switch (config_.priority) {
    case BatchPriority::kSize: return full;
    case BatchPriority::kTime: return false;
    case BatchPriority::kAdaptive:
      // Also when the deadline had passed before this message (a late timer) or has with it.
      return full || (deadline_before && now_ms >= *deadline_before) || now_ms >= *next_deadline();
  }
  return full;
}

bool MessageBatcher::on_timer(double now_ms) {
  const std::optional<double> deadline = next_deadline();
  return deadline && now_ms >= *deadline;
}

std::uint32_t MessageBatcher::flush() {
  const std::uint32_t count = pending_;
  pending_ = 0;
  return count;
}

std::uint32_t MessageBatcher::destroy() {
  destroyed_ = true;
  return flush();
}

}  // namespace realtime
