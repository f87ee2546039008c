// React test helpers: jsdom globals, React Testing Library, and a probe that records every
// committed value of a hook so a test can wait for one (no polling, no sleeps).
import 'global-jsdom/register';

import * as React from 'react';
import { render } from '@testing-library/react';
import { waitFor } from './helpers.mjs';

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
    until(predicate, options) {
      const found = values.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return waitFor(`until(${predicate})`, (resolve) => {
        const w = { predicate, resolve };
        waiters.add(w);
        return () => waiters.delete(w);
      }, { ...options, detail: () => `last value: ${describe(values.at(-1))}` });
    },
    rerender: () => result.rerender(element()),
  };
}

function describe(value) {
  if (value === undefined) return 'none';
  try {
    return JSON.stringify(value, (k, v) => (typeof v === 'function' ? undefined : v))?.slice(0, 300);
  } catch {
    return String(value);
  }
}

/** The sequence of distinct consecutive values of `key` in `values`. */
export function transitions(values, key) {
  const out = [];
  for (const v of values) if (out.at(-1) !== v[key]) out.push(v[key]);
  return out;
}

/** Resolves with the close code the server sees on `socket`. */
export const serverClose = (socket, options) =>
  waitFor('serverClose', (resolve) => {
    const on = (code) => resolve(code);
    socket.once('close', on);
    return () => socket.off('close', on);
  }, options);

/** Lets deferred native deletes (queueMicrotask) and I/O callbacks run. */
export const settle = () => new Promise((resolve) => setImmediate(resolve));
