#include "message_throttler.h"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <random>
#include <vector>

namespace realtime {
namespace {

TEST(ThrottlerConfig, RejectsBadDelay) {
  EXPECT_EQ(MessageThrottler::validate(-1), Errc::kInvalidConfig);
  EXPECT_EQ(MessageThrottler::validate(std::numeric_limits<double>::quiet_NaN()),
            Errc::kInvalidConfig);
  EXPECT_EQ(MessageThrottler::validate(std::numeric_limits<double>::infinity()),
            Errc::kInvalidConfig);
  EXPECT_EQ(MessageThrottler::validate(0), Errc::kOk);
  EXPECT_EQ(MessageThrottler::validate(250), Errc::kOk);
  EXPECT_EQ(MessageThrottler(-5).delay_ms(), 0);  // clamped, not crashing
}

TEST(Throttler, FirstCallRunsEvenWithASmallClock) {
  // The seed compared against lastExecution = 0 and deferred a first call at now < delay.
  MessageThrottler throttler(1000);
  EXPECT_TRUE(throttler.call(3).run_now);
  EXPECT_FALSE(throttler.has_pending());
}

TEST(Throttler, CallsInsideTheWindowAreDeferredToItsEnd) {
  MessageThrottler throttler(100);
  EXPECT_TRUE(throttler.call(0).run_now);
  ThrottleDecision d1 = throttler.call(10);
  EXPECT_FALSE(d1.run_now);
  EXPECT_EQ(d1.deadline_ms, 100);
  ThrottleDecision d2 = throttler.call(70);
  EXPECT_FALSE(d2.run_now);
  EXPECT_EQ(d2.deadline_ms, 100);  // the window end does not move
  EXPECT_EQ(throttler.next_deadline(), 100);
  EXPECT_FALSE(throttler.on_timer(99));
  EXPECT_TRUE(throttler.has_pending());
  EXPECT_TRUE(throttler.on_timer(100));
  EXPECT_FALSE(throttler.has_pending());
  EXPECT_EQ(throttler.next_deadline(), std::nullopt);
  EXPECT_FALSE(throttler.on_timer(100));  // runs once
}

TEST(Throttler, TrailingRunStartsANewWindow) {
  MessageThrottler throttler(100);
  throttler.call(0);
  throttler.call(50);
  ASSERT_TRUE(throttler.on_timer(100));
  ThrottleDecision d = throttler.call(150);
  EXPECT_FALSE(d.run_now);
  EXPECT_EQ(d.deadline_ms, 200);
  EXPECT_TRUE(throttler.on_timer(200));
  EXPECT_FALSE(throttler.call(250).run_now);
  EXPECT_TRUE(throttler.on_timer(300));
  EXPECT_TRUE(throttler.call(400).run_now);  // a full window after the last run
}

TEST(Throttler, TrailingCallCarriesTheLatestValue) {
  MessageThrottler throttler(100);
  std::vector<int> ran;
  std::optional<int> pending_latest;  // what the JS side keeps
  auto call = [&](double now, int value) {
    if (throttler.call(now).run_now) {
      ran.push_back(value);
    } else {
      pending_latest = value;
    }
  };
  call(0, 1);
  call(10, 2);
  call(20, 3);
  call(90, 4);
  ASSERT_TRUE(throttler.on_timer(100));
  ran.push_back(*pending_latest);
  EXPECT_EQ(ran, (std::vector<int>{1, 4}));
}

TEST(Throttler, StaleTimerWithNothingPendingIsIgnored) {
  MessageThrottler throttler(100);
  EXPECT_FALSE(throttler.on_timer(0));
  throttler.call(0);
  EXPECT_FALSE(throttler.on_timer(500));
}

TEST(Throttler, CallAfterTheWindowWithALateTimerRunsNowAndCancelsTheTrailingCall) {
  MessageThrottler throttler(100);
  throttler.call(0);
  EXPECT_FALSE(throttler.call(50).run_now);
  // The timer for 100 is late; a newer call at 130 carries the newest value: it runs now.
  EXPECT_TRUE(throttler.call(130).run_now);
  EXPECT_FALSE(throttler.has_pending());
  EXPECT_FALSE(throttler.on_timer(131));  // the late timer finally fires: nothing to run
  EXPECT_EQ(throttler.call(200).deadline_ms, 230);
}

TEST(Throttler, ZeroDelayNeverDefers) {
  MessageThrottler throttler(0);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(throttler.call(5).run_now);
}

TEST(Throttler, FlushRunsThePendingCallNow) {
  MessageThrottler throttler(100);
  EXPECT_FALSE(throttler.flush(0));
  throttler.call(0);
  throttler.call(10);
  EXPECT_TRUE(throttler.flush(20));
  EXPECT_FALSE(throttler.has_pending());
  EXPECT_FALSE(throttler.on_timer(100));
  EXPECT_EQ(throttler.call(60).deadline_ms, 120);  // the flush started a window at 20
}

TEST(Throttler, CancelDropsThePendingCall) {
  MessageThrottler throttler(100);
  EXPECT_FALSE(throttler.cancel());
  throttler.call(0);
  throttler.call(10);
  EXPECT_TRUE(throttler.cancel());
  EXPECT_FALSE(throttler.on_timer(100));
}

// Random call times: runs are never closer than `delay`, every run carries the latest value
// at that moment, and the last value is always delivered.
TEST(ThrottlerStream, RunsAreSpacedAndTheLastValueAlwaysArrives) {
  MessageThrottler throttler(50);
  std::mt19937 rng(42);
  std::uniform_real_distribution<> gap(0, 30);
  std::optional<double> timer;
  std::optional<int> pending;
  std::vector<double> run_times;
  std::vector<int> run_values;
  int latest = -1;
  auto run = [&](double now, int value) {
    run_times.push_back(now);
    run_values.push_back(value);
  };
  auto fire_due = [&](double t) {
    while (timer && *timer <= t) {
      double now = *timer;
      timer.reset();
      if (throttler.on_timer(now)) {
        ASSERT_TRUE(pending.has_value());
        EXPECT_EQ(*pending, latest);
        run(now, *pending);
        pending.reset();
      }
    }
  };
  double t = 0;
  for (int i = 0; i < 3000; ++i) {
    t += gap(rng);
    fire_due(t);
    latest = i;
    ThrottleDecision d = throttler.call(t);
    if (d.run_now) {
      pending.reset();
      run(t, i);
    } else {
      pending = i;
      timer = d.deadline_ms;
    }
  }
  fire_due(t + 1000);
  ASSERT_FALSE(run_values.empty());
  EXPECT_EQ(run_values.back(), 2999);
  for (std::size_t i = 1; i < run_times.size(); ++i) {
    EXPECT_GE(run_times[i] - run_times[i - 1], 50 - 1e-9);
    EXPECT_GT(run_values[i], run_values[i - 1]);
  }
  EXPECT_LT(run_times.size(), 3000u / 2);  // it did throttle
}

}  // namespace
}  // namespace realtime
