#include "connection_pool.h"

#include <cmath>

namespace realtime {

Errc ConnectionPool::validate(const ConnectionPoolConfig& config) {
  const bool ok = config.max_connections >= 1 && std::isfinite(config.idle_timeout_ms) &&
                  config.idle_timeout_ms >= 0 && std::isfinite(config.health_check_interval_ms) &&
                  config.health_check_interval_ms > 0;
  return ok ? Errc::kOk : Errc::kInvalidConfig;
}

ConnectionPool::ConnectionPool(const ConnectionPoolConfig& config) : config_(config) {
  const ConnectionPoolConfig defaults;
  if (config_.max_connections < 1) config_.max_connections = defaults.max_connections;
  if (!(std::isfinite(config_.idle_timeout_ms) && config_.idle_timeout_ms >= 0)) {
    config_.idle_timeout_ms = defaults.idle_timeout_ms;
  }
  if (!(std::isfinite(config_.health_check_interval_ms) && config_.health_check_interval_ms > 0)) {
    config_.health_check_interval_ms = defaults.health_check_interval_ms;
  }
}

ConnectionPool::EntryMap::iterator ConnectionPool::oldest_idle() {
  auto oldest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.users != 0) continue;
    if (oldest == entries_.end() || it->second.last_used_ms < oldest->second.last_used_ms ||
        (it->second.last_used_ms == oldest->second.last_used_ms &&
         it->second.last_used_seq < oldest->second.last_used_seq)) {
      oldest = it;
    }
  }
  return oldest;
}

AcquireResult ConnectionPool::acquire(std::string_view id, double now_ms) {
  AcquireResult result;
  auto it = entries_.find(id);
  if (it != entries_.end()) {
    ++it->second.users;
    it->second.last_used_ms = now_ms;
    it->second.last_used_seq = ++seq_;
    return result;
  }
  const auto limit = static_cast<std::size_t>(config_.max_connections);
  while (entries_.size() >= limit) {
    auto victim = oldest_idle();
    if (victim == entries_.end()) break;
    result.closed.push_back(victim->first);
    entries_.erase(victim);
  }
  result.over_capacity = entries_.size() >= limit;
  if (entries_.empty()) next_check_ms_ = now_ms + config_.health_check_interval_ms;
  entries_.try_emplace(id, Entry{1, now_ms, ++seq_});
  result.created = true;
  return result;
}

ReleaseResult ConnectionPool::release(std::string_view id, double now_ms) {
  ReleaseResult result;
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.users == 0) {
    result.error = Errc::kUnknownChannel;
    return result;
  }
  Entry& entry = it->second;
  --entry.users;
  entry.last_used_ms = now_ms;
  entry.last_used_seq = ++seq_;
  if (entry.users == 0 && entries_.size() > static_cast<std::size_t>(config_.max_connections)) {
    result.closed.push_back(it->first);
    entries_.erase(it);
  }
  return result;
}

Errc ConnectionPool::remove(std::string_view id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return Errc::kUnknownChannel;
  entries_.erase(it);
  return Errc::kOk;
}

std::vector<std::string> ConnectionPool::on_timer(double now_ms) {
  std::vector<std::string> closed;
  if (entries_.empty() || now_ms < next_check_ms_) return closed;
  next_check_ms_ = now_ms + config_.health_check_interval_ms;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.users == 0 && now_ms - it->second.last_used_ms > config_.idle_timeout_ms) {
      closed.push_back(it->first);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return closed;
}

std::vector<std::string> ConnectionPool::destroy() {
  std::vector<std::string> closed;
  closed.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) closed.push_back(id);
  entries_.clear();
  return closed;
}

std::optional<double> ConnectionPool::next_deadline() const {
  if (entries_.empty()) return std::nullopt;
  return next_check_ms_;
}

std::uint32_t ConnectionPool::users(std::string_view id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? 0 : it->second.users;
}

}  // namespace realtime
