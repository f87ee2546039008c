// libFuzzer target for decode_jwt and base64url_decode (src/jwt.h).
//
// Each input is used three ways:
// 1. as a whole token: decode_jwt never crashes, returns kOk or kMalformedToken, a reason exactly
//    when it fails, and that reason is static text (never a view into the token);
// 2. as base64url text: whatever base64url_decode accepts re-encodes to the same text (strict,
//    canonical decoding: one spelling per byte string, padding aside);
// 3. as the JSON payload of an otherwise valid token: decode_jwt (the envelope's scanner since
//    the module decodes tokens itself) accepts it exactly when nlohmann/json, an independent
//    parser, sees an object (no NUL byte, no BOM) whose exp/iat/nbf, when present, are finite
//    numbers in milliseconds, and then returns those values.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "jwt.h"

namespace {

using realtime::Errc;
using realtime::JwtDecodeResult;

[[noreturn]] void fail(const char* what, int line) {
  std::fprintf(stderr, "jwt_fuzz:%d: check failed: %s\n", line, what);
  std::abort();
}

#define FUZZ_CHECK(cond)                \
  do {                                  \
    if (!(cond)) fail(#cond, __LINE__); \
  } while (false)

std::string b64url_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : bytes) {
    acc = (acc << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

void check_result_shape(const JwtDecodeResult& r, std::string_view token) {
  FUZZ_CHECK(r.error == Errc::kOk || r.error == Errc::kMalformedToken);
  FUZZ_CHECK((r.error == Errc::kOk) == r.reason.empty());
  FUZZ_CHECK(r.reason.size() < 64);
  // The reason is static text: it never points into the token.
  const char* begin = token.data();
  const char* end = token.data() + token.size();
  FUZZ_CHECK(r.reason.empty() || r.reason.data() + r.reason.size() <= begin ||
             r.reason.data() >= end);
  if (r.error != Errc::kOk) {
    FUZZ_CHECK(!r.claims.exp_ms && !r.claims.iat_ms && !r.claims.nbf_ms);
  }
  for (const auto& claim : {r.claims.exp_ms, r.claims.iat_ms, r.claims.nbf_ms}) {
    if (claim) FUZZ_CHECK(std::isfinite(*claim));
  }
}

// The claim as decode_jwt should see it: nullopt when absent; `ok` false when present but invalid.
struct ExpectedClaim {
  bool ok = true;
  std::optional<double> ms;
};

ExpectedClaim expected_claim(const nlohmann::json& payload, const char* name) {
  ExpectedClaim e;
  auto it = payload.find(name);
  if (it == payload.end()) return e;
  if (!it->is_number()) return {false, std::nullopt};
  const double ms = it->get<double>() * 1000.0;
  if (!std::isfinite(ms)) return {false, std::nullopt};
  e.ms = ms;
  return e;
}

// nlohmann/json's DOM parser, noting when it failed a number that overflows a double (error 406).
// RFC 8259 allows such numbers, and JSON.parse and our scanner accept them (a claim that
// overflows is then "out of range"); nlohmann stops there, so it says nothing about the rest.
struct OverflowAwareSax : nlohmann::detail::json_sax_dom_parser<nlohmann::json> {
  explicit OverflowAwareSax(nlohmann::json& root)
      : nlohmann::detail::json_sax_dom_parser<nlohmann::json>(root, /*allow_exceptions=*/false) {}
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) {
    if (ex.id == 406) overflow = true;
    return nlohmann::detail::json_sax_dom_parser<nlohmann::json>::parse_error(position, last_token,
                                                                              ex);
  }
  bool overflow = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // 1. The whole input as a token.
  const JwtDecodeResult whole = realtime::decode_jwt(input);
  check_result_shape(whole, input);
  if (whole.error == Errc::kOk) {
    FUZZ_CHECK(input.size() <= realtime::kMaxJwtBytes);
    std::size_t dots = 0;
    for (char c : input) dots += c == '.';
    FUZZ_CHECK(dots == 2);
  }

  // 2. Strict base64url: accepted text is the canonical encoding (plus optional padding).
  if (const std::optional<std::string> bytes = realtime::base64url_decode(input)) {
    std::string_view unpadded = input;
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.remove_suffix(1);
    FUZZ_CHECK(b64url_encode(*bytes) == unpadded);
    FUZZ_CHECK(input.size() - unpadded.size() <= 2);
    if (unpadded.size() != input.size()) FUZZ_CHECK(input.size() % 4 == 0);
  }

  // 3. The input as the payload of a token.
  static const std::string kHeader = b64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  const std::string token = kHeader + "." + b64url_encode(input) + ".c2ln";
  const JwtDecodeResult r = realtime::decode_jwt(token);
  check_result_shape(r, token);
  if (token.size() > realtime::kMaxJwtBytes) {
    FUZZ_CHECK(r.error == Errc::kMalformedToken);
    return 0;
  }
  nlohmann::json payload;
  OverflowAwareSax sax(payload);
  const bool parsed = nlohmann::json::sax_parse(input.begin(), input.end(), &sax);
  if (sax.overflow) return 0;  // see OverflowAwareSax: only the result's shape is checked
  // nlohmann/json skips a leading UTF-8 BOM; RFC 8259 JSON (and JSON.parse) does not.
  const bool bom = input.substr(0, 3) == "\xEF\xBB\xBF";
  bool expect_ok =
      input.find('\0') == std::string_view::npos && !bom && parsed && payload.is_object();
  ExpectedClaim exp, iat, nbf;
  if (expect_ok) {
    exp = expected_claim(payload, "exp");
    iat = expected_claim(payload, "iat");
    nbf = expected_claim(payload, "nbf");
    expect_ok = exp.ok && iat.ok && nbf.ok;
  }
  FUZZ_CHECK((r.error == Errc::kOk) == expect_ok);
  if (expect_ok) {
    FUZZ_CHECK(r.claims.exp_ms == exp.ms);
    FUZZ_CHECK(r.claims.iat_ms == iat.ms);
    FUZZ_CHECK(r.claims.nbf_ms == nbf.ms);
  }
  return 0;
}
