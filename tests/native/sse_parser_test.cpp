// SseParser against the WHATWG HTML "Server-sent events" section ("Parsing an event stream",
// "Interpreting an event stream") and the Encoding standard's "UTF-8 decode". Almost every case
// runs through expect_stream(), which feeds the stream whole, byte by byte, split at every
// position into two chunks and (for short streams) into three, and checks that each feeding gives
// the expected events, retries, error and last event ID.
#include "sse_parser.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace realtime {
namespace {

using namespace std::string_view_literals;

// ---- Recording what the parser reports ----

struct Rec {
  enum Kind { kEvent, kRetry } kind = kEvent;
  std::string type;
  std::string data;
  std::string id;
  uint32_t retry = 0;
  bool operator==(const Rec&) const = default;
};

std::string escaped(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && c != '\\') {
      out += c;
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Rec& r) {
  if (r.kind == Rec::kRetry) return os << "retry(" << r.retry << ")";
  return os << "event(type=\"" << escaped(r.type) << "\", data=\"" << escaped(r.data) << "\", id=\""
            << escaped(r.id) << "\")";
}

Rec Ev(std::string_view data, std::string_view type = "message", std::string_view id = "") {
  return Rec{Rec::kEvent, std::string(type), std::string(data), std::string(id), 0};
}

Rec Retry(uint32_t ms) { return Rec{Rec::kRetry, "", "", "", ms}; }

class RecordingSink : public SseSink {
 public:
  void on_event(const SseEvent& e) override {
    records.push_back(Ev(e.data, e.type, e.last_event_id));
  }
  void on_retry(uint32_t ms) override { records.push_back(Retry(ms)); }
  std::vector<Rec> records;
};

struct Outcome {
  std::vector<Rec> records;
  Errc error = Errc::kOk;  // the first error feed() returned
  std::string last_event_id;
  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "{records: [";
  for (size_t i = 0; i < o.records.size(); ++i) os << (i ? ", " : "") << o.records[i];
  return os << "], error: " << errc_name(o.error) << ", last_event_id: \""
            << escaped(o.last_event_id) << "\"}";
}

Outcome Expect(std::vector<Rec> records, std::string last_event_id = "", Errc error = Errc::kOk) {
  return Outcome{std::move(records), error, std::move(last_event_id)};
}

Outcome run_chunks(const std::vector<std::string_view>& chunks, SseParserLimits limits = {}) {
  SseParser parser(limits);
  RecordingSink sink;
  Outcome out;
  for (const std::string_view chunk : chunks) {
    const Errc e = parser.feed(chunk, sink);
    if (out.error == Errc::kOk) out.error = e;
    // Once failed, a parser stays failed and says so.
    if (out.error != Errc::kOk) {
      EXPECT_EQ(e, out.error);
    }
    EXPECT_EQ(parser.failed(), out.error != Errc::kOk);
  }
  out.records = std::move(sink.records);
  out.last_event_id = parser.last_event_id();
  return out;
}

// Feeds `stream` whole, byte by byte, in two chunks split at every position, and (when short) in
// three chunks split at every pair of positions; each must give `expected`.
void expect_stream(std::string_view stream, const Outcome& expected, SseParserLimits limits = {}) {
  SCOPED_TRACE("stream: \"" + escaped(stream) + "\"");
  EXPECT_EQ(run_chunks({stream}, limits), expected) << "fed whole";

  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < stream.size(); ++i) bytes.push_back(stream.substr(i, 1));
  EXPECT_EQ(run_chunks(bytes, limits), expected) << "fed byte by byte";

  for (size_t i = 0; i <= stream.size(); ++i) {
    const Outcome got = run_chunks({stream.substr(0, i), stream.substr(i)}, limits);
    if (got != expected) {
      ADD_FAILURE() << "split at " << i << "\n  got:      " << got << "\n  expected: " << expected;
      break;
    }
  }

  if (stream.size() > 48) return;
  for (size_t i = 0; i <= stream.size(); ++i) {
    for (size_t j = i; j <= stream.size(); ++j) {
      const Outcome got =
          run_chunks({stream.substr(0, i), stream.substr(i, j - i), stream.substr(j)}, limits);
      if (got != expected) {
        ADD_FAILURE() << "split at " << i << " and " << j << "\n  got:      " << got
                      << "\n  expected: " << expected;
        return;
      }
    }
  }
}

// ---- Line ends ----

TEST(SseParserLines, LfEndsLines) {
  expect_stream("data: a\ndata: b\n\ndata: c\n\n", Expect({Ev("a\nb"), Ev("c")}));
}

TEST(SseParserLines, CrEndsLines) {
  expect_stream("data: a\rdata: b\r\rdata: c\r\r", Expect({Ev("a\nb"), Ev("c")}));
}

TEST(SseParserLines, CrLfEndsLines) {
  expect_stream("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n", Expect({Ev("a\nb"), Ev("c")}));
}

TEST(SseParserLines, MixedLineEnds) {
  expect_stream("data: a\r\ndata: b\rdata: c\n\r\ndata: d\n\r", Expect({Ev("a\nb\nc"), Ev("d")}));
}

TEST(SseParserLines, CrAtChunkEndAndLfAtNextChunkStartAreOneLineEnd) {
  // Were the LF a second line end, "a" would be dispatched on its own.
  EXPECT_EQ(run_chunks({"data: a\r", "\ndata: b\r", "\n\r", "\n"}), Expect({Ev("a\nb")}));
  EXPECT_EQ(run_chunks({"data: a\r", "", "\ndata: b\r\n\r\n"}), Expect({Ev("a\nb")}));
}

