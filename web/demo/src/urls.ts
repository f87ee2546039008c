// The demo server serves the app, the chat WebSocket and the SSE stream from one origin.
export const chatUrl = (roomId: string, userName: string) => {
  const proto = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const q = new URLSearchParams({ name: userName, user: userName });
  return `${proto}://${window.location.host}/chat/${encodeURIComponent(roomId)}?${q}`;
};
export const dashboardUrl = () => `${window.location.origin}/api/dashboard/stream`;
