#include "sse_parser.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <utility>

#include "swar.h"

namespace realtime {
namespace {

constexpr unsigned char kBom[3] = {0xEF, 0xBB, 0xBF};
constexpr char kReplacement[3] = {'\xEF', '\xBF', '\xBD'};  // U+FFFD
constexpr size_t kMinCapacity = 64;

enum class Utf8 : uint8_t { kValid, kInvalid, kIncomplete };

struct Utf8Step {
  Utf8 result;
  size_t length;  // kValid: the sequence; kInvalid: bytes replaced by one U+FFFD; kIncomplete: all
};

// One step of the WHATWG UTF-8 decoder, starting at a non-ASCII byte p[0] (n >= 1): a complete
// valid sequence; an invalid one (the lead byte and the continuation bytes accepted so far become
// one U+FFFD, and the byte that broke the sequence is decoded afresh: "maximal subpart"); or a
// valid prefix cut by the end of the input.
Utf8Step decode_sequence(const unsigned char* p, size_t n) {
  const unsigned char lead = p[0];
  size_t needed;
  unsigned char lower = 0x80;
  unsigned char upper = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    needed = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    needed = 2;
    if (lead == 0xE0) lower = 0xA0;  // overlong
    if (lead == 0xED) upper = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    needed = 3;
    if (lead == 0xF0) lower = 0x90;  // overlong
    if (lead == 0xF4) upper = 0x8F;  // above U+10FFFF
  } else {
    return {Utf8::kInvalid, 1};
  }
  for (size_t i = 1; i <= needed; ++i) {
    if (i >= n) return {Utf8::kIncomplete, i};
    if (p[i] < lower || p[i] > upper) return {Utf8::kInvalid, i};
    lower = 0x80;
    upper = 0xBF;
  }
  return {Utf8::kValid, needed + 1};
}

// Length of the longest prefix of [p, p + n) made of complete, valid UTF-8 sequences.
size_t valid_prefix(const char* p, size_t n) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  size_t i = 0;
  while (i < n) {
    while (n - i >= 8 && (swar::load8(u + i) & swar::kHighs) == 0) i += 8;  // all-ASCII runs
    while (i < n && u[i] < 0x80) ++i;
    if (i == n) break;
    const Utf8Step step = decode_sequence(u + i, n - i);
    if (step.result != Utf8::kValid) break;
    i += step.length;
  }
  return i;
}

// Appends without letting the size pass `limit`, and grows the capacity geometrically but never
// past `limit` (std::vector::reserve allocates exactly what it is asked for).
bool append_bounded(std::vector<char>& buf, const char* p, size_t n, size_t limit) {
  if (buf.size() > limit || n > limit - buf.size()) return false;
  const size_t needed = buf.size() + n;
  if (needed > buf.capacity()) {
    const size_t grown =
        buf.capacity() > limit / 2 ? limit : std::max(buf.capacity() * 2, kMinCapacity);
    buf.reserve(std::min(std::max(needed, grown), limit));
  }
  buf.insert(buf.end(), p, p + n);
  return true;
}

// Assigns without the libstdc++ habit of doubling the capacity on growth.
void assign_exact(std::string& s, std::string_view v) {
  if (v.size() > s.capacity()) {
    s = std::string(v);
  } else {
    s.assign(v.data(), v.size());
  }
}

// The index of the first byte at or after i that is '\n', '\r' or not ASCII, or n: one pass
// finds the line end of an all-ASCII line (the common case) and proves it ASCII, eight bytes at a
// time (the lowest flag of each test is exact).
size_t find_eol_or_non_ascii(const char* p, size_t i, size_t n) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  if constexpr (std::endian::native == std::endian::little) {
    for (; n - i >= 8; i += 8) {
      const uint64_t x = swar::load8(u + i);
      const uint64_t m = (x & swar::kHighs) | swar::bytes_equal_lowest(x, '\n') |
                         swar::bytes_equal_lowest(x, '\r');
      if (m != 0) return i + (static_cast<size_t>(std::countr_zero(m)) >> 3);
    }
  }
  while (i < n && u[i] != '\n' && u[i] != '\r' && u[i] < 0x80) ++i;
  return i;
}

size_t find_byte(const char* p, size_t from, size_t n, char c) {
  const void* found = std::memchr(p + from, c, n - from);
  return found ? static_cast<size_t>(static_cast<const char*>(found) - p) : n;
}

}  // namespace

SseParser::SseParser(SseParserLimits limits) : limits_(limits) {}