TEST(SseParserLines, CrAtChunkEndFollowedByOtherByteEndsTheLine) {
  EXPECT_EQ(run_chunks({"data: a\r", "data: b\r", "\r"}), Expect({Ev("a\nb")}));
}

TEST(SseParserLines, LfCrIsTwoLineEnds) {
  expect_stream("data: a\n\rdata: b\n\r", Expect({Ev("a"), Ev("b")}));
}

TEST(SseParserLines, CrLfCrIsTwoLineEnds) {
  expect_stream("data: a\r\n\rdata: b\r\n\r", Expect({Ev("a"), Ev("b")}));
}

TEST(SseParserLines, CrCrLfIsTwoLineEnds) {
  expect_stream("data: a\r\r\ndata: b\r\r\n", Expect({Ev("a"), Ev("b")}));
}

TEST(SseParserLines, ManyEventsInOneChunk) {
  std::string stream;
  std::vector<Rec> expected;
  for (int i = 0; i < 50; ++i) {
    stream += "id: " + std::to_string(i) + "\ndata: " + std::to_string(i * i) + "\n\n";
    expected.push_back(Ev(std::to_string(i * i), "message", std::to_string(i)));
  }
  EXPECT_EQ(run_chunks({stream}), Expect(expected, "49"));
  for (size_t size : {1u, 2u, 3u, 7u, 64u}) {
    std::vector<std::string_view> chunks;
    for (size_t i = 0; i < stream.size(); i += size) {
      chunks.push_back(std::string_view(stream).substr(i, size));
    }
    EXPECT_EQ(run_chunks(chunks), Expect(expected, "49")) << "chunk size " << size;
  }
}

// The line scan reads eight bytes at a time: a line end, or a byte that is not ASCII, at every
// position of a word, and lines of every length around a word, must be found where they are.
TEST(SseParserLines, LineEndsAndNonAsciiAtEveryWordOffset) {
  for (size_t len = 0; len <= 24; ++len) {
    const std::string a(len, 'a');
    expect_stream("data:" + a + "\ndata:" + a + "\r\n\r", Expect({Ev(a + "\n" + a)}));
    for (size_t at = 0; at < len; ++at) {
      std::string s = a;
      s.replace(at, 1, "\xC3\xA9");  // é: two bytes, not ASCII
      expect_stream("data:" + s + "\n\n", Expect({Ev(s)}));
      std::string bad = a;
      bad[at] = '\xFF';  // invalid: U+FFFD
      std::string decoded = a;
      decoded.replace(at, 1, "\xEF\xBF\xBD");
      EXPECT_EQ(run_chunks({"data:" + bad + "\n\n"}), Expect({Ev(decoded)})) << len << " " << at;
    }
  }
}

// The first data line of an event is kept as a view into the chunk until a second data line, the
// dispatch or the end of the chunk: each must give the same event as a copied buffer.
TEST(SseParserDispatch, OneDataLineHeldAcrossOtherFieldsAndChunks) {
  expect_stream("data: first\nid: 7\nevent: e\n: note\ndata: second\n\n",
                Expect({Ev("first\nsecond", "e", "7")}, "7"));
  expect_stream("data: only\nid: 8\n\ndata:\n\n",
                Expect({Ev("only", "message", "8"), Ev("", "message", "8")}, "8"));
  // A second data line that arrives cut across chunks (the slow path) after a view.
  EXPECT_EQ(run_chunks({"data: a\ndata: b", "c\n\n"}), Expect({Ev("a\nbc")}));
  EXPECT_EQ(run_chunks({"data: a\n", "data: b\n\n"}), Expect({Ev("a\nb")}));
  EXPECT_EQ(run_chunks({"data: a\n", "\n"}), Expect({Ev("a")}));
}

// ---- Comments and field parsing ----

TEST(SseParserFields, CommentLinesAreIgnored) {
  expect_stream(": hello\ndata: a\n:\n: data: b\ndata: c\n\n", Expect({Ev("a\nc")}));
}

TEST(SseParserFields, CommentLineIsNotABlankLine) {
  expect_stream("data: a\n:\n:x\ndata: b\n\n", Expect({Ev("a\nb")}));
}

TEST(SseParserFields, CommentsOnlyDispatchNothing) {
  expect_stream(":a\n\n:b\r\n\r\n", Expect({}));
}

TEST(SseParserFields, FieldWithoutColonHasEmptyValue) {
  // "event" alone sets the type buffer to "" (so "message"), "id" alone sets the id to "".
  expect_stream("id: 1\nevent: x\nevent\ndata\n\n", Expect({Ev("", "message", "1")}, "1"));
  expect_stream("id: 1\n\nid\ndata: a\n\n", Expect({Ev("a", "message", "")}, ""));
}

TEST(SseParserFields, DataAloneAppendsAnEmptyLine) {
  expect_stream("data\n\n", Expect({Ev("")}));
  expect_stream("data\ndata\n\n", Expect({Ev("\n")}));
  expect_stream("data: a\ndata\n\n", Expect({Ev("a\n")}));
}

TEST(SseParserFields, DataWithAndWithoutSpace) {
  expect_stream("data:test\n\ndata: test\n\n", Expect({Ev("test"), Ev("test")}));
  expect_stream("data:\n\n", Expect({Ev("")}));
  expect_stream("data: \n\n", Expect({Ev("")}));
}

