// Messages sent while the connection is not open. The seed's semantics: at most messageQueueSize
// messages, the oldest dropped when full, flushed in order on (re)connect. Unlike the seed, every
// drop is counted and reported by the caller as a 'drop' event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace realtime {

class OutboundQueue {
 public:
  explicit OutboundQueue(std::size_t capacity) : capacity_(capacity) {}

  // Queues a message; returns how many old messages were dropped to make room (0 or 1), or 1
  // when the capacity is 0 and the message itself is dropped. `seq` is its place in the send
  // order (the session merges the queue with its acknowledged sends on open).
  std::size_t push(std::string message, std::uint64_t seq = 0);
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t dropped_total() const { return dropped_total_; }
  std::uint64_t front_seq() const { return items_[head_].seq; }
  std::string pop_front();
  void clear() {
    items_.clear();
    head_ = 0;
  }

 private:
  struct Item {
    std::string text;
    std::uint64_t seq;
  };
  void drop_front();

  std::size_t capacity_;
  // A FIFO without std::deque (its code is the largest container in the module, docs/size.md):
  // the items from head_ on; the moved-from ones before head_ go when they are half the vector.
  std::vector<Item> items_;
  std::size_t head_ = 0;
  std::uint64_t dropped_total_ = 0;
};

}  // namespace realtime
