import { useEffect, useMemo, useRef, useState } from 'react';
import { useServerSentEvents } from 'realtime-wasm/react';
import { dashboardConfig } from './urls';

interface DashboardMetric {
  id: string;
  name: string;
  value: number;
  unit: string;
  trend: 'up' | 'down' | 'stable';
  timestamp: number;
}

interface DashboardAlert {
  id: string;
  level: 'info' | 'warning' | 'error';
  message: string;
  timestamp: number;
}

const HISTORY = 40;

export function LiveDashboard() {
  const [metrics, setMetrics] = useState<DashboardMetric[]>([]);
  const [series, setSeries] = useState<Record<string, number[]>>({});
  const [alerts, setAlerts] = useState<DashboardAlert[]>([]);
  const [isAutoRefresh, setIsAutoRefresh] = useState(true);
  const [notify, setNotify] = useState(
    typeof Notification !== 'undefined' && Notification.permission === 'granted',
  );
  const notifyRef = useRef(notify);
  notifyRef.current = notify;
  const config = useMemo(dashboardConfig, []);
  const { subscribe, isConnected } = useServerSentEvents(config);

  useEffect(() => {
    if (!isAutoRefresh) return;
    const unsubscribers = [
      subscribe('metrics', (event) => {
        const next = event.data as DashboardMetric[];
        setMetrics(next);
        setSeries((prev) => {
          const out: Record<string, number[]> = {};
          for (const m of next) out[m.id] = [...(prev[m.id] ?? []), m.value].slice(-HISTORY);
          return out;
        });
      }),
      subscribe('alert', (event) => {
        const alert = event.data as DashboardAlert;
        setAlerts((prev) => [alert, ...prev].slice(0, 50));
        if (alert.level === 'error' && notifyRef.current && typeof Notification !== 'undefined') {
          new Notification(`Critical Alert: ${alert.message}`);
        }
      }),
    ];
    return () => unsubscribers.forEach((unsubscribe) => unsubscribe());
  }, [subscribe, isAutoRefresh]);

  // Permission is asked only from a click, never on load.
  const enableNotifications = async () => {
    if (typeof Notification === 'undefined') return;
    setNotify((await Notification.requestPermission()) === 'granted');
  };

  return (
    <div className="live-dashboard">
      <div className="dashboard-header">
        <h1>Live Dashboard</h1>
        <div className="dashboard-controls">
          {typeof Notification !== 'undefined' && !notify && (
            <button className="secondary" onClick={enableNotifications}>Enable alerts</button>
          )}
          <button onClick={() => setIsAutoRefresh(!isAutoRefresh)} className={isAutoRefresh ? 'active' : ''}>
            {isAutoRefresh ? 'Pause' : 'Resume'} Updates
          </button>
          <div className="connection-indicator">
            <span className={`status ${isConnected ? 'connected' : 'disconnected'}`}>
              {isConnected ? 'Live' : 'Disconnected'}
            </span>
          </div>
        </div>
      </div>

      <div className="metrics-grid">
        {metrics.map((metric) => (
          <MetricCard key={metric.id} metric={metric} history={series[metric.id] ?? []} />
        ))}
        {metrics.length === 0 && <div className="placeholder">Waiting for the first metrics…</div>}
      </div>

      <div className="alerts-section">
        <h2>Recent Alerts</h2>
        <div className="alerts-list">
          {alerts.length === 0 && <div className="placeholder">No alerts yet.</div>}
          {alerts.map((alert) => (
            <div key={alert.id} className={`alert-item ${alert.level}`} data-testid="alert">
              <span className="alert-level">{alert.level}</span>
              <span className="alert-message">{alert.message}</span>
              <span className="alert-time">{new Date(alert.timestamp).toLocaleTimeString()}</span>
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

function MetricCard({ metric, history }: { metric: DashboardMetric; history: number[] }) {
  const [isAnimating, setIsAnimating] = useState(false);
  const previous = useRef(metric.value);
  useEffect(() => {
    if (metric.value === previous.current) return;
    previous.current = metric.value;
    setIsAnimating(true);
    const timer = setTimeout(() => setIsAnimating(false), 500);
    return () => clearTimeout(timer);
  }, [metric.value]);
  const icon = metric.trend === 'up' ? '▲' : metric.trend === 'down' ? '▼' : '▶';
  return (
    <div className={`metric-card ${metric.trend} ${isAnimating ? 'updating' : ''}`} data-testid="metric">
      <div className="metric-header">
        <h3>{metric.name}</h3>
        <span className="trend-icon">{icon}</span>
      </div>
      <div className="metric-value">
        <span className="value">{metric.value.toLocaleString()}</span>
        <span className="unit">{metric.unit}</span>
      </div>
      <Sparkline values={history} />
      <div className="metric-timestamp">Last updated: {new Date(metric.timestamp).toLocaleTimeString()}</div>
    </div>
  );
}

function Sparkline({ values }: { values: number[] }) {
  if (values.length < 2) return <svg className="sparkline" viewBox="0 0 100 30" />;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const points = values
    .map((v, i) => `${((i / (values.length - 1)) * 100).toFixed(1)},${(28 - ((v - min) / span) * 26).toFixed(1)}`)
    .join(' ');
  return (
    <svg className="sparkline" viewBox="0 0 100 30" preserveAspectRatio="none" aria-hidden>
      <polyline points={points} fill="none" strokeWidth="1.5" vectorEffect="non-scaling-stroke" />
    </svg>
  );
}
