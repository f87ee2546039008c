#include "event_bus.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace realtime {
namespace {

EventBus MakeBus() {
  return EventBus([n = 0u]() mutable { return n += 0x9E3779B9u; });
}

PublishInput Input(std::uint32_t handle, std::string type = "update") {
  return PublishInput{std::move(type), "server", "", handle};
}

std::vector<std::uint32_t> Handles(const std::vector<BusEvent>& events) {
  std::vector<std::uint32_t> out;
  for (const BusEvent& e : events) out.push_back(e.payload_handle);
  return out;
}

TEST(EventBus, SubscribeToUnknownChannelIsAnError) {
  EventBus bus = MakeBus();
  SubscribeResult r = bus.subscribe("nope");
  EXPECT_EQ(r.error, Errc::kUnknownChannel);
  EXPECT_EQ(r.subscription, 0u);
  EXPECT_EQ(bus.subscription_count(), 0u);
}

TEST(EventBus, PublishToUnknownChannelIsAnErrorAndStoresNothing) {
  EventBus bus = MakeBus();
  PublishResult r = bus.publish("nope", Input(7), 1);
  EXPECT_EQ(r.error, Errc::kUnknownChannel);
  EXPECT_TRUE(r.subscribers.empty());
  EXPECT_FALSE(r.evicted_handle.has_value());
  EXPECT_EQ(bus.history_size("nope"), 0u);
}

TEST(EventBus, PublishAssignsAFreshUuidV4AndTheInjectedTime) {
  EventBus bus = MakeBus();
  ASSERT_EQ(bus.create_channel("chat").error, Errc::kOk);
  PublishResult a = bus.publish("chat", PublishInput{"msg", "alice", "bob", 11}, 1234.5);
  PublishResult b = bus.publish("chat", Input(12), 1240);
  ASSERT_EQ(a.error, Errc::kOk);
  EXPECT_EQ(a.event.type, "msg");
  EXPECT_EQ(a.event.source, "alice");
  EXPECT_EQ(a.event.target, "bob");
  EXPECT_EQ(a.event.payload_handle, 11u);
  EXPECT_EQ(a.event.timestamp, 1234.5);
  EXPECT_EQ(b.event.timestamp, 1240);
  const std::string& id = a.event.id;
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);
  EXPECT_NE(a.event.id, b.event.id);
}

TEST(EventBus, PublishListsSubscribersInSubscribeOrder) {
  EventBus bus = MakeBus();
  bus.create_channel("c");
  std::uint32_t s1 = bus.subscribe("c").subscription;
  std::uint32_t s2 = bus.subscribe("c").subscription;
  EXPECT_NE(s1, s2);
  EXPECT_EQ(bus.publish("c", Input(1), 0).subscribers, (std::vector<std::uint32_t>{s1, s2}));
}

