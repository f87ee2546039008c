// ConnectionRegistry: named connections (the seed's RealtimeContext), framework-agnostic. Each id
// holds a ConnectionStore (so a pool reference: the same URL shares one socket with the hooks);
// the snapshot — `connectionStates` and `connections` — is a new object whenever a state changes,
// so a view reading it through useSyncExternalStore really re-renders (the seed mutated a Map
// held in React state, which never re-rendered anything).
import type {
  ConnectionConfigs,
  ConnectionType,
  RealtimeConnection,
  RealtimeConnectionPool,
} from './connection-pool.js';
import { ConnectionStore, type HookConnectionState } from './connection-store.js';
import type { RuntimeMode } from './worker/protocol.js';

export interface RegistrySnapshot {
  readonly connectionStates: ReadonlyMap<string, HookConnectionState>;
  /** The connections acquired so far (a connection appears once the runtime has loaded). */
  readonly connections: ReadonlyMap<string, RealtimeConnection>;
}

const EMPTY: RegistrySnapshot = Object.freeze({
  connectionStates: new Map<string, HookConnectionState>(),
  connections: new Map<string, RealtimeConnection>(),
});

export class ConnectionRegistry {
  private readonly stores = new Map<string, { store: ConnectionStore; stop: () => void }>();
  private readonly listeners = new Set<() => void>();
  private snapshot = EMPTY;

  /** @param runtime the runtime of the connections whose config has none (RealtimeProvider's) */
  constructor(readonly pool: RealtimeConnectionPool, readonly runtime?: RuntimeMode) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): RegistrySnapshot => this.snapshot;

  getServerSnapshot = (): RegistrySnapshot => EMPTY;

  /** Opens (or shares) the connection and names it `id`; an existing `id` is replaced. */
  createConnection = <K extends ConnectionType>(
    id: string, config: ConnectionConfigs[K], type: K,
  ): void => {
    const previous = this.stores.get(id);
    const { runtime } = this;
    const store = new ConnectionStore(type, runtime && !config.runtime ? { ...config, runtime } : config, { pool: this.pool });
    const stop = store.subscribe(() => this.refresh());
    this.stores.set(id, { store, stop });
    previous?.stop();  // after the new reference: the same URL keeps its socket
    this.refresh();
  };

  /** Forgets `id` and releases its pool reference (the socket closes once nobody uses it). */
  removeConnection = (id: string): void => {
    const entry = this.stores.get(id);
    if (!entry) return;
    this.stores.delete(id);
    entry.stop();
    this.refresh();
  };

  getConnection = (id: string): RealtimeConnection | null =>
    this.stores.get(id)?.store.connection ?? null;

  /** The state of one connection ('disconnected' when unknown). */
  connectionState = (id: string): HookConnectionState =>
    this.snapshot.connectionStates.get(id) ?? 'disconnected';

  /** Removes every connection. */
  clear(): void {
    for (const id of [...this.stores.keys()]) this.removeConnection(id);
  }

  private refresh(): void {
    const states = new Map<string, HookConnectionState>();
    const connections = new Map<string, RealtimeConnection>();
    for (const [id, { store }] of this.stores) {
      states.set(id, store.getSnapshot().connectionState);
      if (store.connection) connections.set(id, store.connection);
    }
    const old = this.snapshot;
    if (sameMap(states, old.connectionStates) && sameMap(connections, old.connections)) return;
    this.snapshot = Object.freeze({ connectionStates: states, connections });
    for (const listener of [...this.listeners]) listener();
  }
}

function sameMap<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
