#include "envelope.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace realtime {
namespace {

std::uint32_t counter_random() {
  static std::uint32_t n = 0;
  return n += 0x9E3779B9u;
}

Errc decode(std::string_view text, Envelope& env, DecodeLimits limits = {}) {
  return decode_envelope(text, limits, env).error;
}

TEST(Envelope, DecodesTypePayloadIdTimestamp) {
  Envelope env;
  std::string text =
      R"( {"type":"chat","payload":{"text":"hi","n":[1,2.5e3,-0.1]},"id":"abc","timestamp":1700000000123} )";
  ASSERT_EQ(decode(text, env), Errc::kOk);
  EXPECT_EQ(env.type, "chat");
  EXPECT_EQ(env.payload, R"({"text":"hi","n":[1,2.5e3,-0.1]})");
  EXPECT_EQ(env.id, "\"abc\"");
  ASSERT_TRUE(env.timestamp().has_value());
  EXPECT_DOUBLE_EQ(*env.timestamp(), 1700000000123.0);
}

// The timestamp takes a fast exact path for short mantissas; every value must still equal
// strtod's correctly rounded result, bit for bit.
TEST(Envelope, TimestampParsesExactlyAsStrtod) {
  // Packed by hand: clang-format would put one value per line.
  // clang-format off
  std::vector<std::string> numbers = {
      "0", "-0", "0.0", "-0.0", "1", "-1", "1700000000123", "1732700000000.5", "0.1", "0.3",
      "123.456", "9007199254740992", "9007199254740993", "18446744073709551615",
      "18446744073709551616", "12345678901234567890123", "1e22", "1e23", "1e-22", "1e-23",
      "1.7976931348623157e308", "2.2250738585072014e-308", "4.9e-324", "1e400", "-1e400",
      "0.000001", "1E5", "1e+5", "1e-5", "3.14159265358979323846", "5e-1",
      "0.0000000000000000000000001", "123456789012345678e-5", "1.5e300", "-2.5E-3"};
  // clang-format on
  std::uint64_t state = 0x243F6A8885A308D3ull;
  auto next = [&] { return state = state * 6364136223846793005ull + 1442695040888963407ull; };
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t m = next() >> (11 + next() % 50);
    int frac = static_cast<int>(next() % 12);
    int exp = static_cast<int>(next() % 61) - 30;
    std::string digits = std::to_string(m);
    std::string n = (next() & 1) ? "-" : "";
    if (frac > 0 && frac < static_cast<int>(digits.size())) {
      n += digits.substr(0, digits.size() - frac) + "." + digits.substr(digits.size() - frac);
    } else {
      n += digits;
    }
    if (next() % 3 == 0) n += "e" + std::to_string(exp);
    numbers.push_back(n);
  }
  for (const std::string& n : numbers) {
    Envelope env;
    std::string text = R"({"type":"t","timestamp":)" + n + "}";
    ASSERT_EQ(decode(text, env), Errc::kOk) << n;
    double expected = std::strtod(n.c_str(), nullptr);
    if (!std::isfinite(expected)) {  // JSON has no infinity: an overflowing timestamp is absent
      EXPECT_FALSE(env.timestamp().has_value()) << n;
      continue;
    }
    ASSERT_TRUE(env.timestamp().has_value()) << n;
    const double got = *env.timestamp();
    EXPECT_EQ(std::memcmp(&got, &expected, sizeof expected), 0)
        << n << ": " << got << " != " << expected;
  }
  Envelope env;
  ASSERT_EQ(decode(R"({"type":"t","timestamp":"1700000000123"})", env), Errc::kOk);
  EXPECT_FALSE(env.timestamp().has_value());
}

TEST(Envelope, PayloadMayBeAnyValueOrAbsent) {
  Envelope env;
  ASSERT_EQ(decode(R"({"type":"a","payload":"str\"ing"})", env), Errc::kOk);
  EXPECT_EQ(env.payload, R"("str\"ing")");
  ASSERT_EQ(decode(R"({"payload":null,"type":"a"})", env), Errc::kOk);
  EXPECT_EQ(env.payload, "null");
  ASSERT_EQ(decode(R"({"type":"a"})", env), Errc::kOk);
  EXPECT_TRUE(env.payload.empty());
  EXPECT_FALSE(env.timestamp().has_value());
}

