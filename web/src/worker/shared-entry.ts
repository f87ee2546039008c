// The SharedWorker of runtime 'shared': one runtime host for every same-origin tab; each tab
// talks to it through its own MessagePort.
import type { TabMessage } from './protocol.js';
import { RuntimeHost } from './host.js';

interface SharedScope {
  onconnect: ((e: MessageEvent) => void) | null;
}

const host = new RuntimeHost();
(globalThis as unknown as SharedScope).onconnect = (e) => {
  const port = e.ports[0]!;
  port.onmessage = (m) => host.receive(m.data as TabMessage, (out) => port.postMessage(out));
  port.start();
};
