import { useEffect, useMemo, useRef, useState } from 'react';
import { runtimeInfo } from 'realtime-wasm';
import { useServerSentEvents, useWebSocket } from 'realtime-wasm/react';
import { chatConfig, dashboardConfig } from './urls';

interface Row {
  name: string;
  transport: string;
  state: string;
  reconnects: number;
  queueDepth: number | null;
  dropped: number | null;
  perSecond: number;
  rtt: number | null;
}

interface StatsSource {
  state: string;
  stats: null | { reconnects: number; messagesReceived?: number; eventsReceived?: number; queueDepth?: number; dropped?: number; rtt?: number };
}

// Reads the same pooled connections the chat and the dashboard use (same URLs ⇒ same sockets),
// once a second.
export function Diagnostics({ roomId, userName }: { roomId: string; userName: string }) {
  const chatSettings = useMemo(() => chatConfig(roomId, userName), [roomId, userName]);
  const feedConfig = useMemo(dashboardConfig, []);
  const chat = useWebSocket(chatSettings);
  const feed = useServerSentEvents(feedConfig);
  const [rows, setRows] = useState<Row[]>([]);
  const [shared, setShared] = useState<{ tabs: number; sockets: number; atServer: number } | null>(null);
  const last = useRef(new Map<string, { at: number; count: number }>());

  useEffect(() => {
    const sources: [string, string, StatsSource | null | undefined][] = [
      [`chat #${roomId}`, 'WebSocket', chat.manager as StatsSource | undefined],
      ['dashboard stream', `SSE (${(feed.manager as { transport?: string } | undefined)?.transport ?? '…'})`,
        feed.manager as StatsSource | undefined],
    ];
    const sample = () => {
      const now = performance.now();
      setRows(sources.map(([name, transport, manager]) => {
        const stats = manager?.stats ?? null;
        const count = stats?.messagesReceived ?? stats?.eventsReceived ?? 0;
        const before = last.current.get(name);
        last.current.set(name, { at: now, count });
        const perSecond = before ? ((count - before.count) * 1000) / Math.max(1, now - before.at) : 0;
        return {
          name,
          transport,
          state: manager?.state ?? 'closed',
          reconnects: stats?.reconnects ?? 0,
          queueDepth: stats?.queueDepth ?? null,
          dropped: stats?.dropped ?? null,
          perSecond,
          rtt: stats?.rtt !== undefined && stats.rtt >= 0 ? stats.rtt : null,
        };
      }));
    };
    // runtime 'shared': how many tabs the SharedWorker (or leader tab) serves, and the sockets
    // it holds, against the WebSocket connections the demo server counts.
    const sampleShared = () =>
      Promise.all([runtimeInfo('shared'), fetch('/api/sockets').then((r) => r.json() as Promise<{ websockets: number }>)])
        .then(([info, server]) => setShared(info && { tabs: info.tabs, sockets: info.sockets, atServer: server.websockets }))
        .catch(() => setShared(null));
    sample();
    void sampleShared();
    const timer = setInterval(() => {
      sample();
      void sampleShared();
    }, 1000);
    return () => clearInterval(timer);
  }, [chat.manager, feed.manager, roomId]);

  return (
    <div className="diagnostics">
      <h1>Connection diagnostics</h1>
      <table>
        <thead>
          <tr>
            <th>Connection</th><th>Transport</th><th>State</th><th>Reconnects</th><th>Queue depth</th>
            <th>Dropped</th><th>Messages / s</th><th>RTT (heartbeat)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.name} data-testid="diag-row">
              <td>{r.name}</td>
              <td>{r.transport}</td>
              <td><span className={`pill ${r.state}`}>{r.state}</span></td>
              <td>{r.reconnects}</td>
              <td>{r.queueDepth ?? '—'}</td>
              <td>{r.dropped ?? '—'}</td>
              <td>{r.perSecond.toFixed(1)}</td>
              <td>{r.rtt === null ? '—' : `${r.rtt.toFixed(1)} ms`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">The runtime's C++ core counts these; the page reads them once a second.</p>
      <p data-testid="diag-runtime">
        {shared
          ? <>Runtime <code>'shared'</code>: <strong data-testid="diag-tabs">{shared.tabs}</strong> tab(s) served by one
            runtime, <strong>{shared.sockets}</strong> socket(s) open in it; the server counts{' '}
            <strong data-testid="diag-server-sockets">{shared.atServer}</strong> WebSocket connection(s).
            Open the chat in another tab: the tabs go up, the sockets do not.</>
          : <>Runtime <code>'shared'</code> is not available in this browser: each tab has its own sockets.</>}
      </p>
    </div>
  );
}
