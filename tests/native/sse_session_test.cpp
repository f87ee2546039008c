#include "sse_session.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <vector>

namespace realtime {
namespace {

struct FakeSseHost : SseHost {
  double now = 0;
  std::uint32_t next = 0;
  bool fail_open = false;
  std::vector<std::pair<std::string, std::string>> opened;  // url, last event id
  std::vector<std::uint32_t> closed;
  std::optional<double> timer;          // the reconnect timer's delay
  std::optional<double> connect_timer;  // the connect timeout's delay
  std::vector<std::uint32_t> url_requests;
  std::vector<std::pair<WsState, WsState>> states;
  std::vector<std::string> events;  // "type|data|id"
  std::vector<std::tuple<Errc, std::string, int>> errors;

  double now_ms() override { return now; }
  std::uint32_t random_u32() override { return 0x80000000u; }
  std::uint32_t open_stream(const std::string& url, const std::string& id) override {
    if (fail_open) return 0;
    opened.emplace_back(url, id);
    return ++next;
  }
  void close_stream(std::uint32_t s) override { closed.push_back(s); }
  void set_timer(ConnectorTimer t, double delay) override {
    (t == ConnectorTimer::kReconnect ? timer : connect_timer) = delay;
  }
  void cancel_timer(ConnectorTimer t) override {
    (t == ConnectorTimer::kReconnect ? timer : connect_timer).reset();
  }
  void request_url(std::uint32_t seq) override { url_requests.push_back(seq); }
  void on_state(WsState n, WsState o) override { states.emplace_back(n, o); }
  void on_event(const SseEvent& e) override {
    events.push_back(std::string(e.type) + "|" + std::string(e.data) + "|" +
                     std::string(e.last_event_id));
  }
  void on_error(Errc code, const std::string& message, int status) override {
    errors.emplace_back(code, message, status);
  }
};

struct SseSessionTest : ::testing::Test {
  FakeSseHost host;
  SseConfig config{.connection = {.urls = {"http://x.test/stream"}}};
  std::unique_ptr<SseSession> session;
  void start() {
    session = std::make_unique<SseSession>(config, host);
    session->connect();
  }
  void open() { session->on_stream_open(host.next, 200, "text/event-stream; charset=utf-8"); }
  void fire() {
    ASSERT_TRUE(host.timer.has_value());
    host.timer.reset();
    session->on_timer(ConnectorTimer::kReconnect);
  }
};

TEST_F(SseSessionTest, AnOptionTheHostCouldNotTakeIsReportedAndNothingOpens) {
  config.connection.invalid = "maxEventBytes must be an integer >= 1 and <= 4294967295";
  start();
  EXPECT_TRUE(host.opened.empty());
  EXPECT_FALSE(host.timer.has_value());
  EXPECT_FALSE(host.connect_timer.has_value());
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(std::get<0>(host.errors[0]), Errc::kInvalidConfig);
  EXPECT_EQ(std::get<1>(host.errors[0]),
            "invalid configuration: maxEventBytes must be an integer >= 1 and <= 4294967295");
  ASSERT_EQ(host.states.size(), 2u);
  EXPECT_EQ(host.states[1].first, WsState::kClosed);
  EXPECT_EQ(session->state(), WsState::kClosed);
}

TEST_F(SseSessionTest, OpensParsesAndDispatches) {
  start();
  EXPECT_EQ(session->state(), WsState::kConnecting);
  open();
  EXPECT_EQ(session->state(), WsState::kOpen);
  EXPECT_EQ(session->ready_state(), 1);
  session->on_stream_bytes(host.next, "event: update\nid: 7\ndata: {\"a\":1}\n\ndata: hi\n");
  session->on_stream_bytes(host.next, "\n");
  ASSERT_EQ(host.events.size(), 2u);
  EXPECT_EQ(host.events[0], "update|{\"a\":1}|7");
  EXPECT_EQ(host.events[1], "message|hi|7");
  EXPECT_EQ(session->last_event_id(), "7");
}

TEST_F(SseSessionTest, StreamEndReconnectsWithLastEventId) {
  start();
  open();
  session->on_stream_bytes(host.next, "id: 42\ndata: x\n\ndata: partial");
  session->on_stream_end(host.next);
  EXPECT_EQ(session->state(), WsState::kReconnecting);
  EXPECT_EQ(host.timer, 1000);
  fire();
  ASSERT_EQ(host.opened.size(), 2u);
  EXPECT_EQ(host.opened[1].second, "42");
  open();
  session->on_stream_bytes(host.next, "data: y\n\n");
  ASSERT_EQ(host.events.size(), 2u);
  EXPECT_EQ(host.events[1], "message|y|42");  // the partial event was not dispatched
  EXPECT_EQ(session->reconnects(), 1u);
}

TEST_F(SseSessionTest, RetryFieldSetsTheReconnectDelay) {
  start();
  open();
  session->on_stream_bytes(host.next, "retry: 250\n\n");
  session->on_stream_end(host.next);
  EXPECT_EQ(host.timer, 250);
  fire();
  session->on_stream_end(host.next);  // failed again before opening: backoff doubles
  EXPECT_EQ(host.timer, 500);
}

TEST_F(SseSessionTest, GivesUpAfterAttempts) {
  config.connection.backoff.reconnect_attempts = 2;
  start();
  session->on_stream_end(host.next);
  fire();
  session->on_stream_end(host.next);
  fire();
  session->on_stream_end(host.next);
  EXPECT_EQ(session->state(), WsState::kClosed);
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(std::get<0>(host.errors[0]), Errc::kGaveUp);
  EXPECT_EQ(host.opened.size(), 3u);
}

TEST_F(SseSessionTest, HttpErrorsAnd204AndWrongTypeFailWithoutRetry) {
  for (int status : {500, 204, 404}) {
    host = FakeSseHost{};
    start();
    session->on_stream_open(host.next, status, "text/event-stream");
    EXPECT_EQ(session->state(), WsState::kClosed) << status;
    ASSERT_EQ(host.errors.size(), 1u);
    EXPECT_EQ(std::get<0>(host.errors[0]), Errc::kHttpStatus);
    EXPECT_EQ(std::get<2>(host.errors[0]), status);
    EXPECT_FALSE(host.timer.has_value());
    EXPECT_EQ(host.closed.size(), 1u);
  }
  host = FakeSseHost{};
  start();
  session->on_stream_open(host.next, 200, "application/json");
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(std::get<0>(host.errors[0]), Errc::kBadContentType);
  EXPECT_NE(std::get<1>(host.errors[0]).find("application/json"), std::string::npos);
  EXPECT_EQ(session->state(), WsState::kClosed);
}

TEST_F(SseSessionTest, ContentTypeIsCaseInsensitiveWithParameters) {
  start();
  session->on_stream_open(host.next, 200, "  Text/Event-Stream ;charset=UTF-8");
  EXPECT_EQ(session->state(), WsState::kOpen);
}

TEST_F(SseSessionTest, OversizeEventFailsTheStream) {
  config.limits.max_event_bytes = 64;
  start();
  open();
  session->on_stream_bytes(host.next, "data: " + std::string(200, 'x'));
  EXPECT_EQ(session->state(), WsState::kClosed);
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(std::get<0>(host.errors[0]), Errc::kStreamTooLarge);
}

TEST_F(SseSessionTest, DisconnectMeansNoReconnectAndLateEventsAreIgnored) {
  start();
  open();
  std::uint32_t s = host.next;
  session->disconnect();
  EXPECT_EQ(session->state(), WsState::kClosed);
  EXPECT_EQ(host.closed, std::vector<std::uint32_t>{s});
  session->on_stream_end(s);
  session->on_stream_bytes(s, "data: late\n\n");
  EXPECT_FALSE(host.timer.has_value());
  EXPECT_TRUE(host.events.empty());
}

TEST_F(SseSessionTest, EventSourceTransportEventsKeepTheId) {
  start();
  open();
  session->on_stream_event(host.next, "alert", "{}", "9");
  EXPECT_EQ(host.events.back(), "alert|{}|9");
  session->on_stream_end(host.next);
  fire();
  EXPECT_EQ(host.opened.back().second, "9");
}

TEST_F(SseSessionTest, InvalidUrlFails) {
  host.fail_open = true;
  start();
  EXPECT_EQ(session->state(), WsState::kClosed);
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(std::get<0>(host.errors[0]), Errc::kInvalidUrl);
}

TEST_F(SseSessionTest, EventSourceEventOverTheLimitIsDroppedWithAnErrorAndTheStreamStays) {
  config.limits.max_event_bytes = 8;
  start();
  open();
  session->on_stream_event(host.next, "message", "123456789", "7");
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(std::get<0>(host.errors[0]), Errc::kStreamTooLarge);
  EXPECT_TRUE(host.events.empty());
  EXPECT_EQ(session->last_event_id(), "7");              // skipped, not re-requested on resume
  session->on_stream_oversize(host.next, "8", 1 << 30);  // refused by the transport, never copied
  EXPECT_EQ(host.errors.size(), 2u);
  EXPECT_EQ(session->last_event_id(), "8");
  session->on_stream_event(host.next, "message", "12345678", "9");
  EXPECT_EQ(host.events, (std::vector<std::string>{"message|12345678|9"}));
  EXPECT_EQ(session->state(), WsState::kOpen);
  session->on_stream_oversize(999, "x", 10);  // a stale stream: ignored
  EXPECT_EQ(host.errors.size(), 2u);
}

}  // namespace
}  // namespace realtime
