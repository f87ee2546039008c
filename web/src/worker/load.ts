// The page's part of runtime 'worker' | 'shared' (static: it is in every app, so it stays small).
// The tab side (remote.ts) is loaded by URL, not by an `import()` of a literal, which would add the
// bundler's preload helper to every page-mode app (docs/size.md); Vite and webpack 5 emit it as an
// asset. The worker scripts are written as bundlers recognize them, here, where bundlers see them.
import { setRuntimeNames } from '../runtime.js';
import type * as RemoteModule from './remote.js';
import type { RemoteEnv } from './remote.js';

export type Remote = typeof RemoteModule;

export const remoteEnv: RemoteEnv = {
  setNames: setRuntimeNames,
  worker: () => new Worker(new URL('./worker-entry.js', import.meta.url), { type: 'module' }),
  shared: () => new SharedWorker(new URL('./shared-entry.js', import.meta.url), { type: 'module' }),
};

export function loadRemote(): Promise<Remote> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ new URL('./remote.js', import.meta.url).href) as Promise<Remote>;
}
