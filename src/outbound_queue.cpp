#include "outbound_queue.h"

namespace realtime {

std::size_t OutboundQueue::push(std::string message, std::uint64_t seq) {
  if (capacity_ == 0) {
    ++dropped_total_;
    return 1;
  }
  std::size_t dropped = 0;
  while (size() >= capacity_) {
    drop_front();
    ++dropped;
  }
  items_.push_back({std::move(message), seq});
  dropped_total_ += dropped;
  return dropped;
}

std::string OutboundQueue::pop_front() {
  std::string front = std::move(items_[head_].text);
  drop_front();
  return front;
}

void OutboundQueue::drop_front() {
  items_[head_].text = std::string();
  if (++head_ == items_.size()) {
    clear();
  } else if (head_ * 2 >= items_.size()) {
    items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

}  // namespace realtime
