// The shared attempt loop (src/connector.h), through the WebSocket and SSE sessions on a fake
// clock: minUptime, connectTimeout, failover URLs, dynamic URLs, unlimited attempts, offline,
// visibility, freeze/resume, the back/forward cache, and heartbeats that survive pauses.
#include "connector.h"

#include <gtest/gtest.h>

#include "fake_ws_host.h"
#include "sse_session.h"
#include "ws_session.h"

namespace realtime {
namespace {

using testing::FakeWsHost;

struct ConnectorTest : ::testing::Test {
  FakeWsHost host;
  WsConfig config;
  std::unique_ptr<WsSession> session;
  ConnectorTest() {
    config.connection.urls = {"ws://a.test/"};
    config.heartbeat.interval_ms = 0;
  }
  void start() {
    session = std::make_unique<WsSession>(config, host);
    session->connect();
  }
  void open() { session->on_socket_open(host.last_socket); }
  void drop(int code = 1006) { session->on_socket_close(host.last_socket, code, "", false); }
  std::size_t socket_count() const { return host.sockets.size(); }
  std::string last_url() { return host.sockets[host.last_socket].url; }
  bool has_error(Errc code) const {
    for (const auto& e : host.errors) {
      if (e.first == code) return true;
    }
    return false;
  }
  void fire(WsTimer t) {
    ASSERT_TRUE(host.due(t).has_value());
    host.now = *host.due(t);
    host.timers.erase(t);
    session->on_timer(t);
  }
};

TEST_F(ConnectorTest, AcceptThenDropServerGetsAttemptsPlusOneConnectionsThenGaveUp) {
  config.connection.backoff.reconnect_attempts = 3;
  config.connection.backoff.reconnect_interval_ms = 20;
  start();
  for (int i = 0; i < 10 && session->state() != WsState::kClosed; ++i) {
    open();
    host.now += 5;
    drop(1011);
    if (session->state() == WsState::kReconnecting) fire(WsTimer::kReconnect);
  }
  EXPECT_EQ(socket_count(), 4u);
  EXPECT_EQ(session->state(), WsState::kClosed);
  EXPECT_TRUE(has_error(Errc::kGaveUp));
}

TEST_F(ConnectorTest, UnlimitedAttemptsNeverGiveUpAndStayCapped) {
  config.connection.backoff.reconnect_attempts = kUnlimitedAttempts;
  config.connection.backoff.max_reconnect_interval_ms = 30000;
  start();
  for (int i = 0; i < 200; ++i) {
    drop();
    ASSERT_EQ(session->state(), WsState::kReconnecting) << i;
    EXPECT_LE(*host.due(WsTimer::kReconnect) - host.now, 30000);
    fire(WsTimer::kReconnect);
  }
  EXPECT_EQ(socket_count(), 201u);
  EXPECT_FALSE(has_error(Errc::kGaveUp));
}

TEST_F(ConnectorTest, ConnectTimeoutAbandonsTheAttemptAndCountsIt) {
  config.connection.backoff.reconnect_attempts = 1;
  start();
  ASSERT_EQ(host.due(WsTimer::kConnectTimeout), 10000);
  fire(WsTimer::kConnectTimeout);
  EXPECT_TRUE(has_error(Errc::kConnectTimeout));
  EXPECT_TRUE(host.sockets[1].released);
  EXPECT_EQ(session->state(), WsState::kReconnecting);
  fire(WsTimer::kReconnect);
  ASSERT_EQ(socket_count(), 2u);
  fire(WsTimer::kConnectTimeout);
  EXPECT_EQ(session->state(), WsState::kClosed);
  EXPECT_TRUE(has_error(Errc::kGaveUp));
  // Settled within connectTimeout * (attempts + 1) plus the backoff (1000).
  EXPECT_LE(host.now, 10000 * 2 + 1000);
  EXPECT_TRUE(host.timers.empty());
}

TEST_F(ConnectorTest, OpenInTimeCancelsTheConnectTimeout) {
  start();
  open();
  EXPECT_FALSE(host.due(WsTimer::kConnectTimeout).has_value());
  config.connection.connect_timeout_ms = 0;  // 0 disables it
  start();
  EXPECT_FALSE(host.due(WsTimer::kConnectTimeout).has_value());
}

TEST_F(ConnectorTest, DynamicUrlIsAskedBeforeEveryAttempt) {
  config.connection.urls.clear();
  config.connection.dynamic_url = true;
  start();
  ASSERT_EQ(host.url_requests.size(), 1u);
  EXPECT_EQ(socket_count(), 0u);
  session->provide_url(host.url_requests.back(), "ws://signed.test/?sig=1");
  EXPECT_EQ(last_url(), "ws://signed.test/?sig=1");
  open();
  drop();
  fire(WsTimer::kReconnect);
  ASSERT_EQ(host.url_requests.size(), 2u);
  session->provide_url(host.url_requests.back(), "ws://signed.test/?sig=2");
  EXPECT_EQ(last_url(), "ws://signed.test/?sig=2");
}

TEST_F(ConnectorTest, ConnectTimeoutCoversUrlResolutionAndALateAnswerIsIgnored) {
  config.connection.urls.clear();
  config.connection.dynamic_url = true;
  start();
  std::uint32_t first = host.url_requests.back();
  fire(WsTimer::kConnectTimeout);  // the function never answered
  EXPECT_TRUE(has_error(Errc::kConnectTimeout));
  session->provide_url(first, "ws://late.test/");
  EXPECT_EQ(socket_count(), 0u);
  fire(WsTimer::kReconnect);
  EXPECT_EQ(host.url_requests.size(), 2u);
}

TEST_F(ConnectorTest, AFailingUrlFunctionIsAFailedAttempt) {
  config.connection.urls.clear();
  config.connection.dynamic_url = true;
  config.connection.backoff.reconnect_attempts = 1;
  start();
  session->url_failed(host.url_requests.back(), "boom");
  EXPECT_TRUE(has_error(Errc::kConnectFailed));
  EXPECT_EQ(session->state(), WsState::kReconnecting);
  fire(WsTimer::kReconnect);
  session->url_failed(host.url_requests.back(), "boom");
  EXPECT_EQ(session->state(), WsState::kClosed);
  EXPECT_TRUE(has_error(Errc::kGaveUp));
}

TEST_F(ConnectorTest, FailoverMovesOnFromAFailingUrlAndStaysOnOneThatWorks) {
  config.connection.urls = {"ws://a.test/", "ws://b.test/", "ws://c.test/"};
  start();
  EXPECT_EQ(last_url(), "ws://a.test/");
  drop();  // failed before open
  fire(WsTimer::kReconnect);
  EXPECT_EQ(last_url(), "ws://b.test/");
  open();
  host.now += 60000;  // served well
  drop();
  fire(WsTimer::kReconnect);
  EXPECT_EQ(last_url(), "ws://b.test/");
  open();
  host.now += 10;  // opened but dropped at once: counts against b
  drop();
  fire(WsTimer::kReconnect);
  EXPECT_EQ(last_url(), "ws://c.test/");
  drop();
  fire(WsTimer::kReconnect);
  EXPECT_EQ(last_url(), "ws://a.test/");  // round again
}

TEST_F(ConnectorTest, ADeadConnectionMovesToTheNextUrl) {
  config.connection.urls = {"ws://a.test/", "ws://b.test/"};
  config.heartbeat = {.interval_ms = 1000, .missed_limit = 2};
  start();
  open();
  host.now += 60000;  // long uptime: the counter resets, the URL still changes (it is dead)
  fire(WsTimer::kHeartbeat);
  fire(WsTimer::kHeartbeat);
  EXPECT_TRUE(has_error(Errc::kHeartbeatTimeout));
  fire(WsTimer::kReconnect);
  EXPECT_EQ(last_url(), "ws://b.test/");
}

TEST_F(ConnectorTest, NoAttemptIsSpentWhileOfflineAndOnlineReconnectsAtOnce) {
  config.connection.backoff.reconnect_attempts = 2;
  start();
  open();
  session->on_lifecycle(LifecycleEvent::kOffline);
  drop();
  EXPECT_EQ(session->state(), WsState::kReconnecting);
  EXPECT_FALSE(host.due(WsTimer::kReconnect).has_value());  // waiting for the network
  host.now += 600000;
  EXPECT_EQ(socket_count(), 1u);
  session->on_lifecycle(LifecycleEvent::kOnline);
  EXPECT_EQ(socket_count(), 2u);  // at once, no backoff
  // The counter is fresh: both attempts are still there.
  drop();
  fire(WsTimer::kReconnect);
  drop();
  fire(WsTimer::kReconnect);
  drop();
  EXPECT_EQ(session->state(), WsState::kClosed);
  EXPECT_EQ(socket_count(), 4u);
}

TEST_F(ConnectorTest, GoingOfflineCancelsAPendingReconnectAndConnectWaitsForTheNetwork) {
  start();
  drop();
  ASSERT_TRUE(host.due(WsTimer::kReconnect).has_value());
  session->on_lifecycle(LifecycleEvent::kOffline);
  EXPECT_FALSE(host.due(WsTimer::kReconnect).has_value());
  session->disconnect();
  session->connect();
  EXPECT_EQ(session->state(), WsState::kConnecting);
  EXPECT_EQ(socket_count(), 1u);
  EXPECT_FALSE(host.due(WsTimer::kConnectTimeout).has_value());
  session->on_lifecycle(LifecycleEvent::kOnline);
  EXPECT_EQ(socket_count(), 2u);
}

TEST_F(ConnectorTest, VisibleAndResumeTryAtOnceWhileReconnecting) {
  start();
  drop();
  fire(WsTimer::kReconnect);
  drop();
  ASSERT_EQ(*host.due(WsTimer::kReconnect) - host.now, 2000);
  session->on_lifecycle(LifecycleEvent::kVisible);  // not hidden before: no change
  EXPECT_EQ(socket_count(), 2u);
  session->on_lifecycle(LifecycleEvent::kHidden);
  EXPECT_TRUE(host.due(WsTimer::kReconnect).has_value());  // pauseWhenHidden is off
  session->on_lifecycle(LifecycleEvent::kVisible);
  EXPECT_EQ(socket_count(), 3u);
  drop();
  session->on_lifecycle(LifecycleEvent::kResume);
  EXPECT_EQ(socket_count(), 4u);
}

TEST_F(ConnectorTest, PauseWhenHiddenHoldsAttemptsUntilVisible) {
  config.connection.pause_when_hidden = true;
  start();
  drop();
  session->on_lifecycle(LifecycleEvent::kHidden);
  EXPECT_FALSE(host.due(WsTimer::kReconnect).has_value());
  EXPECT_EQ(session->state(), WsState::kReconnecting);
  session->on_lifecycle(LifecycleEvent::kVisible);
  EXPECT_EQ(socket_count(), 2u);
}

TEST_F(ConnectorTest, ResumeProbesAnOpenConnectionAndALossRightAfterReconnectsAtOnce) {
  config.heartbeat = {.interval_ms = 1000, .missed_limit = 2};
  start();
  open();
  host.now += 100;
  session->on_lifecycle(LifecycleEvent::kResume);
  ASSERT_FALSE(host.sockets[1].sent.empty());
  EXPECT_NE(host.sockets[1].sent.back().find("\"ping\""), std::string::npos);
  drop();  // Chromium closes a frozen page's sockets when it resumes
  EXPECT_EQ(*host.due(WsTimer::kReconnect) - host.now, 0);
}

TEST_F(ConnectorTest, BackForwardCacheClosesCleanlyAndPageShowReconnects) {
  start();
  open();
  session->on_lifecycle(LifecycleEvent::kPageHide);
  EXPECT_EQ(host.sockets[1].close_code, 1001);
  session->on_socket_close(1, 1001, "", true);
  EXPECT_EQ(session->state(), WsState::kClosed);
  EXPECT_TRUE(host.errors.empty());
  session->on_lifecycle(LifecycleEvent::kPageShow);
  EXPECT_EQ(session->state(), WsState::kConnecting);
  EXPECT_EQ(socket_count(), 2u);
  // A page the user disconnected stays disconnected.
  session->disconnect();
  session->on_lifecycle(LifecycleEvent::kPageHide);
  session->on_lifecycle(LifecycleEvent::kPageShow);
  EXPECT_EQ(socket_count(), 2u);
}

TEST(HeartbeatPause, ALateTickProbesInsteadOfDeclaringDead) {
  Heartbeat hb({.interval_ms = 1000, .missed_limit = 2});
  hb.start(0);
  EXPECT_EQ(hb.on_tick(1000), Heartbeat::Tick::kSendPing);
  EXPECT_EQ(hb.on_tick(8000), Heartbeat::Tick::kProbe);  // 6 s late: a stalled page
  EXPECT_EQ(hb.on_tick(9000), Heartbeat::Tick::kDead);   // still silent one heartbeat later
  hb.start(0);
  EXPECT_EQ(hb.on_tick(8000), Heartbeat::Tick::kProbe);
  hb.on_frame(8500);
  EXPECT_EQ(hb.on_tick(9000), Heartbeat::Tick::kSendPing);
}

TEST_F(ConnectorTest, AStalledPageKeepsALiveConnectionAndReplacesAHalfOpenOne) {
  config.heartbeat = {.interval_ms = 1000, .missed_limit = 2};
  start();
  open();
  fire(WsTimer::kHeartbeat);  // 1000: ping
  host.now = 7000;            // the main thread was busy for 6 s; the timer runs late
  host.timers.erase(WsTimer::kHeartbeat);
  session->on_timer(WsTimer::kHeartbeat);
  EXPECT_EQ(session->state(), WsState::kOpen);
  session->on_socket_message(1, R"({"type":"tick","payload":1})", true);  // queued frames
  fire(WsTimer::kHeartbeat);
  EXPECT_EQ(session->state(), WsState::kOpen);
  EXPECT_FALSE(has_error(Errc::kHeartbeatTimeout));
  // Now the connection goes half-open during another stall: replaced one heartbeat after it.
  host.now += 6000;
  host.timers.erase(WsTimer::kHeartbeat);
  session->on_timer(WsTimer::kHeartbeat);
  EXPECT_EQ(session->state(), WsState::kOpen);
  double resumed = host.now;
  fire(WsTimer::kHeartbeat);
  EXPECT_TRUE(has_error(Errc::kHeartbeatTimeout));
  EXPECT_LE(host.now - resumed, 1000);
  EXPECT_EQ(session->state(), WsState::kReconnecting);
}

// ---- the same Connector under the SSE session ----

struct SseHost2 : SseHost {
  double now = 0;
  std::uint32_t next = 0;
  std::vector<std::string> urls;
  std::map<ConnectorTimer, double> timers;  // due times
  std::vector<Errc> errors;
  WsState state = WsState::kClosed;
  double now_ms() override { return now; }
  std::uint32_t random_u32() override { return 0; }
  std::uint32_t open_stream(const std::string& url, const std::string&) override {
    urls.push_back(url);
    return ++next;
  }
  void close_stream(std::uint32_t) override {}
  void set_timer(ConnectorTimer t, double d) override { timers[t] = now + d; }
  void cancel_timer(ConnectorTimer t) override { timers.erase(t); }
  void request_url(std::uint32_t) override {}
  void on_state(WsState n, WsState) override { state = n; }
  void on_event(const SseEvent&) override {}
  void on_error(Errc code, const std::string&, int) override { errors.push_back(code); }
  void fire(SseSession& s, ConnectorTimer t) {
    now = timers.at(t);
    timers.erase(t);
    s.on_timer(t);
  }
};

TEST(SseConnector, NoHeadersInTimeIsAConnectTimeoutThenFailover) {
  SseHost2 host;
  SseConfig config{.connection = {.urls = {"http://a.test/", "http://b.test/"}}};
  config.connection.connect_timeout_ms = 500;
  SseSession session(config, host);
  session.connect();
  host.fire(session, ConnectorTimer::kConnectTimeout);
  ASSERT_EQ(host.errors, std::vector<Errc>{Errc::kConnectTimeout});
  EXPECT_EQ(host.state, WsState::kReconnecting);
  host.fire(session, ConnectorTimer::kReconnect);
  EXPECT_EQ(host.urls.back(), "http://b.test/");
  session.on_stream_open(host.next, 200, "text/event-stream");
  EXPECT_EQ(host.state, WsState::kOpen);
  EXPECT_FALSE(host.timers.count(ConnectorTimer::kConnectTimeout));
}

TEST(SseConnector, MinUptimeAndOfflineApplyToEventSourceRetriesToo) {
  SseHost2 host;
  SseConfig config{.connection = {.urls = {"http://a.test/"}}};
  config.connection.backoff.reconnect_attempts = 1;
  SseSession session(config, host);
  session.connect();
  session.on_stream_open(1, 200, "text/event-stream");
  session.on_lifecycle(LifecycleEvent::kOffline);
  for (int i = 0; i < 5; ++i) session.on_stream_retrying(1);  // the browser retries offline
  EXPECT_EQ(host.state, WsState::kReconnecting);
  session.on_lifecycle(LifecycleEvent::kOnline);
  session.on_stream_retrying(1);  // one counted attempt
  EXPECT_EQ(host.state, WsState::kReconnecting);
  session.on_stream_retrying(1);
  EXPECT_EQ(host.state, WsState::kClosed);
  EXPECT_EQ(host.errors.back(), Errc::kGaveUp);
}

TEST(SseConnector, AStreamThatDeliveredEventsServedButAnEmptyOneCounts) {
  SseHost2 host;
  SseConfig config{.connection = {.urls = {"http://a.test/"}}};
  config.connection.backoff.reconnect_attempts = 2;
  SseSession session(config, host);
  session.connect();
  for (int i = 0; i < 10; ++i) {  // ends on purpose after its events, again and again
    session.on_stream_open(host.next, 200, "text/event-stream");
    session.on_stream_bytes(host.next, "data: x\n\n");
    session.on_stream_end(host.next);
    ASSERT_EQ(host.state, WsState::kReconnecting) << i;
    host.fire(session, ConnectorTimer::kReconnect);
  }
  session.on_stream_open(host.next, 200, "text/event-stream");
  session.on_stream_end(host.next);  // nothing delivered: the second retry since it served
  host.fire(session, ConnectorTimer::kReconnect);
  session.on_stream_open(host.next, 200, "text/event-stream");
  session.on_stream_end(host.next);
  EXPECT_EQ(host.state, WsState::kClosed);
  EXPECT_EQ(host.errors.back(), Errc::kGaveUp);
}

}  // namespace
}  // namespace realtime
