#include "jwt.h"

#include <array>
#include <cmath>
#include <cstdint>

#include "envelope.h"

namespace realtime {
namespace {

constexpr std::int8_t kInvalid = -1;

constexpr std::array<std::int8_t, 256> make_base64url_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}

constexpr std::array<std::int8_t, 256> kBase64UrlTable = make_base64url_table();

JwtDecodeResult malformed(std::string_view reason) {
  JwtDecodeResult result;
  result.error = Errc::kMalformedToken;
  result.reason = reason;
  return result;
}

// Reasons for one JSON segment, so that the header and the payload say which one failed.
struct SegmentReasons {
  std::string_view not_base64url;
  std::string_view not_json;
  std::string_view not_object;
};

constexpr SegmentReasons kHeaderReasons{"JWT header is not base64url", "JWT header is not JSON",
                                        "JWT header is not a JSON object"};
constexpr SegmentReasons kPayloadReasons{"JWT payload is not base64url", "JWT payload is not JSON",
                                         "JWT payload is not a JSON object"};

// Decodes one segment into a JSON object (the envelope's own validating scanner: strict RFC 8259,
// strict UTF-8, no DOM; a NUL byte is never valid JSON); returns an empty reason on success.
// `bytes` keeps the decoded text that the fields view into.
std::string_view decode_object_segment(std::string_view segment, const SegmentReasons& reasons,
                                       std::string& bytes, JsonFields& out) {
  std::optional<std::string> decoded = base64url_decode(segment);
  if (!decoded) return reasons.not_base64url;
  bytes = std::move(*decoded);
  // Nesting is bounded by the length (at most kMaxJwtBytes): no depth limit of its own.
  out = json_object_fields(bytes, static_cast<std::uint32_t>(kMaxJwtBytes));
  if (out.result.error == Errc::kNotObject) return reasons.not_object;
  if (out.result.error != Errc::kOk) return reasons.not_json;
  return {};
}

struct ClaimSpec {
  const char* name;
  std::optional<double> JwtClaims::*field;
  std::string_view not_number;
  std::string_view out_of_range;
};

constexpr ClaimSpec kTimeClaims[] = {
    {"exp", &JwtClaims::exp_ms, "JWT exp is not a number", "JWT exp is out of range"},
    {"iat", &JwtClaims::iat_ms, "JWT iat is not a number", "JWT iat is out of range"},
    {"nbf", &JwtClaims::nbf_ms, "JWT nbf is not a number", "JWT nbf is out of range"},
};

}  // namespace

std::optional<std::string> base64url_decode(std::string_view in) {
  // Padding: optional, but when present it must complete the last quantum.
  std::size_t pad = 0;
  if (!in.empty() && in.back() == '=') {
    pad = (in.size() >= 2 && in[in.size() - 2] == '=') ? 2 : 1;
    if (in.size() % 4 != 0) return std::nullopt;
    in.remove_suffix(pad);
  }
  const std::size_t rem = in.size() % 4;
  if (rem == 1) return std::nullopt;  // 6 bits cannot make a byte
  // With padding, rem is now 4 - pad; any further '=' fails the alphabet check below.

  std::string out;
  out.reserve(in.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const std::int8_t v = kBase64UrlTable[static_cast<unsigned char>(c)];
    if (v == kInvalid) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // Canonical encoding: the bits left over after the last full byte must be zero.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

JwtDecodeResult decode_jwt(std::string_view token) {
  if (token.empty()) return malformed("JWT is empty");
  if (token.size() > kMaxJwtBytes) return malformed("JWT is too long");

  const std::size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return malformed("JWT does not have three segments");
  const std::size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return malformed("JWT does not have three segments");
  if (token.find('.', dot2 + 1) != std::string_view::npos) {
    return malformed("JWT has more than three segments");
  }
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = token.substr(dot2 + 1);

  std::string header_bytes, payload_bytes;
  JsonFields header, payload;
  if (std::string_view reason =
          decode_object_segment(header_b64, kHeaderReasons, header_bytes, header);
      !reason.empty()) {
    return malformed(reason);
  }
  if (std::string_view reason =
          decode_object_segment(payload_b64, kPayloadReasons, payload_bytes, payload);
      !reason.empty()) {
    return malformed(reason);
  }
  // Not verified here, but it must still be well-formed (empty is allowed: unsecured JWS).
  if (!base64url_decode(signature_b64)) return malformed("JWT signature is not base64url");

  JwtDecodeResult result;
  for (const ClaimSpec& spec : kTimeClaims) {
    std::string_view raw = payload.get(spec.name);  // the last one of a duplicated claim
    if (raw.empty()) continue;
    std::optional<double> seconds = payload.number(spec.name);
    if (!seconds) return malformed(spec.not_number);
    const double ms = *seconds * 1000.0;
    if (!std::isfinite(ms)) return malformed(spec.out_of_range);
    result.claims.*spec.field = ms;
  }
  return result;
}

Errc check_jwt_expiry(const JwtClaims& claims, double now_ms) {
  if (claims.exp_ms && *claims.exp_ms <= now_ms) return Errc::kTokenExpired;
  return Errc::kOk;
}

std::optional<double> jwt_refresh_delay_ms(const JwtClaims& claims, double now_ms,
                                           double refresh_threshold_ms) {
  if (!claims.exp_ms) return std::nullopt;
  const double left = *claims.exp_ms - now_ms;
  // A token living shorter than the threshold: at half its remaining life, not at once (that
  // would call the provider in a loop).
  if (left > refresh_threshold_ms) return left - refresh_threshold_ms;
  return left > 0 ? left / 2 : 0.0;
}

}  // namespace realtime
