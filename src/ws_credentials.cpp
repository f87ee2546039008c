// WsSession's credentials step (CredentialsConfig in ws_session.h): the token before each socket,
// its refresh before expiry, the provider's retries. Its own file so that it is compiled for size
// (ws_session.cpp is -O3 for the per-frame path).
#include <algorithm>
#include <cmath>

#include "attributes.h"
#include "jwt.h"
#include "ws_session.h"

namespace realtime {

std::string_view token_reason_name(TokenReason r) {
  switch (r) {
    case TokenReason::kConnect: return "connect";
    case TokenReason::kExpiring: return "expiring";
    case TokenReason::kExpired: return "expired";
    case TokenReason::kRejected: return "rejected";
  }
  return "connect";
}

std::string_view auth_phase_name(AuthPhase p) {
  switch (p) {
    case AuthPhase::kRefreshing: return "refreshing";
    case AuthPhase::kRefreshed: return "refreshed";
    case AuthPhase::kWaiting: return "waiting";
  }
  return "refreshing";
}

bool is_subprotocol_token(std::string_view token) {
  if (token.empty()) return false;
  for (char c : token) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

namespace {
// setTimeout fires at once for a delay beyond 2^31-1 ms: a far refresh is armed in steps.
constexpr double kMaxTimerMs = 2147483647.0;
}  // namespace

RT_COLD bool WsSession::token_usable() {
  return token_.held && !token_.stale && (!token_.exp_ms || host_.now_ms() < *token_.exp_ms);
}

RT_COLD TokenReason WsSession::refresh_reason() const {
  return !token_.held   ? TokenReason::kConnect
         : token_.stale ? TokenReason::kRejected
                        : TokenReason::kExpired;
}

// An attempt waits for a token (connectTimeout keeps running).
RT_COLD void WsSession::hold_for_token(const std::string& url, bool first) {
  TokenReason reason = refresh_reason();
  token_.waiting = true;
  token_.waiting_first = first;
  token_.url = url;
  if (!token_.in_flight) request_token(reason);
  if (!first && token_.waiting) host_.on_auth(AuthPhase::kWaiting, reason, NAN);
}

RT_COLD void WsSession::request_token(TokenReason reason) {
  token_.in_flight = true;
  token_.reason = reason;
  token_retry_.reset();
  host_.cancel_timer(WsTimer::kTokenRetry);
  host_.on_auth(AuthPhase::kRefreshing, reason, NAN);
  if (token_.in_flight) host_.request_token(++token_.seq);  // unless a listener stopped it
}

RT_COLD void WsSession::provide_token(std::uint32_t seq, std::string_view token) {
  if (!token_.in_flight || seq != token_.seq) return;
  token_.in_flight = false;
  JwtDecodeResult jwt = decode_jwt(token);
  if (jwt.error != Errc::kOk) {
    return token_error(Errc::kMalformedToken,
                       "token from tokenProvider: " + std::string(jwt.reason));
  }
  if (config_.credentials.subprotocol && !is_subprotocol_token(token)) {
    // e.g. base64 '=' padding: decodable, but not allowed in Sec-WebSocket-Protocol.
    return token_error(Errc::kMalformedToken,
                       "token from tokenProvider has characters a Sec-WebSocket-Protocol value "
                       "cannot carry (JWTs are unpadded base64url); use transport 'message'");
  }
  if (check_jwt_expiry(jwt.claims, host_.now_ms()) != Errc::kOk) {
    return token_error(Errc::kTokenExpired,
                       "tokenProvider returned a token that is already expired");
  }
  token_.held = true;
  token_.stale = false;
  token_.exp_ms = jwt.claims.exp_ms;
  host_.on_auth(AuthPhase::kRefreshed, token_.reason, token_.exp_ms.value_or(NAN));
  schedule_refresh();
  bool attempting = state_ == WsState::kConnecting || state_ == WsState::kReconnecting;
  if (token_.waiting && attempting) {
    token_.waiting = false;
    open_transport(token_.url);
  }
}

RT_COLD void WsSession::token_failed(std::uint32_t seq, std::string_view detail) {
  if (!token_.in_flight || seq != token_.seq) return;
  ++token_.seq;  // answered: the retry asks under this next seq
  if (std::optional<double> delay = token_retry_.next_delay()) {
    host_.set_timer(WsTimer::kTokenRetry, *delay);
    return;
  }
  token_.in_flight = false;
  token_error(Errc::kTokenRefreshFailed, "tokenProvider failed " +
                                             std::to_string(config_.credentials.max_retries + 1) +
                                             " time(s): " + std::string(detail));
}

RT_COLD void WsSession::token_error(Errc code, std::string detail) {
  emit_error(code, std::move(detail));
  if (!token_.waiting) return;  // a refresh before expiry: the connection keeps its token
  token_.waiting = false;
  if (!token_.waiting_first) return handle_lost(false);  // a failed attempt, as any other
  // The first attempt of connect(): a bad token or a failing provider is not retried.
  connector_.stop();
  settle_acks(Errc::kGaveUp, errc_name(code));
  set_state(WsState::kClosed);
}

RT_COLD void WsSession::schedule_refresh() {
  host_.cancel_timer(WsTimer::kTokenRefresh);
  token_.refresh_at.reset();
  if (!config_.credentials.enabled || !token_.held || token_.in_flight) return;
  if (state_ == WsState::kClosed || state_ == WsState::kClosing) return;
  double now = host_.now_ms();
  std::optional<double> delay = jwt_refresh_delay_ms({.exp_ms = token_.exp_ms}, now,
                                                     config_.credentials.refresh_threshold_ms);
  if (!delay) return;  // no exp: nothing to refresh
  token_.refresh_at = now + *delay;
  arm_refresh();
}

RT_COLD void WsSession::arm_refresh() {
  host_.set_timer(WsTimer::kTokenRefresh,
                  std::clamp(*token_.refresh_at - host_.now_ms(), 0.0, kMaxTimerMs));
}

RT_COLD void WsSession::stop_credentials() {
  host_.cancel_timer(WsTimer::kTokenRefresh);
  host_.cancel_timer(WsTimer::kTokenRetry);
  token_.refresh_at.reset();
  token_.in_flight = false;  // a late answer is ignored
  token_.waiting = false;
}

RT_COLD void WsSession::on_token_timer(WsTimer timer) {
  if (timer == WsTimer::kTokenRetry) {
    if (token_.in_flight) host_.request_token(token_.seq);
    return;
  }
  if (!token_.refresh_at) return;
  if (host_.now_ms() < *token_.refresh_at) return arm_refresh();  // a step of a far one
  token_.refresh_at.reset();
  if (!token_.in_flight) request_token(TokenReason::kExpiring);
}

}  // namespace realtime