TEST(Envelope, EscapedTypeIsUnescaped) {
  Envelope env;
  ASSERT_EQ(decode(R"({"type":"a\u00e9\n"})", env), Errc::kOk);
  EXPECT_EQ(env.type, "a\xC3\xA9\n");
}

TEST(Envelope, RejectsWithReasons) {
  Envelope env;
  EXPECT_EQ(decode("not json", env), Errc::kNotJson);
  EXPECT_EQ(decode("", env), Errc::kNotJson);
  EXPECT_EQ(decode(R"({"type":"a",})", env), Errc::kNotJson);
  EXPECT_EQ(decode(R"({"type":"a"} x)", env), Errc::kNotJson);
  EXPECT_EQ(decode(R"({"type":"a","p":01})", env), Errc::kNotJson);
  EXPECT_EQ(decode(R"({"type":"a","p":"\x"})", env), Errc::kNotJson);
  EXPECT_EQ(decode(R"({"type":"a","p":"\ud800"})", env), Errc::kNotJson);
  EXPECT_EQ(decode("{\"type\":\"a\",\"p\":\"\x01\"}", env), Errc::kNotJson);
  EXPECT_EQ(decode(R"([{"type":"a"}])", env), Errc::kNotObject);
  EXPECT_EQ(decode(R"("type")", env), Errc::kNotObject);
  EXPECT_EQ(decode("42", env), Errc::kNotObject);
  EXPECT_EQ(decode(R"({"payload":1})", env), Errc::kTypeMissing);
  EXPECT_EQ(decode(R"({"type":7})", env), Errc::kTypeNotString);
  EXPECT_EQ(decode(R"({"type":null})", env), Errc::kTypeNotString);
  EXPECT_EQ(decode(R"({"type":["a"]})", env), Errc::kTypeNotString);
  EXPECT_EQ(decode("{\"type\":\"a\xff\"}", env), Errc::kInvalidUtf8);
  EXPECT_EQ(decode("{\"type\":\"\xed\xa0\x80\"}", env), Errc::kInvalidUtf8);  // surrogate
  EXPECT_EQ(decode("{\"type\":\"\xc0\xaf\"}", env), Errc::kInvalidUtf8);      // overlong
}

TEST(Envelope, SizeLimit) {
  Envelope env;
  std::string big = R"({"type":"a","payload":")" + std::string(2 << 20, 'x') + "\"}";
  EXPECT_EQ(decode(big, env), Errc::kTooLarge);
  DecodeLimits roomy;
  roomy.max_message_bytes = 4 << 20;
  EXPECT_EQ(decode(big, env, roomy), Errc::kOk);
}

TEST(Envelope, DeepNestingIsAnErrorNotACrash) {
  Envelope env;
  const int depth = 100000;
  std::string deep =
      R"({"type":"a","payload":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  DecodeLimits limits;
  limits.max_message_bytes = 1 << 22;
  EXPECT_EQ(decode(deep, env, limits), Errc::kTooDeep);
  std::string ok =
      R"({"type":"a","payload":)" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_EQ(decode(ok, env), Errc::kOk);
}

// Nesting deeper than the default limit, when the limit allows it: objects and arrays mixed, so
// that each level's kind is remembered past the scanner's inline stack (128 levels).
TEST(Envelope, DeepMixedNestingWithinARaisedLimit) {
  Envelope env;
  const int depth = 1000;
  std::string open, close;
  for (int i = 0; i < depth; ++i) {
    bool object = i % 3 == 0;
    open += object ? R"({"k":)" : "[";
    close.insert(0, object ? "}" : ",1]");
  }
  std::string text = R"({"type":"a","payload":)" + open + "0" + close + "}";
  DecodeLimits limits;
  limits.max_depth = depth + 1;
  ASSERT_EQ(decode(text, env, limits), Errc::kOk);
  EXPECT_EQ(env.payload, open + "0" + close);
  limits.max_depth = depth;
  EXPECT_EQ(decode(text, env, limits), Errc::kTooDeep);
  // A wrong closer deep inside is found.
  std::string bad = text;
  bad[bad.size() - 1 - close.size() / 2] = ']';
  EXPECT_NE(decode(bad, env, DecodeLimits{.max_message_bytes = 1 << 20, .max_depth = 2000}),
            Errc::kOk);
}