TEST(SseParserFields, OnlyOneLeadingSpaceIsStripped) {
  expect_stream("data:  two\n\n", Expect({Ev(" two")}));
  expect_stream("data:   \n\n", Expect({Ev("  ")}));
  expect_stream("data:\ttab\n\n", Expect({Ev("\ttab")}));
  expect_stream("data: trailing \n\n", Expect({Ev("trailing ")}));
  expect_stream("event:  x\ndata: a\n\n", Expect({Ev("a", " x")}));
}

TEST(SseParserFields, ValueKeepsLaterColons) {
  expect_stream("data: a:b: c\ndata::\n\n", Expect({Ev("a:b: c\n:")}));
}

TEST(SseParserFields, FieldNamesAreCaseSensitive) {
  expect_stream("Data: a\n\nDATA: b\n\nEVENT: x\nId: 3\ndata: c\n\n", Expect({Ev("c")}));
}

TEST(SseParserFields, FieldNameIsEverythingBeforeTheColon) {
  // "data " (with a space) and " data" are unknown fields.
  expect_stream("data : a\n data: b\ndata: c\n\n", Expect({Ev("c")}));
}

TEST(SseParserFields, UnknownFieldsAreIgnored) {
  expect_stream("foo: bar\ndata: a\nx\ndatas: b\nretr: 5\n\n", Expect({Ev("a")}));
}

TEST(SseParserFields, EventSetsTheType) {
  expect_stream("event: add\ndata: 1\n\n", Expect({Ev("1", "add")}));
}

TEST(SseParserFields, LastEventFieldWins) {
  expect_stream("event: a\nevent: b\ndata: 1\n\n", Expect({Ev("1", "b")}));
}

TEST(SseParserFields, EmptyEventFieldMeansMessage) {
  expect_stream("event: add\nevent:\ndata: 1\n\n", Expect({Ev("1", "message")}));
}

TEST(SseParserFields, EventTypeIsResetAfterDispatch) {
  expect_stream("event: add\ndata: 1\n\ndata: 2\n\n", Expect({Ev("1", "add"), Ev("2")}));
}

TEST(SseParserFields, EventTypeIsResetByABlankLineWithoutData) {
  expect_stream("event: add\n\ndata: 2\n\n", Expect({Ev("2")}));
}

TEST(SseParserFields, IdSetsTheLastEventId) {
  expect_stream("id: 7\ndata: a\n\n", Expect({Ev("a", "message", "7")}, "7"));
  expect_stream("data: a\nid: 7\n\n", Expect({Ev("a", "message", "7")}, "7"));
}

TEST(SseParserFields, IdPersistsAcrossEventsWithoutId) {
  expect_stream("id: 7\ndata: a\n\ndata: b\n\n",
                Expect({Ev("a", "message", "7"), Ev("b", "message", "7")}, "7"));
}

TEST(SseParserFields, IdStripsOneSpaceOnly) {
  expect_stream("id:  5\ndata: a\n\n", Expect({Ev("a", "message", " 5")}, " 5"));
}

TEST(SseParserFields, IdContainingNulIsIgnored) {
  expect_stream(
      "id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\nid: \0\ndata: c\n\n"sv,
      Expect({Ev("a", "message", "1"), Ev("b", "message", "1"), Ev("c", "message", "1")}, "1"));
}

TEST(SseParserFields, NulOutsideIdIsData) {
  expect_stream("data: a\0b\nevent: t\0\n\n"sv, Expect({Ev("a\0b"sv, "t\0"sv)}));
}

TEST(SseParserFields, IdWithoutDataUpdatesTheLastEventIdString) {
  expect_stream("id: 9\n\n", Expect({}, "9"));
}

TEST(SseParserFields, IdIsNotCommittedBeforeTheBlankLine) {
  expect_stream("id: 1\n\nid: 2\ndata: x\n", Expect({}, "1"));
}

TEST(SseParserFields, RetryWithDigitsIsReportedAtOnce) {
  // Reported when the line is read, before the event it sits in is dispatched.
  expect_stream("data: a\nretry: 1500\n\n", Expect({Retry(1500), Ev("a")}));
  expect_stream("retry:0\n", Expect({Retry(0)}));
  expect_stream("retry: 007\n", Expect({Retry(7)}));
}

TEST(SseParserFields, RetryWithNonDigitsIsIgnored) {
  expect_stream(
      "retry: 12a\nretry: a12\nretry: -1\nretry: 1.5\nretry: +3\nretry: 1 \n"
      "retry:  10\nretry: 0x10\nretry: \xEF\xBC\x91\ndata: x\n\n",
      Expect({Ev("x")}));
}

TEST(SseParserFields, RetryEmptyIsIgnored) {
  expect_stream("retry\nretry:\nretry: \nretry: 5\n", Expect({Retry(5)}));
}

TEST(SseParserFields, RetryAboveUint32Saturates) {
  expect_stream("retry: 4294967295\nretry: 4294967296\nretry: 99999999999999999999999\n",
                Expect({Retry(4294967295u), Retry(4294967295u), Retry(4294967295u)}));
}

TEST(SseParserFields, RetryDoesNotDispatch) {
  expect_stream("retry: 10\n\n\n", Expect({Retry(10)}));
}

// ---- Dispatch ----

TEST(SseParserDispatch, BlankLineWithEmptyDataDispatchesNothing) {
  expect_stream("\n\n\r\n\r\nevent: a\n\n", Expect({}));
}

TEST(SseParserDispatch, FinalLfOfDataIsRemovedOnce) {
  expect_stream("data: a\ndata:\n\n", Expect({Ev("a\n")}));
}

TEST(SseParserDispatch, IncompleteFinalEventIsNeverDispatched) {
  expect_stream("data: a\n\ndata: b\n", Expect({Ev("a")}));
  expect_stream("data: a\n\ndata: b", Expect({Ev("a")}));
  expect_stream("data: a\n\ndata: b\r", Expect({Ev("a")}));
}

