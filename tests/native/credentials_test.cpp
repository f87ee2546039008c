// The WebSocket session's credentials step (CredentialsConfig in ws_session.h), on the fake clock:
// a token before every socket, the refresh schedule from `exp`, the 4001/4401 "stale" rule, the
// provider's retries (the reconnect backoff with jitter), connectTimeout over the wait, and what a
// bad token does at connect, on a reconnect and during a refresh before expiry.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "fake_ws_host.h"
#include "jwt.h"
#include "test_jwt.h"
#include "ws_session.h"

namespace realtime {
namespace {

using testing::FakeWsHost;
using testing::jwt_with_payload;

// A token expiring at `exp_ms` (epoch ms of the fake clock).
std::string token_expiring(double exp_ms) {
  return jwt_with_payload(R"({"sub":"u1","exp":)" + std::to_string(exp_ms / 1000) + "}");
}

struct CredentialsTest : ::testing::Test {
  FakeWsHost host;
  WsConfig config;
  std::unique_ptr<WsSession> session;
  static constexpr double kHour = 3'600'000;

  CredentialsTest() {
    host.now = 1'700'000'000'000.0;
    config.connection.urls = {"ws://example.test/socket"};
    config.heartbeat.interval_ms = 0;
    config.connection.backoff.reconnect_interval_ms = 100;
    config.credentials.enabled = true;
    config.credentials.refresh_threshold_ms = 60'000;
  }
  void start() {
    session = std::make_unique<WsSession>(config, host);
    session->connect();
  }
  std::uint32_t last_request() const { return host.token_requests.back(); }
  void provide(const std::string& token) { session->provide_token(last_request(), token); }
  void open() { session->on_socket_open(host.last_socket); }
  bool has_auth(AuthPhase phase, TokenReason reason) const {
    for (const auto& a : host.auths) {
      if (a.phase == phase && a.reason == reason) return true;
    }
    return false;
  }
};

TEST_F(CredentialsTest, TheFirstSocketWaitsForAToken) {
  start();
  ASSERT_EQ(host.token_requests.size(), 1u);
  EXPECT_TRUE(host.sockets.empty()) << "no socket before a token";
  ASSERT_EQ(host.auths.size(), 1u);
  EXPECT_EQ(host.auths[0].phase, AuthPhase::kRefreshing);
  EXPECT_EQ(host.auths[0].reason, TokenReason::kConnect);
  EXPECT_TRUE(host.due(WsTimer::kConnectTimeout).has_value()) << "connectTimeout covers the wait";
  double exp = host.now + kHour;
  provide(token_expiring(exp));
  ASSERT_EQ(host.sockets.size(), 1u);
  ASSERT_EQ(host.auths.size(), 2u) << "no 'waiting' for the first attempt of connect()";
  EXPECT_EQ(host.auths[1].phase, AuthPhase::kRefreshed);
  EXPECT_DOUBLE_EQ(host.auths[1].expires_at, exp);
  EXPECT_DOUBLE_EQ(*session->refresh_scheduled_at(), exp - 60'000);
  open();
  EXPECT_EQ(session->state(), WsState::kOpen);
}

TEST_F(CredentialsTest, WithoutCredentialsNothingIsAsked) {
  config.credentials.enabled = false;
  start();
  EXPECT_TRUE(host.token_requests.empty());
  EXPECT_EQ(host.sockets.size(), 1u);
}

TEST_F(CredentialsTest, RefreshesBeforeExpiryOnTheOpenConnection) {
  start();
  double exp = host.now + kHour;
  provide(token_expiring(exp));
  open();
  ASSERT_TRUE(host.fire_next(*session));  // the refresh timer
  EXPECT_DOUBLE_EQ(host.now, exp - 60'000);
  ASSERT_EQ(host.token_requests.size(), 2u);
  EXPECT_TRUE(has_auth(AuthPhase::kRefreshing, TokenReason::kExpiring));
  EXPECT_FALSE(session->refresh_scheduled_at().has_value()) << "none while one runs";
  double exp2 = host.now + kHour;
  provide(token_expiring(exp2));
  EXPECT_EQ(host.sockets.size(), 1u) << "the open connection stays";
  EXPECT_DOUBLE_EQ(*session->refresh_scheduled_at(), exp2 - 60'000);
  // The next socket needs no refresh: the new token is usable.
  session->on_socket_close(host.last_socket, 1006, "", false);
  host.fire_next(*session);
  EXPECT_EQ(host.sockets.size(), 2u);
  EXPECT_EQ(host.token_requests.size(), 2u);
}

TEST_F(CredentialsTest, AShortLivedTokenIsRefreshedAtHalfItsLife) {
  start();
  provide(token_expiring(host.now + 10'000));  // lives 10 s, threshold 60 s
  EXPECT_DOUBLE_EQ(*session->refresh_scheduled_at(), host.now + 5'000);
  host.fire_next(*session);
  EXPECT_EQ(host.token_requests.size(), 2u);
}

TEST_F(CredentialsTest, ATokenWithoutExpHasNoRefresh) {
  start();
  provide(jwt_with_payload(R"({"sub":"u1"})"));
  EXPECT_EQ(host.sockets.size(), 1u);
  EXPECT_FALSE(session->refresh_scheduled_at().has_value());
  EXPECT_TRUE(std::isnan(host.auths.back().expires_at));
}

TEST_F(CredentialsTest, AnExpiredTokenHoldsTheReconnectUntilTheRefresh) {
  config.credentials.refresh_threshold_ms = 0;
  start();
  provide(token_expiring(host.now + 400));
  open();
  host.fire_next(*session);  // the refresh at expiry: the provider does not answer yet
  ASSERT_EQ(host.token_requests.size(), 2u);
  host.now += 100;
  session->on_socket_close(host.last_socket, 1006, "", false);
  host.fire_next(*session);  // the reconnect
  EXPECT_EQ(host.sockets.size(), 1u) << "never opened with the expired token";
  EXPECT_EQ(host.token_requests.size(), 2u) << "the running refresh is shared";
  EXPECT_TRUE(has_auth(AuthPhase::kWaiting, TokenReason::kExpired));
  provide(token_expiring(host.now + kHour));
  EXPECT_EQ(host.sockets.size(), 2u);
}

TEST_F(CredentialsTest, ARejectedTokenIsRefreshedBeforeTheRetry) {
  config.auth.enabled = true;
  start();
  provide(token_expiring(host.now + kHour));
  open();
  session->on_socket_close(host.last_socket, 4401, "", true);
  EXPECT_EQ(session->state(), WsState::kReconnecting);
  host.fire_next(*session);  // the immediate retry
  EXPECT_EQ(host.sockets.size(), 1u) << "the rejected token is not offered again";
  EXPECT_TRUE(has_auth(AuthPhase::kRefreshing, TokenReason::kRejected));
  EXPECT_TRUE(has_auth(AuthPhase::kWaiting, TokenReason::kRejected));
  provide(token_expiring(host.now + kHour));
  EXPECT_EQ(host.sockets.size(), 2u);
  open();
  session->on_socket_close(host.last_socket, 4001, "", true);
  EXPECT_EQ(session->state(), WsState::kClosed);
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kUnauthorized);
  EXPECT_FALSE(session->refresh_scheduled_at().has_value()) << "closed: no refresh left";
}

TEST_F(CredentialsTest, AMalformedTokenAtConnectIsOneErrorAndClosed) {
  start();
  provide("not-a-jwt");
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kMalformedToken);
  EXPECT_EQ(host.errors[0].second.find("not-a-jwt"), std::string::npos) << "no token in errors";
  EXPECT_EQ(session->state(), WsState::kClosed);
  EXPECT_TRUE(host.sockets.empty());
  EXPECT_TRUE(host.timers.empty());
}

TEST_F(CredentialsTest, AnAlreadyExpiredTokenIsTokenExpired) {
  start();
  provide(token_expiring(host.now - 1000));
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kTokenExpired);
  EXPECT_TRUE(host.sockets.empty());
}

TEST_F(CredentialsTest, TheSubprotocolTransportRefusesCharactersItCannotCarry) {
  config.credentials.subprotocol = true;
  start();
  // Decodable (complete '=' padding), but '=' is not a tchar.
  std::string payload =
      testing::b64url(R"({"exp":)" + std::to_string((host.now + kHour) / 1000) + "}");
  while (payload.size() % 4 != 0) payload += '=';
  std::string padded = testing::b64url(R"({"alg":"none"})") + "." + payload + ".";
  ASSERT_EQ(decode_jwt(padded).error, Errc::kOk);
  EXPECT_FALSE(is_subprotocol_token(padded));
  EXPECT_TRUE(is_subprotocol_token(token_expiring(host.now + kHour)));
  provide(padded);
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kMalformedToken);
  EXPECT_NE(host.errors[0].second.find("Sec-WebSocket-Protocol"), std::string::npos);
}

TEST_F(CredentialsTest, AFailingProviderIsRetriedWithTheJitteredBackoffThenFails) {
  config.credentials.max_retries = 2;
  config.connection.connect_timeout_ms = 0;
  start();
  std::uint32_t first = last_request();
  session->token_failed(first, "down");
  auto due = host.due(WsTimer::kTokenRetry);
  ASSERT_TRUE(due.has_value());
  EXPECT_LE(*due - host.now, 100);                 // full jitter: within [0, 100]
  session->token_failed(first, "late duplicate");  // no second retry for one failure
  host.fire_next(*session);
  ASSERT_EQ(host.token_requests.size(), 2u);
  EXPECT_NE(last_request(), first);
  session->token_failed(last_request(), "down");
  due = host.due(WsTimer::kTokenRetry);
  ASSERT_TRUE(due.has_value());
  EXPECT_LE(*due - host.now, 200);
  host.fire_next(*session);
  session->provide_token(first, token_expiring(host.now + kHour));  // stale seq: ignored
  EXPECT_TRUE(host.sockets.empty());
  session->token_failed(last_request(), "down");
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kTokenRefreshFailed);
  EXPECT_NE(host.errors[0].second.find("3 time(s): down"), std::string::npos);
  EXPECT_EQ(session->state(), WsState::kClosed);
  EXPECT_EQ(host.auths.size(), 1u) << "one 'refreshing' for the whole refresh";
}

TEST_F(CredentialsTest, JitterSpreadsTheRetries) {
  // Over many sessions the first retry delay is not always the same (full jitter).
  double low = 1e9, high = -1;
  for (int i = 0; i < 20; ++i) {
    FakeWsHost h;
    h.rng_state = 1000 + i * 7919;
    WsSession s(config, h);
    s.connect();
    s.token_failed(h.token_requests.back(), "down");
    double delay = *h.due(WsTimer::kTokenRetry) - h.now;
    low = std::min(low, delay);
    high = std::max(high, delay);
  }
  EXPECT_LT(low, high);
  EXPECT_LE(high, 100);
}

TEST_F(CredentialsTest, ConnectTimeoutCoversTheTokenWait) {
  config.connection.connect_timeout_ms = 1000;
  start();
  host.fire_next(*session);  // the connect timeout: the provider has not answered
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kConnectTimeout);
  EXPECT_EQ(session->state(), WsState::kReconnecting);
  host.fire_next(*session);  // the next attempt waits for the same refresh
  EXPECT_TRUE(host.sockets.empty());
  EXPECT_EQ(host.token_requests.size(), 1u);
  provide(token_expiring(host.now + kHour));
  EXPECT_EQ(host.sockets.size(), 1u);
}

TEST_F(CredentialsTest, ABadTokenOnAReconnectFailsThatAttemptOnly) {
  config.credentials.refresh_threshold_ms = 0;
  start();
  provide(token_expiring(host.now + 400));
  open();
  host.now += 500;  // expired; its refresh failed to arrive in time
  session->on_socket_close(host.last_socket, 1006, "", false);
  host.fire_next(*session);  // the refresh timer (already due) or the reconnect
  host.fire_next(*session);
  provide("garbage");
  ASSERT_FALSE(host.errors.empty());
  EXPECT_EQ(host.errors.back().first, Errc::kMalformedToken);
  EXPECT_EQ(session->state(), WsState::kReconnecting) << "a failed attempt: the Connector decides";
  EXPECT_TRUE(host.due(WsTimer::kReconnect).has_value());
}

TEST_F(CredentialsTest, AFailedRefreshBeforeExpiryKeepsTheConnection) {
  config.credentials.max_retries = 0;
  start();
  provide(token_expiring(host.now + kHour));
  open();
  host.fire_next(*session);  // the refresh
  session->token_failed(last_request(), "down");
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].first, Errc::kTokenRefreshFailed);
  EXPECT_EQ(session->state(), WsState::kOpen);
}

