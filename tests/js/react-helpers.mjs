// React test helpers: jsdom globals, React Testing Library, and a probe that records every
// committed value of a hook so a test can wait for one (no polling, no sleeps).
import 'global-jsdom/register';

import * as React from 'react';
import { render } from '@testing-library/react';

export const h = React.createElement;

/**
 * Renders a component that calls `useHook()`, and records the value of every commit.
 * `until(predicate)` resolves with the first recorded (or future) value that satisfies it.
 * `wrap(element)` may wrap the probe (a provider); `strict` renders it in <StrictMode>.
 */
export function renderProbe(useHook, { wrap = (el) => el, strict = false } = {}) {
  const values = [];
  const waiters = new Set();
  function Probe() {
    const value = useHook();
    React.useEffect(() => {
      values.push(value);
      for (const w of [...waiters]) {
        if (w.predicate(value)) {
          waiters.delete(w);
          w.resolve(value);
        }
      }
    });
    return null;
  }
  const element = () => {
    const el = wrap(h(Probe));
    return strict ? h(React.StrictMode, null, el) : el;
  };
  const result = render(element());
  return {
    ...result,
    values,
    get current() {
      return values.at(-1);
    },
    until(predicate) {
      const found = values.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => waiters.add({ predicate, resolve }));
    },
    rerender: () => result.rerender(element()),
  };
}

/** The sequence of distinct consecutive values of `key` in `values`. */
export function transitions(values, key) {
  const out = [];
  for (const v of values) if (out.at(-1) !== v[key]) out.push(v[key]);
  return out;
}

/** Resolves with the close code the server sees on `socket`. */
export const serverClose = (socket) =>
  new Promise((resolve) => socket.once('close', (code) => resolve(code)));

/** Lets deferred native deletes (queueMicrotask) and I/O callbacks run. */
export const settle = () => new Promise((resolve) => setImmediate(resolve));
