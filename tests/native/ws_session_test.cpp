#include "ws_session.h"

#include <gtest/gtest.h>

#include "fake_ws_host.h"

namespace realtime {
namespace {

using testing::FakeWsHost;

WsConfig make_config() {
  WsConfig c;
  c.connection.urls = {"ws://example.test/socket"};
  c.heartbeat.interval_ms = 30000;
  return c;
}

struct SessionTest : ::testing::Test {
  FakeWsHost host;
  WsConfig config = make_config();
  std::unique_ptr<WsSession> session;
  void start() {
    session = std::make_unique<WsSession>(config, host);
    session->connect();
  }
  void open() { session->on_socket_open(host.last_socket); }
};

TEST(Backoff, SeedDefaultsDoubleEachAttemptThenStop) {
  Backoff b({});
  EXPECT_EQ(b.next_delay(), 1000);
  EXPECT_EQ(b.next_delay(), 2000);
  EXPECT_EQ(b.next_delay(), 4000);
  EXPECT_EQ(b.next_delay(), 8000);
  EXPECT_EQ(b.next_delay(), 16000);
  EXPECT_EQ(b.next_delay(), std::nullopt);
  b.reset();
  EXPECT_EQ(b.next_delay(), 1000);
}

TEST(Backoff, CapAndFullJitter) {
  BackoffConfig c;
  c.reconnect_attempts = 20;
  c.max_reconnect_interval_ms = 5000;
  Backoff capped(c);
  for (int i = 0; i < 3; ++i) capped.next_delay();
  EXPECT_EQ(capped.next_delay(), 5000);  // 8000 capped
  EXPECT_EQ(capped.delay_for(19), 5000);
  c.jitter = true;
  std::uint32_t r = 0;
  Backoff jittered(c, [&] { return r += 0x40000000u; });
  for (int i = 0; i < 10; ++i) {
    auto d = jittered.next_delay();
    ASSERT_TRUE(d.has_value());
    EXPECT_GE(*d, 0);
    EXPECT_LE(*d, 5000);
  }
  r = 0x80000000u - 0x40000000u;  // next random is exactly half the range
  EXPECT_EQ(jittered.delay_for(0), 500);
}

TEST(OutboundQueue, DropsOldestAndCountsIt) {
  OutboundQueue q(2);
  EXPECT_EQ(q.push("a"), 0u);
  EXPECT_EQ(q.push("b"), 0u);
  EXPECT_EQ(q.push("c"), 1u);
  EXPECT_EQ(q.dropped_total(), 1u);
  EXPECT_EQ(q.pop_front(), "b");
  EXPECT_EQ(q.pop_front(), "c");
  OutboundQueue none(0);
  EXPECT_EQ(none.push("x"), 1u);
  EXPECT_TRUE(none.empty());
}

TEST(Heartbeat, PingsThenDeclaresDeadAfterMissedLimit) {
  Heartbeat hb({.interval_ms = 100, .missed_limit = 2});
  hb.start(0);
  EXPECT_EQ(hb.on_tick(100), Heartbeat::Tick::kSendPing);
  EXPECT_EQ(hb.on_pong(130), 30);
  hb.on_frame(130);
  EXPECT_EQ(hb.on_tick(200), Heartbeat::Tick::kSendPing);
  EXPECT_EQ(hb.on_tick(300), Heartbeat::Tick::kSendPing);
  EXPECT_EQ(hb.on_tick(330), Heartbeat::Tick::kDead);
}

TEST_F(SessionTest, AnOptionTheHostCouldNotTakeIsReportedAndNothingOpens) {
  config.connection.invalid = "messageQueueSize must be an integer >= 0 and <= 4294967295";
  start();
  EXPECT_TRUE(host.sockets.empty());
  EXPECT_TRUE(host.timers.empty());
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kInvalidConfig);
  EXPECT_EQ(host.errors[0].second,
            "invalid configuration: messageQueueSize must be an integer >= 0 and <= 4294967295");
  ASSERT_EQ(host.states.size(), 2u);
  EXPECT_EQ(host.states[0].first, WsState::kConnecting);
  EXPECT_EQ(host.states[1].first, WsState::kClosed);
  session->connect();  // again: the same answer, never a socket
  EXPECT_EQ(host.errors.size(), 2u);
  EXPECT_TRUE(host.sockets.empty());
}

TEST_F(SessionTest, ConnectOpenFlushesQueueInOrder) {
  session = std::make_unique<WsSession>(config, host);
  EXPECT_FALSE(session->send({.type = "a", .payload_json = "1"}));
  EXPECT_FALSE(session->send({.type = "b", .payload_json = "2"}));
  session->connect();
  EXPECT_EQ(session->state(), WsState::kConnecting);
  EXPECT_EQ(session->ready_state(), 0);
  open();
  EXPECT_EQ(session->state(), WsState::kOpen);
  EXPECT_EQ(session->ready_state(), 1);
  auto& sent = host.sockets[host.last_socket].sent;
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_NE(sent[0].find(R"("type":"a")"), std::string::npos);
  EXPECT_NE(sent[1].find(R"("type":"b")"), std::string::npos);
  EXPECT_TRUE(session->send({.type = "c", .payload_json = "3"}));
  EXPECT_EQ(sent.size(), 3u);
  ASSERT_EQ(host.states.size(), 2u);
  EXPECT_EQ(host.states[0], std::make_pair(WsState::kConnecting, WsState::kClosed));
  EXPECT_EQ(host.states[1], std::make_pair(WsState::kOpen, WsState::kConnecting));
}

TEST_F(SessionTest, QueueOverflowIsReportedAsDrop) {
  config.message_queue_size = 3;
  session = std::make_unique<WsSession>(config, host);
  for (int i = 0; i < 5; ++i) session->send({.type = "m", .payload_json = std::to_string(i)});
  ASSERT_EQ(host.drops.size(), 2u);
  EXPECT_EQ(host.drops[0].first, DropReason::kQueueFull);
  EXPECT_EQ(session->stats().dropped, 2u);
  EXPECT_EQ(session->stats().queue_depth, 3u);
  session->connect();
  open();
  auto& sent = host.sockets[host.last_socket].sent;
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_NE(sent[0].find(R"("payload":2)"), std::string::npos);
  EXPECT_NE(sent[2].find(R"("payload":4)"), std::string::npos);
}

TEST_F(SessionTest, DeliversMessagesAndReportsMalformedOnesWithoutClosing) {
  start();
  open();
  std::uint32_t s = host.last_socket;
  session->on_socket_message(s, R"({"type":"chat","payload":{"x":1}})", true);
  session->on_socket_message(s, "nope", true);
  session->on_socket_message(s, R"({"payload":1})", true);
  session->on_socket_message(s, R"([1])", true);
  session->on_socket_message(s, "\x01\x02", false);
  session->on_socket_message(s, R"({"type":"chat","payload":2})", true);
  ASSERT_EQ(host.messages.size(), 2u);
  EXPECT_EQ(host.messages[0], R"(chat|{"x":1})");
  EXPECT_EQ(host.messages[1], "chat|2");
  ASSERT_EQ(host.errors.size(), 4u);
  EXPECT_EQ(host.errors[0].first, Errc::kNotJson);
  EXPECT_EQ(host.errors[1].first, Errc::kTypeMissing);
  EXPECT_EQ(host.errors[2].first, Errc::kNotObject);
  EXPECT_EQ(host.errors[3].first, Errc::kBinaryFrame);
  EXPECT_EQ(session->state(), WsState::kOpen);
}

TEST_F(SessionTest, OversizeFrameIsAnErrorWithSizes) {
  config.limits.max_message_bytes = 16;
  start();
  open();
  session->on_socket_message(host.last_socket, R"({"type":"a","payload":"0123456789"})", true);
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kTooLarge);
  EXPECT_NE(host.errors[0].second.find("> 16"), std::string::npos);
}

