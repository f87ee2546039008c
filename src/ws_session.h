// The WebSocket session: a sans-IO state machine. It is driven by calls (connect, send, socket
// events, timer expiries) and acts only through WsHost (open/send/close a socket, arm a timer,
// emit events), so every behaviour is testable natively with a fake host and a fake clock.
//
//   closed ─connect()→ connecting ─open→ open ─disconnect()→ closing ─close→ closed
//                         │                 │ unclean close / heartbeat timeout
//                         └─unclean close─→ reconnecting ─timer→ (new socket) ─open→ open
//   reconnecting ─attempts used up→ closed + 'error' gave_up
// When and where to reconnect (backoff, minUptime, connectTimeout, failover URLs, offline and
// the page lifecycle) is the shared Connector's (connector.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "connector.h"
#include "delivery.h"
#include "envelope.h"
#include "errc.h"
#include "heartbeat.h"
#include "outbound_queue.h"

namespace realtime {

enum class WsState : std::uint8_t { kConnecting, kOpen, kReconnecting, kClosing, kClosed };
std::string_view ws_state_name(WsState s);

enum class WsTimer : std::uint8_t {
  kReconnect,
  kHeartbeat,
  kCloseTimeout,
  kConnectTimeout,
  kAckTimeout,
  kTokenRefresh,  // the credentials step's refresh before expiry (never keeps a process alive)
  kTokenRetry,    // the retry of a failing token provider
};
inline constexpr int kWsTimerCount = 7;

enum class DropReason : std::uint8_t { kQueueFull, kAckStoreFull };

// The subprotocol of docs/protocol.md: acknowledged sends and channels need a server that
// selected it.
inline constexpr std::string_view kRealtimeProtocol = "realtime.v1";
std::string_view drop_reason_name(DropReason r);

// What a close with 4001 or 4401 (the server rejected the credentials) does. Off by default (a
// plain session treats them as any other clean close: closed, no reconnect). When enabled
// (SecureWebSocketManager), such a close gets `retries` immediate reconnects — the host
// refreshes the token before the socket opens — and then an 'unauthorized' error and closed,
// rather than a loop. A connection that stayed open for `reset_after_ms` earns the retries back
// (a long-lived connection whose token expired is not a rejection streak).
struct AuthRetryPolicy {
  bool enabled = false;
  std::uint32_t retries = 1;
  double reset_after_ms = 10000;
};
bool is_auth_close_code(int code);

// The credentials step (SecureWebSocketManager). Before each socket opens, the session needs a
// usable token: one the host provided, not rejected by the server since (4001/4401), not expired.
// Without one it asks the host (WsHost::request_token; answered with provide_token / token_failed
// and the same seq) and holds the attempt meanwhile: connectTimeout covers that wait, as it covers
// a URL function. Every token is decoded here (jwt.h). A malformed one, one already expired, or
// one a Sec-WebSocket-Protocol value cannot carry (`subprotocol`) is an error. A failing provider
// is retried with the reconnect backoff (full jitter) `max_retries` times, then the refresh fails
// (token_refresh_failed). A failed refresh that the first attempt of connect() waited for closes
// the session (connect() rejects with it); one a reconnect waited for fails that attempt (the
// Connector decides what follows); one nobody waited for (the refresh before expiry) is an error
// event only. While the session is active, `exp` schedules the next refresh
// (jwt_refresh_delay_ms: `refresh_threshold_ms` before it, or at half the remaining life).
struct CredentialsConfig {
  bool enabled = false;
  double refresh_threshold_ms = 60000;  // refreshThreshold
  std::uint32_t max_retries = 3;        // maxRetries
  bool subprotocol = false;             // the token travels as a Sec-WebSocket-Protocol entry
};
enum class TokenReason : std::uint8_t { kConnect, kExpiring, kExpired, kRejected };
std::string_view token_reason_name(TokenReason r);
// 'auth' events: a refresh started, a token was accepted, an attempt is held for a token.
enum class AuthPhase : std::uint8_t { kRefreshing, kRefreshed, kWaiting };
std::string_view auth_phase_name(AuthPhase p);
// Whether `token` can be a Sec-WebSocket-Protocol value (RFC 7230 tchar only).
bool is_subprotocol_token(std::string_view token);

struct WsConfig {
  ConnectorConfig connection;  // urls, backoff, connectTimeout, minUptime, pauseWhenHidden
  std::vector<std::string> protocols;
  HeartbeatConfig heartbeat;
  std::size_t message_queue_size = 100;  // messageQueueSize
  DecodeLimits limits;                   // maxMessageBytes, maxDepth
  double close_timeout_ms = 5000;        // closing → closed even if the close never arrives
  AuthRetryPolicy auth;
  CredentialsConfig credentials;
  DeliveryLimits delivery;  // maxPendingAcks, maxPendingAckBytes
};

class WsHost {
 public:
  virtual ~WsHost() = default;
  virtual double now_ms() = 0;
  virtual std::uint32_t random_u32() = 0;
  // Opens a socket; returns its id (never 0), or 0 when it cannot even be created (bad URL).
  virtual std::uint32_t open_socket(const std::string& url,
                                    const std::vector<std::string>& protocols) = 0;
  // Dynamic URL: answer with WsSession::provide_url / url_failed and the same seq.
  virtual void request_url(std::uint32_t seq) = 0;
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
  // An acknowledged send settled: kOk with the reply's JSON text, or why not (kAckTimeout,
  // kServerError with the handler's message, kGaveUp, kProtocolUnsupported).
  virtual void on_ack(std::string_view id, Errc code, std::string_view detail) = 0;
  // A publication of a joined channel (delivered once, in offset order).
  virtual void on_publication(std::uint32_t channel_id, const Envelope& env,
                              std::string_view raw) = 0;
  virtual void on_gap(std::uint32_t channel_id, const ChannelTable::Gap& gap) = 0;
  // The credentials step (CredentialsConfig): the host calls its token provider and answers with
  // WsSession::provide_token / token_failed and the same seq. Hosts without it ignore these.
  virtual void request_token(std::uint32_t /*seq*/) {}
  // Its progress. `expires_at` (epoch ms) for kRefreshed, NaN when the token has no `exp`. The
  // host installs the token it provided when it hears kRefreshed, before the socket opens.
  virtual void on_auth(AuthPhase /*phase*/, TokenReason /*reason*/, double /*expires_at*/) {}
};

struct WsStats {
  std::uint64_t messages_received = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t errors = 0;
  std::uint64_t dropped = 0;
  std::uint32_t reconnects = 0;  // successful re-opens after the first
  std::size_t queue_depth = 0;
  double last_rtt_ms = -1;  // from ping → pong, -1 until measured
  std::size_t acks_pending = 0;
  std::uint64_t duplicates = 0;  // channel publications already delivered (dropped)
};

class WsSession final : private ConnectorHost {
 public:
  WsSession(WsConfig config, WsHost& host);
  ~WsSession() override;
  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  void connect();
  void disconnect(int code = 1000, std::string_view reason = "Normal closure");
  // Encodes and sends, or queues while not open. Returns true when sent now.
  bool send(const OutgoingEnvelope& message);
  // An acknowledged send (realtime.v1): kept, and re-sent after every reconnect with the same
  // id, until on_ack settles it (a second send of an id still pending is the same message). Returns
  // the id (generated when message.id is empty), or an empty string when it was refused at once:
  // `*error` says why (kAckStoreFull, with a drop event, or kProtocolUnsupported when the open
  // connection does not speak realtime.v1).
  std::string send_with_ack(const OutgoingEnvelope& message, double timeout_ms, Errc* error);
  // Withdraws a pending acknowledged send (its caller gave up: AbortSignal): not re-sent.
  bool withdraw_ack(std::string_view id);
  // Channels (realtime.v1): joined now when open, and re-joined with their position on every
  // open. Returns the channel's id (the one on_publication and on_gap carry).
  std::uint32_t join_channel(const std::string& name, const std::optional<ChannelPosition>& since);
  void leave_channel(std::string_view name);
  std::optional<ChannelPosition> channel_position(std::string_view name) const {
    return channels_.position(name);
  }

