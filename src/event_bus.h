// RealtimeEventBus bookkeeping (seed: "Real-time Architecture Patterns"): named channels with a
// bounded event history, subscriptions, and replay of recent events to a new subscriber.
//
// Pure state: the JS side keeps the callbacks (keyed by the subscription ids returned here) and
// the payloads (keyed by an opaque payload handle it allocates per publish). The bus stores each
// published event's handle in the channel history and reports it exactly once when it leaves
// (evicted by the history bound, or the channel removed), so the JS side can free the payload.
//
// Fixes over the seed: subscribe and publish on an unknown channel return kUnknownChannel (the
// seed threw on one and silently dropped the other); every subscribe gets its own subscription id
// and unsubscribe removes exactly that one, so one callback on two channels (or twice on one)
// unsubscribes independently; re-creating a channel keeps its subscribers and history instead of
// silently replacing them; a negative max_history is rejected.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "errc.h"

namespace realtime {

struct BusEvent {
  std::string id;  // UUID v4 from the injected random source
  std::string type;
  std::string source;
  std::string target;    // empty when absent (seed: target?)
  double timestamp = 0;  // the injected now, ms
  std::uint32_t payload_handle = 0;
};

struct PublishInput {
  std::string type;
  std::string source;
  std::string target;
  std::uint32_t payload_handle = 0;
};

struct PublishResult {
  Errc error = Errc::kOk;  // kUnknownChannel: nothing stored, the handle stays the caller's
  BusEvent event;
  std::vector<std::uint32_t> subscribers;  // subscription ids to deliver to, in subscribe order
  // The handle that left the history (with max_history 0 it is the event's own handle: free it
  // after delivering).
  std::optional<std::uint32_t> evicted_handle;
};

struct SubscribeResult {
  Errc error = Errc::kOk;          // kUnknownChannel
  std::uint32_t subscription = 0;  // 0 on error; ids start at 1
  std::vector<BusEvent> replay;    // the last kReplayCount events, oldest first
};

struct ChannelResult {
  Errc error = Errc::kOk;                      // create: kInvalidConfig; remove: kUnknownChannel
  std::vector<std::uint32_t> evicted_handles;  // payload handles that left the bus
};

class EventBus {
 public:
  static constexpr std::int32_t kDefaultMaxHistory = 100;
  static constexpr std::size_t kReplayCount = 10;

  explicit EventBus(std::function<std::uint32_t()> random);

  // Creates the channel, or updates max_history of an existing one (keeping its subscribers and
  // history, trimmed to the new bound). max_history < 0 is kInvalidConfig; 0 keeps no history.
  ChannelResult create_channel(std::string_view name,
                               std::int32_t max_history = kDefaultMaxHistory);
  // Removes the channel and its subscriptions; returns the handles of its history.
  ChannelResult remove_channel(std::string_view name);
  bool has_channel(std::string_view name) const;

  SubscribeResult subscribe(std::string_view channel);
  // True when the subscription existed. Also valid during delivery: the JS side should skip a
  // listed subscriber for which is_subscribed() turned false.
  bool unsubscribe(std::uint32_t subscription);
  bool is_subscribed(std::uint32_t subscription) const;

  PublishResult publish(std::string_view channel, PublishInput input, double now_ms);

  std::size_t channel_count() const { return channels_.size(); }
  std::size_t subscription_count() const { return subscription_channel_.size(); }
  // Size of the channel's history (0 for an unknown channel).
  std::size_t history_size(std::string_view channel) const;

 private:
  struct Channel {
    std::int32_t max_history = kDefaultMaxHistory;
    std::vector<std::uint32_t> subscribers;
    std::deque<BusEvent> history;
  };

  std::function<std::uint32_t()> random_;
  std::map<std::string, Channel, std::less<>> channels_;
  std::unordered_map<std::uint32_t, std::string> subscription_channel_;
  std::uint32_t next_subscription_ = 1;
};

}  // namespace realtime