TEST(SseParserDispatch, DataIsResetAfterDispatch) {
  expect_stream("data: a\n\ndata: b\n\n", Expect({Ev("a"), Ev("b")}));
}

TEST(SseParserDispatch, SinkMayResetTheStreamFromOnEvent) {
  struct ResettingSink : SseSink {
    SseParser* parser = nullptr;
    std::vector<std::string> data;
    void on_event(const SseEvent& e) override {
      data.emplace_back(e.data);
      parser->reset_stream();
    }
    void on_retry(uint32_t) override {}
  };
  SseParser parser;
  ResettingSink sink;
  sink.parser = &parser;
  EXPECT_EQ(parser.feed("id: 1\ndata: a\n\ndata: b\n\n", sink), Errc::kOk);
  EXPECT_EQ(sink.data, std::vector<std::string>{"a"});  // the rest of the chunk is dropped
  EXPECT_EQ(parser.last_event_id(), "1");
  EXPECT_EQ(parser.feed("data: c\n\n", sink), Errc::kOk);
  EXPECT_EQ(sink.data, (std::vector<std::string>{"a", "c"}));
}

// ---- The examples of the WHATWG section "Interpreting an event stream" ----

TEST(SseParserSpec, ThreeLineMessage) {
  expect_stream("data: YHOO\ndata: +2\ndata: 10\n\n", Expect({Ev("YHOO\n+2\n10")}));
}

TEST(SseParserSpec, CommentIdsAndUnterminatedLastEvent) {
  // The third event has no blank line after it: never dispatched.
  expect_stream(
      ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
      "data:  third event\n",
      Expect({Ev("first event", "message", "1"), Ev("second event", "message", "")}));
}

TEST(SseParserSpec, LeadingSpaceOfThirdEventKept) {
  expect_stream("data:  third event\n\n", Expect({Ev(" third event")}));
}

TEST(SseParserSpec, EmptyDataEvents) {
  // Two events: "" and "\n"; the last block has no blank line after it.
  expect_stream("data\n\ndata\ndata\n\ndata:", Expect({Ev(""), Ev("\n")}));
}

TEST(SseParserSpec, SpaceAfterColonIsOptional) {
  expect_stream("data:test\n\ndata: test\n\n", Expect({Ev("test"), Ev("test")}));
}

TEST(SseParserSpec, EventTypes) {
  expect_stream(
      "event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\n"
      "event: add\ndata: 113411\n\n",
      Expect({Ev("73857293", "add"), Ev("2153", "remove"), Ev("113411", "add")}));
}

TEST(SseParserSpec, IntroductionMessages) {
  expect_stream(
      "data: This is the first message.\n\ndata: This is the second message, it\n"
      "data: has two lines.\n\ndata: This is the third message.\n\n",
      Expect({Ev("This is the first message."),
              Ev("This is the second message, it\nhas two lines."),
              Ev("This is the third message.")}));
}

// ---- UTF-8 decoding ----

constexpr std::string_view kFffd = "\xEF\xBF\xBD";

std::string repl(int count) {
  std::string s;
  for (int i = 0; i < count; ++i) s += kFffd;
  return s;
}

TEST(SseParserUtf8, ValidMultiByteTextPassesThrough) {
  expect_stream("event: caf\xC3\xA9\ndata: \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBD\n\n",
                Expect({Ev("\xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBD", "caf\xC3\xA9")}));
}

TEST(SseParserUtf8, LoneContinuationBytes) {
  expect_stream("data: \x80\n\n", Expect({Ev(repl(1))}));
  expect_stream(
      "data: a\x80\xBF"
      "b\n\n",
      Expect({Ev("a" + repl(2) + "b")}));
}

TEST(SseParserUtf8, InvalidLeadBytes) {
  expect_stream("data: \xC0\xC1\xF5\xF8\xFF\n\n", Expect({Ev(repl(5))}));
}

TEST(SseParserUtf8, TruncatedSequenceFollowedByAscii) {
  // Maximal subpart: E2 82 is one U+FFFD, and the 'A' that broke it is kept.
  expect_stream(
      "data: \xE2\x82"
      "A\n\n",
      Expect({Ev(repl(1) + "A")}));
  expect_stream(
      "data: \xF0\x9F\x98"
      "A\n\n",
      Expect({Ev(repl(1) + "A")}));
  expect_stream(
      "data: \xC3"
      "A\n\n",
      Expect({Ev(repl(1) + "A")}));
  // Cut by the chunk end, then ASCII in the next chunk.
  EXPECT_EQ(run_chunks({"data: \xE2\x82", "A\n\n"}), Expect({Ev(repl(1) + "A")}));
  EXPECT_EQ(run_chunks({"data: \xF0", "\x9F", "\x98", "A\n\n"}), Expect({Ev(repl(1) + "A")}));
}

TEST(SseParserUtf8, TruncatedSequenceBeforeLineEnd) {
  expect_stream("data: \xE2\x82\ndata: \xF0\x9F\x98\r\n\r\n",
                Expect({Ev(repl(1) + "\n" + repl(1))}));
}

TEST(SseParserUtf8, TruncatedSequenceFollowedByAnotherLead) {
  expect_stream("data: \xF0\x9F\x98\xF0\x9F\x98\x80\n\n",
                Expect({Ev(repl(1) + "\xF0\x9F\x98\x80")}));
  expect_stream("data: \xE2\xC3\xA9\n\n", Expect({Ev(repl(1) + "\xC3\xA9")}));
}

