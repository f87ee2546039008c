// Client-side JWT decoding: structure and time claims only, no signature check (the client never
// holds the key; the server verifies). The WebSocket session's credentials step (ws_session.h)
// decodes every token the host provides and schedules its refresh from `exp`. JSON is read by
// the envelope's validating scanner (envelope.h), so the module carries no JSON DOM for it.
//
// A token is accepted when it is at most kMaxJwtBytes long, has exactly three dot-separated
// segments, each segment is strict base64url (RFC 4648 §5, padding optional), the header and the
// payload decode to JSON objects, and `exp`, `iat`, `nbf`, when present, are JSON numbers
// (NumericDate, seconds; converted to milliseconds here). With a duplicated claim the last one
// counts (RFC 7519 §4). Errors are values: Errc::kMalformedToken with a short static `reason`
// that never contains any part of the token.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "errc.h"

namespace realtime {

// Longest token decode_jwt looks at; anything longer is kMalformedToken before any decoding.
inline constexpr std::size_t kMaxJwtBytes = 16 * 1024;

struct JwtClaims {
  std::optional<double> exp_ms;  // expiry, ms since the Unix epoch
  std::optional<double> iat_ms;  // issued at
  std::optional<double> nbf_ms;  // not before
};

struct JwtDecodeResult {
  Errc error = Errc::kOk;
  std::string_view reason;  // static text, empty on success
  JwtClaims claims;
};

// Decodes `token` (compact JWS serialization). No signature check; errors are kMalformedToken.
JwtDecodeResult decode_jwt(std::string_view token);

// Strict base64url: alphabet A-Z a-z 0-9 '-' '_' only ('+', '/', whitespace are rejected), padding
// optional but, when present, complete ('=' or '==' making the length a multiple of 4), unused
// trailing bits zero (canonical encoding), and never a length of 4n+1. nullopt when invalid.
std::optional<std::string> base64url_decode(std::string_view in);

// kTokenExpired when the claims have an `exp` at or before `now_ms`, else kOk (no exp: never
// expires).
Errc check_jwt_expiry(const JwtClaims& claims, double now_ms);

// Milliseconds from `now_ms` until a refresh is due: `refresh_threshold_ms` before `exp`; for a
// token that lives shorter than that, at half its remaining life (never at once: a provider that
// hands out short tokens would be called in a loop); 0 when already expired. nullopt when the
// token has no `exp` (nothing to schedule). The one refresh rule (WsSession's credentials step).
std::optional<double> jwt_refresh_delay_ms(const JwtClaims& claims, double now_ms,
                                           double refresh_threshold_ms);

}  // namespace realtime
