#include "connection_pool.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace realtime {
namespace {

using Ids = std::vector<std::string>;

ConnectionPoolConfig Config(std::int32_t max, double idle, double interval) {
  return ConnectionPoolConfig{max, idle, interval};
}

TEST(PoolConfig, DefaultsAreTheSeeds) {
  ConnectionPoolConfig config;
  EXPECT_EQ(config.max_connections, 10);
  EXPECT_EQ(config.idle_timeout_ms, 300000);
  EXPECT_EQ(config.health_check_interval_ms, 60000);
  EXPECT_EQ(ConnectionPool::validate(config), Errc::kOk);
}

TEST(PoolConfig, RejectsBadInput) {
  constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(ConnectionPool::validate(Config(0, 1000, 100)), Errc::kInvalidConfig);
  EXPECT_EQ(ConnectionPool::validate(Config(-1, 1000, 100)), Errc::kInvalidConfig);
  EXPECT_EQ(ConnectionPool::validate(Config(2, -1, 100)), Errc::kInvalidConfig);
  EXPECT_EQ(ConnectionPool::validate(Config(2, kNan, 100)), Errc::kInvalidConfig);
  EXPECT_EQ(ConnectionPool::validate(Config(2, 1000, 0)), Errc::kInvalidConfig);
  EXPECT_EQ(ConnectionPool::validate(Config(2, 1000, -5)), Errc::kInvalidConfig);
  EXPECT_EQ(ConnectionPool::validate(Config(1, 0, 1)), Errc::kOk);
  ConnectionPool pool(Config(0, -1, 0));  // falls back to the defaults instead of misbehaving
  EXPECT_EQ(pool.config().max_connections, 10);
  EXPECT_EQ(pool.config().idle_timeout_ms, 300000);
  EXPECT_EQ(pool.config().health_check_interval_ms, 60000);
}

TEST(Pool, AcquireCreatesOnceThenCountsUsers) {
  ConnectionPool pool;
  AcquireResult first = pool.acquire("wss://a", 0);
  EXPECT_TRUE(first.created);
  EXPECT_FALSE(first.over_capacity);
  AcquireResult second = pool.acquire("wss://a", 5);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(pool.users("wss://a"), 2u);
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.release("wss://a", 6).error, Errc::kOk);
  EXPECT_EQ(pool.users("wss://a"), 1u);
}

TEST(Pool, ReleasedConnectionStaysOpenForAQuickRemount) {
  ConnectionPool pool(Config(10, 1000, 100));
  pool.acquire("a", 0);
  EXPECT_TRUE(pool.release("a", 10).closed.empty());
  EXPECT_TRUE(pool.on_timer(100).empty());
  EXPECT_TRUE(pool.contains("a"));
  EXPECT_FALSE(pool.acquire("a", 150).created);  // remount reuses it
  EXPECT_EQ(pool.users("a"), 1u);
}

TEST(Pool, HealthCheckClosesOnlyConnectionsIdleLongerThanTheTimeout) {
  ConnectionPool pool(Config(10, 1000, 500));
  pool.acquire("idle", 0);
  pool.acquire("busy", 0);
  pool.release("idle", 100);
  EXPECT_EQ(pool.next_deadline(), 500);
  EXPECT_TRUE(pool.on_timer(500).empty());
  EXPECT_EQ(pool.next_deadline(), 1000);
  EXPECT_TRUE(pool.on_timer(1000).empty());  // idle 900 ms
  EXPECT_EQ(pool.on_timer(1500), (Ids{"idle"}));
  EXPECT_FALSE(pool.contains("idle"));
  EXPECT_TRUE(pool.contains("busy"));  // in use: never closed, however old
  EXPECT_TRUE(pool.on_timer(100000).empty());
  EXPECT_EQ(pool.size(), 1u);
}

TEST(Pool, HealthCheckReportsClosedIds) {
  ConnectionPool pool(Config(10, 1000, 500));
  pool.acquire("a", 0);
  pool.acquire("b", 0);
  pool.release("a", 0);
  pool.release("b", 200);
  EXPECT_EQ(pool.on_timer(1100), (Ids{"a"}));  // b: idle exactly 900 ms
  EXPECT_EQ(pool.on_timer(1600), (Ids{"b"}));
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(pool.next_deadline(), std::nullopt);  // empty pool: no timer needed
}

TEST(Pool, EarlyOrStaleTimerDoesNothing) {
  ConnectionPool pool(Config(10, 0, 500));
  EXPECT_EQ(pool.next_deadline(), std::nullopt);
  EXPECT_TRUE(pool.on_timer(10000).empty());
  pool.acquire("a", 1000);
  pool.release("a", 1000);
  EXPECT_EQ(pool.next_deadline(), 1500);
  EXPECT_TRUE(pool.on_timer(1499).empty());
  EXPECT_EQ(pool.next_deadline(), 1500);
  EXPECT_EQ(pool.on_timer(1500), (Ids{"a"}));
}