TEST(SseParserUtf8, SequenceSplitAcrossChunks) {
  EXPECT_EQ(run_chunks({"data: \xF0", "\x9F\x98", "\x80\n\n"}), Expect({Ev("\xF0\x9F\x98\x80")}));
  EXPECT_EQ(run_chunks({"data: \xE2\x82", "\xAC\n", "\n"}), Expect({Ev("\xE2\x82\xAC")}));
}

TEST(SseParserUtf8, OverlongEncodings) {
  expect_stream("data: \xC0\xAF\n\n", Expect({Ev(repl(2))}));
  expect_stream("data: \xE0\x80\xAF\n\n", Expect({Ev(repl(3))}));
  expect_stream("data: \xF0\x80\x80\xAF\n\n", Expect({Ev(repl(4))}));
  expect_stream("data: \xE0\x9F\xBF\n\n", Expect({Ev(repl(3))}));
  // The smallest non-overlong forms are fine.
  expect_stream("data: \xC2\x80\xE0\xA0\x80\xF0\x90\x80\x80\n\n",
                Expect({Ev("\xC2\x80\xE0\xA0\x80\xF0\x90\x80\x80")}));
}

TEST(SseParserUtf8, Surrogates) {
  expect_stream("data: \xED\xA0\x80\n\n", Expect({Ev(repl(3))}));
  expect_stream("data: \xED\xBF\xBF\n\n", Expect({Ev(repl(3))}));
  // A CESU-8 surrogate pair is six errors.
  expect_stream("data: \xED\xA0\xBD\xED\xB8\x80\n\n", Expect({Ev(repl(6))}));
  expect_stream("data: \xED\x9F\xBF\n\n", Expect({Ev("\xED\x9F\xBF")}));  // U+D7FF
}

TEST(SseParserUtf8, AboveMaximumCodePoint) {
  expect_stream("data: \xF4\x90\x80\x80\n\n", Expect({Ev(repl(4))}));
  expect_stream("data: \xF4\x8F\xBF\xBF\n\n", Expect({Ev("\xF4\x8F\xBF\xBF")}));  // U+10FFFF
}

TEST(SseParserUtf8, InvalidBytesInFieldNameAndId) {
  expect_stream(
      "d\xFF"
      "ata: a\ndata: b\n\n",
      Expect({Ev("b")}));
  expect_stream("id: \xFF\ndata: a\n\n", Expect({Ev("a", "message", repl(1))}, repl(1)));
}

TEST(SseParserUtf8, InvalidByteAfterAsciiRun) {
  // Long ASCII runs go through the eight-bytes-at-a-time path; the error must still be found.
  const std::string run(37, 'x');
  expect_stream("data: " + run + "\xFF" + run + "\n\n", Expect({Ev(run + repl(1) + run)}));
}

// ---- Byte order mark ----

constexpr std::string_view kBom = "\xEF\xBB\xBF";

TEST(SseParserBom, LeadingBomIsStripped) {
  // Not stripped, it would make the field name "\uFEFFdata", which is ignored.
  expect_stream(std::string(kBom) + "data: a\n\n", Expect({Ev("a")}));
  EXPECT_EQ(run_chunks({"", "\xEF", "", "\xBB", "\xBF", "data: a\n\n"}), Expect({Ev("a")}));
}

TEST(SseParserBom, SecondBomIsData) {
  expect_stream(std::string(kBom) + std::string(kBom) + "data: a\n\ndata: b\n\n",
                Expect({Ev("b")}));
  expect_stream(std::string(kBom) + "data: " + std::string(kBom) + "a\n\n",
                Expect({Ev(std::string(kBom) + "a")}));
}

TEST(SseParserBom, BomAfterTheFirstLineIsData) {
  expect_stream("data: a\n\n" + std::string(kBom) + "data: b\n\n", Expect({Ev("a")}));
}

TEST(SseParserBom, BomAloneIsAnEmptyStream) {
  expect_stream(std::string(kBom), Expect({}));
  expect_stream(std::string(kBom) + "\n\n", Expect({}));
}

TEST(SseParserBom, PartialBomIsDecodedAsText) {
  // EF then 'd': U+FFFD starts the field name, so the line is ignored.
  expect_stream(
      "\xEF"
      "data: a\n\ndata: b\n\n",
      Expect({Ev("b")}));
  expect_stream(
      "\xEF\xBB"
      "data: a\n\ndata: b\n\n",
      Expect({Ev("b")}));
  // EF BB BB is U+FEFB, a valid character: "\uFEFB: x" is an unknown field.
  expect_stream("\xEF\xBB\xBB: x\ndata: b\n\n", Expect({Ev("b")}));
  expect_stream("\xEF\xBB\xBB\n", Expect({}));
  expect_stream(
      "\xEF\n\xEF\xBB\xBF"
      "data: a\n\n",
      Expect({}));  // "\uFEFFdata" is not "data"
}

TEST(SseParserBom, PartialBomThenLineEnd) {
  // EF BB then LF: one U+FFFD line, a field with an odd name; then an event.
  expect_stream("\xEF\xBB\ndata: b\n\n", Expect({Ev("b")}));
  expect_stream("\xEF\xBB\r\n\r\n", Expect({}));
}

// ---- Limits ----

TEST(SseParserLimits, LineAtTheLimitIsAccepted) {
  SseParserLimits limits{16};
  expect_stream("data: 0123456789\n\n", Expect({Ev("0123456789")}), limits);  // 16 bytes
  expect_stream("data: 0123456789A\n\n", Expect({}, "", Errc::kStreamTooLarge), limits);
  expect_stream(": comment 0123456\n\n", Expect({}, "", Errc::kStreamTooLarge), limits);
}