TEST_F(SessionTest, UncleanCloseReconnectsWithBackoffThenGivesUp) {
  config.connection.backoff.reconnect_attempts = 3;
  start();
  open();
  session->on_socket_close(host.last_socket, 1006, "", false);
  EXPECT_EQ(session->state(), WsState::kReconnecting);
  EXPECT_TRUE(host.sockets[1].released);
  std::vector<double> delays;
  for (int i = 0; i < 3; ++i) {
    double before = host.now;
    ASSERT_TRUE(host.due(WsTimer::kReconnect).has_value());
    delays.push_back(*host.due(WsTimer::kReconnect) - before);
    host.fire_next(*session);
    ASSERT_EQ(host.last_socket, static_cast<std::uint32_t>(i + 2));
    session->on_socket_close(host.last_socket, 1006, "", false);
  }
  EXPECT_EQ(delays, (std::vector<double>{1000, 2000, 4000}));
  EXPECT_EQ(session->state(), WsState::kClosed);
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kGaveUp);
}

TEST_F(SessionTest, ReopenResetsBackoffOnlyAfterMinUptime) {
  start();
  open();
  session->on_socket_close(host.last_socket, 1006, "", false);
  host.fire_next(*session);
  session->on_socket_close(host.last_socket, 1006, "", false);
  EXPECT_EQ(*host.due(WsTimer::kReconnect) - host.now, 2000);
  host.fire_next(*session);
  open();
  EXPECT_EQ(session->state(), WsState::kOpen);
  EXPECT_EQ(session->stats().reconnects, 1u);
  host.now += 4999;  // open, but not for minUptime (5000): the streak goes on
  session->on_socket_close(host.last_socket, 1006, "", false);
  EXPECT_EQ(*host.due(WsTimer::kReconnect) - host.now, 4000);
  host.fire_next(*session);
  open();
  host.now += 5000;  // stayed open minUptime: the counter resets
  session->on_socket_close(host.last_socket, 1006, "", false);
  EXPECT_EQ(*host.due(WsTimer::kReconnect) - host.now, 1000);
}

