// Acknowledged sends and channel positions (src/delivery.h) through the WebSocket session, on a
// fake host and clock: re-send order and ids, timeouts, bounds, de-dup by offset, gaps.
#include "delivery.h"

#include <gtest/gtest.h>

#include "fake_ws_host.h"
#include "ws_session.h"

namespace realtime {
namespace {

using testing::FakeWsHost;

struct DeliveryTest : ::testing::Test {
  FakeWsHost host;
  WsConfig config;
  std::unique_ptr<WsSession> session;
  DeliveryTest() {
    config.connection.urls = {"ws://a.test/"};
    config.heartbeat.interval_ms = 0;
  }
  void start() {
    session = std::make_unique<WsSession>(config, host);
    session->connect();
  }
  void open(std::string_view protocol = kRealtimeProtocol) {
    session->on_socket_open(host.last_socket, protocol);
  }
  void drop() { session->on_socket_close(host.last_socket, 1006, "", false); }
  void reconnect(std::string_view protocol = kRealtimeProtocol) {
    drop();
    host.now = *host.due(WsTimer::kReconnect);
    host.timers.erase(WsTimer::kReconnect);
    session->on_timer(WsTimer::kReconnect);
    open(protocol);
  }
  void receive(const std::string& frame) {
    session->on_socket_message(host.last_socket, frame, true);
  }
  std::vector<std::string>& sent() { return host.sockets[host.last_socket].sent; }
  std::string ack(OutgoingEnvelope m, double timeout = 10000) {
    Errc error = Errc::kOk;
    std::string id = session->send_with_ack(m, timeout, &error);
    EXPECT_EQ(error, Errc::kOk);
    return id;
  }
  static bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }
};

TEST(AckStore, BoundedByCountAndBytes) {
  AckStore by_count({.max_pending = 2, .max_pending_bytes = 1000});
  EXPECT_TRUE(by_count.add({"a", "x", 0, 1}));
  EXPECT_TRUE(by_count.add({"b", "x", 0, 2}));
  EXPECT_FALSE(by_count.add({"c", "x", 0, 3}));
  EXPECT_TRUE(by_count.remove("a"));
  EXPECT_TRUE(by_count.add({"c", "x", 0, 3}));
  AckStore by_bytes({.max_pending = 100, .max_pending_bytes = 10});
  EXPECT_TRUE(by_bytes.add({"a", "123456", 0, 1}));
  EXPECT_FALSE(by_bytes.add({"b", "123456", 0, 2}));
  EXPECT_EQ(by_bytes.bytes(), 6u);
}

TEST_F(DeliveryTest, AnAcknowledgedSendCarriesAckAndSettlesWithTheReply) {
  start();
  open();
  std::string id = ack({.type = "chat", .payload_json = R"({"t":"hi"})"});
  ASSERT_EQ(sent().size(), 1u);
  EXPECT_TRUE(has(sent()[0], "\"ack\":true"));
  EXPECT_TRUE(has(sent()[0], "\"id\":\"" + id + "\""));
  receive(R"({"type":"rt:ack","payload":{"id":")" + id + R"(","reply":{"n":42}}})");
  ASSERT_EQ(host.acks.size(), 1u);
  EXPECT_EQ(host.acks[0].code, Errc::kOk);
  EXPECT_EQ(host.acks[0].detail, R"({"n":42})");
  EXPECT_EQ(session->stats().acks_pending, 0u);
  EXPECT_TRUE(host.messages.empty());  // control frames are not messages
  EXPECT_FALSE(host.due(WsTimer::kAckTimeout).has_value());
}

TEST_F(DeliveryTest, UnacknowledgedSendsAreResentAfterEveryReconnectInSendOrderWithTheSameIds) {
  start();
  open();
  std::string a = ack({.type = "m", .payload_json = "1"});
  std::string b = ack({.type = "m", .payload_json = "2"});
  drop();
  session->send({.type = "plain", .payload_json = "3"});    // offline: queued
  std::string c = ack({.type = "m", .payload_json = "4"});  // offline: stored, not sent
  session->send({.type = "plain", .payload_json = "5"});
  host.now = *host.due(WsTimer::kReconnect);
  host.timers.erase(WsTimer::kReconnect);
  session->on_timer(WsTimer::kReconnect);
  open();
  ASSERT_EQ(sent().size(), 5u);
  EXPECT_TRUE(has(sent()[0], a));
  EXPECT_TRUE(has(sent()[1], b));
  EXPECT_TRUE(has(sent()[2], "\"payload\":3"));
  EXPECT_TRUE(has(sent()[3], c));
  EXPECT_TRUE(has(sent()[4], "\"payload\":5"));
  receive(R"({"type":"rt:ack","payload":{"id":")" + a + R"("}})");
  reconnect();  // b and c are still unacknowledged: again, in order
  ASSERT_EQ(sent().size(), 2u);
  EXPECT_TRUE(has(sent()[0], b));
  EXPECT_TRUE(has(sent()[1], c));
  EXPECT_EQ(host.acks.size(), 1u);
  EXPECT_EQ(host.acks[0].detail, "null");
}

TEST_F(DeliveryTest, ATimedOutSendIsWithdrawnAndNeverResent) {
  start();
  open();
  std::string slow = ack({.type = "m", .payload_json = "1"}, 500);
  host.now = 200;
  std::string fast = ack({.type = "m", .payload_json = "2"}, 100);
  EXPECT_EQ(host.due(WsTimer::kAckTimeout), 300);
  host.now = 300;
  session->on_timer(WsTimer::kAckTimeout);
  ASSERT_EQ(host.acks.size(), 1u);
  EXPECT_EQ(host.acks[0].id, fast);
  EXPECT_EQ(host.acks[0].code, Errc::kAckTimeout);
  EXPECT_EQ(host.due(WsTimer::kAckTimeout), 500);
  receive(R"({"type":"rt:ack","payload":{"id":")" + fast + R"("}})");  // too late: ignored
  EXPECT_EQ(host.acks.size(), 1u);
  reconnect();
  ASSERT_EQ(sent().size(), 1u);
  EXPECT_TRUE(has(sent()[0], slow));
}

TEST_F(DeliveryTest, HandlerErrorsAndServerErrorsSettleWithTheServersWord) {
  start();
  open();
  std::string a = ack({.type = "m"});
  std::string b = ack({.type = "m"});
  std::string c = ack({.type = "m"});
  receive(R"({"type":"rt:ack","payload":{"id":")" + a +
          R"(","error":{"code":"server_error","message":"room is closed"}}})");
  receive(R"({"type":"rt:error","payload":{"code":"too_large","message":"big","id":")" + b +
          R"("}})");
  receive(R"({"type":"rt:error","payload":{"code":"unavailable","message":"redis","id":")" + c +
          R"("}})");
  ASSERT_EQ(host.acks.size(), 2u);
  EXPECT_EQ(host.acks[0].code, Errc::kServerError);
  EXPECT_EQ(host.acks[0].detail, "server_error: room is closed");
  EXPECT_EQ(host.acks[1].detail, "too_large: big");
  EXPECT_EQ(session->stats().acks_pending, 1u);  // c: re-sent on the next open
  EXPECT_EQ(host.errors.size(), 1u);             // the 'unavailable' is reported
}

