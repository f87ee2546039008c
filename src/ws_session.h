// The WebSocket session: a sans-IO state machine. It is driven by calls (connect, send, socket
// events, timer expiries) and acts only through WsHost (open/send/close a socket, arm a timer,
// emit events), so every behaviour is testable natively with a fake host and a fake clock.
//
//   closed ─connect()→ connecting ─open→ open ─disconnect()→ closing ─close→ closed
//                         │                 │ unclean close / heartbeat timeout
//                         └─unclean close─→ reconnecting ─timer→ (new socket) ─open→ open
//   reconnecting ─attempts used up→ closed + 'error' gave_up
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backoff.h"
#include "envelope.h"
#include "errc.h"
#include "heartbeat.h"
#include "outbound_queue.h"

namespace realtime {

enum class WsState : std::uint8_t { kConnecting, kOpen, kReconnecting, kClosing, kClosed };
std::string_view ws_state_name(WsState s);

enum class WsTimer : std::uint8_t { kReconnect, kHeartbeat, kCloseTimeout };
inline constexpr int kWsTimerCount = 3;

enum class DropReason : std::uint8_t { kQueueFull };
std::string_view drop_reason_name(DropReason r);

struct WsConfig {
  std::string url;
  std::vector<std::string> protocols;
  BackoffConfig backoff;
  HeartbeatConfig heartbeat;
  std::size_t message_queue_size = 100;  // messageQueueSize
  DecodeLimits limits;                   // maxMessageBytes, maxDepth
  double close_timeout_ms = 5000;        // closing → closed even if the close never arrives
};

class WsHost {
 public:
  virtual ~WsHost() = default;
  virtual double now_ms() = 0;
  virtual std::uint32_t random_u32() = 0;
  // Opens a socket; returns its id (never 0), or 0 when it cannot even be created (bad URL).
  virtual std::uint32_t open_socket(const std::string& url,
                                    const std::vector<std::string>& protocols) = 0;
  virtual void send_text(std::uint32_t socket, const std::string& text) = 0;
  virtual void close_socket(std::uint32_t socket, int code, std::string_view reason) = 0;
  // Forget a socket: the host delivers no further events from it and frees it.
  virtual void release_socket(std::uint32_t socket) = 0;
  virtual void set_timer(WsTimer timer, double delay_ms) = 0;  // replaces a pending one
  virtual void cancel_timer(WsTimer timer) = 0;
  virtual void on_state(WsState new_state, WsState old_state) = 0;
  // `raw` is the whole frame text; `env` views into it.
  virtual void on_message(const Envelope& env, std::string_view raw) = 0;
  virtual void on_error(Errc code, const std::string& message) = 0;
  virtual void on_drop(DropReason reason, std::uint32_t count) = 0;
  // The current socket closed (before the session decides to reconnect or not).
  virtual void on_close(int code, std::string_view reason, bool was_clean) = 0;
};

struct WsStats {
  std::uint64_t messages_received = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t errors = 0;
  std::uint64_t dropped = 0;
  std::uint32_t reconnects = 0;  // successful re-opens after the first
  std::size_t queue_depth = 0;
  double last_rtt_ms = -1;       // from ping → pong, -1 until measured
};

class WsSession {
 public:
  WsSession(WsConfig config, WsHost& host);
  ~WsSession();
  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  void connect();
  void disconnect(int code = 1000, std::string_view reason = "Normal closure");
  // Encodes and sends, or queues while not open. Returns true when sent now.
  bool send(const OutgoingEnvelope& message);

  void on_socket_open(std::uint32_t socket);
  void on_socket_message(std::uint32_t socket, std::string_view data, bool is_text);
  void on_socket_close(std::uint32_t socket, int code, std::string_view reason, bool was_clean);
  void on_timer(WsTimer timer);

  WsState state() const { return state_; }
  int ready_state() const;  // WebSocket numbers: 0 connecting, 1 open, 2 closing, 3 closed
  WsStats stats() const;
  const WsConfig& config() const { return config_; }

 private:
  void set_state(WsState s);
  void open_new_socket();
  void schedule_reconnect();
  void drop_socket();
  void emit_error(Errc code, std::string detail = {});
  std::uint32_t random() { return host_.random_u32(); }

  WsConfig config_;
  WsHost& host_;
  Backoff backoff_;
  Heartbeat heartbeat_;
  OutboundQueue queue_;
  WsState state_ = WsState::kClosed;
  std::uint32_t socket_ = 0;
  bool ever_opened_ = false;
  WsStats stats_;
};

}  // namespace realtime