TEST_F(SessionTest, InitialConnectFailureAlsoRetries) {
  start();
  session->on_socket_close(host.last_socket, 1006, "", false);
  EXPECT_EQ(session->state(), WsState::kReconnecting);
}

TEST_F(SessionTest, CleanServerCloseDoesNotReconnectButGoingAwayDoes) {
  start();
  open();
  session->on_socket_close(host.last_socket, 1000, "bye", true);
  EXPECT_EQ(session->state(), WsState::kClosed);
  EXPECT_EQ(host.close_codes, std::vector<int>{1000});
  EXPECT_FALSE(host.due(WsTimer::kReconnect).has_value());
  session->connect();
  open();
  session->on_socket_close(host.last_socket, 1001, "restart", true);
  EXPECT_EQ(session->state(), WsState::kReconnecting);
}

TEST_F(SessionTest, DisconnectClosesWith1000AndNeverReconnects) {
  start();
  open();
  std::uint32_t s = host.last_socket;
  session->disconnect();
  EXPECT_EQ(host.sockets[s].close_code, 1000);
  EXPECT_EQ(session->state(), WsState::kClosing);
  EXPECT_EQ(session->ready_state(), 2);
  session->on_socket_close(s, 1000, "", true);
  EXPECT_EQ(session->state(), WsState::kClosed);
  EXPECT_TRUE(host.timers.empty());
  EXPECT_EQ(host.last_socket, s);
}

TEST_F(SessionTest, DisconnectWhileReconnectingCancelsTheTimer) {
  start();
  session->on_socket_close(host.last_socket, 1006, "", false);
  session->disconnect();
  EXPECT_EQ(session->state(), WsState::kClosed);
  EXPECT_TRUE(host.timers.empty());
}

