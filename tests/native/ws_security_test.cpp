// The WebSocket session's security behaviours: the open preamble (the 'message' token transport),
// ordering of the preamble and the offline queue, the auth-close retry policy (4001/4401),
// oversize frames refused by the host, and transport errors.
#include <gtest/gtest.h>

#include <functional>

#include "fake_ws_host.h"
#include "ws_session.h"

namespace realtime {
namespace {

using testing::FakeWsHost;

// A host that can act from inside on_state (as a JS 'state' listener would).
class HookedHost : public FakeWsHost {
 public:
  std::function<void(WsState)> on_state_hook;
  void on_state(WsState n, WsState o) override {
    FakeWsHost::on_state(n, o);
    if (on_state_hook) on_state_hook(n);
  }
};

struct SecureSessionTest : ::testing::Test {
  HookedHost host;
  WsConfig config;
  std::unique_ptr<WsSession> session;
  SecureSessionTest() {
    config.connection.urls = {"ws://example.test/socket"};
    config.heartbeat.interval_ms = 0;
    config.connection.backoff.reconnect_interval_ms = 100;
  }
  void start() {
    session = std::make_unique<WsSession>(config, host);
    session->connect();
  }
  void open() { session->on_socket_open(host.last_socket); }
  void close(int code, bool clean = true) {
    session->on_socket_close(host.last_socket, code, "", clean);
  }
  std::string type_of(const std::string& text) {
    auto start = text.find("\"type\":\"") + 8;
    return text.substr(start, text.find('"', start) - start);
  }
  std::vector<std::string> sent_types(std::uint32_t socket) {
    std::vector<std::string> out;
    for (const auto& t : host.sockets[socket].sent) out.push_back(type_of(t));
    return out;
  }
};

TEST_F(SecureSessionTest, PreambleGoesFirstThenTheQueueThenWhatListenersSend) {
  start();
  session->set_open_preamble("auth", R"({"token":"t1"})");
  session->send({.type = "q1", .payload_json = "1"});
  session->send({.type = "q2", .payload_json = "2"});
  host.on_state_hook = [&](WsState s) {
    if (s == WsState::kOpen) session->send({.type = "from_listener", .payload_json = "3"});
  };
  open();
  EXPECT_EQ(sent_types(1), (std::vector<std::string>{"auth", "q1", "q2", "from_listener"}));
  EXPECT_NE(host.sockets[1].sent[0].find(R"("payload":{"token":"t1"})"), std::string::npos);
  EXPECT_EQ(session->stats().messages_sent, 4u);
}

TEST_F(SecureSessionTest, PreambleIsResentOnEveryOpenWithItsLatestValue) {
  start();
  session->set_open_preamble("auth", R"({"token":"t1"})");
  open();
  session->set_open_preamble("auth", R"({"token":"t2"})");
  close(1006, false);
  host.fire_next(*session);
  open();
  ASSERT_EQ(host.sockets[2].sent.size(), 1u);
  EXPECT_NE(host.sockets[2].sent[0].find("t2"), std::string::npos);
  EXPECT_EQ(host.sockets[2].sent[0].find("t1"), std::string::npos);
  session->set_open_preamble("", "");  // cleared: nothing extra on the next open
  close(1006, false);
  host.fire_next(*session);
  open();
  EXPECT_TRUE(host.sockets[3].sent.empty());
}

TEST_F(SecureSessionTest, AListenerThatClosesOnOpenStopsTheHeartbeatFromArming) {
  config.heartbeat.interval_ms = 1000;
  start();
  host.on_state_hook = [&](WsState s) {
    if (s == WsState::kOpen) session->disconnect();
  };
  open();
  EXPECT_FALSE(host.due(WsTimer::kHeartbeat).has_value());
  EXPECT_EQ(session->state(), WsState::kClosing);
}

TEST_F(SecureSessionTest, AuthCloseCodesAreOrdinaryCleanClosesByDefault) {
  start();
  open();
  close(4401);
  EXPECT_EQ(session->state(), WsState::kClosed);
  EXPECT_TRUE(host.errors.empty());
  EXPECT_EQ(host.sockets.size(), 1u);
}

TEST_F(SecureSessionTest, AuthCloseRetriesOnceAtOnceThenUnauthorized) {
  config.auth.enabled = true;
  start();
  open();
  close(4401);
  EXPECT_EQ(session->state(), WsState::kReconnecting);
  EXPECT_EQ(host.due(WsTimer::kReconnect), host.now);  // immediately: no backoff for a refresh
  host.fire_next(*session);
  EXPECT_EQ(host.sockets.size(), 2u);
  open();
  close(4001);
  EXPECT_EQ(session->state(), WsState::kClosed);
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kUnauthorized);
  EXPECT_FALSE(host.due(WsTimer::kReconnect).has_value());
  EXPECT_EQ(host.sockets.size(), 2u);
  EXPECT_EQ(host.close_codes, (std::vector<int>{4401, 4001}));
}

TEST_F(SecureSessionTest, AuthCloseBudgetComesBackAfterAConnectionServedAWhileOrOnConnect) {
  config.auth.enabled = true;
  config.auth.reset_after_ms = 5000;
  start();
  open();
  close(4401);  // retry 1
  host.fire_next(*session);
  open();
  host.now += 6000;  // served 6 s: a later 4401 is an expiry, not a rejection streak
  close(4401);
  EXPECT_EQ(session->state(), WsState::kReconnecting);
  host.fire_next(*session);
  open();
  host.now += 10;
  close(4401);  // right after the retry: rejected
  EXPECT_EQ(session->state(), WsState::kClosed);
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kUnauthorized);
  session->connect();  // an explicit connect() starts afresh
  open();
  close(4401);
  EXPECT_EQ(session->state(), WsState::kReconnecting);
}

TEST_F(SecureSessionTest, AuthCloseWhileClosingIsJustTheEndOfTheClose) {
  config.auth.enabled = true;
  start();
  open();
  session->disconnect();
  close(4401);
  EXPECT_EQ(session->state(), WsState::kClosed);
  EXPECT_TRUE(host.errors.empty());
}

TEST_F(SecureSessionTest, OversizeFrameIsAnErrorAndTheConnectionStays) {
  config.limits.max_message_bytes = 20;
  start();
  open();
  session->on_socket_oversize(host.last_socket, 5000);
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kTooLarge);
  EXPECT_NE(host.errors[0].second.find("> 20"), std::string::npos);
  EXPECT_EQ(session->state(), WsState::kOpen);
  session->on_socket_oversize(999, 5000);  // a stale socket: ignored
  EXPECT_EQ(host.errors.size(), 1u);
  session->on_socket_message(host.last_socket, R"({"type":"ok"})", true);
  EXPECT_EQ(host.messages, (std::vector<std::string>{"ok|"}));
}

TEST_F(SecureSessionTest, TransportErrorIsReportedAndTheCloseThatFollowsReconnects) {
  start();
  open();
  session->on_socket_error(host.last_socket, Errc::kInvalidUtf8, "rejected by the socket");
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kInvalidUtf8);
  close(1006, false);
  EXPECT_EQ(session->state(), WsState::kReconnecting);
}

}  // namespace
}  // namespace realtime
