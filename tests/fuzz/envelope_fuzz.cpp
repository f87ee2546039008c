// libFuzzer target for decode_envelope (src/envelope.h), with nlohmann/json as the reference:
//
// 1. decode_envelope never crashes (ASan/UBSan) on any bytes.
// 2. Differential, decode -> nlohmann: when decode_envelope says kOk, nlohmann/json parses the
//    same text into an object whose "type" is a string equal to the decoded type, and whose
//    "payload", "id", "timestamp" agree with the decoded views.
// 3. Differential, nlohmann -> decode: when nlohmann/json accepts a text of at most
//    max_message_bytes whose nesting is at most max_depth, and it is an object with a string
//    "type", decode_envelope accepts it.
// 4. Limits are monotonic: what decodes under the small fuzz limits decodes identically under the
//    default limits, and an error that is not a limit error does not depend on the limits.
// 5. Round trip: encode_envelope of the decoded fields decodes back to the same fields.
//
// Where nlohmann/json itself departs from RFC 8259 the differential is skipped, not weakened:
// it stops at a NUL byte (treated as end of input), it skips a leading UTF-8 BOM (RFC 8259 lets
// a parser either accept or reject it), and it rejects numbers that overflow a double
// (grammatically valid JSON).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "envelope.h"

namespace {

using realtime::DecodeLimits;
using realtime::DecodeResult;
using realtime::Envelope;
using realtime::Errc;
using Json = nlohmann::json;

// Small limits so that the fuzzer reaches both limits with short inputs.
constexpr DecodeLimits kFuzzLimits{.max_message_bytes = 2048, .max_depth = 8};
constexpr DecodeLimits kDefaultLimits{};

constexpr int kNlohmannNumberOverflow = 406;  // out_of_range.406

[[noreturn]] void fail(const char* what, int line, std::string_view text) {
  std::fprintf(stderr, "envelope_fuzz:%d: check failed: %s\ninput (%zu bytes): %.*s\n", line, what,
               text.size(), static_cast<int>(text.size() < 512 ? text.size() : 512), text.data());
  std::abort();
}

#define FUZZ_CHECK(cond)                      \
  do {                                        \
    if (!(cond)) fail(#cond, __LINE__, text); \
  } while (false)

// What nlohmann/json makes of a text, in one SAX pass: nesting depth and the error, if any.
class SaxFacts final : public nlohmann::json_sax<Json> {
 public:
  std::size_t max_depth = 0;
  int error_id = 0;  // nlohmann exception id; 0 when the text parsed

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return open(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    error_id = ex.id;
    return false;
  }

 private:
  bool open() {
    if (++depth_ > max_depth) max_depth = depth_;
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }
  std::size_t depth_ = 0;
};

bool starts_with_bom(std::string_view text) { return text.substr(0, 3) == "\xEF\xBB\xBF"; }

const Json* find_member(const Json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

Json parse(std::string_view text) {
  return Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

bool same_fields(const Envelope& a, const Envelope& b) {
  return a.type == b.type && a.payload == b.payload && a.id == b.id &&
         a.timestamp() == b.timestamp();
}

void check_round_trip(std::string_view text, const Envelope& env) {
  const realtime::OutgoingEnvelope out{
      .type = env.type, .payload_json = env.payload, .id = "fuzz-id", .timestamp = env.timestamp()};
  const std::string wire = realtime::encode_envelope(out, 0.0, [] { return 0x12345678u; });
  Envelope back;
  const DecodeResult r = realtime::decode_envelope(wire, kDefaultLimits, back);
  FUZZ_CHECK(r.error == Errc::kOk);
  FUZZ_CHECK(back.type == env.type);
  FUZZ_CHECK(back.payload == (env.payload.empty() ? std::string_view("null") : env.payload));
  FUZZ_CHECK(back.id == "\"fuzz-id\"");
  if (env.timestamp()) FUZZ_CHECK(back.timestamp() == env.timestamp());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  Envelope env;
  const DecodeResult small = realtime::decode_envelope(text, kFuzzLimits, env);
  FUZZ_CHECK(small.error_offset <= text.size() || small.error == Errc::kTooLarge);

  // 4. Limits are monotonic.
  Envelope env_default;
  const DecodeResult big = realtime::decode_envelope(text, kDefaultLimits, env_default);
  if (small.error == Errc::kOk) {
    FUZZ_CHECK(big.error == Errc::kOk);
    FUZZ_CHECK(same_fields(env, env_default));
  } else if (small.error != Errc::kTooLarge && small.error != Errc::kTooDeep) {
    FUZZ_CHECK(big.error == small.error);
    FUZZ_CHECK(big.error_offset == small.error_offset);
  }

  const Json doc = parse(text);
  SaxFacts facts;
  const bool sax_ok = Json::sax_parse(text.begin(), text.end(), &facts);
  FUZZ_CHECK(sax_ok == !doc.is_discarded());
  const bool nlohmann_quirk = text.find('\0') != std::string_view::npos || starts_with_bom(text) ||
                              facts.error_id == kNlohmannNumberOverflow;

  if (small.error == Errc::kOk) {
    // 2. decode -> nlohmann.
    FUZZ_CHECK(text.size() <= kFuzzLimits.max_message_bytes);
    if (!nlohmann_quirk) {
      FUZZ_CHECK(!doc.is_discarded());
      FUZZ_CHECK(doc.is_object());
      FUZZ_CHECK(facts.max_depth <= kFuzzLimits.max_depth);
      const Json* type = find_member(doc, "type");
      FUZZ_CHECK(type != nullptr && type->is_string());
      FUZZ_CHECK(type->get_ref<const std::string&>() == env.type);

      const Json* payload = find_member(doc, "payload");
      FUZZ_CHECK((payload != nullptr) == !env.payload.empty());
      if (payload) FUZZ_CHECK(*payload == parse(env.payload));
      const Json* id = find_member(doc, "id");
      FUZZ_CHECK((id != nullptr) == !env.id.empty());
      if (id) FUZZ_CHECK(*id == parse(env.id));
      const Json* timestamp = find_member(doc, "timestamp");
      const bool numeric_timestamp = timestamp != nullptr && timestamp->is_number();
      FUZZ_CHECK(numeric_timestamp == env.timestamp().has_value());
      if (numeric_timestamp) FUZZ_CHECK(timestamp->get<double>() == *env.timestamp());
    }
    if (!env.payload.empty()) {
      FUZZ_CHECK(realtime::validate_json(env.payload, kFuzzLimits.max_depth).error == Errc::kOk);
    }
    // 5. Round trip.
    check_round_trip(text, env);
  } else if (!nlohmann_quirk && !doc.is_discarded() && doc.is_object() &&
             text.size() <= kFuzzLimits.max_message_bytes &&
             facts.max_depth <= kFuzzLimits.max_depth) {
    // 3. nlohmann -> decode.
    const Json* type = find_member(doc, "type");
    FUZZ_CHECK(!(type != nullptr && type->is_string()));
  }

  // validate_json agrees with nlohmann on any text within the depth limit.
  const DecodeResult valid = realtime::validate_json(text, kFuzzLimits.max_depth);
  if (valid.error == Errc::kOk) {
    FUZZ_CHECK(nlohmann_quirk || !doc.is_discarded());
  } else if (!nlohmann_quirk && !doc.is_discarded() && facts.max_depth <= kFuzzLimits.max_depth) {
    FUZZ_CHECK(valid.error == Errc::kOk);
  }
  // json_candidate (the SSE gate before JSON.parse) never turns valid JSON away, and finds
  // nesting past the limit exactly when the full scan does.
  const Errc gate = realtime::json_candidate(text, kFuzzLimits.max_depth);
  if (valid.error == Errc::kOk) FUZZ_CHECK(gate == Errc::kOk);
  if (valid.error == Errc::kTooDeep) FUZZ_CHECK(gate == Errc::kTooDeep);
  if (gate == Errc::kTooDeep) FUZZ_CHECK(valid.error == Errc::kTooDeep);
  return 0;
}
