// The bookkeeping behind the realtime.v1 delivery guarantees (docs/protocol.md), sans-IO:
// - AckStore: acknowledged sends. A message stays until its rt:ack arrives, its timeout passes,
//   or it is withdrawn; every one still there is re-sent, in send order and with the same id,
//   after each reconnect. Bounded by count and bytes.
// - ChannelTable: the channels a session has joined and the position ({epoch, offset}) of each.
//   A publication at or below the position is a duplicate (a replay overlapping what arrived);
//   one past position + 1, or a join the server could not honour, is a gap.
// WsSession owns both and does the I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "small_map.h"

namespace realtime {

struct DeliveryLimits {
  std::size_t max_pending = 1000;           // maxPendingAcks
  std::size_t max_pending_bytes = 1 << 20;  // maxPendingAckBytes
};

class AckStore {
 public:
  struct Entry {
    std::string id;
    std::string text;   // the encoded envelope, re-sent as it is
    double deadline;    // epoch ms
    std::uint64_t seq;  // send order, shared with the offline queue
  };

  explicit AckStore(DeliveryLimits limits) : limits_(limits) {}

  // False (nothing stored) when the count or byte bound would be passed.
  bool add(Entry entry);
  // Removes an entry (its ack arrived, or it was withdrawn); false when unknown.
  bool remove(std::string_view id);
  bool contains(std::string_view id) const;
  // Removes and returns the ids whose deadline is <= now.
  std::vector<std::string> expire(double now);
  std::optional<double> next_deadline() const;
  // Removes and returns every id (the session gave up).
  std::vector<std::string> take_all();
  const std::vector<Entry>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  DeliveryLimits limits_;
  std::vector<Entry> entries_;  // in seq order (a few; no std::deque in the module)
  std::size_t bytes_ = 0;
};

struct ChannelPosition {
  std::string epoch;
  std::uint64_t offset = 0;
};

class ChannelTable {
 public:
  enum class Publication : std::uint8_t { kDeliver, kDuplicate, kGap, kUnknown };
  // Publications after `from` and before the next one delivered may be missing.
  struct Gap {
    ChannelPosition from;  // the position before the gap
    std::string epoch;     // the epoch delivery goes on in
  };

  // Joins (or re-joins from `since`); returns the channel's id (stable while joined, never 0).
  std::uint32_t join(const std::string& name, const std::optional<ChannelPosition>& since);
  bool leave(std::string_view name);
  std::uint32_t id_of(std::string_view name) const;  // 0 when not joined
  std::optional<ChannelPosition> position(std::string_view name) const;
  // The rt:join frame for one channel, and for all (sent on every open).
  std::string join_frame(std::string_view name) const;
  std::vector<std::string> join_frames() const;
  static std::string leave_frame(std::string_view name);

  // rt:joined: the server's epoch and whether it honoured the position. A gap when it did not
  // and the client had a position to lose.
  std::optional<Gap> on_joined(std::string_view name, std::string_view epoch, std::uint64_t offset,
                               bool recovered);
  // A publication at `offset`: advances the position unless it is a duplicate; `gap` is set on
  // kGap (delivered too: live delivery goes on); `*id` is the channel's id unless kUnknown.
  Publication on_publication(std::string_view name, std::uint64_t offset, Gap* gap,
                             std::uint32_t* id);
  bool empty() const { return channels_.empty(); }

 private:
  struct Channel {
    std::uint32_t id;
    ChannelPosition position;
    bool positioned = false;  // false: joined live-only, until rt:joined gives the position
    bool rebase = false;      // the next publication starts the position (after a gap)
  };
  SmallMap<Channel> channels_;
  std::uint32_t next_id_ = 1;
};

// The payloads of the protocol's control frames (parsed off the hot path; nullopt when the
// payload does not have the documented shape).
struct AckFrame {
  std::string id;
  bool ok = true;
  std::string reply_json;  // when ok ("null" when the handler returned nothing)
  std::string message;     // when not ok: "code: message"
};
std::optional<AckFrame> parse_ack(std::string_view payload);

struct JoinedFrame {
  std::string channel;
  std::string epoch;
  std::uint64_t offset = 0;
  bool recovered = true;
};
std::optional<JoinedFrame> parse_joined(std::string_view payload);

struct ErrorFrame {
  std::string code;
  std::string message;
  std::string id;       // the message it is about, if any
  std::string channel;  // the channel it is about, if any
};
std::optional<ErrorFrame> parse_error_frame(std::string_view payload);

}  // namespace realtime