  // `protocol` is the subprotocol the server selected ('' for none).
  void on_socket_open(std::uint32_t socket, std::string_view protocol = {});
  void on_socket_message(std::uint32_t socket, std::string_view data, bool is_text);
  void on_socket_close(std::uint32_t socket, int code, std::string_view reason, bool was_clean);
  // A frame the host refused to hand over because it is longer than max_message_bytes (so it was
  // never copied): a kTooLarge error, the connection keeps serving.
  void on_socket_oversize(std::uint32_t socket, std::size_t size);
  // The transport reported why it is failing the connection (e.g. kInvalidUtf8 when the socket
  // implementation rejected a text frame). An error event; the close that follows is handled as
  // usual.
  void on_socket_error(std::uint32_t socket, Errc code, std::string_view detail);
  void on_timer(WsTimer timer);
  // The answer to WsHost::request_url.
  void provide_url(std::uint32_t seq, const std::string& url);
  void url_failed(std::uint32_t seq, std::string_view detail);
  // The answers to WsHost::request_token (ignored when `seq` is not the request in flight).
  void provide_token(std::uint32_t seq, std::string_view token);
  void token_failed(std::uint32_t seq, std::string_view detail);
  // When the next refresh is due (host clock, ms), or nullopt when none is scheduled.
  std::optional<double> refresh_scheduled_at() const { return token_.refresh_at; }
  void on_lifecycle(LifecycleEvent event);