TEST_F(DeliveryTest, GivingUpSettlesEveryPendingSend) {
  config.connection.backoff.reconnect_attempts = 0;
  start();
  open();
  ack({.type = "m"});
  ack({.type = "m"});
  drop();
  ASSERT_EQ(host.acks.size(), 2u);
  EXPECT_EQ(host.acks[0].code, Errc::kGaveUp);
  EXPECT_EQ(host.acks[1].code, Errc::kGaveUp);
}

TEST_F(DeliveryTest, AServerWithoutTheProtocolFailsAcknowledgedSendsAtOnce) {
  start();
  ack({.type = "m"});  // before open: stored
  open("");
  ASSERT_EQ(host.acks.size(), 1u);
  EXPECT_EQ(host.acks[0].code, Errc::kProtocolUnsupported);
  Errc error = Errc::kOk;
  EXPECT_TRUE(session->send_with_ack({.type = "m"}, 1000, &error).empty());
  EXPECT_EQ(error, Errc::kProtocolUnsupported);
  EXPECT_TRUE(sent().empty());
}

TEST_F(DeliveryTest, AFullStoreRefusesWithADrop) {
  config.delivery.max_pending = 1;
  start();
  ack({.type = "m"});
  Errc error = Errc::kOk;
  EXPECT_TRUE(session->send_with_ack({.type = "m"}, 1000, &error).empty());
  EXPECT_EQ(error, Errc::kAckStoreFull);
  ASSERT_EQ(host.drops.size(), 1u);
  EXPECT_EQ(host.drops[0].first, DropReason::kAckStoreFull);
}

TEST_F(DeliveryTest, ASecondSendOfAPendingIdIsTheSameMessage) {
  start();
  open();
  EXPECT_EQ(ack({.type = "m", .id = "m-1"}), "m-1");
  EXPECT_EQ(ack({.type = "m", .id = "m-1"}), "m-1");
  EXPECT_EQ(sent().size(), 1u);
  EXPECT_EQ(session->stats().acks_pending, 1u);
  receive(R"({"type":"rt:ack","payload":{"id":"m-1"}})");
  EXPECT_EQ(host.acks.size(), 1u);  // the host settles every caller of that id
}

