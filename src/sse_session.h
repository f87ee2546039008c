// The Server-Sent-Events session: a sans-IO state machine over a byte-stream transport (fetch)
// or an event transport (the browser's EventSource, which parses by itself).
//
//   closed ─connect()→ connecting ─200 text/event-stream→ open ─disconnect()→ closed
//      ▲                   │ HTTP error / 204 / wrong type: fail (no retry), 'error' + closed
//      │                   └ network error / stream end ─→ reconnecting ─timer→ connecting …
//      └──────── attempts used up: 'error' gave_up
// When and where to reconnect is the shared Connector's (connector.h: backoff, minUptime,
// connectTimeout — no response headers in time —, failover URLs, offline and the page lifecycle);
// the backoff's base is reconnectInterval until the stream sends `retry:`. lastEventId persists
// across reconnects; the transport sends it as the Last-Event-ID header.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "connector.h"
#include "errc.h"
#include "sse_parser.h"
#include "ws_session.h"  // WsState: the SSE session uses the same state names

namespace realtime {

struct SseConfig {
  ConnectorConfig connection;  // urls, backoff, connectTimeout, minUptime, pauseWhenHidden
  SseParserLimits limits;      // maxEventBytes
};

class SseHost {
 public:
  virtual ~SseHost() = default;
  virtual double now_ms() = 0;
  virtual std::uint32_t random_u32() = 0;
  // Starts a request; returns a stream id (never 0), or 0 when it cannot be made (bad URL).
  virtual std::uint32_t open_stream(const std::string& url, const std::string& last_event_id) = 0;
  // Aborts the request and forgets it: no further callbacks for that id.
  virtual void close_stream(std::uint32_t stream) = 0;
  virtual void set_timer(ConnectorTimer timer, double delay_ms) = 0;  // replaces a pending one
  virtual void cancel_timer(ConnectorTimer timer) = 0;
  // Dynamic URL: answer with SseSession::provide_url / url_failed and the same seq.
  virtual void request_url(std::uint32_t seq) = 0;
  virtual void on_state(WsState new_state, WsState old_state) = 0;
  virtual void on_event(const SseEvent& event) = 0;
  virtual void on_error(Errc code, const std::string& message, int status) = 0;
};

class SseSession final : private SseSink, private ConnectorHost {
 public:
  SseSession(SseConfig config, SseHost& host);
  ~SseSession() override;
  SseSession(const SseSession&) = delete;
  SseSession& operator=(const SseSession&) = delete;

  void connect();
  void disconnect();

  // Response headers arrived. `content_type` is the raw header value.
  void on_stream_open(std::uint32_t stream, int status, std::string_view content_type);
  // Body bytes (byte-stream transports).
  void on_stream_bytes(std::uint32_t stream, std::string_view bytes);
  // A parsed event (EventSource transport): dispatched as if the parser had produced it.
  void on_stream_event(std::uint32_t stream, std::string_view type, std::string_view data,
                       std::string_view last_event_id);
  // An event the transport refused to copy because its data is longer than max_event_bytes
  // (EventSource transport): a kStreamTooLarge error, the event is dropped, the stream stays.
  void on_stream_oversize(std::uint32_t stream, std::string_view last_event_id, std::size_t size);
  // The stream ended or failed at the network level: reconnect.
  void on_stream_end(std::uint32_t stream);
  // The transport is reconnecting by itself (EventSource does, sending Last-Event-ID): counted
  // against reconnectAttempts like our own attempts; gives up when they are used up.
  void on_stream_retrying(std::uint32_t stream);
  void on_timer(ConnectorTimer timer);
  void provide_url(std::uint32_t seq, const std::string& url);
  void url_failed(std::uint32_t seq, std::string_view detail);
  void on_lifecycle(LifecycleEvent event);

  WsState state() const { return state_; }
  int ready_state() const;  // EventSource numbers: 0 connecting, 1 open, 2 closed
  const std::string& last_event_id() const { return parser_.last_event_id(); }
  std::uint32_t reconnects() const { return reconnects_; }
  std::uint64_t events_received() const { return events_; }

  const SseConfig& config() const { return config_; }

 private:
  void on_event(const SseEvent& event) override;
  void on_retry(std::uint32_t milliseconds) override;
  // ---- ConnectorHost ----
  double now_ms() override { return host_.now_ms(); }
  std::uint32_t random_u32() override { return host_.random_u32(); }
  void set_timer(ConnectorTimer timer, double delay_ms) override {
    host_.set_timer(timer, delay_ms);
  }
  void cancel_timer(ConnectorTimer timer) override { host_.cancel_timer(timer); }
  void request_url(std::uint32_t seq) override { host_.request_url(seq); }
  void start_transport(const std::string& url) override;

  void set_state(WsState s);
  void drop_stream();
  void fail(Errc code, std::string detail, int status);
  void handle_lost();

  SseConfig config_;
  SseHost& host_;
  Connector connector_;
  SseParser parser_;
  WsState state_ = WsState::kClosed;
  std::uint32_t stream_ = 0;
  bool ever_opened_ = false;
  std::uint32_t reconnects_ = 0;
  std::uint64_t events_ = 0;
  std::uint64_t events_since_open_ = 0;  // a stream that delivered events served (connector.h)
};

}  // namespace realtime
