// RealtimeProvider / useRealtimeContext (seed "Connection State Management"), over the
// framework-agnostic ConnectionRegistry. The provider also chooses the pool every hook below it
// shares connections through (default: the global `connectionPool`).
import {
  type ReactNode,
  createContext,
  createElement,
  useContext,
  useEffect,
  useMemo,
  useState,
  useSyncExternalStore,
} from 'react';

import { type RealtimeConnectionPool, connectionPool } from '../connection-pool.js';
import { ConnectionRegistry, type RegistrySnapshot } from '../connection-registry.js';
import type { HookConnectionState } from '../connection-store.js';
import type { RuntimeMode } from '../worker/protocol.js';

const RealtimeContext = createContext<ConnectionRegistry | null>(null);

export interface RealtimeProviderProps {
  children?: ReactNode;
  /** The pool the connections and the hooks below share (read once, at mount). */
  pool?: RealtimeConnectionPool;
  /** The runtime of the hooks' connections below whose config has no `runtime` (read once, at
   * mount): 'shared' makes every tab of the origin share one socket per config. */
  runtime?: RuntimeMode;
}

export function RealtimeProvider({ children, pool, runtime }: RealtimeProviderProps) {
  const [registry] = useState(() => new ConnectionRegistry(pool ?? connectionPool, runtime));
  useEffect(() => () => registry.clear(), [registry]);
  return createElement(RealtimeContext.Provider, { value: registry }, children);
}

export type RealtimeContextValue = Pick<
  ConnectionRegistry, 'createConnection' | 'removeConnection' | 'getConnection'
> & RegistrySnapshot;

/** The named connections; re-renders whenever one of their states changes. */
export function useRealtimeContext(): RealtimeContextValue {
  const registry = useContext(RealtimeContext);
  if (!registry) throw new Error('useRealtimeContext must be used within RealtimeProvider');
  const snap = useSyncExternalStore(registry.subscribe, registry.getSnapshot,
    registry.getServerSnapshot);
  return useMemo(() => ({
    connections: snap.connections,
    connectionStates: snap.connectionStates,
    createConnection: registry.createConnection,
    removeConnection: registry.removeConnection,
    getConnection: registry.getConnection,
  }), [registry, snap]);
}

/** The state of one named connection; re-renders only when that state changes. */
export function useConnectionState(id: string): HookConnectionState {
  const registry = useContext(RealtimeContext);
  if (!registry) throw new Error('useConnectionState must be used within RealtimeProvider');
  const get = () => registry.connectionState(id);
  return useSyncExternalStore(registry.subscribe, get, () => 'disconnected');
}

const NO_PROVIDER = { pool: connectionPool, runtime: undefined };

/** The pool hooks share connections through (the provider's, else the global one), and the
 * provider's runtime. */
export function useProvided(): Pick<ConnectionRegistry, 'pool' | 'runtime'> {
  return useContext(RealtimeContext) ?? NO_PROVIDER;
}
