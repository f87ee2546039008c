// An incremental parser for `text/event-stream` bodies, following the WHATWG HTML standard,
// "Server-sent events", sections "Parsing an event stream" and "Interpreting an event stream":
//
// - the bytes go through the WHATWG "UTF-8 decode" algorithm: one leading BOM (EF BB BF) is
//   stripped at the start of the stream only, and every invalid sequence becomes U+FFFD
//   (maximal-subpart replacement), also when a sequence is split between two feeds;
// - lines end with CRLF, LF or CR (a CR that ends one chunk and an LF that starts the next are one
//   line end);
// - `data`, `event`, `id` (ignored when it contains U+0000) and `retry` (only when all ASCII
//   digits) are interpreted; other fields and comment lines (leading ':') are ignored;
// - a blank line dispatches the event (nothing when the data buffer is empty); an event not
//   terminated by a blank line before the stream ends is never dispatched.
//
// Sans-IO: the caller feeds the response body chunk by chunk and gets events back through an
// SseSink, synchronously, inside feed(). Memory is bounded by SseParserLimits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "errc.h"

namespace realtime {

struct SseEvent {
  std::string_view type;           // event type; "message" when the stream gave none
  std::string_view data;           // data lines joined with '\n', last '\n' removed
  std::string_view last_event_id;  // the last event ID buffer at dispatch time
};

class SseSink {
 public:
  virtual ~SseSink() = default;
  // One dispatched event. The views are valid only during the call.
  virtual void on_event(const SseEvent& event) = 0;
  // A valid `retry:` field (the new reconnection time). Values above UINT32_MAX saturate.
  virtual void on_retry(uint32_t milliseconds) = 0;
};

struct SseParserLimits {
  // Bounds the length of one line and the length of one event's data (lines joined with '\n',
  // without the final '\n'), both counted in bytes after UTF-8 decoding (U+FFFD is 3 bytes).
  size_t max_event_bytes = 1 << 20;
};

class SseParser {
 public:
  explicit SseParser(SseParserLimits limits = {});

  // Feeds a chunk of raw (UTF-8) bytes from the response body. Dispatches complete events to
  // sink. Returns Errc::kOk, or Errc::kStreamTooLarge when a line or the event being built exceeds
  // max_event_bytes: the parser is then failed (further feeds return the same error and do
  // nothing) and memory is not grown past the limit (plus one chunk at most).
  // The sink must not call feed() on the same parser. It may call reset_stream(): the rest of the
  // chunk is then dropped and feed() returns Errc::kOk.
  Errc feed(std::string_view bytes, SseSink& sink);

  // Starts a new connection (stream): clears line/data/type buffers, pending CR, UTF-8 decoder
  // state, BOM state, and the failed flag, but KEEPS the last event id (it persists across
  // reconnects, per the spec "last event ID string"). The new stream's last event ID buffer
  // starts from that string (as browsers do), so an event without `id:` keeps it.
  void reset_stream();

  // The event source's last event ID string (sent as `Last-Event-ID` when reconnecting).
  const std::string& last_event_id() const;
  // Sets the last event ID string and the current stream's last event ID buffer.
  void set_last_event_id(std::string id);

  bool failed() const;

  // Bytes currently reserved by the internal line and data buffers (for tests and diagnostics).
  size_t buffer_capacity() const;

 private:
  Errc fail();
  bool append_line(const char* p, size_t n);
  bool append_decoded(const char* p, size_t n, bool at_chunk_end);
  bool process_line(std::string_view line, bool in_chunk, SseSink& sink);
  void spill_data();
  void process_field(std::string_view field, std::string_view value, SseSink& sink);
  void dispatch(SseSink& sink);

  SseParserLimits limits_;
  std::vector<char> line_;      // the decoded part of the current line not yet terminated
  std::vector<char> data_;      // the data buffer
  std::string_view data_view_;  // or, while data_in_chunk_, its one line: a view into the chunk
  bool data_in_chunk_ = false;
  std::string event_type_;          // the event type buffer
  std::string id_buffer_;           // the last event ID buffer
  std::string last_event_id_;       // the last event ID string
  uint64_t stream_generation_ = 0;  // bumped by reset_stream(), to notice a reset from the sink
  unsigned char pending_[4] = {};   // an incomplete UTF-8 sequence cut by the chunk end
  uint8_t pending_len_ = 0;
  uint8_t bom_matched_ = 0;  // BOM bytes seen at the start of the stream
  bool bom_done_ = false;    // the start of the stream is past (BOM stripped or absent)
  bool pending_cr_ = false;  // the last chunk ended with CR: skip an LF that starts the next one
  bool failed_ = false;
};

}  // namespace realtime
