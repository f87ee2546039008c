#include "delivery.h"

#include <algorithm>
#include <charconv>

#include "envelope.h"

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
  auto kept = entries_.begin();
  for (auto& e : entries_) {
    if (e.deadline <= now) {
      out.push_back(std::move(e.id));
      bytes_ -= e.text.size();
    } else {
      if (&*kept != &e) *kept = std::move(e);
      ++kept;
    }
  }
  entries_.erase(kept, entries_.end());
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

namespace {
void append_offset(std::string& out, std::uint64_t offset) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, offset).ptr);
}
}  // namespace

std::string ChannelTable::join_frame(std::string_view name) const {
  auto it = channels_.find(name);
  if (it == channels_.end()) return {};
  std::string out = R"({"type":"rt:join","payload":{"channel":)";
  append_json_string(out, name);
  if (it->second.positioned) {
    out += R"(,"position":{"epoch":)";
    append_json_string(out, it->second.position.epoch);
    out += R"(,"offset":)";
    append_offset(out, it->second.position.offset);
    out += '}';
  }
  out += "}}";
  return out;
}

std::vector<std::string> ChannelTable::join_frames() const {
  std::vector<std::string> out;
  out.reserve(channels_.size());
  for (const auto& [name, c] : channels_) out.push_back(join_frame(name));
  return out;
}

std::string ChannelTable::leave_frame(std::string_view name) {
  std::string out = R"({"type":"rt:leave","payload":{"channel":)";
  append_json_string(out, name);
  out += "}}";
  return out;
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
                                                       Gap* gap, std::uint32_t* id) {
  auto it = channels_.find(name);
  if (it == channels_.end()) return Publication::kUnknown;
  Channel& c = it->second;
  *id = c.id;
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

std::optional<AckFrame> parse_ack(std::string_view payload) {
  JsonFields j = json_object_fields(payload);
  if (j.result.error != Errc::kOk) return std::nullopt;
  AckFrame out{.id = j.string("id")};
  if (out.id.empty()) return std::nullopt;
  if (std::string_view error = j.get("error"); !error.empty() && error.front() == '{') {
    JsonFields e = json_object_fields(error);
    out.ok = false;
    out.message = e.string("code");
    std::string message = e.string("message");
    if (!message.empty()) out.message += (out.message.empty() ? "" : ": ") + message;
    return out;
  }
  std::string_view reply = j.get("reply");
  out.reply_json = reply.empty() ? "null" : std::string(reply);
  return out;
}

std::optional<JoinedFrame> parse_joined(std::string_view payload) {
  JsonFields j = json_object_fields(payload);
  if (j.result.error != Errc::kOk) return std::nullopt;
  JoinedFrame out{.channel = j.string("channel"), .epoch = j.string("epoch")};
  if (out.channel.empty()) return std::nullopt;
  if (auto offset = j.number("offset"); offset && *offset >= 0) {
    out.offset = static_cast<std::uint64_t>(*offset);
  }
  out.recovered = j.get("recovered") != "false";
  return out;
}

std::optional<ErrorFrame> parse_error_frame(std::string_view payload) {
  JsonFields j = json_object_fields(payload);
  if (j.result.error != Errc::kOk) return std::nullopt;
  return ErrorFrame{.code = j.string("code"),
                    .message = j.string("message"),
                    .id = j.string("id"),
                    .channel = j.string("channel")};
}

}  // namespace realtime