TEST_F(SessionTest, CloseThatNeverArrivesTimesOut) {
  start();
  open();
  session->disconnect();
  ASSERT_TRUE(host.fire_next(*session));
  EXPECT_EQ(session->state(), WsState::kClosed);
  EXPECT_TRUE(host.sockets[1].released);
}

TEST_F(SessionTest, ConnectAfterDisconnectAbandonsClosingSocket) {
  start();
  open();
  session->disconnect();
  session->connect();
  EXPECT_TRUE(host.sockets[1].released);
  EXPECT_EQ(host.last_socket, 2u);
  session->on_socket_close(1, 1000, "", true);  // late event of the old socket: ignored
  EXPECT_EQ(session->state(), WsState::kConnecting);
}

TEST_F(SessionTest, HeartbeatPingsAndDetectsSilentServer) {
  config.heartbeat.interval_ms = 1000;
  start();
  open();
  std::uint32_t s = host.last_socket;
  host.fire_next(*session);  // t=1000: ping
  ASSERT_EQ(host.sockets[s].sent.size(), 1u);
  EXPECT_NE(host.sockets[s].sent[0].find(R"("type":"ping")"), std::string::npos);
  host.fire_next(*session);  // t=2000: silent for 2 intervals → dead
  EXPECT_EQ(host.sockets[s].close_code, 4000);
  EXPECT_TRUE(host.sockets[s].released);
  ASSERT_FALSE(host.errors.empty());
  EXPECT_EQ(host.errors.back().first, Errc::kHeartbeatTimeout);
  EXPECT_EQ(session->state(), WsState::kReconnecting);
  host.fire_next(*session);
  EXPECT_EQ(host.last_socket, s + 1);
}

TEST_F(SessionTest, AnyFrameKeepsTheConnectionAliveAndPongMeasuresRtt) {
  config.heartbeat.interval_ms = 1000;
  start();
  open();
  for (int i = 0; i < 5; ++i) {
    host.fire_next(*session);
    host.now += 40;
    session->on_socket_message(host.last_socket, R"({"type":"pong"})", true);
  }
  EXPECT_EQ(session->state(), WsState::kOpen);
  EXPECT_EQ(session->stats().last_rtt_ms, 40);
}

// Frames are stamped at the next tick (no clock read per frame): the silent server is still
// declared dead at the tick where missed_limit intervals have passed since its last frame.
TEST_F(SessionTest, SilenceIsCountedFromTheLastFrame) {
  config.heartbeat.interval_ms = 1000;
  start();
  open();  // t=0
  std::uint32_t s = host.last_socket;
  host.now = 500;
  session->on_socket_message(s, R"({"type":"data"})", true);
  host.fire_next(*session);  // t=1000: ping
  host.fire_next(*session);  // t=2000: last frame 1.5 intervals ago: ping
  EXPECT_EQ(session->state(), WsState::kOpen);
  EXPECT_EQ(host.sockets[s].sent.size(), 2u);
  host.now = 2999;
  session->on_socket_message(s, R"({"type":"data"})", true);
  host.fire_next(*session);  // t=3000: alive
  host.fire_next(*session);  // t=4000
  EXPECT_EQ(session->state(), WsState::kOpen);
  host.fire_next(*session);  // t=5000: silent since 2999, two intervals: dead
  EXPECT_EQ(session->state(), WsState::kReconnecting);
  ASSERT_FALSE(host.errors.empty());
  EXPECT_EQ(host.errors.back().first, Errc::kHeartbeatTimeout);
}

TEST_F(SessionTest, InvalidUrlIsAnErrorAndClosed) {
  host.fail_open = true;
  start();
  EXPECT_EQ(session->state(), WsState::kClosed);
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kInvalidUrl);
}

TEST_F(SessionTest, DestructionReleasesEverything) {
  start();
  open();
  session.reset();
  EXPECT_TRUE(host.sockets[1].released);
  EXPECT_TRUE(host.timers.empty());
}

}  // namespace
}  // namespace realtime
