#include "connector.h"

namespace realtime {

Connector::Connector(ConnectorConfig config, ConnectorHost& host)
    : config_(std::move(config)),
      host_(host),
      backoff_(config_.backoff, [this] { return host_.random_u32(); }) {}

const std::string& Connector::url() const {
  if (config_.dynamic_url || config_.urls.empty()) return resolved_url_;
  return config_.urls[url_index_ % config_.urls.size()];
}

void Connector::start() {
  suspended_ = false;
  backoff_.reset();
  url_index_ = 0;
  if (paused()) {
    phase_ = Phase::kWaiting;
    return;
  }
  begin_attempt();
}

void Connector::stop() {
  phase_ = Phase::kIdle;
  ++url_seq_;  // a URL still being resolved is not used
  host_.cancel_timer(ConnectorTimer::kReconnect);
  host_.cancel_timer(ConnectorTimer::kConnectTimeout);
}

void Connector::begin_attempt() {
  host_.cancel_timer(ConnectorTimer::kReconnect);
  if (config_.connect_timeout_ms > 0) {
    host_.set_timer(ConnectorTimer::kConnectTimeout, config_.connect_timeout_ms);
  }
  if (config_.dynamic_url) {
    phase_ = Phase::kResolving;
    host_.request_url(++url_seq_);
    return;
  }
  phase_ = Phase::kAttempting;
  host_.start_transport(url());
}

bool Connector::provide_url(std::uint32_t seq, const std::string& url) {
  if (seq != url_seq_ || phase_ != Phase::kResolving) return false;
  resolved_url_ = url;
  phase_ = Phase::kAttempting;
  host_.start_transport(url);
  return true;
}

bool Connector::url_failed(std::uint32_t seq) {
  return seq == url_seq_ && phase_ == Phase::kResolving;
}

void Connector::opened() {
  host_.cancel_timer(ConnectorTimer::kConnectTimeout);
  phase_ = Phase::kOpen;
  opened_at_ = host_.now_ms();
}

void Connector::advance_url() {
  if (!config_.dynamic_url && config_.urls.size() > 1) ++url_index_;
}

bool Connector::stayed_up(bool served) const {
  return phase_ == Phase::kOpen && (served || host_.now_ms() - opened_at_ >= config_.min_uptime_ms);
}

Connector::Lost Connector::lost(bool dead, bool served) {
  host_.cancel_timer(ConnectorTimer::kConnectTimeout);
  ++url_seq_;
  double now = host_.now_ms();
  bool stayed = stayed_up(served);
  if (stayed) backoff_.reset();  // it served: not a failure streak
  if (!stayed || dead) advance_url();
  if (paused()) {
    phase_ = Phase::kWaiting;  // nothing is counted while offline
    return Lost::kWaiting;
  }
  std::optional<double> delay = backoff_.next_delay();
  if (!delay) {
    phase_ = Phase::kIdle;
    return Lost::kGaveUp;
  }
  if (now - resumed_at_ < kResumeWindowMs) delay = 0;  // the freeze closed it, not the server
  phase_ = Phase::kBackoff;
  host_.set_timer(ConnectorTimer::kReconnect, *delay);
  return Lost::kRetrying;
}

bool Connector::transport_retrying(bool served) {
  if (stayed_up(served)) backoff_.reset();
  phase_ = Phase::kAttempting;
  if (config_.connect_timeout_ms > 0) {
    host_.set_timer(ConnectorTimer::kConnectTimeout, config_.connect_timeout_ms);
  }
  if (paused()) return true;  // the browser retries while offline: not counted
  return backoff_.next_delay().has_value();
}

bool Connector::on_timer(ConnectorTimer timer) {
  switch (timer) {
    case ConnectorTimer::kReconnect:
      if (phase_ == Phase::kBackoff) begin_attempt();
      return false;
    case ConnectorTimer::kConnectTimeout:
      return phase_ == Phase::kAttempting || phase_ == Phase::kResolving;
  }
  return false;
}

Connector::Lifecycle Connector::on_lifecycle(LifecycleEvent event, bool active) {
  switch (event) {
    case LifecycleEvent::kOnline: set_online(true); return Lifecycle::kProbe;
    // A connection that died with the network is noticed within a heartbeat.
    case LifecycleEvent::kOffline: set_online(false); return Lifecycle::kProbe;
    case LifecycleEvent::kVisible: set_visible(true); return Lifecycle::kProbe;
    case LifecycleEvent::kHidden: set_visible(false); return Lifecycle::kNothing;
    case LifecycleEvent::kFreeze: return Lifecycle::kNothing;
    case LifecycleEvent::kResume: resumed(); return Lifecycle::kProbe;
    case LifecycleEvent::kPageHide:
      if (!active) return Lifecycle::kNothing;  // a disconnected manager stays disconnected
      suspended_ = true;
      return Lifecycle::kSuspend;
    case LifecycleEvent::kPageShow:
      if (!suspended_) return Lifecycle::kNothing;
      suspended_ = false;
      return Lifecycle::kReconnect;
  }
  return Lifecycle::kNothing;
}

void Connector::set_online(bool online) {
  if (online_ == online) return;
  online_ = online;
  if (!online) {
    if (phase_ == Phase::kBackoff) {
      host_.cancel_timer(ConnectorTimer::kReconnect);
      phase_ = Phase::kWaiting;
    }
    return;
  }
  if (phase_ == Phase::kWaiting || phase_ == Phase::kBackoff) {
    backoff_.reset();
    if (!paused()) begin_attempt();
  }
}

void Connector::set_visible(bool visible) {
  if (visible_ == visible) return;
  visible_ = visible;
  if (!visible) {
    if (paused() && phase_ == Phase::kBackoff) {
      host_.cancel_timer(ConnectorTimer::kReconnect);
      phase_ = Phase::kWaiting;
    }
    return;
  }
  expedite();
}

void Connector::resumed() {
  resumed_at_ = host_.now_ms();
  expedite();
}

void Connector::retry_now() {
  host_.cancel_timer(ConnectorTimer::kConnectTimeout);
  ++url_seq_;
  phase_ = Phase::kBackoff;
  host_.set_timer(ConnectorTimer::kReconnect, 0);
}

void Connector::expedite() {
  if ((phase_ == Phase::kWaiting || phase_ == Phase::kBackoff) && !paused()) begin_attempt();
}

}  // namespace realtime