TEST(Envelope, AgreesWithNlohmannOnValidity) {
  const char* cases[] = {
      R"({"type":"x","payload":{"a":{"b":[true,false,null,1e-5,"\u20ac"]}}})",
      R"({"type":"x","payload":[1,2,]})",
      R"({"type":"x","payload":-})",
      R"({"type":"x","payload":1.})",
      R"({"type":"x","payload":.5})",
      R"({"type":"x","payload":tru})",
      R"({"type":"x" "payload":1})",
      R"({"type":"x","payload":"\uD83D\uDE00"})",
      R"({"type":"x","payload":{"a" 1}})",
      R"({ "type" : "x" , "payload" : [ ] , "id" : { } })",
  };
  for (const char* c : cases) {
    Envelope env;
    bool ours = decode(c, env) == Errc::kOk;
    bool theirs = !nlohmann::json::parse(c, nullptr, false).is_discarded();
    EXPECT_EQ(ours, theirs) << c;
  }
}

TEST(Envelope, EncodeGeneratesIdAndTimestamp) {
  std::string text = encode_envelope({.type = "chat", .payload_json = R"({"t":"hi"})"},
                                     1700000000123.0, counter_random);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["type"], "chat");
  EXPECT_EQ(j["payload"]["t"], "hi");
  EXPECT_EQ(j["timestamp"], 1700000000123LL);
  std::string id = j["id"];
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '4');
  EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
  Envelope env;
  ASSERT_EQ(decode(text, env), Errc::kOk);
  EXPECT_EQ(env.type, "chat");
}

TEST(Envelope, EncodeKeepsGivenIdAndTimestampAndEscapes) {
  std::string text = encode_envelope(
      {.type = "q\"uote", .payload_json = "", .id = "my-id", .timestamp = 5.5}, 0, counter_random);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["type"], "q\"uote");
  EXPECT_TRUE(j["payload"].is_null());
  EXPECT_EQ(j["id"], "my-id");
  EXPECT_DOUBLE_EQ(j["timestamp"].get<double>(), 5.5);
}

TEST(Envelope, LongNumericTimestampIsKept) {
  Envelope env;
  std::string ts = "1" + std::string(70, '0') + ".5";
  ASSERT_EQ(decode(R"({"type":"a","timestamp":)" + ts + "}", env), Errc::kOk);
  ASSERT_TRUE(env.timestamp().has_value());
  EXPECT_DOUBLE_EQ(*env.timestamp(), 1e70);
}

TEST(Envelope, EscapedKeysAreTheKeysTheySpell) {
  Envelope env;
  ASSERT_EQ(decode(R"({"\u0074ype":"a","p\u0061yload":[1]})", env), Errc::kOk);
  EXPECT_EQ(env.type, "a");
  EXPECT_EQ(env.payload, "[1]");
  // The last "type" wins, as in JSON.parse: here it is a number.
  EXPECT_EQ(decode(R"({"type":"a","\u0074ype":1})", env), Errc::kTypeNotString);
}

TEST(Envelope, EncodeHugeOrNonFiniteTimestampsWithoutUndefinedBehaviour) {
  for (double ts : {1e300, -1e25, 9007199254740993.0}) {
    std::string text = encode_envelope({.type = "t", .timestamp = ts}, 5, counter_random);
    auto j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << text;
    EXPECT_DOUBLE_EQ(j["timestamp"].get<double>(), ts);
  }
  for (double ts : {std::numeric_limits<double>::infinity(), std::nan("")}) {
    std::string text = encode_envelope({.type = "t", .timestamp = ts}, 5, counter_random);
    EXPECT_EQ(nlohmann::json::parse(text)["timestamp"], 5) << text;
  }
}

TEST(Envelope, UuidsDiffer) { EXPECT_NE(uuid_v4(counter_random), uuid_v4(counter_random)); }

}  // namespace
}  // namespace realtime

