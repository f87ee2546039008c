// The demo server serves the app, the chat WebSocket and the SSE stream from one origin.
export const chatUrl = (roomId: string, userName: string) => {
  const proto = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const q = new URLSearchParams({ room: roomId, name: userName, user: userName });
  return `${proto}://${window.location.host}/realtime?${q}`;
};
export const roomChannel = (roomId: string) => `room:${roomId}`;
export const dashboardUrl = () => `${window.location.origin}/api/dashboard/stream`;

// The fetch transport: the stream's bytes go through the runtime's C++ parser (every event is
// counted, whatever its name); the same config object shape on every page ⇒ one pooled stream.
export const dashboardConfig = () =>
  ({ url: dashboardUrl(), transport: 'fetch' as const, reconnectAttempts: 20, reconnectInterval: 500 });

export const chatConfig = (roomId: string, userName: string) => ({
  url: chatUrl(roomId, userName),
  realtimeProtocol: true,  // the demo server speaks realtime.v1: acknowledged sends, channels
  reconnectAttempts: 20,
  reconnectInterval: 500,
  maxReconnectInterval: 4000,
  heartbeatInterval: 10000,
});
