// The JSON envelope on the wire: {"type": string, "payload": any, "id": string, "timestamp": ms}.
//
// Decoding is a single validating pass over the bytes (RFC 8259 JSON, strict UTF-8, a nesting
// limit, a size limit) that returns views of the top-level fields without building a DOM: the
// payload goes to JavaScript as its raw JSON text, so nothing is parsed twice on the C++ side.
// Encoding (envelope_json.cpp) escapes by hand (as nlohmann/json would) and splices the payload
// text in as given.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "errc.h"

namespace realtime {

struct DecodeLimits {
  std::size_t max_message_bytes = 1 << 20;  // maxMessageBytes, 1 MiB
  std::uint32_t max_depth = 128;            // nesting of arrays/objects, the envelope included
};

struct Envelope {
  std::string_view type;     // unescaped when the raw string held no escapes, else see type_storage
  std::string_view payload;  // raw JSON text of the payload value; empty when absent
  std::string_view id;       // raw JSON text of "id" (may be any JSON value); empty when absent
  std::string_view timestamp_text;  // raw JSON text of "timestamp"; empty when absent
  std::string_view channel;         // raw JSON text of "channel" (realtime.v1 publications)
  std::optional<double> offset;     // "offset" (realtime.v1 publications)
  std::string type_storage;         // holds the unescaped type when the wire form had escapes

  // "timestamp" as a number: nullopt when absent, not a number, or not finite (1e400). Parsed on
  // demand (only channel publications pass it on): a frame's decode does not pay for it.
  std::optional<double> timestamp() const;
};

struct DecodeResult {
  Errc error = Errc::kOk;
  std::size_t error_offset = 0;  // byte offset where decoding failed (for the error message)
};

// Validates `text` and fills `out` (views into `text`). Errors: kTooLarge, kInvalidUtf8, kNotJson,
// kTooDeep, kNotObject, kTypeMissing, kTypeNotString.
DecodeResult decode_envelope(std::string_view text, const DecodeLimits& limits, Envelope& out);

// Validates that `text` is exactly one JSON value (used for payloads handed over by JS).
DecodeResult validate_json(std::string_view text, std::uint32_t max_depth);

// Whether `text` may be a JSON value, for a caller that parses it next anyway (SSE data: JS's
// JSON.parse has the last word, and data it rejects stays a string), at a fraction of a full
// scan: kNotJson when its first non-whitespace byte cannot start a value; kTooDeep when it nests
// deeper than max_depth (a full scan settles that, run only when `text` holds more than
// max_depth opening brackets); else kOk.
Errc json_candidate(std::string_view text, std::uint32_t max_depth);

struct OutgoingEnvelope {
  std::string_view type;
  std::string_view payload_json;    // already-serialized payload; empty means null
  std::string_view id;              // empty: generate a UUID v4
  std::optional<double> timestamp;  // absent: now
  bool ack = false;                 // realtime.v1: "ack": true, the server answers rt:ack
};

// Returns the wire text. `random` feeds the UUID generator; `now_ms` the timestamp.
std::string encode_envelope(const OutgoingEnvelope& message, double now_ms,
                            const std::function<std::uint32_t()>& random);

// The value of a JSON string token (quotes included, escapes decoded); empty when `token` is not
// one. For the rare escaped key or type: the decoder hands out views otherwise.
std::string unescape_json_string(std::string_view token);

// The members of a JSON object (the whole of `text`), for the rare frames whose payload the core
// reads itself (the realtime.v1 control frames): raw value texts, looked up by key.
struct JsonFields {
  DecodeResult result;
  std::vector<std::pair<std::string, std::string_view>> fields;  // key (unescaped), raw value
  std::string_view get(std::string_view key) const;  // empty when absent; the last duplicate
  std::string string(std::string_view key) const;    // a string value, unescaped; else empty
  std::optional<double> number(std::string_view key) const;
};
JsonFields json_object_fields(std::string_view text, std::uint32_t max_depth = 64);

// The value of a JSON number token, correctly rounded (as strtod); nullopt for any other JSON
// value. Compiled for size (envelope_json.cpp): no frame's decode calls it but a publication's.
std::optional<double> parse_json_number(std::string_view raw);

// Appends `s` as a JSON string literal (quotes, escapes; invalid UTF-8 becomes U+FFFD).
void append_json_string(std::string& out, std::string_view s);

// RFC 4122 version 4 UUID from 128 random bits.
std::string uuid_v4(const std::function<std::uint32_t()>& random);

}  // namespace realtime
