// SmallMap: a string-keyed map for the handful of entries a client holds (its channels, its
// subscribed types, a pool's connections), with the part of std::map's interface they use. A
// vector in insertion order, searched linearly: as fast as a tree or a hash table at these sizes,
// and the module carries no tree or hash-table code (docs/size.md: -1.3 kB gzip for the hash
// table alone). Iterators and references are invalidated by an insertion or an erase.
#pragma once
#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace realtime {

template <typename V>
class SmallMap {
 public:
  using value_type = std::pair<std::string, V>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;

  iterator begin() { return items_.begin(); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  void clear() { items_.clear(); }

  iterator find(std::string_view key) {
    return std::find_if(items_.begin(), items_.end(),
                        [&](const value_type& e) { return e.first == key; });
  }
  const_iterator find(std::string_view key) const {
    return std::find_if(items_.begin(), items_.end(),
                        [&](const value_type& e) { return e.first == key; });
  }
  // Inserts (key, value) unless the key is there; returns the entry and whether it was inserted.
  std::pair<iterator, bool> try_emplace(std::string_view key, V value) {
    if (auto it = find(key); it != items_.end()) return {it, false};
    items_.emplace_back(std::string(key), std::move(value));
    return {items_.end() - 1, true};
  }
  iterator erase(iterator it) { return items_.erase(it); }

 private:
  std::vector<value_type> items_;
};

}  // namespace realtime