TEST(SseParserLimits, LineLimitCountsDecodedBytes) {
  // Three bytes for each U+FFFD: "data:" + 4 * 3 = 17 > 16.
  SseParserLimits limits{16};
  expect_stream("data:\xFF\xFF\xFF\n\n", Expect({Ev(repl(3))}), limits);
  expect_stream("data:\xFF\xFF\xFF\xFF\n\n", Expect({}, "", Errc::kStreamTooLarge), limits);
}

TEST(SseParserLimits, EventsBeforeTheOversizeLineAreDispatched) {
  SseParserLimits limits{16};
  expect_stream("id: 1\ndata: a\n\ndata: 0123456789ABCDEF\n\ndata: b\n\n",
                Expect({Ev("a", "message", "1")}, "1", Errc::kStreamTooLarge), limits);
}

TEST(SseParserLimits, DataAtTheLimitIsAccepted) {
  SseParserLimits limits{10};
  // Dispatched data "12345\n1234" is 10 bytes (and each line is at most 10 bytes).
  expect_stream("data:12345\ndata:1234\n\n", Expect({Ev("12345\n1234")}), limits);
  expect_stream("data:12345\ndata:12345\n\n", Expect({}, "", Errc::kStreamTooLarge), limits);
  expect_stream("data:12345\ndata:1234\ndata\n\n", Expect({}, "", Errc::kStreamTooLarge), limits);
  // The limit is per event: the data buffer is reset by each dispatch.
  expect_stream("data:12345\ndata:1234\n\ndata:12345\ndata:1234\n\n",
                Expect({Ev("12345\n1234"), Ev("12345\n1234")}), limits);
}

TEST(SseParserLimits, EndlessLineFailsAndMemoryStaysBounded) {
  const SseParserLimits limits;  // 1 MiB
  const std::string chunk(64 * 1024, 'a');
  SseParser parser(limits);
  RecordingSink sink;
  int first_error = -1;
  for (int i = 0; i < 128; ++i) {  // 8 MiB, no line end
    const Errc e = parser.feed(chunk, sink);
    if (e != Errc::kOk && first_error < 0) first_error = i;
    if (first_error >= 0) {
      EXPECT_EQ(e, Errc::kStreamTooLarge) << i;
    }
    ASSERT_LE(parser.buffer_capacity(), limits.max_event_bytes + chunk.size()) << i;
  }
  // 16 chunks make a line of exactly 1 MiB (accepted); the 17th passes the limit.
  EXPECT_EQ(first_error, 16);
  EXPECT_TRUE(parser.failed());
  EXPECT_TRUE(sink.records.empty());
  // Failed: a line end and a whole event change nothing.
  EXPECT_EQ(parser.feed("\n\ndata: x\n\n", sink), Errc::kStreamTooLarge);
  EXPECT_TRUE(sink.records.empty());
}

TEST(SseParserLimits, EndlessLineByteByByteFailsAtTheExactByte) {
  const SseParserLimits limits{1000};
  SseParser parser(limits);
  RecordingSink sink;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(parser.feed("a", sink), Errc::kOk) << i;
    ASSERT_LE(parser.buffer_capacity(), limits.max_event_bytes + 1) << i;
  }
  EXPECT_EQ(parser.feed("a", sink), Errc::kStreamTooLarge);
  EXPECT_TRUE(parser.failed());
  EXPECT_EQ(parser.feed("\n\n", sink), Errc::kStreamTooLarge);
  EXPECT_TRUE(sink.records.empty());
}

TEST(SseParserLimits, OversizeLineInsideOneChunkFails) {
  const SseParserLimits limits{1000};
  const std::string stream = "data: ok\n\ndata: " + std::string(5000, 'b') + "\n\n";
  SseParser parser(limits);
  RecordingSink sink;
  EXPECT_EQ(parser.feed(stream, sink), Errc::kStreamTooLarge);
  EXPECT_EQ(sink.records, std::vector<Rec>{Ev("ok")});
  EXPECT_LE(parser.buffer_capacity(), limits.max_event_bytes + stream.size());
}

TEST(SseParserLimits, ManyDataLinesInOneEventFail) {
  const SseParserLimits limits{64 * 1024};
  const size_t chunk_size = 4096;
  std::string stream = "data: first\n\n";
  for (int i = 0; i < 200; ++i) stream += "data: " + std::string(1000, 'x') + "\n";
  stream += "\n";
  SseParser parser(limits);
  RecordingSink sink;
  Errc first_error = Errc::kOk;
  size_t error_offset = 0;
  for (size_t i = 0; i < stream.size(); i += chunk_size) {
    const Errc e = parser.feed(std::string_view(stream).substr(i, chunk_size), sink);
    if (e != Errc::kOk && first_error == Errc::kOk) {
      first_error = e;
      error_offset = i;
    }
    ASSERT_LE(parser.buffer_capacity(), limits.max_event_bytes + chunk_size) << i;
  }
  EXPECT_EQ(first_error, Errc::kStreamTooLarge);
  // 66 lines of 1000 bytes joined with '\n' make 66065 > 65536 bytes: the error comes with the
  // chunk that holds the line end of the 66th data line.
  const size_t line66_lf = 13 + 66 * 1007 - 1;
  EXPECT_LE(error_offset, line66_lf);
  EXPECT_GT(error_offset + chunk_size, line66_lf);
  EXPECT_EQ(sink.records, std::vector<Rec>{Ev("first")});
  EXPECT_TRUE(parser.failed());
}

