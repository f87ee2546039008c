#include "message_batcher.h"

#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <limits>
#include <optional>
#include <random>
#include <vector>

namespace realtime {
namespace {

BatchingConfig Config(std::int32_t size, double interval, BatchPriority priority) {
  return BatchingConfig{size, interval, priority};
}

// What the JS layer does: keeps messages in its own array, arms one timer, takes `flush()` items
// from the front. `lazy` arms only when no timer is armed (re-arming only on an early fire).
struct FakeJs {
  MessageBatcher batcher;
  bool lazy = false;
  std::deque<int> queue;
  std::vector<double> arrival;  // by message number
  std::vector<int> delivered;
  std::optional<double> timer;
  double max_latency = 0;
  std::uint32_t max_batch = 0;
  int flushes = 0;

  void Rearm() {
    std::optional<double> deadline = batcher.next_deadline();
    if (!deadline) {
      timer.reset();
    } else if (!lazy || !timer) {
      timer = deadline;
    }
  }
  void Flush(double now) {
    std::uint32_t n = batcher.flush();
    ASSERT_LE(n, queue.size());
    max_batch = std::max(max_batch, n);
    ++flushes;
    for (std::uint32_t i = 0; i < n; ++i) {
      int seq = queue.front();
      queue.pop_front();
      max_latency = std::max(max_latency, now - arrival[seq]);
      delivered.push_back(seq);
    }
  }
  void Add(double now) {
    int seq = static_cast<int>(arrival.size());
    arrival.push_back(now);
    queue.push_back(seq);
    if (batcher.add(now)) Flush(now);
    Rearm();
  }
  // Fires every timer due up to `t`, exactly on time.
  void AdvanceTo(double t) {
    while (timer && *timer <= t) {
      double now = *timer;
      timer.reset();
      if (batcher.on_timer(now)) Flush(now);
      Rearm();
    }
  }
};

TEST(BatcherConfig, RejectsBadInput) {
  constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(MessageBatcher::validate(Config(0, 100, BatchPriority::kSize)), Errc::kInvalidConfig);
  EXPECT_EQ(MessageBatcher::validate(Config(-3, 100, BatchPriority::kSize)), Errc::kInvalidConfig);
  EXPECT_EQ(MessageBatcher::validate(Config(5, -1, BatchPriority::kTime)), Errc::kInvalidConfig);
  EXPECT_EQ(MessageBatcher::validate(Config(5, kNan, BatchPriority::kTime)), Errc::kInvalidConfig);
  EXPECT_EQ(MessageBatcher::validate(Config(5, kInf, BatchPriority::kTime)), Errc::kInvalidConfig);
  EXPECT_EQ(MessageBatcher::validate(Config(5, 100, static_cast<BatchPriority>(9))),
            Errc::kInvalidConfig);
  EXPECT_EQ(MessageBatcher::validate(Config(1, 0, BatchPriority::kAdaptive)), Errc::kOk);
  EXPECT_EQ(MessageBatcher::validate(BatchingConfig{}), Errc::kOk);
}

TEST(BatcherConfig, InvalidConfigIsClampedNotCrashing) {
  MessageBatcher batcher(Config(0, -5, static_cast<BatchPriority>(9)));
  EXPECT_EQ(batcher.config().batch_size, 1);
  EXPECT_EQ(batcher.config().flush_interval_ms, 0);
  EXPECT_EQ(batcher.config().priority, BatchPriority::kSize);
  EXPECT_TRUE(batcher.add(0));
  EXPECT_EQ(batcher.flush(), 1u);
}

TEST(BatcherSize, FlushesWhenBatchIsFull) {
  MessageBatcher batcher(Config(3, 100, BatchPriority::kSize));
  EXPECT_FALSE(batcher.add(0));
  EXPECT_FALSE(batcher.add(1));
  EXPECT_TRUE(batcher.add(2));
  EXPECT_EQ(batcher.flush(), 3u);
  EXPECT_EQ(batcher.pending(), 0u);
  EXPECT_EQ(batcher.next_deadline(), std::nullopt);
  EXPECT_EQ(batcher.flush(), 0u);
}

TEST(BatcherSize, PartialBatchIsFlushedAfterFlushInterval) {
  MessageBatcher batcher(Config(10, 100, BatchPriority::kSize));
  EXPECT_FALSE(batcher.add(1000));
  EXPECT_FALSE(batcher.add(1040));
  EXPECT_EQ(batcher.next_deadline(), 1100);  // from the oldest message, not the latest
  EXPECT_FALSE(batcher.on_timer(1099));
  EXPECT_TRUE(batcher.on_timer(1100));
  EXPECT_EQ(batcher.flush(), 2u);
  EXPECT_FALSE(batcher.on_timer(1200));  // nothing pending: a stale timer does nothing
}

TEST(BatcherTime, FlushesOnlyOnTheTimerWhateverTheCount) {
  MessageBatcher batcher(Config(3, 50, BatchPriority::kTime));
  for (int i = 0; i < 25; ++i) EXPECT_FALSE(batcher.add(10 + i));
  EXPECT_EQ(batcher.next_deadline(), 60);
  EXPECT_FALSE(batcher.on_timer(59.5));
  EXPECT_TRUE(batcher.on_timer(60));
  EXPECT_EQ(batcher.flush(), 25u);
}

TEST(BatcherTime, SteadyStreamIsFlushedEveryIntervalNotStarved) {
  FakeJs js{MessageBatcher(Config(1000, 100, BatchPriority::kTime))};
  for (int i = 0; i < 100; ++i) {  // one message every 10 ms for a second
    js.AdvanceTo(i * 10.0);
    js.Add(i * 10.0);
  }
  js.AdvanceTo(2000);
  EXPECT_EQ(js.delivered.size(), 100u);
  EXPECT_EQ(js.flushes, 10);
  EXPECT_EQ(js.max_batch, 10u);
  EXPECT_LE(js.max_latency, 100);
}

TEST(BatcherAdaptive, FlushesOnSize) {
  MessageBatcher batcher(Config(2, 100, BatchPriority::kAdaptive));
  EXPECT_FALSE(batcher.add(0));
  EXPECT_TRUE(batcher.add(0));
  EXPECT_EQ(batcher.flush(), 2u);
}

TEST(BatcherAdaptive, AddFlushesWhenOldestIsOlderThanIntervalAfterALateTimer) {
  MessageBatcher batcher(Config(100, 100, BatchPriority::kAdaptive));
  EXPECT_FALSE(batcher.add(0));
  EXPECT_TRUE(batcher.add(150));  // the timer at 100 never came (throttled background tab)
  EXPECT_EQ(batcher.flush(), 2u);
}

TEST(BatcherAdaptive, AddFlushesWhenTheQuietGapPassedAfterALateTimer) {
  MessageBatcher batcher(Config(100, 100, BatchPriority::kAdaptive));
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(batcher.add(i));
  ASSERT_LT(*batcher.next_deadline(), 50);  // quiet gap: well before 0 + 100
  EXPECT_TRUE(batcher.add(50));             // its timer never came; the oldest is only 50 ms old
  EXPECT_EQ(batcher.flush(), 11u);
}

TEST(BatcherAdaptive, QuietWaitShrinksWhenTheRateIsHigh) {
  MessageBatcher batcher(Config(1000, 100, BatchPriority::kAdaptive));
  EXPECT_EQ(batcher.quiet_wait_ms(), 100);                          // no rate known yet
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(batcher.add(i * 2.0));  // 500 messages/s
  EXPECT_LT(batcher.quiet_wait_ms(), 100);
  EXPECT_GE(batcher.quiet_wait_ms(), 10);  // floor: flush_interval / 10
  // The burst ended at 38: flushed after a short quiet gap, far before 0 + 100.
  ASSERT_TRUE(batcher.next_deadline().has_value());
  EXPECT_LE(*batcher.next_deadline(), 38 + 10.0 + 1e-9);
  EXPECT_FALSE(batcher.on_timer(40));
  EXPECT_TRUE(batcher.on_timer(*batcher.next_deadline()));
  EXPECT_EQ(batcher.flush(), 20u);

  // The same stream under 'size' waits for the full interval.
  MessageBatcher size(Config(1000, 100, BatchPriority::kSize));
  for (int i = 0; i < 20; ++i) size.add(i * 2.0);
  EXPECT_EQ(size.next_deadline(), 100);
}

TEST(BatcherAdaptive, LowRateBehavesLikeSize) {
  MessageBatcher batcher(Config(1000, 100, BatchPriority::kAdaptive));
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(batcher.add(i * 500.0));
    EXPECT_EQ(batcher.quiet_wait_ms(), 100);
    EXPECT_EQ(batcher.next_deadline(), i * 500.0 + 100);
    EXPECT_TRUE(batcher.on_timer(i * 500.0 + 100));
    EXPECT_EQ(batcher.flush(), 1u);
  }
}

TEST(BatcherAdaptive, RateRecoversAfterTheBurst) {
  MessageBatcher batcher(Config(1000, 100, BatchPriority::kAdaptive));
  double t = 0;
  for (int i = 0; i < 20; ++i) batcher.add(t += 1);
  const double fast = batcher.quiet_wait_ms();
  batcher.flush();
  for (int i = 0; i < 20; ++i) batcher.add(t += 300);
  EXPECT_GT(batcher.quiet_wait_ms(), fast);
  EXPECT_NEAR(batcher.quiet_wait_ms(), 100, 1e-6);
}

TEST(BatcherDestroy, FlushesRemainingAndHoldsNothingAfterwards) {
  MessageBatcher batcher(Config(10, 100, BatchPriority::kTime));
  batcher.add(0);
  batcher.add(1);
  EXPECT_EQ(batcher.destroy(), 2u);
  EXPECT_EQ(batcher.next_deadline(), std::nullopt);
  EXPECT_TRUE(batcher.add(2));  // passes straight through: nothing can be stranded
  EXPECT_EQ(batcher.flush(), 1u);
  EXPECT_EQ(batcher.destroy(), 0u);
}

// Thousands of adds with mixed timing (bursts in the same millisecond, steady streams, long
// pauses): every message is delivered exactly once, in order, never later than flush_interval
// when the timer is serviced on time, and 'size' never hands out more than batch_size.
void RunMixedStream(BatchPriority priority, bool lazy) {
  FakeJs js{MessageBatcher(Config(16, 100, priority)), lazy};
  std::mt19937 rng(1234 + static_cast<int>(priority) * 7 + (lazy ? 1 : 0));
  std::uniform_int_distribution<int> kind(0, 9);
  double t = 0;
  for (int i = 0; i < 5000; ++i) {
    switch (kind(rng)) {
      case 0:
      case 1:
      case 2:
      case 3: break;  // same millisecond
      case 4:
      case 5:
      case 6: t += std::uniform_real_distribution<>(0, 5)(rng); break;
      case 7:
      case 8: t += std::uniform_real_distribution<>(5, 60)(rng); break;
      default: t += std::uniform_real_distribution<>(90, 400)(rng); break;  // pause
    }
    js.AdvanceTo(t);
    js.Add(t);
  }
  js.AdvanceTo(t + 1000);
  ASSERT_EQ(js.delivered.size(), 5000u);
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(js.delivered[i], i);
  EXPECT_TRUE(js.queue.empty());
  EXPECT_EQ(js.batcher.pending(), 0u);
  EXPECT_LE(js.max_latency, 100 + 1e-9);
  if (priority == BatchPriority::kSize) EXPECT_LE(js.max_batch, 16u);
  if (priority == BatchPriority::kTime) EXPECT_GT(js.max_batch, 16u);
  EXPECT_GT(js.flushes, 5000 / 16);
}

TEST(BatcherStream, SizeLosesNothingAndKeepsOrder) { RunMixedStream(BatchPriority::kSize, false); }
TEST(BatcherStream, TimeLosesNothingAndKeepsOrder) { RunMixedStream(BatchPriority::kTime, false); }
TEST(BatcherStream, AdaptiveLosesNothingAndKeepsOrder) {
  RunMixedStream(BatchPriority::kAdaptive, false);
}
TEST(BatcherStream, AdaptiveWithLazyTimerStillBoundsLatency) {
  RunMixedStream(BatchPriority::kAdaptive, true);
}

TEST(BatcherStream, AdaptiveFlushesBurstsSoonerThanSize) {
  // Bursts of 5 messages 1 ms apart every 500 ms: 'adaptive' delivers each burst shortly after
  // it ends, 'size' waits the full interval.
  auto worst = [](BatchPriority priority) {
    FakeJs js{MessageBatcher(Config(100, 100, priority))};
    for (int burst = 0; burst < 50; ++burst) {
      for (int i = 0; i < 5; ++i) {
        double t = burst * 500.0 + i;
        js.AdvanceTo(t);
        js.Add(t);
      }
    }
    js.AdvanceTo(1e9);
    EXPECT_EQ(js.delivered.size(), 250u);
    return js.max_latency;
  };
  EXPECT_EQ(worst(BatchPriority::kSize), 100);
  EXPECT_LT(worst(BatchPriority::kAdaptive), 50);
}

TEST(MessageBatcher, PriorityNamesAreTheSeeds) {
  EXPECT_EQ(batch_priority_from_name("size"), BatchPriority::kSize);
  EXPECT_EQ(batch_priority_from_name("time"), BatchPriority::kTime);
  EXPECT_EQ(batch_priority_from_name("frame"), BatchPriority::kTime);  // JS flushes on frames
  EXPECT_EQ(batch_priority_from_name("adaptive"), BatchPriority::kAdaptive);
  EXPECT_EQ(batch_priority_from_name("Size"), std::nullopt);
  EXPECT_EQ(batch_priority_from_name(""), std::nullopt);
}

}  // namespace
}  // namespace realtime
