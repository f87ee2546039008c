// EncryptedMessageHandler: AES-GCM through WebCrypto, checked against node:crypto (an independent
// implementation), and as a WebSocketManager codec against a real ws server.
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import { before, describe, test } from 'node:test';

import {
  EncryptedMessageHandler, PBKDF2_MIN_ITERATIONS, RealtimeError, WebSocketManager, loadRuntime,
} from '../../dist/index.js';
import { envelope, startWsServer } from './helpers.mjs';

before(() => loadRuntime());

async function handlerWith(key) {
  const h = new EncryptedMessageHandler();
  await h.initialize(key);
  return h;
}

const isDecryptFailed = (e) => e instanceof RealtimeError && e.code === 'decrypt_failed';

describe('EncryptedMessageHandler', () => {
  test('round trip; the output is base64(iv[12] | ciphertext | tag[16]) that node:crypto decrypts', async () => {
    const key = randomBytes(32);
    const h = await handlerWith(new Uint8Array(key));
    const message = { text: 'héllo 👋', n: [1, 2, 3], nested: { ok: true } };
    const sealed = await h.encryptMessage(message);
    assert.match(sealed, /^[A-Za-z0-9+/]+={0,2}$/);
    const bytes = Buffer.from(sealed, 'base64');
    const json = JSON.stringify(message);
    assert.equal(bytes.length, 12 + Buffer.byteLength(json) + 16);
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plain = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
    assert.equal(plain.toString(), json);
    assert.deepEqual(await h.decryptMessage(sealed), message);
    // And the other way: node:crypto encrypts, the handler decrypts.
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ct = Buffer.concat([cipher.update('{"from":"node"}'), cipher.final()]);
    const foreign = Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64');
    assert.deepEqual(await h.decryptMessage(foreign), { from: 'node' });
  });

  test('a fresh 96-bit IV per message: 2,000 encryptions of the same message, all different', async () => {
    const h = await handlerWith(new Uint8Array(randomBytes(32)));
    const sealed = await Promise.all(Array.from({ length: 2000 }, () => h.encryptMessage({ same: 1 })));
    const ivs = new Set(sealed.map((s) => Buffer.from(s, 'base64').subarray(0, 12).toString('hex')));
    assert.equal(ivs.size, 2000);
    assert.equal(new Set(sealed).size, 2000);
  });

  test('tampered, truncated, wrong-key and garbage input reject with decrypt_failed, no plaintext', async () => {
    const h = await handlerWith(new Uint8Array(randomBytes(32)));
    const other = await handlerWith(new Uint8Array(randomBytes(32)));
    const secretText = 'the launch code is 0000';
    const sealed = await h.encryptMessage({ secretText });
    const bytes = Buffer.from(sealed, 'base64');
    const flip = (i) => {
      const b = Buffer.from(bytes);
      b[i] ^= 0x01;
      return b.toString('base64');
    };
    const cases = {
      'iv bit': flip(0),
      'ciphertext bit': flip(20),
      'tag bit': flip(bytes.length - 1),
      truncated: bytes.subarray(0, bytes.length - 1).toString('base64'),
      'only iv+tag': bytes.subarray(0, 28).toString('base64'),
      'too short': bytes.subarray(0, 20).toString('base64'),
      empty: '',
      'not base64': '!!!not base64!!!',
      'base64url, not base64': sealed.replace(/\+/g, '-').replace(/\//g, '_') + (sealed.includes('+') || sealed.includes('/') ? '' : '-AAA'),
      'appended byte': Buffer.concat([bytes, Buffer.from([0])]).toString('base64'),
    };
    for (const [name, input] of Object.entries(cases)) {
      await assert.rejects(h.decryptMessage(input), (e) => {
        assert.ok(isDecryptFailed(e), `${name}: ${e}`);
        assert.ok(!e.message.includes('launch code'), `${name}: no plaintext in the error`);
        return true;
      });
    }
    await assert.rejects(other.decryptMessage(sealed), isDecryptFailed);
    await assert.rejects(h.decryptMessage(42), isDecryptFailed);
    // Additional authenticated data must match.
    const bound = await h.encryptMessage({ x: 1 }, { additionalData: 'channel-a' });
    assert.deepEqual(await h.decryptMessage(bound, { additionalData: 'channel-a' }), { x: 1 });
    await assert.rejects(h.decryptMessage(bound, { additionalData: 'channel-b' }), isDecryptFailed);
    await assert.rejects(h.decryptMessage(bound), isDecryptFailed);
  });

  test('keys: 16/32 bytes only; a bare string (the seed) is refused with guidance', async () => {
    const h = new EncryptedMessageHandler();
    await assert.rejects(h.initialize('my passphrase'), (e) => e.code === 'invalid_config' && /passphrase, salt/.test(e.message));
    await assert.rejects(h.initialize(new Uint8Array(10)), (e) => e.code === 'invalid_config' && /16 or 32/.test(e.message));
    await assert.rejects(h.initialize(new Uint8Array(24)), (e) => e.code === 'invalid_config');
    await handlerWith(new Uint8Array(16));
    await handlerWith(randomBytes(32).buffer.slice(0, 32));
    await assert.rejects(new EncryptedMessageHandler().encryptMessage({}), (e) => e.code === 'not_initialized');
    await assert.rejects(h.encryptMessage(undefined), (e) => e.code === 'encrypt_failed');
  });

  test('PBKDF2 passphrase keys: 600,000 SHA-256 iterations by default, equal to node:crypto pbkdf2', async () => {
    assert.equal(PBKDF2_MIN_ITERATIONS, 600_000);
    const salt = randomBytes(16);
    const a = await handlerWith({ passphrase: 'correct horse battery staple', salt: new Uint8Array(salt) });
    // Independent derivation: node:crypto PBKDF2-HMAC-SHA256, 600,000 iterations, 32 bytes.
    const raw = pbkdf2Sync('correct horse battery staple', salt, 600_000, 32, 'sha256');
    const b = await handlerWith(new Uint8Array(raw));
    assert.deepEqual(await b.decryptMessage(await a.encryptMessage({ hi: 1 })), { hi: 1 });
    const otherSalt = await handlerWith({ passphrase: 'correct horse battery staple', salt: new Uint8Array(randomBytes(16)) });
    await assert.rejects(otherSalt.decryptMessage(await a.encryptMessage({ hi: 1 })), isDecryptFailed);
    const weak = new EncryptedMessageHandler();
    await assert.rejects(weak.initialize({ passphrase: 'p', salt: new Uint8Array(16), iterations: 1000 }), (e) => e.code === 'invalid_config' && /600000/.test(e.message));
    await assert.rejects(weak.initialize({ passphrase: 'p', salt: 'short' }), (e) => e.code === 'invalid_config' && /salt/.test(e.message));
    await assert.rejects(weak.initialize({ passphrase: '', salt: new Uint8Array(16) }), (e) => e.code === 'invalid_config');
    await assert.rejects(weak.initialize({ passphrase: 'p', salt: new Uint8Array(16), kdf: 'MD5' }), (e) => e.code === 'invalid_config');
  });

  test('HKDF for high-entropy secrets; refuses a short (password-like) secret', async () => {
    const secret = new Uint8Array(randomBytes(32));
    const salt = new Uint8Array(randomBytes(16));
    const a = await handlerWith({ passphrase: secret, salt, kdf: 'HKDF' });
    const b = await handlerWith({ passphrase: secret, salt, kdf: 'HKDF' });
    const c = await handlerWith({ passphrase: secret, salt, kdf: 'HKDF', info: 'another context' });
    const sealed = await a.encryptMessage([1, 2]);
    assert.deepEqual(await b.decryptMessage(sealed), [1, 2]);
    await assert.rejects(c.decryptMessage(sealed), isDecryptFailed);
    await assert.rejects(new EncryptedMessageHandler().initialize({ passphrase: 'hunter2', salt, kdf: 'HKDF' }), (e) => e.code === 'invalid_config');
  });

  test('large messages (the seed\'s String.fromCharCode(...bytes) threw past ~100 KB)', async () => {
    const h = await handlerWith(new Uint8Array(randomBytes(32)));
    const big = { blob: 'x'.repeat(2 * 1024 * 1024) };
    assert.deepEqual(await h.decryptMessage(await h.encryptMessage(big)), big);
  });

  test('the payload is serialized at encrypt time: later mutation is not encrypted', async () => {
    const h = await handlerWith(new Uint8Array(randomBytes(32)));
    const obj = { v: 1 };
    const p = h.encryptMessage(obj);
    obj.v = 2;
    assert.deepEqual(await h.decryptMessage(await p), { v: 1 });
  });
});

describe('EncryptedMessageHandler as a WebSocketManager codec (real ws server)', () => {
  // The server relays what it gets (payload untouched) under the type 'relay'.
  const relay = () =>
    startWsServer((socket) => socket.on('message', (d) => {
      const msg = JSON.parse(String(d));
      if (msg.type !== 'ping') socket.send(JSON.stringify({ type: 'relay', payload: msg.payload }));
    }));

  test('send encrypts, subscribe decrypts, order kept across very different sizes', async (t) => {
    const server = await relay();
    t.after(() => server.close());
    const handler = await handlerWith(new Uint8Array(randomBytes(32)));
    const m = new WebSocketManager({ url: server.url, codec: handler });
    t.after(() => m.dispose());
    const N = 60;
    const sizes = Array.from({ length: N }, (_, i) => (i % 3 === 0 ? 300_000 : i % 3 === 1 ? 1 : 5000));
    const got = [];
    const all = new Promise((resolve) => m.subscribe('relay', (p) => {
      got.push(p);
      if (got.length === N) resolve();
    }));
    const wire = [];
    (await Promise.all([server.nextConnection(1), m.connect()]))[0].on('message', (d) => wire.push(String(d)));
    for (let i = 0; i < N; i++) assert.equal(m.send({ type: 'chat', payload: { i, pad: 'secret-marker|'.repeat(Math.ceil(sizes[i] / 14)) } }), false);
    await all;
    assert.deepEqual(got.map((p) => p.i), Array.from({ length: N }, (_, i) => i));
    assert.ok(got[0].pad.length >= 300_000);
    // The server only ever saw ciphertext.
    assert.equal(wire.length, N);
    for (const w of wire) {
      const msg = JSON.parse(w);
      assert.equal(msg.type, 'chat', 'the type travels in clear (routing)');
      assert.equal(typeof msg.payload, 'string');
      assert.ok(!w.includes('"pad"') && !w.includes('secret-marker'));
    }
  });

  test('a message that fails to decrypt: an error, dropped; the connection keeps serving, in order', async (t) => {
    const handler = await handlerWith(new Uint8Array(randomBytes(32)));
    const stranger = await handlerWith(new Uint8Array(randomBytes(32)));
    const good = async (n) => envelope('feed', await handler.encryptMessage({ n }));
    const frames = [
      await good(1),
      envelope('feed', await stranger.encryptMessage({ n: 'stranger-secret' })),
      envelope('feed', { plaintext: 'cleartext-marker' }),
      envelope('feed', 'AAAA'),
      await good(2),
      envelope('pong', {}),  // heartbeat envelopes are never decoded
      await good(3),
    ];
    const server = await startWsServer((socket) => frames.forEach((f) => socket.send(f)));
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url });
    t.after(() => m.dispose());
    m.useCodec(handler);
    const errors = [];
    m.on('error', (e) => errors.push(e));
    const wildcard = [];
    m.on('message', (msg) => wildcard.push(msg.type === 'feed' ? msg.payload.n : msg.type));
    const got = [];
    const three = new Promise((resolve) => m.subscribe('feed', (p) => {
      got.push(p.n);
      if (p.n === 3) resolve();
    }));
    await m.connect();
    await three;
    assert.deepEqual(got, [1, 2, 3]);
    assert.deepEqual(wildcard, [1, 2, 'pong', 3]);
    assert.deepEqual(errors.map((e) => e.code), ['decrypt_failed', 'decrypt_failed', 'decrypt_failed']);
    for (const e of errors) assert.ok(!e.message.includes('stranger-secret') && !e.message.includes('cleartext-marker'));
    assert.equal(m.state, 'open');
    assert.equal(server.connections.length, 1);
  });

  test('heartbeats still work with a codec installed (ping/pong stay in clear)', async (t) => {
    const server = await startWsServer((socket) => socket.on('message', (d) => {
      if (JSON.parse(String(d)).type === 'ping') socket.send(envelope('pong', {}));
    }));
    t.after(() => server.close());
    const handler = await handlerWith(new Uint8Array(randomBytes(32)));
    const m = new WebSocketManager({ url: server.url, heartbeatInterval: 20, codec: handler });
    t.after(() => m.dispose());
    const errors = [];
    m.on('error', (e) => errors.push(e.code));
    await m.connect();
    const socket = await server.nextConnection(1);
    await new Promise((resolve) => {
      let pings = 0;
      socket.on('message', (d) => JSON.parse(String(d)).type === 'ping' && ++pings === 3 && resolve());
    });
    assert.ok(m.stats.rtt >= 0);
    assert.deepEqual(errors, []);
  });

  test('a flood of encrypted messages is bounded by maxDecodeBacklog (drop events), in order', async (t) => {
    const handler = await handlerWith(new Uint8Array(randomBytes(32)));
    const N = 5000;
    const frames = await Promise.all(Array.from({ length: N }, async (_, i) => envelope('f', await handler.encryptMessage(i))));
    const server = await startWsServer((socket) => frames.forEach((f) => socket.send(f)));
    t.after(() => server.close());
    const m = new WebSocketManager({ url: server.url, codec: handler, maxDecodeBacklog: 100 });
    t.after(() => m.dispose());
    let dropped = 0;
    let settle;
    const settled = new Promise((resolve) => (settle = resolve));
    const check = () => got.length + dropped === N && settle();
    m.on('drop', (d) => {
      assert.equal(d.reason, 'decode_backlog');
      dropped += d.count;
      check();
    });
    const got = [];
    let last = -1;
    m.subscribe('f', (n) => {
      assert.ok(n > last, 'in order');
      last = n;
      got.push(n);
      check();
    });
    await m.connect();
    await settled;
    assert.equal(got.length + dropped, N, 'every message delivered or announced as dropped');
    t.diagnostic(`delivered ${got.length}, dropped ${dropped} (backlog 100)`);
  });
});
