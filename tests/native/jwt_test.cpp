#include "jwt.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "test_jwt.h"

namespace realtime {
namespace {

using testing::b64url;

constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";
const std::string kSig = b64url("not-a-real-signature");

std::string make_token(std::string_view payload, std::string_view header = kHeader) {
  return b64url(header) + "." + b64url(payload) + "." + kSig;
}

void expect_malformed(std::string_view token, std::string_view reason_part = {}) {
  const JwtDecodeResult r = decode_jwt(token);
  EXPECT_EQ(r.error, Errc::kMalformedToken) << "token: " << token.substr(0, 80);
  EXPECT_FALSE(r.reason.empty());
  if (!reason_part.empty()) {
    EXPECT_NE(r.reason.find(reason_part), std::string_view::npos) << r.reason;
  }
  EXPECT_FALSE(r.claims.exp_ms || r.claims.iat_ms || r.claims.nbf_ms);
}

// ---- base64url_decode ----

TEST(Base64Url, DecodesRfc4648Vectors) {
  EXPECT_EQ(base64url_decode(""), "");
  EXPECT_EQ(base64url_decode("Zg"), "f");
  EXPECT_EQ(base64url_decode("Zm8"), "fo");
  EXPECT_EQ(base64url_decode("Zm9v"), "foo");
  EXPECT_EQ(base64url_decode("Zm9vYg"), "foob");
  EXPECT_EQ(base64url_decode("Zm9vYmE"), "fooba");
  EXPECT_EQ(base64url_decode("Zm9vYmFy"), "foobar");
}

TEST(Base64Url, AcceptsCompletePadding) {
  EXPECT_EQ(base64url_decode("Zg=="), "f");
  EXPECT_EQ(base64url_decode("Zm8="), "fo");
  EXPECT_EQ(base64url_decode("Zm9vYg=="), "foob");
}

TEST(Base64Url, RejectsBadPadding) {
  EXPECT_EQ(base64url_decode("Zg="), std::nullopt);    // incomplete
  EXPECT_EQ(base64url_decode("Zm8=="), std::nullopt);  // too long
  EXPECT_EQ(base64url_decode("Zg==="), std::nullopt);
  EXPECT_EQ(base64url_decode("Z==="), std::nullopt);
  EXPECT_EQ(base64url_decode("===="), std::nullopt);
  EXPECT_EQ(base64url_decode("="), std::nullopt);
  EXPECT_EQ(base64url_decode("Zm9v===="), std::nullopt);
  EXPECT_EQ(base64url_decode("Zg==Zg=="), std::nullopt);  // padding in the middle
  EXPECT_EQ(base64url_decode("Z=9v"), std::nullopt);
}

TEST(Base64Url, RejectsImpossibleLength) {
  EXPECT_EQ(base64url_decode("Z"), std::nullopt);
  EXPECT_EQ(base64url_decode("Zm9vY"), std::nullopt);
}

TEST(Base64Url, UsesTheUrlAlphabetOnly) {
  // 0xfb 0xff is "-_8" in base64url and "+/8" in standard base64.
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
  EXPECT_EQ(base64url_decode("+/8"), std::nullopt);
  EXPECT_EQ(base64url_decode("-/8"), std::nullopt);
  EXPECT_EQ(base64url_decode("+_8"), std::nullopt);
}

TEST(Base64Url, RejectsBadCharacters) {
  for (std::string_view bad :
       {"Zm9 v", " Zm9v", "Zm9v\n", "Zm9v\r\n", "Zm.v", "Zm9*", "Zm9\xc3\xa9", "Zm9\t", "Zm9%"}) {
    EXPECT_EQ(base64url_decode(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(base64url_decode(std::string_view("Zm\0v", 4)), std::nullopt);
}

TEST(Base64Url, RejectsNonZeroTrailingBits) {
  EXPECT_EQ(base64url_decode("Zh"), std::nullopt);   // "Zg" with a stray low bit
  EXPECT_EQ(base64url_decode("Zm9"), std::nullopt);  // "Zm8" with a stray low bit
  EXPECT_EQ(base64url_decode("Zh=="), std::nullopt);
}

TEST(Base64Url, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= all.size(); len += 7) {
    const std::string_view bytes(all.data(), len);
    EXPECT_EQ(base64url_decode(b64url(bytes)), std::string(bytes)) << len;
  }
}

// ---- decode_jwt ----

TEST(Jwt, DecodesAValidToken) {
  const JwtDecodeResult r =
      decode_jwt(make_token(R"({"sub":"u1","iat":1700000000,"nbf":1700000000,"exp":1700003600})"));
  ASSERT_EQ(r.error, Errc::kOk) << r.reason;
  EXPECT_TRUE(r.reason.empty());
  ASSERT_TRUE(r.claims.exp_ms);
  EXPECT_DOUBLE_EQ(*r.claims.exp_ms, 1700003600000.0);
  ASSERT_TRUE(r.claims.iat_ms);
  EXPECT_DOUBLE_EQ(*r.claims.iat_ms, 1700000000000.0);
  ASSERT_TRUE(r.claims.nbf_ms);
  EXPECT_DOUBLE_EQ(*r.claims.nbf_ms, 1700000000000.0);
}

TEST(Jwt, DecodesTheJwtIoExample) {
  const JwtDecodeResult r = decode_jwt(
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
      "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
      "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");
  ASSERT_EQ(r.error, Errc::kOk) << r.reason;
  EXPECT_FALSE(r.claims.exp_ms);
  ASSERT_TRUE(r.claims.iat_ms);
  EXPECT_DOUBLE_EQ(*r.claims.iat_ms, 1516239022000.0);
}

TEST(Jwt, FractionalNumericDateKeepsMilliseconds) {
  const JwtDecodeResult r = decode_jwt(make_token(R"({"exp":1700000000.25})"));
  ASSERT_EQ(r.error, Errc::kOk);
  EXPECT_DOUBLE_EQ(*r.claims.exp_ms, 1700000000250.0);
}

TEST(Jwt, MissingExpIsFine) {
  const JwtDecodeResult r = decode_jwt(make_token(R"({"sub":"u1"})"));
  ASSERT_EQ(r.error, Errc::kOk) << r.reason;
  EXPECT_FALSE(r.claims.exp_ms);
  EXPECT_FALSE(r.claims.iat_ms);
  EXPECT_FALSE(r.claims.nbf_ms);
}

TEST(Jwt, EmptyPayloadObjectIsFine) { EXPECT_EQ(decode_jwt(make_token("{}")).error, Errc::kOk); }

TEST(Jwt, ExpAsStringIsAnError) { expect_malformed(make_token(R"({"exp":"1700003600"})"), "exp"); }

TEST(Jwt, NonNumericTimeClaimsAreErrors) {
  expect_malformed(make_token(R"({"exp":null})"), "exp");
  expect_malformed(make_token(R"({"exp":true})"), "exp");
  expect_malformed(make_token(R"({"exp":[1]})"), "exp");
  expect_malformed(make_token(R"({"exp":1,"iat":"x"})"), "iat");
  expect_malformed(make_token(R"({"nbf":{}})"), "nbf");
}

TEST(Jwt, HugeExpIsOutOfRange) { expect_malformed(make_token(R"({"exp":1e306})"), "exp"); }

TEST(Jwt, DuplicateClaimLastOneCounts) {
  const JwtDecodeResult r = decode_jwt(make_token(R"({"exp":1,"exp":2})"));
  ASSERT_EQ(r.error, Errc::kOk);
  EXPECT_DOUBLE_EQ(*r.claims.exp_ms, 2000.0);
}

TEST(Jwt, TwoSegmentsIsAnError) {
  expect_malformed(b64url(kHeader) + "." + b64url(R"({"exp":1})"), "three segments");
  expect_malformed(b64url(kHeader) + "." + b64url(R"({"exp":1})") + ".." + kSig);
}

TEST(Jwt, FourSegmentsIsAnError) {
  expect_malformed(make_token(R"({"exp":1})") + "." + kSig, "more than three");
  expect_malformed(make_token(R"({"exp":1})") + ".", "more than three");
}

TEST(Jwt, NoDotsOrOnlyDots) {
  expect_malformed("abc");
  expect_malformed("..");
  expect_malformed("...");
}

TEST(Jwt, BadBase64UrlCharacters) {
  const std::string payload = b64url(R"({"exp":1})");
  expect_malformed(b64url(kHeader) + "." + payload + "!" + "." + kSig, "payload");
  expect_malformed(b64url(kHeader) + " ." + payload + "." + kSig, "header");
  expect_malformed(b64url(kHeader) + "." + payload + "." + kSig + "*", "signature");
  expect_malformed(" " + make_token(R"({"exp":1})"));
  expect_malformed("Bearer " + make_token(R"({"exp":1})"));
}

TEST(Jwt, StandardBase64IsRejected) {
  // {"exp":1700000000,"x":"??>"} encodes with '+' and '/' in standard base64 and '-' '_' in url.
  const std::string payload = R"({"exp":1700000000,"x":"??>"})";
  const std::string url = b64url(payload);
  ASSERT_NE(url.find_first_of("-_"), std::string::npos) << url;
  ASSERT_EQ(decode_jwt(b64url(kHeader) + "." + url + "." + kSig).error, Errc::kOk);
  std::string standard = url;
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  expect_malformed(b64url(kHeader) + "." + standard + "." + kSig, "payload is not base64url");
  expect_malformed(b64url(kHeader) + "." + url + ".ab+/", "signature");
}

TEST(Jwt, PaddedSegmentsAreAccepted) {
  // 10 bytes -> 14 chars unpadded, 16 padded ("==").
  const std::string payload = R"({"exp":10})";
  std::string padded = b64url(payload);
  while (padded.size() % 4 != 0) padded += '=';
  ASSERT_EQ(padded.substr(padded.size() - 2), "==");
  const JwtDecodeResult r = decode_jwt(b64url(kHeader) + "." + padded + "." + kSig);
  ASSERT_EQ(r.error, Errc::kOk) << r.reason;
  EXPECT_DOUBLE_EQ(*r.claims.exp_ms, 10000.0);
  expect_malformed(b64url(kHeader) + "." + padded + "=" + "." + kSig, "payload");
}

TEST(Jwt, EmptySignatureIsAllowed) {
  EXPECT_EQ(decode_jwt(b64url(kHeader) + "." + b64url(R"({"exp":1})") + ".").error, Errc::kOk);
}

TEST(Jwt, EmptyHeaderOrPayloadIsAnError) {
  expect_malformed("." + b64url(R"({"exp":1})") + "." + kSig, "header");
  expect_malformed(b64url(kHeader) + ".." + kSig, "payload");
}

TEST(Jwt, NonJsonPayloadIsAnError) {
  expect_malformed(make_token("not json"), "payload is not JSON");
  expect_malformed(make_token(R"({"exp":1)"), "payload is not JSON");
  expect_malformed(make_token(R"({"exp":1} trailing)"), "payload is not JSON");
  expect_malformed(make_token("{\"sub\":\"\xff\"}"), "payload is not JSON");  // invalid UTF-8
  expect_malformed(make_token(R"({"exp":1})", "nope"), "header is not JSON");
  // nlohmann/json treats a NUL byte as the end of input; the decoder must not.
  expect_malformed(make_token(std::string_view("{\"exp\":1}\0{", 11)), "payload is not JSON");
  expect_malformed(make_token(R"({"exp":1})", std::string_view("{}\0", 3)), "header is not JSON");
}

TEST(Jwt, JsonArrayPayloadIsAnError) {
  expect_malformed(make_token(R"([{"exp":1}])"), "payload is not a JSON object");
  expect_malformed(make_token("1700000000"), "payload is not a JSON object");
  expect_malformed(make_token(R"("exp")"), "payload is not a JSON object");
  expect_malformed(make_token(R"({"exp":1})", "[]"), "header is not a JSON object");
}

TEST(Jwt, HugeTokenIsRejectedBeforeDecoding) {
  std::string filler(kMaxJwtBytes, 'A');
  const std::string token = make_token(R"({"exp":1,"pad":")" + filler + R"("})");
  ASSERT_GT(token.size(), kMaxJwtBytes);
  expect_malformed(token, "too long");
  expect_malformed(std::string(10 * 1024 * 1024, '.'), "too long");
}

TEST(Jwt, TokenJustUnderTheLimitIsAccepted) {
  const std::string base = make_token(R"({"exp":1,"pad":""})");
  // Each 3 payload bytes add 4 token bytes; stay under the limit.
  const std::size_t room = (kMaxJwtBytes - base.size()) / 4 * 3;
  const std::string token = make_token(R"({"exp":1,"pad":")" + std::string(room, 'x') + R"("})");
  ASSERT_LE(token.size(), kMaxJwtBytes);
  EXPECT_EQ(decode_jwt(token).error, Errc::kOk);
}

TEST(Jwt, DeeplyNestedPayloadDoesNotCrash) {
  // About as deep as a token under the size limit can nest.
  const std::size_t depth = 6000;
  const std::string token =
      make_token(R"({"exp":1,"x":)" + std::string(depth, '[') + std::string(depth, ']') + "}");
  ASSERT_LE(token.size(), kMaxJwtBytes);
  const JwtDecodeResult r = decode_jwt(token);
  EXPECT_EQ(r.error, Errc::kOk) << r.reason;
  EXPECT_DOUBLE_EQ(*r.claims.exp_ms, 1000.0);
}

TEST(Jwt, EmptyStringIsAnError) { expect_malformed("", "empty"); }

TEST(Jwt, ReasonNeverContainsTheToken) {
  const std::string secret_payload = R"({"exp":"SECRETVALUE"})";
  for (const std::string& token :
       {make_token(secret_payload), std::string("SECRETVALUE"), std::string("SECRETVALUE.a.b.c"),
        make_token(R"({"exp":1})") + "SECRETVALUE!"}) {
    const JwtDecodeResult r = decode_jwt(token);
    EXPECT_EQ(r.error, Errc::kMalformedToken);
    EXPECT_EQ(r.reason.find("SECRET"), std::string_view::npos) << r.reason;
    EXPECT_EQ(r.reason.find("U0VDUkVU"), std::string_view::npos) << r.reason;
    EXPECT_LT(r.reason.size(), 64u);
  }
}

// ---- expiry helpers ----

TEST(Jwt, ExpiryCheck) {
  JwtClaims claims;
  EXPECT_EQ(check_jwt_expiry(claims, 1e12), Errc::kOk);  // no exp never expires
  claims.exp_ms = 1000.0;
  EXPECT_EQ(check_jwt_expiry(claims, 999.0), Errc::kOk);
  EXPECT_EQ(check_jwt_expiry(claims, 1000.0), Errc::kTokenExpired);
  EXPECT_EQ(check_jwt_expiry(claims, 1001.0), Errc::kTokenExpired);
}

TEST(Jwt, RefreshDelay) {
  JwtClaims claims;
  EXPECT_EQ(jwt_refresh_delay_ms(claims, 0, 60000), std::nullopt);
  claims.exp_ms = 1'700'003'600'000.0;
  EXPECT_DOUBLE_EQ(*jwt_refresh_delay_ms(claims, 1'700'000'000'000.0, 60'000.0), 3'540'000.0);
  // Living shorter than the threshold (10 s left, 60 s threshold): at half the remaining life,
  // never at once (that would call the provider in a loop); expired: now.
  EXPECT_DOUBLE_EQ(*jwt_refresh_delay_ms(claims, 1'700'003'590'000.0, 60'000.0), 5'000.0);
  EXPECT_DOUBLE_EQ(*jwt_refresh_delay_ms(claims, 1'700'003'540'000.0, 60'000.0), 30'000.0);
  EXPECT_DOUBLE_EQ(*jwt_refresh_delay_ms(claims, 1'700'003'600'000.0, 60'000.0), 0.0);
  EXPECT_DOUBLE_EQ(*jwt_refresh_delay_ms(claims, 1'800'000'000'000.0, 60'000.0), 0.0);
}

}  // namespace
}  // namespace realtime
