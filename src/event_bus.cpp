#include "event_bus.h"

#include <algorithm>
#include <utility>

#include "envelope.h"  // uuid_v4

namespace realtime {

EventBus::EventBus(std::function<std::uint32_t()> random) : random_(std::move(random)) {}

ChannelResult EventBus::create_channel(std::string_view name, std::int32_t max_history) {
  ChannelResult result;
  if (max_history < 0) {
    result.error = Errc::kInvalidConfig;
    return result;
  }
  auto it = channels_.find(name);
  if (it == channels_.end()) it = channels_.emplace(std::string(name), Channel{}).first;
  Channel& channel = it->second;
  channel.max_history = max_history;
  while (channel.history.size() > static_cast<std::size_t>(max_history)) {
    result.evicted_handles.push_back(channel.history.front().payload_handle);
    channel.history.pop_front();
  }
  return result;
}

ChannelResult EventBus::remove_channel(std::string_view name) {
  ChannelResult result;
  auto it = channels_.find(name);
  if (it == channels_.end()) {
    result.error = Errc::kUnknownChannel;
    return result;
  }
  for (const BusEvent& event : it->second.history) {
    result.evicted_handles.push_back(event.payload_handle);
  }
  for (std::uint32_t subscription : it->second.subscribers) {
    subscription_channel_.erase(subscription);
  }
  channels_.erase(it);
  return result;
}

bool EventBus::has_channel(std::string_view name) const { return channels_.contains(name); }

SubscribeResult EventBus::subscribe(std::string_view channel_name) {
  SubscribeResult result;
  auto it = channels_.find(channel_name);
  if (it == channels_.end()) {
    result.error = Errc::kUnknownChannel;
    return result;
  }
  Channel& channel = it->second;
  result.subscription = next_subscription_++;
  channel.subscribers.push_back(result.subscription);
  subscription_channel_.emplace(result.subscription, it->first);
  const std::size_t replay = std::min(channel.history.size(), kReplayCount);
  result.replay.assign(channel.history.end() - static_cast<std::ptrdiff_t>(replay),
                       channel.history.end());
  return result;
}

bool EventBus::unsubscribe(std::uint32_t subscription) {
  auto it = subscription_channel_.find(subscription);
  if (it == subscription_channel_.end()) return false;
  std::vector<std::uint32_t>& subscribers = channels_.find(it->second)->second.subscribers;
  subscribers.erase(std::find(subscribers.begin(), subscribers.end(), subscription));
  subscription_channel_.erase(it);
  return true;
}

bool EventBus::is_subscribed(std::uint32_t subscription) const {
  return subscription_channel_.contains(subscription);
}

PublishResult EventBus::publish(std::string_view channel_name, PublishInput input, double now_ms) {
  PublishResult result;
  auto it = channels_.find(channel_name);
  if (it == channels_.end()) {
    result.error = Errc::kUnknownChannel;
    return result;
  }
  Channel& channel = it->second;
  result.event = BusEvent{
      uuid_v4(random_), std::move(input.type), std::move(input.source), std::move(input.target),
      now_ms,           input.payload_handle};
  channel.history.push_back(result.event);
  if (channel.history.size() > static_cast<std::size_t>(channel.max_history)) {
    result.evicted_handle = channel.history.front().payload_handle;
    channel.history.pop_front();
  }
  result.subscribers = channel.subscribers;
  return result;
}

std::size_t EventBus::history_size(std::string_view channel) const {
  auto it = channels_.find(channel);
  return it == channels_.end() ? 0 : it->second.history.size();
}

}  // namespace realtime