TEST(Pool, FullPoolEvictsTheLeastRecentlyUsedIdleConnection) {
  ConnectionPool pool(Config(3, 100000, 1000));
  pool.acquire("a", 0);
  pool.acquire("b", 0);
  pool.acquire("c", 0);
  pool.release("b", 20);
  pool.release("a", 30);
  AcquireResult r = pool.acquire("d", 40);
  EXPECT_TRUE(r.created);
  EXPECT_FALSE(r.over_capacity);
  EXPECT_EQ(r.closed, (Ids{"b"}));
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_TRUE(pool.contains("a"));
}

TEST(Pool, IdleConnectionReleasedThisMillisecondCanBeEvicted) {
  // The seed only evicted entries with lastUsed < Date.now().
  ConnectionPool pool(Config(2, 100000, 1000));
  pool.acquire("a", 10);
  pool.acquire("b", 10);
  pool.release("b", 10);
  pool.release("a", 10);  // same millisecond: b was released first, so it goes first
  EXPECT_EQ(pool.acquire("c", 10).closed, (Ids{"b"}));
}

TEST(Pool, OverCapacityIsFlaggedAndShrinksBackOnRelease) {
  ConnectionPool pool(Config(2, 100000, 1000));
  pool.acquire("a", 0);
  pool.acquire("b", 0);
  AcquireResult r = pool.acquire("c", 1);
  EXPECT_TRUE(r.created);
  EXPECT_TRUE(r.over_capacity);
  EXPECT_TRUE(r.closed.empty());
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(pool.release("a", 2).closed, (Ids{"a"}));  // over capacity: closed at once
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_TRUE(pool.release("b", 3).closed.empty());  // back at the limit: stays open
  EXPECT_TRUE(pool.contains("b"));
  AcquireResult d = pool.acquire("d", 4);
  EXPECT_FALSE(d.over_capacity);
  EXPECT_EQ(d.closed, (Ids{"b"}));
}

TEST(Pool, ReleasingAnUnknownIdOrTooOftenIsAnError) {
  ConnectionPool pool;
  EXPECT_EQ(pool.release("ghost", 0).error, Errc::kUnknownChannel);
  pool.acquire("a", 0);
  EXPECT_EQ(pool.release("a", 1).error, Errc::kOk);
  EXPECT_EQ(pool.release("a", 2).error, Errc::kUnknownChannel);  // no user left to release
  EXPECT_EQ(pool.users("a"), 0u);
  EXPECT_TRUE(pool.contains("a"));
}

TEST(Pool, RemoveForgetsAnEntry) {
  ConnectionPool pool;
  EXPECT_EQ(pool.remove("ghost"), Errc::kUnknownChannel);
  pool.acquire("a", 0);
  EXPECT_EQ(pool.remove("a"), Errc::kOk);
  EXPECT_FALSE(pool.contains("a"));
  EXPECT_TRUE(pool.acquire("a", 1).created);
}

TEST(Pool, DestroyClosesEverything) {
  ConnectionPool pool;
  pool.acquire("a", 0);
  pool.acquire("b", 0);
  pool.release("b", 0);
  EXPECT_EQ(pool.destroy(), (Ids{"a", "b"}));
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(pool.next_deadline(), std::nullopt);
}

// Thousands of mount/unmount cycles over many ids with random timing: the live-entry count
// matches a reference model, never exceeds the limit except when every entry is in use, every
// closed id was live, and once everyone unmounts the health check empties the pool.
TEST(PoolStream, MountUnmountCyclesLeakNothing) {
  const ConnectionPoolConfig config = Config(5, 2000, 500);
  ConnectionPool pool(config);
  std::mt19937 rng(99);
  std::map<std::string, int> mounted;  // id -> users held by the test
  std::set<std::string> live;          // what the JS side would hold
  double t = 0;
  auto close = [&](const Ids& ids) {
    for (const std::string& id : ids) {
      ASSERT_EQ(live.erase(id), 1u) << id;
      ASSERT_EQ(mounted[id], 0) << id;
    }
  };
  auto fire_due = [&](double now) {
    while (pool.next_deadline() && *pool.next_deadline() <= now) {
      close(pool.on_timer(*pool.next_deadline()));
    }
  };
  for (int i = 0; i < 10000; ++i) {
    t += std::uniform_real_distribution<>(0, 50)(rng);
    fire_due(t);
    std::string id = "wss://host/" + std::to_string(rng() % 12);
    if (mounted[id] > 0 && rng() % 2 == 0) {
      ReleaseResult r = pool.release(id, t);
      ASSERT_EQ(r.error, Errc::kOk);
      --mounted[id];
      close(r.closed);
    } else if (mounted[id] < 3) {
      AcquireResult r = pool.acquire(id, t);
      close(r.closed);
      ASSERT_EQ(r.created, live.insert(id).second) << id;
      ++mounted[id];
    }
    ASSERT_EQ(pool.size(), live.size());
    std::size_t in_use = 0;
    for (const auto& [key, users] : mounted) in_use += users > 0 ? 1 : 0;
    ASSERT_LE(pool.size(), std::max<std::size_t>(5, in_use));
  }
  for (auto& [id, users] : mounted) {
    while (users > 0) {
      ReleaseResult r = pool.release(id, t);
      ASSERT_EQ(r.error, Errc::kOk);
      --users;
      close(r.closed);
    }
  }
  fire_due(t + 2000 + 1000);
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_TRUE(live.empty());
}

}  // namespace
}  // namespace realtime
