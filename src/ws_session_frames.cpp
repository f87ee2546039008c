// WsSession's per-frame path: every inbound frame (decode, heartbeat bookkeeping, channel
// publications) and every send. Its own file so that only this is compiled -O3 (CMakeLists.txt);
// the rest of the session (ws_session.cpp) is connection-event code, compiled for size.
#include "attributes.h"
#include "ws_session.h"

namespace realtime {

void WsSession::transmit(const std::string& text) {
  host_.send_text(socket_, text);
  ++stats_.messages_sent;
}

bool WsSession::send(const OutgoingEnvelope& message) {
  std::string text = encode_envelope(message, host_.now_ms(), [this] { return random(); });
  ++send_seq_;
  if (state_ == WsState::kOpen && socket_ != 0) {
    transmit(text);
    return true;
  }
  if (std::size_t dropped = queue_.push(std::move(text), send_seq_); dropped > 0) {
    host_.on_drop(DropReason::kQueueFull, static_cast<std::uint32_t>(dropped));
  }
  return false;
}

void WsSession::on_socket_message(std::uint32_t socket, std::string_view data, bool is_text) {
  if (socket != socket_ || socket == 0) return;
  // No clock read per frame (in the browser that is a call out to Date.now(), which cost more
  // than the rest of this bookkeeping): a frame marks the current heartbeat interval as live,
  // and the next tick stamps it. With ticks every interval this detects a silent server at the
  // same tick as stamping every frame would; it is never earlier.
  frame_since_tick_ = true;
  if (!is_text) {
    emit_error(Errc::kBinaryFrame, std::to_string(data.size()) + " bytes");
    return;
  }
  Envelope env;
  DecodeResult r = decode_envelope(data, config_.limits, env);
  if (r.error != Errc::kOk) {
    std::string detail = r.error == Errc::kTooLarge
                             ? std::to_string(data.size()) + " bytes > " +
                                   std::to_string(config_.limits.max_message_bytes)
                             : "at byte " + std::to_string(r.error_offset);
    emit_error(r.error, detail);
    return;
  }
  ++stats_.messages_received;
  if (env.type == "pong") heartbeat_.on_pong(host_.now_ms());
  if (v1_) {
    if (env.type.size() > 3 && env.type.substr(0, 3) == "rt:" && handle_control(env)) return;
    if (!env.channel.empty() && env.offset) return handle_publication(env, data);
  }
  host_.on_message(env, data);
}

void WsSession::handle_publication(const Envelope& env, std::string_view raw) {
  if (env.channel.front() != '"' || *env.offset < 1) return host_.on_message(env, raw);
  // The name as the raw token holds it (no copy per publication), unescaped only when it has
  // escapes.
  std::string unescaped;
  std::string_view channel = env.channel.substr(1, env.channel.size() - 2);
  if (channel.find('\\') != std::string_view::npos)
    channel = unescaped = unescape_json_string(env.channel);
  ChannelTable::Gap gap;
  std::uint32_t id = 0;
  switch (channels_.on_publication(channel, static_cast<std::uint64_t>(*env.offset), &gap, &id)) {
    case ChannelTable::Publication::kUnknown: return;  // left meanwhile
    case ChannelTable::Publication::kDuplicate: ++stats_.duplicates; return;
    case ChannelTable::Publication::kGap: host_.on_gap(id, gap); break;
    case ChannelTable::Publication::kDeliver: break;
  }
  host_.on_publication(id, env, raw);
}

}  // namespace realtime