namespace realtime {
namespace {

// JSON.parse sees "t\u0079pe" as "type": so must the router, or the C++ side (which picks the
// subscribers) and the JS side (which parses the frame for 'message' listeners and codecs) would
// disagree about the type and the payload of the same frame.
TEST(Envelope, EscapedKeysAreTheFieldsTheySpell) {
  Envelope env;
  EXPECT_EQ(decode(R"({"t\u0079pe":5})", env), Errc::kTypeNotString);
  ASSERT_EQ(decode(R"({"type":"a","t\u0079pe":"b"})", env), Errc::kOk);
  EXPECT_EQ(env.type, "b");  // the last one, as JSON.parse
  ASSERT_EQ(decode(R"({"type":"a","payload":1,"p\u0061yload":2})", env), Errc::kOk);
  EXPECT_EQ(env.payload, "2");
  ASSERT_EQ(decode(R"({"\u0074ype":"x","\u0069d":"i","timest\u0061mp":7})", env), Errc::kOk);
  EXPECT_EQ(env.type, "x");
  EXPECT_EQ(env.id, "\"i\"");
  EXPECT_EQ(env.timestamp(), 7.0);
  ASSERT_EQ(decode(R"({"type":"a","typ\u00e9":1})", env), Errc::kOk);  // a different key
  EXPECT_EQ(env.type, "a");
}

TEST(Envelope, HostileNestingAndTypesAreRejectedWithoutRecursion) {
  Envelope env;
  std::string deep =
      R"({"type":"x","payload":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(decode(deep, env), Errc::kTooDeep);
  std::string deep_objects = R"({"type":"x","payload":)";
  for (int i = 0; i < 100000; ++i) deep_objects += R"({"a":)";
  EXPECT_EQ(decode(deep_objects, env), Errc::kTooDeep);
  EXPECT_EQ(decode(std::string(100000, '['), env), Errc::kTooDeep);
  for (const char* t : {"null", "true", "1", "[\"a\"]", "{\"a\":1}"}) {
    EXPECT_EQ(decode(std::string(R"({"type":)") + t + "}", env), Errc::kTypeNotString) << t;
  }
}

// json_candidate: a cheap gate before JS's JSON.parse (SSE data). It must never call valid JSON
// "not JSON", and must find nesting past the limit exactly, whatever the bracket count.
TEST(JsonCandidate, StartsLikeAValueOrNot) {
  for (std::string_view text : {"{}", "[1]", "\"s\"", "-1", "0", "7e3", "true", "false", "null",
                                " \t\r\n{\"a\":1}", "{\"a\":", "tru", "nope"}) {
    EXPECT_EQ(json_candidate(text, 128), Errc::kOk) << text;
  }
  for (std::string_view text : {"", "   ", "hello", "+1", ".5", "]", "}", "'s'", "<b>"}) {
    EXPECT_EQ(json_candidate(text, 128), Errc::kNotJson) << text;
  }
}

TEST(JsonCandidate, DepthAgreesWithTheFullScan) {
  for (std::uint32_t limit : {1u, 2u, 7u, 8u, 9u, 16u, 128u}) {
    for (std::uint32_t depth = 0; depth <= limit + 2; ++depth) {
      // Nested arrays, nested objects, and brackets inside strings (not nesting at all).
      std::string arrays = depth ? std::string(depth, '[') + std::string(depth, ']') : "0";
      std::string objects;
      for (std::uint32_t i = 0; i < depth; ++i) objects += "{\"k\":";
      objects += "0" + std::string(depth, '}');
      std::string in_string = "\"" + std::string(depth, '[') + std::string(depth, '{') + "\"";
      for (const std::string& text : {arrays, objects, in_string}) {
        const Errc full = validate_json(text, limit).error;
        const Errc gate = json_candidate(text, limit);
        EXPECT_EQ(gate, full == Errc::kTooDeep ? Errc::kTooDeep : Errc::kOk)
            << text << " limit " << limit;
      }
    }
  }
  // Many brackets, shallow: counted past the limit, then settled by the full scan.
  std::string wide = "[";
  for (int i = 0; i < 300; ++i) wide += i ? ",[]" : "[]";
  wide += "]";
  EXPECT_EQ(json_candidate(wide, 128), Errc::kOk);
  EXPECT_EQ(json_candidate(wide + "x", 128), Errc::kNotJson);  // the scan ran: not JSON after all
}

}  // namespace
}  // namespace realtime