  // An envelope sent first on every open, before the offline queue is flushed (the 'message'
  // token transport: {type: 'auth', payload: {token}}). Not queued, never dropped, never stale:
  // it is encoded at each open from the latest value. An empty type clears it.
  void set_open_preamble(std::string type, std::string payload_json);

  WsState state() const { return state_; }
  int ready_state() const;  // WebSocket numbers: 0 connecting, 1 open, 2 closing, 3 closed
  WsStats stats() const;
  const WsConfig& config() const { return config_; }
  const Connector& connector() const { return connector_; }

 private:
  // ---- ConnectorHost ----
  double now_ms() override { return host_.now_ms(); }
  std::uint32_t random_u32() override { return host_.random_u32(); }
  void set_timer(ConnectorTimer timer, double delay_ms) override;
  void cancel_timer(ConnectorTimer timer) override;
  void request_url(std::uint32_t seq) override { host_.request_url(seq); }
  void start_transport(const std::string& url) override;
  void open_transport(const std::string& url);

  // ---- the credentials step ----
  bool token_usable();
  TokenReason refresh_reason() const;
  void hold_for_token(const std::string& url, bool first);
  void request_token(TokenReason reason);
  void schedule_refresh();
  void arm_refresh();
  void token_error(Errc code, std::string detail);
  void stop_credentials();
  void on_token_timer(WsTimer timer);

  void set_state(WsState s);
  // The socket (attempting or open) is gone: reconnect, wait for the network, or give up.
  void handle_lost(bool dead);
  void drop_socket();
  void send_ping(double now);
  void transmit(const std::string& text);
  void flush_on_open();
  bool handle_control(const Envelope& env);
  void handle_publication(const Envelope& env, std::string_view raw);
  void arm_ack_timer();
  // Settles every pending acknowledged send with `code` (the session gave up).
  void settle_acks(Errc code, std::string_view detail);
  void probe();
  void emit_error(Errc code, std::string detail = {});
  std::uint32_t random() { return host_.random_u32(); }

  WsConfig config_;
  WsHost& host_;
  Connector connector_;
  Heartbeat heartbeat_;
  OutboundQueue queue_;
  AckStore acks_;
  ChannelTable channels_;
  std::uint64_t send_seq_ = 0;
  bool v1_ = false;  // the open socket speaks realtime.v1
  WsState state_ = WsState::kClosed;
  std::uint32_t socket_ = 0;
  bool ever_opened_ = false;
  bool frame_since_tick_ = false;  // a frame arrived since the last heartbeat tick
  double opened_at_ = 0;
  std::uint32_t auth_retries_left_ = 0;
  bool first_attempt_ = false;  // the next attempt is the first of connect()
  struct TokenState {
    bool held = false;   // a token was accepted
    bool stale = false;  // the server rejected it since (4001/4401)
    std::optional<double> exp_ms;
    std::uint32_t seq = 0;   // of the provider call in flight
    bool in_flight = false;  // a refresh is running (a provider call, or its retry timer)
    TokenReason reason = TokenReason::kConnect;
    bool waiting = false;        // an attempt is held until a token comes
    bool waiting_first = false;  // that attempt is the first of connect()
    std::string url;             // the held attempt's
    std::optional<double> refresh_at;
  } token_;
  Backoff token_retry_;
  std::string preamble_type_;
  std::string preamble_payload_;
  WsStats stats_;
};

}  // namespace realtime
