// The wait helpers fail with what they waited for instead of hanging (issue 10, hygiene).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';

import { collect, nextEvent, untilState, waitFor } from './helpers.mjs';

// A stand-in with the manager surface the helpers use (on, subscribe, state).
function fakeManager() {
  const events = new EventEmitter();
  return {
    state: 'connecting',
    on: (name, cb) => (events.on(name, cb), () => events.off(name, cb)),
    subscribe: (type, cb) => (events.on(`msg:${type}`, cb), () => events.off(`msg:${type}`, cb)),
    emit: (name, value) => events.emit(name, value),
    listeners: (name) => events.listenerCount(name),
  };
}

test('a wait that is never satisfied rejects with what it waited for, and removes its listener', async () => {
  const m = fakeManager();
  const wait = nextEvent(m, 'error', (e) => e.code === 'gave_up', { timeoutMs: 50 });
  m.emit('error', { code: 'not_json' });
  await assert.rejects(wait, /nextEvent\('error'\) matching .*gave_up.*: not within 0\.05 s \(state connecting; other 'error' events: not_json\)/);
  assert.equal(m.listeners('error'), 0);
  await assert.rejects(untilState(m, 'open', { timeoutMs: 20 }), /nextEvent\('state'\).*not within/);
});

test('collect() reports how many arrived; its timer starts when awaited (read)', async () => {
  const m = fakeManager();
  const got = collect(m, 'tick', 3, { timeoutMs: 50 });
  m.emit('msg:tick', 1);
  await new Promise((resolve) => setTimeout(resolve, 80));  // not read yet: no rejection
  m.emit('msg:tick', 2);
  await assert.rejects(got.done, /collect\('tick', 3\): not within 0\.05 s \(2 of 3 arrived/);
  assert.deepEqual(got.items, [1, 2]);
  assert.equal(m.listeners('msg:tick'), 0, 'unsubscribed on timeout');
  const ok = collect(m, 'tick', 1, { timeoutMs: 50 });
  m.emit('msg:tick', 9);
  assert.deepEqual(await ok.done, [9]);
});

test('a satisfied wait resolves once and clears its timer', async () => {
  let cleaned = 0;
  const value = await waitFor('x', (resolve) => {
    resolve(1);
    resolve(2);
    return () => cleaned++;
  }, { timeoutMs: 10 });
  assert.equal(value, 1);
  assert.equal(cleaned, 1);
});