TEST_F(CredentialsTest, DisconnectStopsTheRefreshAndAValidTokenIsReusedAfter) {
  start();
  provide(token_expiring(host.now + kHour));
  open();
  session->disconnect();
  EXPECT_FALSE(session->refresh_scheduled_at().has_value());
  EXPECT_FALSE(host.due(WsTimer::kTokenRefresh).has_value());
  session->on_socket_close(host.last_socket, 1000, "", true);
  EXPECT_EQ(session->state(), WsState::kClosed);
  session->connect();
  EXPECT_EQ(host.token_requests.size(), 1u) << "the still-valid token is reused";
  EXPECT_EQ(host.sockets.size(), 2u);
  EXPECT_TRUE(session->refresh_scheduled_at().has_value()) << "and its refresh rescheduled";
}

TEST_F(CredentialsTest, AnAnswerAfterDisconnectIsIgnored) {
  start();
  std::uint32_t seq = last_request();
  session->disconnect();
  session->provide_token(seq, token_expiring(host.now + kHour));
  EXPECT_TRUE(host.sockets.empty());
  EXPECT_EQ(session->state(), WsState::kClosed);
}

TEST_F(CredentialsTest, AFarExpiryIsArmedInSteps) {
  start();
  double exp = host.now + 100.0 * 24 * kHour;  // 100 days: beyond setTimeout's range
  provide(token_expiring(exp));
  EXPECT_DOUBLE_EQ(*host.due(WsTimer::kTokenRefresh) - host.now, 2147483647.0);
  host.fire_next(*session);
  EXPECT_EQ(host.token_requests.size(), 1u) << "not due yet";
  EXPECT_TRUE(host.due(WsTimer::kTokenRefresh).has_value());
  EXPECT_DOUBLE_EQ(*session->refresh_scheduled_at(), exp - 60'000);
}

}  // namespace
}  // namespace realtime
