// MessageBatcher: when to hand a batch of queued messages to the consumer (seed: "Message
// Batching and Throttling"). Pure policy: the JS side keeps the messages in its own array, calls
// add(now) after pushing one, and when told to flush calls flush() and takes that many messages
// from the front of its array, in order. Nothing is dropped or reordered: every flush takes all
// pending messages, oldest first.
//
// Timer contract: after every call, the JS side arms one timer at next_deadline() (or cancels it
// on nullopt) and calls on_timer(now) when it fires. Arming once per batch is already correct
// (the deadline never lies past oldest + flush_interval, and an early on_timer just returns
// false); re-arming whenever next_deadline() changes makes 'adaptive' flushes prompt.
//
// Priorities (seed names):
//  - kSize ('size'): flush as soon as batch_size messages are pending; a partial batch is
//    flushed by the timer flush_interval after its oldest message arrived.
//  - kTime ('time'): flush only on the timer, flush_interval after the oldest pending message
//    arrived, whatever the count (add() never asks for a flush).
//  - kAdaptive ('adaptive'): flush when batch_size messages are pending, when the oldest one is
//    flush_interval old, or when the stream goes quiet: no message for
//    clamp(2 * average inter-arrival gap, flush_interval / 10, flush_interval). The average is an
//    exponential moving average (weight 1/4) of the gaps between add() calls, each gap capped at
//    flush_interval. So at a high message rate the end of a burst is delivered after a short wait
//    instead of a full flush_interval, and at a low rate it behaves like 'size'. add() also asks
//    for a flush when the current deadline has already passed (a late timer).
//
// Fixes over the seed: the 'size' timer is part of the contract and tested, 'adaptive' adapts,
// config is validated, and destroy() hands back every pending message.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "errc.h"

namespace realtime {

enum class BatchPriority : std::uint8_t { kSize, kTime, kAdaptive };
// The seed's names: 'size', 'time', 'adaptive', and 'frame' (web/src/message-batcher.ts flushes
// on animation frames; the policy under it is 'time'). nullopt for any other name.
std::optional<BatchPriority> batch_priority_from_name(std::string_view name);

struct BatchingConfig {
  std::int32_t batch_size = 10;                   // batchSize, at least 1
  double flush_interval_ms = 100;                 // flushInterval, finite and >= 0
  BatchPriority priority = BatchPriority::kSize;  // priority
};

class MessageBatcher {
 public:
  // kOk, or kInvalidConfig for batch_size < 1 or a negative / non-finite flush_interval_ms.
  static Errc validate(const BatchingConfig& config);

  // Expects a config that passed validate(); out-of-range fields are clamped (batch_size to 1,
  // flush_interval_ms to 0) so that misuse cannot crash.
  explicit MessageBatcher(const BatchingConfig& config);

  // One message was appended to the JS array at `now_ms`. Returns true when the caller should
  // call flush() now.
  bool add(double now_ms);
  // The timer fired. Returns true when the caller should call flush() now; false when the timer
  // was early or stale (re-arm at next_deadline()).
  bool on_timer(double now_ms);
  // Takes every pending message: returns how many to remove from the front of the JS array.
  std::uint32_t flush();
  // Flushes the rest (returns the count, like flush()); afterwards the batcher holds nothing:
  // add() always returns true and next_deadline() is nullopt.
  std::uint32_t destroy();

  // When on_timer() should be called, or nullopt when nothing is pending.
  std::optional<double> next_deadline() const;
  std::uint32_t pending() const { return pending_; }
  // 'adaptive': the current quiet-gap wait (flush_interval until two messages have arrived).
  double quiet_wait_ms() const;
  const BatchingConfig& config() const { return config_; }

 private:
  BatchingConfig config_;
  std::uint32_t pending_ = 0;
  double oldest_ms_ = 0;               // arrival of the oldest pending message
  std::optional<double> last_add_ms_;  // arrival of the latest message, across flushes
  std::optional<double> avg_gap_ms_;   // 'adaptive' moving average of inter-arrival gaps
  bool destroyed_ = false;
};

}  // namespace realtime
