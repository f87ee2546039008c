// OutboundQueue against a std::deque model: random pushes and pops at several capacities, so the
// head index and the compaction of its vector are crossed many times.
#include "outbound_queue.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>

namespace realtime {
namespace {

TEST(OutboundQueue, BehavesAsABoundedFifoThatDropsTheOldest) {
  std::mt19937 rng(7);
  for (std::size_t capacity : {0u, 1u, 2u, 3u, 10u, 100u}) {
    OutboundQueue q(capacity);
    std::deque<std::pair<std::string, std::uint64_t>> model;
    std::uint64_t dropped = 0;
    for (std::uint64_t seq = 1; seq <= 5000; ++seq) {
      if (rng() % 3 != 0) {
        const std::string text = "m" + std::to_string(seq);
        std::size_t expect_dropped = 0;
        if (capacity == 0) {
          expect_dropped = 1;
        } else {
          if (model.size() >= capacity) {
            model.pop_front();
            expect_dropped = 1;
          }
          model.emplace_back(text, seq);
        }
        dropped += expect_dropped;
        ASSERT_EQ(q.push(text, seq), expect_dropped) << capacity << " " << seq;
      } else if (!model.empty()) {
        ASSERT_EQ(q.front_seq(), model.front().second);
        ASSERT_EQ(q.pop_front(), model.front().first);
        model.pop_front();
      }
      ASSERT_EQ(q.size(), model.size());
      ASSERT_EQ(q.empty(), model.empty());
      ASSERT_EQ(q.dropped_total(), dropped);
      if (seq % 997 == 0) {
        q.clear();
        model.clear();
      }
    }
  }
}

}  // namespace
}  // namespace realtime
