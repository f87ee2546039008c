// The attempt loop both sessions share (WebSocket and SSE): which URL to try, when, and when to
// give up. Sans-IO like the sessions: it acts through ConnectorHost (timers, starting and
// dropping a transport, asking for a URL) and is told what happened (opened, lost, lifecycle).
//
// The rules, each one place:
// - Backoff: reconnectInterval * 2^attempt (capped, optional full jitter), at most
//   reconnectAttempts retries (kUnlimitedAttempts: forever).
// - minUptime: the attempt counter resets only after a connection stayed open that long (or, for
//   SSE, delivered events), so a server that accepts and drops at once cannot make a client
//   reconnect forever.
// - connectTimeout: an attempt that is not open in time (including a URL that is still being
//   resolved) is abandoned and counts as a failed attempt.
// - Failover: with several URLs, an attempt that failed, a connection that did not stay open
//   minUptime, or one declared dead moves to the next URL; a URL that works is kept.
// - A dynamic URL (a function in JS) is asked for before every attempt.
// - Offline (and, when pause_when_hidden, hidden): no attempt is started and none is counted;
//   back online (or visible, or resumed): the next attempt starts at once. Online resets the
//   counter too: earlier failures say nothing about the new network.
// - Resumed (a freeze, or a main-thread stall the heartbeat noticed): a connection lost within
//   the next kResumeWindowMs reconnects without delay (Chromium closes a frozen page's sockets
//   when it resumes).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "backoff.h"

namespace realtime {

inline constexpr std::uint32_t kUnlimitedAttempts = std::numeric_limits<std::uint32_t>::max();

struct ConnectorConfig {
  std::vector<std::string> urls;  // tried in turn (failover); empty when dynamic_url
  bool dynamic_url = false;       // ask the host for a URL before every attempt
  BackoffConfig backoff;
  double connect_timeout_ms = 10000;  // connectTimeout; 0 disables
  double min_uptime_ms = 5000;        // minUptime
  bool pause_when_hidden = false;     // pauseWhenHidden
  // A problem the host found in the options ("messageQueueSize must be …"): connect() then
  // reports it (kInvalidConfig) and stays closed instead of running on a value it did not get.
  std::string invalid;
};

enum class ConnectorTimer : std::uint8_t { kReconnect, kConnectTimeout };

// The browser's lifecycle, as the host sees it (emscripten/library_realtime.js listens; Node
// has none of these and stays online and visible).
enum class LifecycleEvent : std::uint8_t {
  kOnline,
  kOffline,
  kVisible,
  kHidden,
  kFreeze,
  kResume,
  kPageHide,  // pagehide with persisted: the page goes into the back/forward cache
  kPageShow,  // pageshow with persisted: it came back from there
};

class ConnectorHost {
 public:
  virtual ~ConnectorHost() = default;
  virtual double now_ms() = 0;
  virtual std::uint32_t random_u32() = 0;
  virtual void set_timer(ConnectorTimer timer, double delay_ms) = 0;  // replaces a pending one
  virtual void cancel_timer(ConnectorTimer timer) = 0;
  // Dynamic URL: the host answers later with Connector::provide_url / url_failed and `seq`.
  virtual void request_url(std::uint32_t seq) = 0;
  // Opens the transport for `url`. When it cannot even be created (a bad URL), the host reports
  // it and calls stop(): a bad URL is not retried.
  virtual void start_transport(const std::string& url) = 0;
};

class Connector {
 public:
  enum class Phase : std::uint8_t {
    kIdle,        // not connecting (closed, or given up)
    kWaiting,     // offline / hidden: no attempt until the network or page comes back
    kBackoff,     // the reconnect timer is armed
    kResolving,   // waiting for the host's URL
    kAttempting,  // transport started, not open yet
    kOpen,
  };
  enum class Lost : std::uint8_t { kRetrying, kWaiting, kGaveUp };

  Connector(ConnectorConfig config, ConnectorHost& host);

  // connect(): the counters reset and the first attempt starts (or waits while offline).
  void start();
  void stop();  // disconnect(): nothing further is attempted

  // The current attempt opened / the transport (attempting or open) was lost. `dead` means the
  // session declared it dead (heartbeat): it counts against its URL like a failed attempt.
  // `served` means the connection did its job before it ended although it was up for less than
  // minUptime (an SSE stream that delivered events and then ended, as servers do on purpose):
  // the counter resets as after minUptime.
  void opened();
  Lost lost(bool dead = false, bool served = false);
  // The transport reconnects by itself (EventSource): counted like one of our attempts.
  // Returns false when the attempts are used up.
  bool transport_retrying(bool served = false);

  // Answers to request_url; false when `seq` is stale (the attempt timed out meanwhile).
  // provide_url starts the transport; after url_failed the session reports it and calls lost().
  bool provide_url(std::uint32_t seq, const std::string& url);
  bool url_failed(std::uint32_t seq);

  // Timer expiries; kConnectTimeout returns true when an attempt was abandoned (the session
  // reports connect_timeout, drops the transport and calls lost()).
  bool on_timer(ConnectorTimer timer);

  // ---- the browser's lifecycle ----
  // What a session does about a lifecycle event beyond what the Connector itself did.
  enum class Lifecycle : std::uint8_t {
    kNothing,
    kProbe,      // check an open connection now (a heartbeat ping)
    kSuspend,    // close cleanly for the back/forward cache (`active`: the session is not closed)
    kReconnect,  // back from the back/forward cache: connect again
  };
  // Applies `event` (offline/online, visibility, resume) and says what the session must do.
  // `active`: the session is connecting, open or reconnecting (not closed, not closing).
  Lifecycle on_lifecycle(LifecycleEvent event, bool active);
  void set_online(bool online);
  void set_visible(bool visible);
  // A freeze ended, or the page's timers were stalled: try now if reconnecting, and reconnect
  // without delay if the connection is lost shortly after.
  void resumed();
  // Start the pending attempt now (visible again, resumed).
  void expedite();
  // A server-provided delay (SSE `retry:`) replaces reconnectInterval as the backoff's base.
  void set_base_interval(double ms) { backoff_.set_base_interval(ms); }
  // An immediate retry that is not counted (the credentials were refreshed after a rejection).
  void retry_now();

  Phase phase() const { return phase_; }
  bool online() const { return online_; }
  const std::string& url() const;  // the URL of the current (or last) attempt
  std::uint32_t attempts() const { return backoff_.attempts(); }
  const ConnectorConfig& config() const { return config_; }
  static constexpr double kResumeWindowMs = 3000;

 private:
  void begin_attempt();
  bool stayed_up(bool served) const;
  bool paused() const { return !online_ || (config_.pause_when_hidden && !visible_); }
  void advance_url();

  ConnectorConfig config_;
  ConnectorHost& host_;
  Backoff backoff_;
  Phase phase_ = Phase::kIdle;
  std::size_t url_index_ = 0;
  std::string resolved_url_;
  std::uint32_t url_seq_ = 0;
  double opened_at_ = 0;
  double resumed_at_ = -1e300;
  bool online_ = true;
  bool visible_ = true;
  bool suspended_ = false;  // closed for the back/forward cache: pageshow reconnects
};

}  // namespace realtime
