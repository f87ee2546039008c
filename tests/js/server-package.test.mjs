// realtime-wasm/server as a user without ioredis gets it: the memory store works, redisStore says
// what is missing on first use. The folder is copied next to a node_modules holding only `ws`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('without ioredis: memoryStore works, redisStore fails with a clear message', { timeout: 20000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rt-server-'));
  try {
    await cp(join(root, 'web/server'), join(dir, 'server'), { recursive: true });
    await writeFile(join(dir, 'package.json'), '{"type":"module"}\n');
    await mkdir(join(dir, 'node_modules'));
    await symlink(join(root, 'node_modules/ws'), join(dir, 'node_modules/ws'));
    const kit = await import(join(dir, 'server/index.mjs'));
    const rt = await kit.createRealtimeServer({ host: '127.0.0.1' });
    assert.deepEqual(await rt.publish('c', 't', 1), { offset: 1 });
    await rt.close();
    const store = kit.redisStore({ url: 'redis://127.0.0.1:1' });
    await assert.rejects(store.publish('c', { type: 't', id: 'x', dedupe: false, timestamp: 0, payloadJson: '1' }),
      /redisStore needs the optional peer dependency ioredis: npm install ioredis/);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