TEST_F(DeliveryTest, AWithdrawnSendIsNotResent) {
  start();
  std::string id = ack({.type = "m"});
  EXPECT_TRUE(session->withdraw_ack(id));
  open();
  EXPECT_TRUE(sent().empty());
}

TEST_F(DeliveryTest, ChannelsResumeFromTheirPositionWithDuplicatesDroppedAndGapsReported) {
  start();
  open();
  std::uint32_t room = session->join_channel("room", std::nullopt);
  ASSERT_EQ(sent().size(), 1u);
  EXPECT_EQ(sent()[0], R"({"type":"rt:join","payload":{"channel":"room"}})");
  receive(
      R"({"type":"rt:joined","payload":{"channel":"room","epoch":"e1","offset":7,"recovered":true}})");
  receive(R"({"type":"chat","channel":"room","offset":8,"payload":{"t":"a"}})");
  receive(R"({"type":"chat","channel":"room","offset":9,"payload":{"t":"b"}})");
  ASSERT_EQ(host.publications.size(), 2u);
  EXPECT_EQ(host.publications[0], std::to_string(room) + R"(|chat|{"t":"a"}|8)");
  EXPECT_EQ(session->channel_position("room")->offset, 9u);
  reconnect();
  ASSERT_EQ(sent().size(), 1u);
  EXPECT_EQ(
      sent()[0],
      R"({"type":"rt:join","payload":{"channel":"room","position":{"epoch":"e1","offset":9}}})");
  receive(
      R"({"type":"rt:joined","payload":{"channel":"room","epoch":"e1","offset":11,"recovered":true}})");
  receive(R"({"type":"chat","channel":"room","offset":9,"payload":0})");  // overlap: dropped
  receive(R"({"type":"chat","channel":"room","offset":10,"payload":0})");
  receive(R"({"type":"chat","channel":"room","offset":12,"payload":0})");  // 11 skipped
  EXPECT_EQ(host.publications.size(), 4u);
  EXPECT_EQ(session->stats().duplicates, 1u);
  ASSERT_EQ(host.gaps.size(), 1u);
  EXPECT_EQ(host.gaps[0].second.from.offset, 10u);
  // The history was trimmed past the position: a gap, then the server's replay from its oldest.
  reconnect();
  receive(
      R"({"type":"rt:joined","payload":{"channel":"room","epoch":"e1","offset":90,"recovered":false}})");
  ASSERT_EQ(host.gaps.size(), 2u);
  EXPECT_EQ(host.gaps[1].second.from.offset, 12u);
  receive(R"({"type":"chat","channel":"room","offset":40,"payload":0})");
  receive(R"({"type":"chat","channel":"room","offset":41,"payload":0})");
  EXPECT_EQ(host.publications.size(), 6u);
  EXPECT_EQ(host.gaps.size(), 2u);
  // A new epoch (the store lost the history) while joined: a gap, then the new epoch.
  receive(
      R"({"type":"rt:joined","payload":{"channel":"room","epoch":"e2","offset":1,"recovered":false}})");
  receive(R"({"type":"chat","channel":"room","offset":1,"payload":0})");
  EXPECT_EQ(host.gaps.size(), 3u);
  EXPECT_EQ(session->channel_position("room")->epoch, "e2");
  EXPECT_EQ(host.publications.size(), 7u);
}

TEST_F(DeliveryTest, SinceResumesFromASavedPositionAndLeaveStopsDelivery) {
  start();
  session->join_channel("feed", ChannelPosition{"e9", 41});
  open();
  ASSERT_EQ(sent().size(), 1u);
  EXPECT_TRUE(has(sent()[0], R"("position":{"epoch":"e9","offset":41})"));
  receive(
      R"({"type":"rt:joined","payload":{"channel":"feed","epoch":"e9","offset":43,"recovered":true}})");
  receive(R"({"type":"n","channel":"feed","offset":42,"payload":42})");
  EXPECT_EQ(host.publications.size(), 1u);
  EXPECT_TRUE(host.gaps.empty());
  session->leave_channel("feed");
  EXPECT_EQ(sent().back(), R"({"type":"rt:leave","payload":{"channel":"feed"}})");
  receive(R"({"type":"n","channel":"feed","offset":43,"payload":43})");
  EXPECT_EQ(host.publications.size(), 1u);
  EXPECT_FALSE(session->channel_position("feed").has_value());
}

TEST_F(DeliveryTest, WithoutTheProtocolChannelFieldsAreOrdinaryMessages) {
  start();
  open("");
  receive(R"({"type":"chat","channel":"room","offset":3,"payload":1})");
  EXPECT_TRUE(host.publications.empty());
  EXPECT_EQ(host.messages.size(), 1u);
}

}  // namespace
}  // namespace realtime