TEST(SseParserLimits, FailedParserIgnoresFeedsUntilReset) {
  SseParser parser(SseParserLimits{8});
  RecordingSink sink;
  EXPECT_EQ(parser.feed("data: 123456789\n\n", sink), Errc::kStreamTooLarge);
  EXPECT_TRUE(parser.failed());
  EXPECT_EQ(parser.feed("data: a\n\n", sink), Errc::kStreamTooLarge);
  EXPECT_TRUE(sink.records.empty());
  parser.reset_stream();
  EXPECT_FALSE(parser.failed());
  EXPECT_EQ(parser.feed("data: a\n\n", sink), Errc::kOk);
  EXPECT_EQ(sink.records, std::vector<Rec>{Ev("a")});
}

// ---- Reconnection ----

TEST(SseParserReset, KeepsTheLastEventIdAndDropsThePartialEvent) {
  SseParser parser;
  RecordingSink sink;
  EXPECT_EQ(parser.feed("id: 5\ndata: a\n\nid: 6\nevent: t\ndata: partial\n", sink), Errc::kOk);
  EXPECT_EQ(parser.last_event_id(), "5");
  parser.reset_stream();
  EXPECT_EQ(parser.last_event_id(), "5");
  EXPECT_EQ(parser.feed("data: b\n\n", sink), Errc::kOk);
  // "partial", type "t" and id 6 are gone; id 5 carries over.
  EXPECT_EQ(sink.records, (std::vector<Rec>{Ev("a", "message", "5"), Ev("b", "message", "5")}));
  EXPECT_EQ(parser.last_event_id(), "5");
}

TEST(SseParserReset, DropsAPartialLine) {
  SseParser parser;
  RecordingSink sink;
  EXPECT_EQ(parser.feed("data: a\n\ndata: par", sink), Errc::kOk);
  parser.reset_stream();
  EXPECT_EQ(parser.feed("tial\n\ndata: b\n\n", sink), Errc::kOk);
  EXPECT_EQ(sink.records, (std::vector<Rec>{Ev("a"), Ev("b")}));  // "tial" is an unknown field
}

TEST(SseParserReset, DropsAPendingUtf8Sequence) {
  SseParser parser;
  RecordingSink sink;
  EXPECT_EQ(parser.feed("data: a\xE2\x82", sink), Errc::kOk);
  parser.reset_stream();
  // Were E2 82 kept, 'd' would break it into U+FFFD and "\uFFFDdata" is no field.
  EXPECT_EQ(parser.feed("data: b\n\n", sink), Errc::kOk);
  EXPECT_EQ(parser.feed("data: c\xE2\x82", sink), Errc::kOk);
  parser.reset_stream();
  // The same after a BOM.
  EXPECT_EQ(parser.feed(std::string(kBom) + "data: d\n\n", sink), Errc::kOk);
  EXPECT_EQ(sink.records, (std::vector<Rec>{Ev("b"), Ev("d")}));
}

TEST(SseParserReset, RearmsBomStripping) {
  SseParser parser;
  RecordingSink sink;
  EXPECT_EQ(parser.feed(std::string(kBom) + "data: a\n\n", sink), Errc::kOk);
  parser.reset_stream();
  EXPECT_EQ(parser.feed("\xEF\xBB", sink), Errc::kOk);
  EXPECT_EQ(parser.feed("\xBF"
                        "data: b\n\n",
                        sink),
            Errc::kOk);
  EXPECT_EQ(sink.records, (std::vector<Rec>{Ev("a"), Ev("b")}));
}

TEST(SseParserReset, NewStreamCanClearTheId) {
  SseParser parser;
  RecordingSink sink;
  EXPECT_EQ(parser.feed("id: 5\n\n", sink), Errc::kOk);
  parser.reset_stream();
  EXPECT_EQ(parser.feed("id\ndata: a\n\n", sink), Errc::kOk);
  EXPECT_EQ(sink.records, std::vector<Rec>{Ev("a", "message", "")});
  EXPECT_EQ(parser.last_event_id(), "");
}

TEST(SseParserReset, SetLastEventIdIsUsedByTheNextEvents) {
  SseParser parser;
  RecordingSink sink;
  parser.set_last_event_id("42");
  EXPECT_EQ(parser.last_event_id(), "42");
  EXPECT_EQ(parser.feed("data: a\n\nid: 43\n\n", sink), Errc::kOk);
  EXPECT_EQ(sink.records, std::vector<Rec>{Ev("a", "message", "42")});
  EXPECT_EQ(parser.last_event_id(), "43");
  parser.set_last_event_id("");
  parser.reset_stream();
  EXPECT_EQ(parser.feed("data: b\n\n", sink), Errc::kOk);
  EXPECT_EQ(sink.records.back(), Ev("b", "message", ""));
}

// ---- Differential check against a literal reading of the standards ----