TEST(EventBus, HistoryIsBoundedAndEvictedHandlesAreReported) {
  EventBus bus = MakeBus();
  bus.create_channel("c", 3);
  std::vector<std::uint32_t> evicted;
  for (std::uint32_t h = 1; h <= 5; ++h) {
    PublishResult r = bus.publish("c", Input(h), h);
    if (r.evicted_handle) evicted.push_back(*r.evicted_handle);
  }
  EXPECT_EQ(evicted, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(bus.history_size("c"), 3u);
  EXPECT_EQ(Handles(bus.subscribe("c").replay), (std::vector<std::uint32_t>{3, 4, 5}));
}

TEST(EventBus, DefaultMaxHistoryIs100) {
  EventBus bus = MakeBus();
  bus.create_channel("c");
  for (std::uint32_t h = 1; h <= 100; ++h)
    EXPECT_FALSE(bus.publish("c", Input(h), 0).evicted_handle);
  EXPECT_EQ(bus.publish("c", Input(101), 0).evicted_handle, 1u);
  EXPECT_EQ(bus.history_size("c"), 100u);
}

TEST(EventBus, NewSubscriberIsReplayedTheLastTenEventsOldestFirst) {
  EventBus bus = MakeBus();
  bus.create_channel("c");
  for (std::uint32_t h = 1; h <= 3; ++h) bus.publish("c", Input(h), 0);
  EXPECT_EQ(Handles(bus.subscribe("c").replay), (std::vector<std::uint32_t>{1, 2, 3}));
  for (std::uint32_t h = 4; h <= 15; ++h) bus.publish("c", Input(h), 0);
  EXPECT_EQ(Handles(bus.subscribe("c").replay),
            (std::vector<std::uint32_t>{6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
}

TEST(EventBus, OneCallbackOnTwoChannelsUnsubscribesIndependently) {
  // The seed's unsubscribe broke this case; here every subscribe() has its own id.
  EventBus bus = MakeBus();
  bus.create_channel("a");
  bus.create_channel("b");
  std::uint32_t on_a = bus.subscribe("a").subscription;
  std::uint32_t on_b = bus.subscribe("b").subscription;
  std::uint32_t on_a_again = bus.subscribe("a").subscription;
  EXPECT_TRUE(bus.unsubscribe(on_a));
  EXPECT_EQ(bus.publish("a", Input(1), 0).subscribers, (std::vector<std::uint32_t>{on_a_again}));
  EXPECT_EQ(bus.publish("b", Input(2), 0).subscribers, (std::vector<std::uint32_t>{on_b}));
  EXPECT_TRUE(bus.unsubscribe(on_b));
  EXPECT_TRUE(bus.publish("b", Input(3), 0).subscribers.empty());
  EXPECT_EQ(bus.publish("a", Input(4), 0).subscribers, (std::vector<std::uint32_t>{on_a_again}));
  EXPECT_EQ(bus.subscription_count(), 1u);
}

TEST(EventBus, UnsubscribeOfUnknownOrAlreadyRemovedIdReturnsFalse) {
  EventBus bus = MakeBus();
  bus.create_channel("c");
  std::uint32_t s = bus.subscribe("c").subscription;
  EXPECT_TRUE(bus.is_subscribed(s));
  EXPECT_TRUE(bus.unsubscribe(s));
  EXPECT_FALSE(bus.is_subscribed(s));
  EXPECT_FALSE(bus.unsubscribe(s));
  EXPECT_FALSE(bus.unsubscribe(0));
  EXPECT_FALSE(bus.unsubscribe(9999));
}

TEST(EventBus, ZeroMaxHistoryKeepsNothingAndHandsTheHandleBack) {
  EventBus bus = MakeBus();
  bus.create_channel("c", 0);
  std::uint32_t s = bus.subscribe("c").subscription;
  PublishResult r = bus.publish("c", Input(5), 0);
  EXPECT_EQ(r.subscribers, (std::vector<std::uint32_t>{s}));
  EXPECT_EQ(r.evicted_handle, 5u);
  EXPECT_TRUE(bus.subscribe("c").replay.empty());
}

TEST(EventBus, NegativeMaxHistoryIsInvalidConfig) {
  EventBus bus = MakeBus();
  EXPECT_EQ(bus.create_channel("c", -1).error, Errc::kInvalidConfig);
  EXPECT_FALSE(bus.has_channel("c"));
}

TEST(EventBus, RecreatingAChannelKeepsSubscribersAndTrimsHistory) {
  EventBus bus = MakeBus();
  bus.create_channel("c", 5);
  std::uint32_t s = bus.subscribe("c").subscription;
  for (std::uint32_t h = 1; h <= 5; ++h) bus.publish("c", Input(h), 0);
  ChannelResult r = bus.create_channel("c", 2);
  EXPECT_EQ(r.error, Errc::kOk);
  EXPECT_EQ(r.evicted_handles, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(bus.history_size("c"), 2u);
  EXPECT_EQ(bus.publish("c", Input(6), 0).subscribers, (std::vector<std::uint32_t>{s}));
  EXPECT_EQ(bus.channel_count(), 1u);
}

TEST(EventBus, RemoveChannelReturnsItsHandlesAndDropsItsSubscriptions) {
  EventBus bus = MakeBus();
  bus.create_channel("c");
  bus.create_channel("d");
  std::uint32_t s = bus.subscribe("c").subscription;
  std::uint32_t keep = bus.subscribe("d").subscription;
  bus.publish("c", Input(1), 0);
  bus.publish("c", Input(2), 0);
  ChannelResult r = bus.remove_channel("c");
  EXPECT_EQ(r.error, Errc::kOk);
  EXPECT_EQ(r.evicted_handles, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_FALSE(bus.has_channel("c"));
  EXPECT_EQ(bus.subscription_count(), 1u);
  EXPECT_FALSE(bus.is_subscribed(s));
  EXPECT_FALSE(bus.unsubscribe(s));
  EXPECT_TRUE(bus.is_subscribed(keep));
  EXPECT_EQ(bus.publish("c", Input(3), 0).error, Errc::kUnknownChannel);
  EXPECT_EQ(bus.remove_channel("c").error, Errc::kUnknownChannel);
}

TEST(EventBus, UnsubscribeDuringDeliveryIsVisibleToTheDeliveryLoop) {
  EventBus bus = MakeBus();
  bus.create_channel("c");
  std::uint32_t s1 = bus.subscribe("c").subscription;
  std::uint32_t s2 = bus.subscribe("c").subscription;
  PublishResult r = bus.publish("c", Input(1), 0);
  std::vector<std::uint32_t> delivered;
  for (std::uint32_t s : r.subscribers) {
    if (!bus.is_subscribed(s)) continue;
    delivered.push_back(s);
    if (s == s1) bus.unsubscribe(s2);  // the first callback unsubscribes the second
  }
  EXPECT_EQ(delivered, (std::vector<std::uint32_t>{s1}));
}

// Every payload handle leaves the bus exactly once: evicted by the bound, trimmed, or returned
// when its channel is removed. Nothing leaks, nothing is freed twice.
TEST(EventBusStream, EveryHandleIsReturnedExactlyOnce) {
  EventBus bus = MakeBus();
  std::mt19937 rng(7);
  const std::vector<std::string> names = {"a", "b", "c", "d"};
  for (const std::string& n : names) bus.create_channel(n, 8);
  std::multiset<std::uint32_t> returned;
  std::uint32_t published = 0;
  auto collect = [&](const std::vector<std::uint32_t>& hs) {
    returned.insert(hs.begin(), hs.end());
  };
  for (int i = 0; i < 5000; ++i) {
    const std::string& name = names[rng() % names.size()];
    switch (rng() % 20) {
      case 0:
        collect(bus.create_channel(name, static_cast<std::int32_t>(rng() % 12)).evicted_handles);
        break;
      case 1:
        collect(bus.remove_channel(name).evicted_handles);
        bus.create_channel(name, 8);
        break;
      default: {
        PublishResult r = bus.publish(name, Input(++published), i);
        ASSERT_EQ(r.error, Errc::kOk);
        if (r.evicted_handle) returned.insert(*r.evicted_handle);
      }
    }
  }
  for (const std::string& n : names) collect(bus.remove_channel(n).evicted_handles);
  ASSERT_EQ(returned.size(), published);
  std::uint32_t expected = 1;
  for (std::uint32_t h : returned) EXPECT_EQ(h, expected++);
  EXPECT_EQ(bus.channel_count(), 0u);
}

}  // namespace
}  // namespace realtime
