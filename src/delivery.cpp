#include "delivery.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace realtime {

bool AckStore::add(Entry entry) {
  if (entries_.size() >= limits_.max_pending ||
      bytes_ + entry.text.size() > limits_.max_pending_bytes) {
    return false;
  }
  bytes_ += entry.text.size();
  entries_.push_back(std::move(entry));
  return true;
}

bool AckStore::remove(std::string_view id) {
  auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.id == id; });
  if (it == entries_.end()) return false;
  bytes_ -= it->text.size();
  entries_.erase(it);
  return true;
}

bool AckStore::contains(std::string_view id) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.id == id; });
}

std::vector<std::string> AckStore::expire(double now) {
  std::vector<std::string> out;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->deadline <= now) {
      out.push_back(std::move(it->id));
      bytes_ -= it->text.size();
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::optional<double> AckStore::next_deadline() const {
  std::optional<double> next;
  for (const auto& e : entries_) {
    if (!next || e.deadline < *next) next = e.deadline;
  }
  return next;
}

std::vector<std::string> AckStore::take_all() {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (auto& e : entries_) out.push_back(std::move(e.id));
  entries_.clear();
  bytes_ = 0;
  return out;
}

std::uint32_t ChannelTable::join(const std::string& name,
                                 const std::optional<ChannelPosition>& since) {
  auto [it, inserted] = channels_.try_emplace(name, Channel{next_id_});
  if (inserted) ++next_id_;
  Channel& c = it->second;
  c.rebase = false;
  c.positioned = since.has_value();
  c.position = since.value_or(ChannelPosition{});
  return c.id;
}

bool ChannelTable::leave(std::string_view name) {
  auto it = channels_.find(name);
  if (it == channels_.end()) return false;
  channels_.erase(it);
  return true;
}

std::uint32_t ChannelTable::id_of(std::string_view name) const {
  auto it = channels_.find(name);
  return it == channels_.end() ? 0 : it->second.id;
}

std::optional<ChannelPosition> ChannelTable::position(std::string_view name) const {
  auto it = channels_.find(name);
  if (it == channels_.end() || !it->second.positioned) return std::nullopt;
  return it->second.position;
}

std::string ChannelTable::join_frame(std::string_view name) const {
  auto it = channels_.find(name);
  if (it == channels_.end()) return {};
  nlohmann::json payload = {{"channel", std::string(name)}};
  if (it->second.positioned) {
    payload["position"] = {{"epoch", it->second.position.epoch},
                           {"offset", it->second.position.offset}};
  }
  return nlohmann::json{{"type", "rt:join"}, {"payload", std::move(payload)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> ChannelTable::join_frames() const {
  std::vector<std::string> out;
  out.reserve(channels_.size());
  for (const auto& [name, c] : channels_) out.push_back(join_frame(name));
  return out;
}

std::string ChannelTable::leave_frame(std::string_view name) {
  return nlohmann::json{{"type", "rt:leave"}, {"payload", {{"channel", std::string(name)}}}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<ChannelTable::Gap> ChannelTable::on_joined(std::string_view name,
                                                         std::string_view epoch,
                                                         std::uint64_t offset, bool recovered) {
  auto it = channels_.find(name);
  if (it == channels_.end()) return std::nullopt;
  Channel& c = it->second;
  if (!c.positioned) {  // live only: the position starts at the newest publication
    c.positioned = true;
    c.position = {std::string(epoch), offset};
    return std::nullopt;
  }
  if (recovered) {
    c.position.epoch = std::string(epoch);
    return std::nullopt;
  }
  Gap gap{c.position, std::string(epoch)};
  c.position = {std::string(epoch), 0};
  c.rebase = true;  // the server replays what it still keeps, from its oldest
  return gap;
}

ChannelTable::Publication ChannelTable::on_publication(std::string_view name, std::uint64_t offset,
                                                       Gap* gap) {
  auto it = channels_.find(name);
  if (it == channels_.end()) return Publication::kUnknown;
  Channel& c = it->second;
  if (c.rebase || !c.positioned) {
    c.rebase = false;
    c.positioned = true;
    c.position.offset = offset;
    return Publication::kDeliver;
  }
  if (offset <= c.position.offset) return Publication::kDuplicate;
  bool skipped = offset > c.position.offset + 1;
  if (skipped && gap) *gap = Gap{c.position, c.position.epoch};
  c.position.offset = offset;
  return skipped ? Publication::kGap : Publication::kDeliver;
}

namespace {
using nlohmann::json;
json parse_object(std::string_view payload) {
  json j = json::parse(payload, nullptr, false);
  return j.is_object() ? j : json();
}
std::string string_at(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
}  // namespace

std::optional<AckFrame> parse_ack(std::string_view payload) {
  json j = parse_object(payload);
  if (!j.is_object()) return std::nullopt;
  AckFrame out{.id = string_at(j, "id")};
  if (out.id.empty()) return std::nullopt;
  if (auto err = j.find("error"); err != j.end() && err->is_object()) {
    out.ok = false;
    out.message = string_at(*err, "code");
    std::string message = string_at(*err, "message");
    if (!message.empty()) out.message += (out.message.empty() ? "" : ": ") + message;
    return out;
  }
  auto reply = j.find("reply");
  out.reply_json = reply == j.end() ? "null" : dump(*reply);
  return out;
}

std::optional<JoinedFrame> parse_joined(std::string_view payload) {
  json j = parse_object(payload);
  if (!j.is_object()) return std::nullopt;
  JoinedFrame out{.channel = string_at(j, "channel"), .epoch = string_at(j, "epoch")};
  if (out.channel.empty()) return std::nullopt;
  if (auto o = j.find("offset"); o != j.end() && o->is_number_unsigned()) {
    out.offset = o->get<std::uint64_t>();
  }
  if (auto r = j.find("recovered"); r != j.end() && r->is_boolean()) out.recovered = r->get<bool>();
  return out;
}

std::optional<ErrorFrame> parse_error_frame(std::string_view payload) {
  json j = parse_object(payload);
  if (!j.is_object()) return std::nullopt;
  return ErrorFrame{.code = string_at(j, "code"),
                    .message = string_at(j, "message"),
                    .id = string_at(j, "id"),
                    .channel = string_at(j, "channel")};
}

}  // namespace realtime
