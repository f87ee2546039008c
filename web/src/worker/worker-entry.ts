// The dedicated worker: one runtime host for the tab that started it (runtime 'worker'), or, in
// the leader tab of the SharedWorker-less fallback, for every tab over a BroadcastChannel.
import { type HostMessage, LEADER_CHANNEL, type TabMessage, VERSION } from './protocol.js';
import { RuntimeHost } from './host.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(msg: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;
const host = new RuntimeHost();
scope.onmessage = (e) => {
  const msg = e.data as TabMessage;
  if (msg?.op !== 'lead') return host.receive(msg, (m) => scope.postMessage(m));
  scope.onmessage = null;
  const bc = new BroadcastChannel(LEADER_CHANNEL);
  bc.onmessage = (m: MessageEvent) => host.receive(m.data as TabMessage, (out) => bc.postMessage(out));
  bc.postMessage({ v: VERSION, op: 'leader', tab: '*' } satisfies HostMessage);
};
