// Diagnostics of runtime 'worker' | 'shared' (the demo's diagnostics page): tabs attached to this
// origin's runtime host, its connections and open sockets. Loads the tab side of the runtime host
// only when called.
import type { HostInfo } from './worker/remote.js';
import type { RuntimeMode } from './worker/protocol.js';
import { loadRemote, remoteEnv } from './worker/load.js';

export type { HostInfo };

/** The host's counts, or null where the page cannot run that runtime (or it did not answer). */
export async function runtimeInfo(mode: Exclude<RuntimeMode, 'page'> = 'shared'): Promise<HostInfo | null> {
  const remote = await loadRemote();
  return remote.remoteInfo(mode, remoteEnv);
}
