// A WsHost for native tests: a fake clock, fake timers, recorded sockets and events.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ws_session.h"

namespace realtime::testing {

class FakeWsHost : public WsHost {
 public:
  struct Socket {
    std::string url;
    std::vector<std::string> sent;
    std::optional<int> close_code;
    bool released = false;
  };

  double now = 0;
  std::uint32_t rng_state = 12345;
  bool fail_open = false;
  std::map<std::uint32_t, Socket> sockets;
  std::uint32_t last_socket = 0;
  std::map<WsTimer, double> timers;  // timer → due time
  std::vector<std::pair<WsState, WsState>> states;
  std::vector<std::string> messages;  // "type|payload"
  std::vector<std::pair<Errc, std::string>> errors;
  std::vector<std::pair<DropReason, std::uint32_t>> drops;
  std::vector<int> close_codes;
  std::vector<std::uint32_t> url_requests;

  double now_ms() override { return now; }
  std::uint32_t random_u32() override {
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state;
  }
  std::uint32_t open_socket(const std::string& url, const std::vector<std::string>&) override {
    if (fail_open) return 0;
    ++last_socket;
    sockets[last_socket].url = url;
    return last_socket;
  }
  void request_url(std::uint32_t seq) override { url_requests.push_back(seq); }
  void send_text(std::uint32_t s, const std::string& text) override {
    sockets[s].sent.push_back(text);
  }
  void close_socket(std::uint32_t s, int code, std::string_view) override {
    sockets[s].close_code = code;
  }
  void release_socket(std::uint32_t s) override { sockets[s].released = true; }
  void set_timer(WsTimer t, double delay) override { timers[t] = now + delay; }
  void cancel_timer(WsTimer t) override { timers.erase(t); }
  void on_state(WsState n, WsState o) override { states.emplace_back(n, o); }
  void on_message(const Envelope& env, std::string_view) override {
    messages.push_back(std::string(env.type) + "|" + std::string(env.payload));
  }
  void on_error(Errc code, const std::string& message) override {
    errors.emplace_back(code, message);
  }
  void on_drop(DropReason r, std::uint32_t count) override { drops.emplace_back(r, count); }
  void on_close(int code, std::string_view, bool) override { close_codes.push_back(code); }
  struct Ack {
    std::string id;
    Errc code;
    std::string detail;
  };
  std::vector<Ack> acks;
  std::vector<std::string> publications;  // "channel_id|type|payload|offset"
  std::vector<std::pair<std::uint32_t, ChannelTable::Gap>> gaps;
  void on_ack(std::string_view id, Errc code, std::string_view detail) override {
    acks.push_back({std::string(id), code, std::string(detail)});
  }
  void on_publication(std::uint32_t channel_id, const Envelope& env, std::string_view) override {
    publications.push_back(std::to_string(channel_id) + "|" + std::string(env.type) + "|" +
                           std::string(env.payload) + "|" +
                           std::to_string(static_cast<long long>(env.offset.value_or(-1))));
  }
  void on_gap(std::uint32_t channel_id, const ChannelTable::Gap& gap) override {
    gaps.emplace_back(channel_id, gap);
  }
  std::vector<std::uint32_t> token_requests;
  struct Auth {
    AuthPhase phase;
    TokenReason reason;
    double expires_at;
  };
  std::vector<Auth> auths;
  void request_token(std::uint32_t seq) override { token_requests.push_back(seq); }
  void on_auth(AuthPhase phase, TokenReason reason, double expires_at) override {
    auths.push_back({phase, reason, expires_at});
  }

  // Advances the clock to the earliest due timer and fires it (at most `max` timers).
  bool fire_next(WsSession& session) {
    if (timers.empty()) return false;
    auto it = timers.begin();
    for (auto i = timers.begin(); i != timers.end(); ++i) {
      if (i->second < it->second) it = i;
    }
    WsTimer t = it->first;
    now = it->second;
    timers.erase(it);
    session.on_timer(t);
    return true;
  }
  std::optional<double> due(WsTimer t) const {
    auto it = timers.find(t);
    return it == timers.end() ? std::nullopt : std::optional<double>(it->second);
  }
  WsState last_state() const { return states.empty() ? WsState::kClosed : states.back().first; }
};

}  // namespace realtime::testing
