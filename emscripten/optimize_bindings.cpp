// The seed's "Performance Optimization" MessageBatcher (src/message_batcher.h), exposed through
// embind as `_MessageBatcher`: a pure policy; JS passes the time in, keeps the messages and arms
// the one timer a deadline asks for. Nothing here calls back into JS, so JS may call it from
// anywhere (and delete it at once). The throttler and the event bus are TypeScript
// (web/src/message-throttler.ts, event-bus.ts): no I/O, and cheaper there (docs/size.md).
#include <emscripten/bind.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "js_api.h"
#include "message_batcher.h"
#include "object_binding.h"

namespace realtime::web {
namespace {

int g_live_optimize = 0;  // live _MessageBatcher objects

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

double or_none(std::optional<double> d) { return d ? *d : kNone; }

// Holds one live-count unit for as long as the bound object lives.
struct LiveCount {
  LiveCount() { ++g_live_optimize; }
  ~LiveCount() { --g_live_optimize; }
  LiveCount(const LiveCount&) = delete;
  LiveCount& operator=(const LiveCount&) = delete;
};

class BatcherBinding {
 public:
  // priority: the seed's name (batch_priority_from_name). Expects a validated config.
  BatcherBinding(int batch_size, double flush_interval_ms, const std::string& priority)
      : batcher_(
            BatchingConfig{batch_size, flush_interval_ms,
                           batch_priority_from_name(priority).value_or(BatchPriority::kSize)}) {}

  bool add(double now) { return batcher_.add(now); }
  bool on_timer(double now) { return batcher_.on_timer(now); }
  std::uint32_t flush() { return batcher_.flush(); }
  std::uint32_t destroy() { return batcher_.destroy(); }
  double next_deadline() const { return or_none(batcher_.next_deadline()); }
  std::uint32_t pending() const { return batcher_.pending(); }

 private:
  LiveCount live_;
  MessageBatcher batcher_;
};

}  // namespace

int live_optimize_objects() { return g_live_optimize; }

}  // namespace realtime::web

EMSCRIPTEN_BINDINGS(realtime_optimize) {
  using namespace emscripten;
  using realtime::web::BatcherBinding;
  realtime::web::ObjectBinding<BatcherBinding>("_MessageBatcher")
      .constructor<int, double, const std::string&>()
      .method<&BatcherBinding::add>("add")
      .method<&BatcherBinding::on_timer>("onTimer")
      .method<&BatcherBinding::flush>("flush")
      .method<&BatcherBinding::destroy>("destroy")
      .method<&BatcherBinding::next_deadline>("nextDeadline")
      .method<&BatcherBinding::pending>("pending");
}
