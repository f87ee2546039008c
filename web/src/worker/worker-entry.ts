// The dedicated worker of runtime 'worker': one runtime host for the tab that started it.
import type { TabMessage } from './protocol.js';
import { RuntimeHost } from './host.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(msg: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;
const host = new RuntimeHost();
scope.onmessage = (e) => host.receive(e.data as TabMessage, (m) => scope.postMessage(m));
