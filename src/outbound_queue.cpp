#include "outbound_queue.h"

namespace realtime {

std::size_t OutboundQueue::push(std::string message, std::uint64_t seq) {
  if (capacity_ == 0) {
    ++dropped_total_;
    return 1;
  }
  std::size_t dropped = 0;
  while (items_.size() >= capacity_) {
    items_.pop_front();
    ++dropped;
  }
  items_.push_back({std::move(message), seq});
  dropped_total_ += dropped;
  return dropped;
}

std::string OutboundQueue::pop_front() {
  std::string front = std::move(items_.front().text);
  items_.pop_front();
  return front;
}

}  // namespace realtime
