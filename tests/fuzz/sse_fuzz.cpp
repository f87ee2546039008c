// libFuzzer target for SseParser (src/sse_parser.h): chunking must not change what comes out.
//
// Input layout: byte 0 picks the split point, byte 1 the limits (< 0x80: defaults, else
// max_event_bytes = 1..128), the rest is the response body. The body is fed
//   a) whole, b) in two chunks split at the chosen point, c) one byte at a time;
// the three must yield the same events and retries in the same order, the same final status and
// the same last event ID. Every event holds valid UTF-8, a non-empty type, an id without U+0000,
// and data within the limit. After a failure the parser stays failed and silent. After
// reset_stream() the same body yields the same events again (ids aside: the last event ID string
// persists across streams by design).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sse_parser.h"

namespace {

using realtime::Errc;
using realtime::SseEvent;
using realtime::SseParser;
using realtime::SseParserLimits;

[[noreturn]] void fail(const char* what, int line) {
  std::fprintf(stderr, "sse_fuzz:%d: check failed: %s\n", line, what);
  std::abort();
}

#define FUZZ_CHECK(cond)                \
  do {                                  \
    if (!(cond)) fail(#cond, __LINE__); \
  } while (false)

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    auto at = [&](std::size_t k) -> unsigned {
      return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
    };
    auto cont = [](unsigned b) { return b >= 0x80 && b <= 0xBF; };
    std::size_t len = 0;
    if (b0 < 0x80) {
      len = 1;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = cont(at(1)) ? 2 : 0;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      const unsigned b1 = at(1);
      const bool ok1 = b0 == 0xE0   ? (b1 >= 0xA0 && b1 <= 0xBF)
                       : b0 == 0xED ? (b1 >= 0x80 && b1 <= 0x9F)
                                    : cont(b1);
      len = ok1 && cont(at(2)) ? 3 : 0;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      const unsigned b1 = at(1);
      const bool ok1 = b0 == 0xF0   ? (b1 >= 0x90 && b1 <= 0xBF)
                       : b0 == 0xF4 ? (b1 >= 0x80 && b1 <= 0x8F)
                                    : cont(b1);
      len = ok1 && cont(at(2)) && cont(at(3)) ? 4 : 0;
    }
    if (len == 0) return false;
    i += len;
  }
  return true;
}

// Records everything the parser reports, as comparable strings.
class RecordingSink final : public realtime::SseSink {
 public:
  explicit RecordingSink(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

  void on_event(const SseEvent& event) override {
    FUZZ_CHECK(!event.type.empty());
    FUZZ_CHECK(valid_utf8(event.type));
    FUZZ_CHECK(valid_utf8(event.data));
    FUZZ_CHECK(valid_utf8(event.last_event_id));
    FUZZ_CHECK(event.last_event_id.find('\0') == std::string_view::npos);
    FUZZ_CHECK(event.data.size() <= max_event_bytes_);
    // The type comes from one bounded line, or is the default "message".
    FUZZ_CHECK(event.type.size() <= max_event_bytes_ || event.type == "message");
    std::string record = "event ";
    record.append(event.type).append(1, '\x1f').append(event.data);
    records.push_back(record);
    ids.emplace_back(event.last_event_id);
  }
  void on_retry(uint32_t milliseconds) override {
    records.push_back("retry " + std::to_string(milliseconds));
    ids.emplace_back();
  }

  std::vector<std::string> records;  // events and retries, in order
  std::vector<std::string> ids;      // the last event id of each record ("" for retries)

 private:
  std::size_t max_event_bytes_;
};

struct Outcome {
  Errc status = Errc::kOk;
  std::vector<std::string> records;
  std::vector<std::string> ids;
  std::string last_event_id;
};

// Feeds `body` in chunks of at most `chunk` bytes, the first chunk being `first` bytes.
Outcome run(SseParser& parser, std::string_view body, std::size_t first, std::size_t chunk,
            std::size_t max_event_bytes) {
  RecordingSink sink(max_event_bytes);
  Outcome out;
  std::size_t pos = 0;
  std::size_t n = first;
  bool first_chunk = true;
  while (first_chunk || pos < body.size()) {
    const std::string_view piece = body.substr(pos, n);
    const Errc e = parser.feed(piece, sink);
    FUZZ_CHECK(e == Errc::kOk || e == Errc::kStreamTooLarge);
    FUZZ_CHECK(parser.failed() == (e != Errc::kOk));
    if (out.status != Errc::kOk) FUZZ_CHECK(e == out.status);  // a failed parser stays failed
    out.status = e;
    pos += piece.size();
    n = chunk;
    first_chunk = false;
  }
  if (out.status != Errc::kOk) {
    // Failed: silent on further input.
    const std::size_t before = sink.records.size();
    FUZZ_CHECK(parser.feed("data: x\n\n", sink) == out.status);
    FUZZ_CHECK(sink.records.size() == before);
  }
  out.records = std::move(sink.records);
  out.ids = std::move(sink.ids);
  out.last_event_id = parser.last_event_id();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t split_selector = data[0];
  const std::uint8_t limit_selector = data[1];
  const std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);

  SseParserLimits limits;
  if (limit_selector >= 0x80) limits.max_event_bytes = (limit_selector & 0x7F) + 1u;
  const std::size_t split = body.size() * split_selector / 255;

  SseParser whole_parser(limits);
  const Outcome whole = run(whole_parser, body, body.size(), body.size(), limits.max_event_bytes);

  SseParser split_parser(limits);
  const Outcome two = run(split_parser, body, split, body.size(), limits.max_event_bytes);
  FUZZ_CHECK(two.status == whole.status);
  FUZZ_CHECK(two.records == whole.records);
  FUZZ_CHECK(two.ids == whole.ids);
  FUZZ_CHECK(two.last_event_id == whole.last_event_id);

  SseParser byte_parser(limits);
  const Outcome bytes = run(byte_parser, body, 1, 1, limits.max_event_bytes);
  FUZZ_CHECK(bytes.status == whole.status);
  FUZZ_CHECK(bytes.records == whole.records);
  FUZZ_CHECK(bytes.ids == whole.ids);
  FUZZ_CHECK(bytes.last_event_id == whole.last_event_id);

  // A new stream on the same parser: same events, same status; the last event ID persists.
  whole_parser.reset_stream();
  FUZZ_CHECK(!whole_parser.failed());
  FUZZ_CHECK(whole_parser.last_event_id() == whole.last_event_id);
  const Outcome again = run(whole_parser, body, body.size(), body.size(), limits.max_event_bytes);
  FUZZ_CHECK(again.status == whole.status);
  FUZZ_CHECK(again.records == whole.records);
  return 0;
}