Errc SseParser::fail() {
  failed_ = true;
  data_in_chunk_ = false;
  std::vector<char>().swap(line_);
  std::vector<char>().swap(data_);
  event_type_ = std::string();
  pending_len_ = 0;
  pending_cr_ = false;
  return Errc::kStreamTooLarge;
}

bool SseParser::append_line(const char* p, size_t n) {
  return append_bounded(line_, p, n, limits_.max_event_bytes);
}

// Appends the decoding of [p, p + n) to the line buffer, U+FFFD for every invalid sequence. An
// incomplete sequence at the very end is kept for the next chunk when `at_chunk_end`; otherwise a
// line end follows it, which breaks it (U+FFFD).
bool SseParser::append_decoded(const char* p, size_t n, bool at_chunk_end) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  size_t i = 0;
  while (i < n) {
    const size_t valid = valid_prefix(p + i, n - i);
    if (!append_line(p + i, valid)) return false;
    i += valid;
    if (i == n) break;
    const Utf8Step step = decode_sequence(u + i, n - i);
    if (step.result == Utf8::kIncomplete && at_chunk_end) {
      std::memcpy(pending_, u + i, n - i);
      pending_len_ = static_cast<uint8_t>(n - i);
      return true;
    }
    if (!append_line(kReplacement, sizeof kReplacement)) return false;
    i += step.length;
  }
  return true;
}

Errc SseParser::feed(std::string_view bytes, SseSink& sink) {
  if (failed_) return Errc::kStreamTooLarge;
  const char* p = bytes.data();
  const size_t n = bytes.size();
  size_t i = 0;

  // UTF-8 decode, step 1: one leading BOM is skipped (it may arrive one byte at a time).
  if (!bom_done_) {
    while (i < n && bom_matched_ < 3 && static_cast<unsigned char>(p[i]) == kBom[bom_matched_]) {
      ++bom_matched_;
      ++i;
    }
    if (bom_matched_ == 3) {
      bom_done_ = true;
    } else if (i < n) {
      // Not a BOM: the bytes matched so far (EF or EF BB) are a UTF-8 prefix to decode.
      bom_done_ = true;
      std::memcpy(pending_, kBom, bom_matched_);
      pending_len_ = bom_matched_;
    } else {
      return Errc::kOk;  // everything so far may still be the start of a BOM
    }
  }

  // A CR ended the previous chunk (and its line): an LF right after it belongs to that line end.
  if (i < n && pending_cr_) {
    pending_cr_ = false;
    if (p[i] == '\n') ++i;
  }

  // Finish the UTF-8 sequence that the previous chunk cut.
  if (i < n && pending_len_ > 0) {
    unsigned char seq[4];
    std::memcpy(seq, pending_, pending_len_);
    const size_t taken = std::min<size_t>(sizeof seq - pending_len_, n - i);
    std::memcpy(seq + pending_len_, p + i, taken);
    const Utf8Step step = decode_sequence(seq, pending_len_ + taken);
    if (step.result == Utf8::kIncomplete) {  // still cut: this chunk was too short
      std::memcpy(pending_, seq, pending_len_ + taken);
      pending_len_ = static_cast<uint8_t>(pending_len_ + taken);
      return Errc::kOk;
    }
    const bool ok = step.result == Utf8::kValid
                        ? append_line(reinterpret_cast<const char*>(seq), step.length)
                        : append_line(kReplacement, sizeof kReplacement);
    i += step.length - pending_len_;
    pending_len_ = 0;
    if (!ok) return fail();
  }

  const uint64_t generation = stream_generation_;
  size_t lf = 0;
  size_t cr = 0;
  bool lf_known = false;
  bool cr_known = false;
  while (i < n) {
    // The next line end. An all-ASCII line is found and checked in one pass; otherwise each of
    // memchr('\n') and memchr('\r') scans any byte at most once.
    size_t eol = find_eol_or_non_ascii(p, i, n);
    const bool ascii = eol < n && (p[eol] == '\n' || p[eol] == '\r');
    if (!ascii) {
      if (!lf_known || lf < eol) {
        lf = find_byte(p, eol, n, '\n');
        lf_known = true;
      }
      if (!cr_known || cr < eol) {
        cr = find_byte(p, eol, n, '\r');
        cr_known = true;
      }
      eol = std::min(lf, cr);
    }
    if (eol == n) {  // an unterminated line: keep it for the next chunk
      if (!append_decoded(p + i, n - i, /*at_chunk_end=*/true)) return fail();
      break;
    }

    const size_t length = eol - i;
    bool ok;
    if (line_.empty() && (ascii || valid_prefix(p + i, length) == length)) {
      // Fast path: the whole line is valid UTF-8 inside this chunk; no copy (the views stay valid
      // until feed() returns).
      ok = length <= limits_.max_event_bytes &&
           process_line(std::string_view(p + i, length), /*in_chunk=*/true, sink);
    } else {
      ok = append_decoded(p + i, length, /*at_chunk_end=*/false) &&
           process_line(std::string_view(line_.data(), line_.size()), /*in_chunk=*/false, sink);
      line_.clear();
    }
    if (!ok) return fail();
    if (stream_generation_ != generation) return Errc::kOk;  // the sink called reset_stream()

    if (p[eol] == '\r') {
      if (eol + 1 == n) {
        pending_cr_ = true;
        i = n;
      } else {
        i = eol + (p[eol + 1] == '\n' ? 2 : 1);
      }
    } else {
      i = eol + 1;
    }
  }
  // The chunk goes away: an event's data still held as a view into it is copied.
  if (data_in_chunk_) spill_data();
  return Errc::kOk;
}

