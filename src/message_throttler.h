// MessageThrottler: at most one run per `delay` ms, leading and trailing edge, latest value wins
// (seed: "Message Batching and Throttling"). Pure policy: the JS side keeps the function and the
// latest arguments; C++ only decides when a run happens.
//
//  - call(now): outside the window (or on the very first call) the function runs now and a new
//    window of `delay` ms starts. Inside the window the call is deferred: the JS side stores its
//    arguments as "pending latest" (overwriting older pending arguments) and arms one timer at
//    the returned deadline, the end of the window.
//  - on_timer(now): true when the pending call should run now with the latest arguments; that
//    run starts a new window. False for an early or stale timer (nothing pending).
//
// Fixes over the seed: the first call always runs (the seed compared against lastExecution = 0,
// so with a small clock the first call could be deferred); the trailing call always carries the
// latest arguments and the window end never moves (the seed re-created the closure per message
// and re-armed its timer on every call); a call arriving after the window ended while a trailing
// call is still pending (late timer) runs now with its own, newest, arguments and cancels it.
#pragma once

#include <optional>

#include "errc.h"

namespace realtime {

struct ThrottleDecision {
  bool run_now = true;
  double deadline_ms = 0;  // when !run_now: when to call on_timer()
};

class MessageThrottler {
 public:
  // kOk, or kInvalidConfig for a negative or non-finite delay.
  static Errc validate(double delay_ms);

  // Expects a delay that passed validate(); an invalid one is treated as 0 (no throttling).
  explicit MessageThrottler(double delay_ms);

  ThrottleDecision call(double now_ms);
  bool on_timer(double now_ms);
  // Runs a pending call immediately (e.g. on unmount): true when there was one to run.
  bool flush(double now_ms);
  // Drops a pending call: true when there was one (the JS side discards its stored arguments).
  bool cancel();

  bool has_pending() const { return pending_; }
  // When on_timer() should be called, or nullopt when no call is pending.
  std::optional<double> next_deadline() const;
  double delay_ms() const { return delay_ms_; }

 private:
  void run(double now_ms);

  double delay_ms_;
  std::optional<double> last_run_ms_;
  bool pending_ = false;
};

}  // namespace realtime
