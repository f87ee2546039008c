// The hand-written string escaping and unescaping of envelope_json.cpp give what nlohmann/json's
// dump() (ensure_ascii off, invalid UTF-8 replaced) and parse() give, on every byte string of a
// generated corpus: escapes, controls, every UTF-8 lead byte with valid and broken tails.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "envelope.h"

namespace realtime {
namespace {

std::uint32_t zero_random() { return 0; }

std::string nlohmann_escaped(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The "type" field of encode_envelope's output, as written.
std::string our_escaped(const std::string& s) {
  std::string text = encode_envelope({.type = s, .id = "i", .timestamp = 1}, 0, zero_random);
  const std::string head = "{\"type\":";
  const std::string tail = ",\"payload\":null,\"id\":\"i\",\"timestamp\":1}";
  EXPECT_EQ(text.substr(0, head.size()), head);
  EXPECT_EQ(text.substr(text.size() - tail.size()), tail);
  return text.substr(head.size(), text.size() - head.size() - tail.size());
}

std::vector<std::string> corpus() {
  std::vector<std::string> out = {"",
                                  "plain",
                                  "q\"uote",
                                  "back\\slash",
                                  "/",
                                  "\x7f",
                                  "caf\xC3\xA9",
                                  "\xE2\x82\xAC",
                                  "\xF0\x9F\x98\x80",
                                  "\xED\xA0\x80",
                                  "\xED\x9F\xBF",
                                  "\xEF\xBF\xBD",
                                  "\xF4\x8F\xBF\xBF",
                                  "\xF4\x90\x80\x80",
                                  "\xC0\x80",
                                  "\xC1\xBF",
                                  "\xE0\x80\x80",
                                  "\xF0\x80\x80\x80",
                                  "\xF5",
                                  "\xFF",
                                  std::string("nul\0in", 6)};
  for (int c = 0; c < 0x20; ++c) out.push_back(std::string(1, static_cast<char>(c)) + "x");
  // Every lead byte followed by every interesting tail byte, truncated or not.
  const unsigned char tails[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
  for (int lead = 0x80; lead <= 0xFF; ++lead) {
    out.push_back(std::string(1, static_cast<char>(lead)));
    for (unsigned char t1 : tails) {
      std::string s{static_cast<char>(lead), static_cast<char>(t1)};
      out.push_back(s);
      for (unsigned char t2 : {0x80, 0xBF, 0x41}) {
        out.push_back(s + static_cast<char>(t2));
        out.push_back(s + static_cast<char>(t2) + "\x80");
        out.push_back(s + static_cast<char>(t2) + "\x80\x80z");
      }
    }
  }
  std::mt19937 rng(7);
  for (int n = 0; n < 3000; ++n) {
    std::string s(rng() % 12, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 3 == 0 ? 0x80 + rng() % 0x80 : rng() % 0x80);
    out.push_back(s);
  }
  return out;
}

TEST(EnvelopeJson, EscapingIsNlohmannDump) {
  for (const std::string& s : corpus()) {
    EXPECT_EQ(our_escaped(s), nlohmann_escaped(s)) << testing::PrintToString(s);
  }
}

TEST(EnvelopeJson, GeneratedIdsAreEscapedToo) {
  std::string text = encode_envelope({.type = "t"}, 0, zero_random);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["id"], "00000000-0000-4000-8000-000000000000");
}

TEST(EnvelopeJson, UnescapingIsNlohmannParse) {
  std::vector<std::string> tokens = {R"("")",
                                     R"("a")",
                                     R"("\"\\\/\b\f\n\r\t")",
                                     R"("\u0000")",
                                     R"("\u00e9\u20AC")",
                                     R"("\ud83d\ude00")",
                                     R"("\uD83D\uDE00x")",
                                     R"("\ud83d")",
                                     R"("\ude00")",
                                     R"("\ud83dx")",
                                     R"("\x")",
                                     R"("\u12")",
                                     R"("\u12g4")",
                                     R"("a)",
                                     R"(a")",
                                     R"("a" )",
                                     R"( "a")",
                                     R"("a"b)",
                                     R"("a""b")",
                                     "\"\x01\"",
                                     "\"caf\xC3\xA9\"",
                                     "\"\xC3\"",
                                     "\"\xED\xA0\x80\"",
                                     R"(1)",
                                     R"(["a"])",
                                     R"(null)",
                                     "",
                                     "\"",
                                     "\"\\",
                                     "\"\\u"};
  for (const std::string& s : corpus()) tokens.push_back(nlohmann_escaped(s));
  for (const std::string& t : tokens) {
    auto j = nlohmann::json::parse(t, nullptr, false);
    std::string theirs = j.is_string() ? j.get<std::string>() : std::string();
    EXPECT_EQ(unescape_json_string(t), theirs) << testing::PrintToString(t);
  }
}

TEST(EnvelopeJson, NonIntegerTimestampsAreNlohmannNumbers) {
  for (double ts : {5.5, 0.1, -2.25, 1e300, -1e25, 9007199254740993.0, 1700000000123.5, 5e-324}) {
    std::string text = encode_envelope({.type = "t", .id = "i", .timestamp = ts}, 0, zero_random);
    std::string field = text.substr(text.find("\"timestamp\":") + 12);
    field.pop_back();
    EXPECT_EQ(field, nlohmann::json(ts).dump()) << ts;
  }
}

}  // namespace
}  // namespace realtime