// WHATWG Encoding "UTF-8 decode" (BOM sniff + decoder with replacement), written the way the
// standard states it, code point by code point, with the "prepend the byte" step.
std::u32string reference_decode(std::string_view bytes) {
  std::u32string out;
  size_t i = 0;
  if (bytes.substr(0, 3) == kBom) i = 3;
  uint32_t code_point = 0;
  int bytes_needed = 0;
  int bytes_seen = 0;
  unsigned lower = 0x80;
  unsigned upper = 0xBF;
  while (i < bytes.size()) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    if (bytes_needed == 0) {
      ++i;
      if (byte <= 0x7F) {
        out += static_cast<char32_t>(byte);
      } else if (byte >= 0xC2 && byte <= 0xDF) {
        bytes_needed = 1;
        code_point = byte & 0x1F;
      } else if (byte >= 0xE0 && byte <= 0xEF) {
        if (byte == 0xE0) lower = 0xA0;
        if (byte == 0xED) upper = 0x9F;
        bytes_needed = 2;
        code_point = byte & 0xF;
      } else if (byte >= 0xF0 && byte <= 0xF4) {
        if (byte == 0xF0) lower = 0x90;
        if (byte == 0xF4) upper = 0x8F;
        bytes_needed = 3;
        code_point = byte & 0x7;
      } else {
        out += U'\uFFFD';
      }
      continue;
    }
    if (byte < lower || byte > upper) {
      code_point = 0;
      bytes_needed = 0;
      bytes_seen = 0;
      lower = 0x80;
      upper = 0xBF;
      out += U'\uFFFD';
      continue;  // the byte is decoded again
    }
    ++i;
    lower = 0x80;
    upper = 0xBF;
    code_point = (code_point << 6) | (byte & 0x3F);
    if (++bytes_seen == bytes_needed) {
      out += static_cast<char32_t>(code_point);
      code_point = 0;
      bytes_needed = 0;
      bytes_seen = 0;
    }
  }
  if (bytes_needed != 0) out += U'\uFFFD';
  return out;
}

std::string to_utf8(std::u32string_view s) {
  std::string out;
  for (const char32_t c : s) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

// HTML "Interpreting an event stream", step by step, on decoded text.
Outcome reference_parse(std::string_view bytes) {
  const std::u32string text = reference_decode(bytes);
  Outcome out;
  std::u32string data;
  std::u32string type;
  std::u32string id_buffer;
  std::u32string last_id;
  std::u32string line;
  auto process = [&](const std::u32string& l) {
    if (l.empty()) {
      last_id = id_buffer;
      if (data.empty()) {
        type.clear();
        return;
      }
      if (data.back() == U'\n') data.pop_back();
      out.records.push_back(
          Ev(to_utf8(data), type.empty() ? "message" : to_utf8(type), to_utf8(last_id)));
      data.clear();
      type.clear();
      return;
    }
    if (l[0] == U':') return;
    std::u32string field = l;
    std::u32string value;
    if (const size_t colon = l.find(U':'); colon != std::u32string::npos) {
      field = l.substr(0, colon);
      value = l.substr(colon + 1);
      if (!value.empty() && value[0] == U' ') value.erase(0, 1);
    }
    if (field == U"event") {
      type = value;
    } else if (field == U"data") {
      data += value;
      data += U'\n';
    } else if (field == U"id") {
      if (value.find(U'\0') == std::u32string::npos) id_buffer = value;
    } else if (field == U"retry") {
      if (value.empty()) return;
      uint64_t ms = 0;
      for (const char32_t c : value) {
        if (c < U'0' || c > U'9') return;
        ms = std::min<uint64_t>(ms * 10 + (c - U'0'), std::numeric_limits<uint32_t>::max());
      }
      out.records.push_back(Retry(static_cast<uint32_t>(ms)));
    }
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c == U'\r' || c == U'\n') {
      if (c == U'\r' && i + 1 < text.size() && text[i + 1] == U'\n') ++i;
      process(line);
      line.clear();
    } else {
      line += c;
    }
  }
  // The unterminated last line and the pending event are discarded at the end of the stream.
  out.last_event_id = to_utf8(last_id);
  return out;
}

TEST(SseParserFuzz, MatchesTheReferenceAtRandomChunkings) {
  static const std::vector<std::string_view> kTokens = {"data",
                                                        "data:",
                                                        "data: ",
                                                        "event:",
                                                        "event: ",
                                                        "id:",
                                                        "id: ",
                                                        "retry:",
                                                        "retry: ",
                                                        ":",
                                                        " ",
                                                        "\n",
                                                        "\r",
                                                        "\r\n",
                                                        "\n\n",
                                                        "a",
                                                        "xyz",
                                                        "1",
                                                        "42",
                                                        "\0"sv,
                                                        "\xEF\xBB\xBF",
                                                        "\xEF",
                                                        "\xBB",
                                                        "\xBF",
                                                        "\xE2\x82\xAC",
                                                        "\xE2",
                                                        "\x82",
                                                        "\xAC",
                                                        "\xF0\x9F\x98\x80",
                                                        "\xF0",
                                                        "\x9F",
                                                        "\x80",
                                                        "\xFF",
                                                        "\xC0",
                                                        "\xED\xA0\x80",
                                                        "\xF4\x90",
                                                        "\xC3\xA9",
                                                        "99999999999"};
  std::mt19937 rng(20240607);
  for (int round = 0; round < 3000; ++round) {
    std::string stream;
    const int tokens = std::uniform_int_distribution<int>(0, 40)(rng);
    for (int t = 0; t < tokens; ++t) {
      stream += kTokens[std::uniform_int_distribution<size_t>(0, kTokens.size() - 1)(rng)];
    }
    const Outcome expected = reference_parse(stream);
    std::vector<std::string_view> chunks;
    for (size_t i = 0; i < stream.size();) {
      const size_t size = std::uniform_int_distribution<size_t>(0, 6)(rng);
      chunks.push_back(std::string_view(stream).substr(i, size));
      i += size;
    }
    const Outcome got = run_chunks(chunks);
    ASSERT_EQ(got, expected) << "round " << round << ", stream \"" << escaped(stream) << "\"";
    if (round % 100 == 0) expect_stream(stream, expected);
  }
}

}  // namespace
}  // namespace realtime