// Interprets one decoded line (without its line end). Returns false when the data buffer would
// exceed the limit.
bool SseParser::process_line(std::string_view line, bool in_chunk, SseSink& sink) {
  if (line.empty()) {
    dispatch(sink);
    return true;
  }
  if (line.front() == ':') return true;  // comment

  std::string_view field = line;
  std::string_view value;
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }

  if (field == "data") {
    // An event's first data line, inside the chunk: kept as a view (most events have one data
    // line, dispatched within the same chunk: no copy). A second line copies it into data_.
    if (in_chunk && data_.empty() && !data_in_chunk_) {
      data_view_ = value;
      data_in_chunk_ = true;
      return true;
    }
    if (data_in_chunk_) spill_data();
    // The event's data is the buffer without its final '\n': data_.size() + value.size() bytes.
    const size_t max = limits_.max_event_bytes;
    if (data_.size() > max || value.size() > max - data_.size()) return false;
    const size_t limit = max == std::numeric_limits<size_t>::max() ? max : max + 1;
    append_bounded(data_, value.data(), value.size(), limit);
    append_bounded(data_, "\n", 1, limit);
  } else if (field == "event") {
    assign_exact(event_type_, value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) assign_exact(id_buffer_, value);
  } else if (field == "retry") {
    if (value.empty()) return true;
    uint64_t ms = 0;
    for (const char c : value) {
      if (c < '0' || c > '9') return true;
      ms = std::min<uint64_t>(ms * 10 + static_cast<uint64_t>(c - '0'),
                              std::numeric_limits<uint32_t>::max());
    }
    sink.on_retry(static_cast<uint32_t>(ms));
  }
  return true;
}

// Moves a data view into the data buffer (as if it had been appended there: value + '\n'). The
// view is one line of the chunk, which the fast path already held to max_event_bytes.
void SseParser::spill_data() {
  const size_t max = limits_.max_event_bytes;
  const size_t limit = max == std::numeric_limits<size_t>::max() ? max : max + 1;
  append_bounded(data_, data_view_.data(), data_view_.size(), limit);
  append_bounded(data_, "\n", 1, limit);
  data_in_chunk_ = false;
}

void SseParser::dispatch(SseSink& sink) {
  if (last_event_id_ != id_buffer_) assign_exact(last_event_id_, id_buffer_);
  if (data_.empty() && !data_in_chunk_) {
    event_type_.clear();
    return;
  }
  SseEvent event;
  event.type = event_type_.empty() ? std::string_view("message") : std::string_view(event_type_);
  event.data =
      data_in_chunk_ ? data_view_ : std::string_view(data_.data(), data_.size() - 1);  // final '\n'
  event.last_event_id = last_event_id_;
  data_in_chunk_ = false;
  sink.on_event(event);
  data_.clear();
  event_type_.clear();
}

void SseParser::reset_stream() {
  line_.clear();
  data_.clear();
  data_in_chunk_ = false;
  event_type_.clear();
  assign_exact(id_buffer_, last_event_id_);
  pending_len_ = 0;
  bom_matched_ = 0;
  bom_done_ = false;
  pending_cr_ = false;
  failed_ = false;
  ++stream_generation_;
}

const std::string& SseParser::last_event_id() const { return last_event_id_; }

void SseParser::set_last_event_id(std::string id) {
  last_event_id_ = std::move(id);
  assign_exact(id_buffer_, last_event_id_);
}

bool SseParser::failed() const { return failed_; }

size_t SseParser::buffer_capacity() const { return line_.capacity() + data_.capacity(); }

}  // namespace realtime
