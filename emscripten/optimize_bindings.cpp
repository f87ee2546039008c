// The seed's "Performance Optimization" and "Architecture Patterns" components — MessageBatcher,
// MessageThrottler, EventBus (src/) — exposed through embind as `_MessageBatcher`,
// `_MessageThrottler` and `_EventBus`. They are pure policies: JS passes the time in, keeps the
// values (messages, arguments, payloads, callbacks) and arms the one timer a deadline asks for.
// Nothing here calls back into JS, so JS may call them from anywhere (and delete them at once).
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "event_bus.h"
#include "js_api.h"
#include "message_batcher.h"
#include "message_throttler.h"

namespace realtime::web {
namespace {

using emscripten::val;

int g_live_optimize = 0;  // live _MessageBatcher + _MessageThrottler + _EventBus objects

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

double or_none(std::optional<double> d) { return d ? *d : kNone; }

val handles_array(const std::vector<std::uint32_t>& handles) {
  val out = val::array();
  for (std::size_t i = 0; i < handles.size(); ++i) out.set(i, handles[i]);
  return out;
}

// Holds one live-count unit for as long as the bound object lives.
struct LiveCount {
  LiveCount() { ++g_live_optimize; }
  ~LiveCount() { --g_live_optimize; }
  LiveCount(const LiveCount&) = delete;
  LiveCount& operator=(const LiveCount&) = delete;
};

class BatcherBinding {
 public:
  // priority: 0 'size', 1 'time', 2 'adaptive' (BatchPriority). Expects a validated config.
  BatcherBinding(int batch_size, double flush_interval_ms, int priority)
      : batcher_(
            BatchingConfig{batch_size, flush_interval_ms, static_cast<BatchPriority>(priority)}) {}

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

class ThrottlerBinding {
 public:
  explicit ThrottlerBinding(double delay_ms) : throttler_(delay_ms) {}

  // NaN: run now (a new window started); else the deadline at which to call onTimer().
  double call(double now) {
    ThrottleDecision d = throttler_.call(now);
    return d.run_now ? kNone : d.deadline_ms;
  }
  bool on_timer(double now) { return throttler_.on_timer(now); }
  bool flush(double now) { return throttler_.flush(now); }
  bool cancel() { return throttler_.cancel(); }
  bool has_pending() const { return throttler_.has_pending(); }
  double next_deadline() const { return or_none(throttler_.next_deadline()); }

 private:
  LiveCount live_;
  MessageThrottler throttler_;
};

// crypto.getRandomValues, 1 KiB at a time: one call per four UUIDs costs 1/64 of a call per
// 32-bit word (rt_random_u32), which dominated publish() under Node.
class RandomPool {
 public:
  std::uint32_t next() {
    if (pos_ == buf_.size()) {
      val::global("crypto").call<void>(
          "getRandomValues", val(emscripten::typed_memory_view(buf_.size(), buf_.data())));
      pos_ = 0;
    }
    return buf_[pos_++];
  }

 private:
  std::array<std::uint32_t, 256> buf_{};
  std::size_t pos_ = buf_.size();
};

class EventBusBinding {
 public:
  EventBusBinding() : bus_([this] { return random_.next(); }) {}

  // { error, evicted: [payload handles that left the history] }
  val create_channel(const std::string& name, int max_history) {
    return channel_result(bus_.create_channel(name, max_history));
  }
  val remove_channel(const std::string& name) { return channel_result(bus_.remove_channel(name)); }
  bool has_channel(const std::string& name) const { return bus_.has_channel(name); }

  // { error, subscription, replay: [payload handles, oldest first] }
  val subscribe(const std::string& channel) {
    SubscribeResult r = bus_.subscribe(channel);
    val out = val::object();
    out.set("error", static_cast<int>(r.error));
    out.set("subscription", r.subscription);
    std::vector<std::uint32_t> replay;
    replay.reserve(r.replay.size());
    for (const BusEvent& e : r.replay) replay.push_back(e.payload_handle);
    out.set("replay", handles_array(replay));
    return out;
  }
  bool unsubscribe(std::uint32_t subscription) { return bus_.unsubscribe(subscription); }
  bool is_subscribed(std::uint32_t subscription) const { return bus_.is_subscribed(subscription); }

  // { error, id, subscribers: [subscription ids, in subscribe order], evicted: handle or 0 }
  // (payload handles start at 1). type/source/target are kept by JS with the payload; only the
  // bus's own decisions come back.
  val publish(const std::string& channel, const std::string& type, const std::string& source,
              const std::string& target, std::uint32_t payload_handle, double now) {
    PublishResult r =
        bus_.publish(channel, PublishInput{type, source, target, payload_handle}, now);
    val out = val::object();
    out.set("error", static_cast<int>(r.error));
    if (r.error != Errc::kOk) return out;
    out.set("id", r.event.id);
    out.set("subscribers", handles_array(r.subscribers));
    out.set("evicted", r.evicted_handle.value_or(0));
    return out;
  }

  std::uint32_t history_size(const std::string& channel) const {
    return static_cast<std::uint32_t>(bus_.history_size(channel));
  }
  std::uint32_t channel_count() const { return static_cast<std::uint32_t>(bus_.channel_count()); }
  std::uint32_t subscription_count() const {
    return static_cast<std::uint32_t>(bus_.subscription_count());
  }

 private:
  static val channel_result(const ChannelResult& r) {
    val out = val::object();
    out.set("error", static_cast<int>(r.error));
    out.set("evicted", handles_array(r.evicted_handles));
    return out;
  }

  LiveCount live_;
  RandomPool random_;  // before bus_, which calls it
  EventBus bus_;
};

}  // namespace

int live_optimize_objects() { return g_live_optimize; }

}  // namespace realtime::web

EMSCRIPTEN_BINDINGS(realtime_optimize) {
  using namespace emscripten;
  using realtime::web::BatcherBinding;
  using realtime::web::EventBusBinding;
  using realtime::web::ThrottlerBinding;
  class_<BatcherBinding>("_MessageBatcher")
      .constructor<int, double, int>()
      .function("add", &BatcherBinding::add)
      .function("onTimer", &BatcherBinding::on_timer)
      .function("flush", &BatcherBinding::flush)
      .function("destroy", &BatcherBinding::destroy)
      .function("nextDeadline", &BatcherBinding::next_deadline)
      .function("pending", &BatcherBinding::pending);
  class_<ThrottlerBinding>("_MessageThrottler")
      .constructor<double>()
      .function("call", &ThrottlerBinding::call)
      .function("onTimer", &ThrottlerBinding::on_timer)
      .function("flush", &ThrottlerBinding::flush)
      .function("cancel", &ThrottlerBinding::cancel)
      .function("hasPending", &ThrottlerBinding::has_pending)
      .function("nextDeadline", &ThrottlerBinding::next_deadline);
  class_<EventBusBinding>("_EventBus")
      .constructor<>()
      .function("createChannel", &EventBusBinding::create_channel)
      .function("removeChannel", &EventBusBinding::remove_channel)
      .function("hasChannel", &EventBusBinding::has_channel)
      .function("subscribe", &EventBusBinding::subscribe)
      .function("unsubscribe", &EventBusBinding::unsubscribe)
      .function("isSubscribed", &EventBusBinding::is_subscribed)
      .function("publish", &EventBusBinding::publish)
      .function("historySize", &EventBusBinding::history_size)
      .function("channelCount", &EventBusBinding::channel_count)
      .function("subscriptionCount", &EventBusBinding::subscription_count);
}
