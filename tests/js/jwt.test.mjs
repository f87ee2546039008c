// The JWT claims decoder — the one there is, the C++ src/jwt.h in the module, which the
// WebSocket session's credentials step uses — exercised from JS through the module's test
// exports (_decodeJwt, _base64UrlDecodeHex), with the cases of its native tests
// (tests/native/jwt_test.cpp): same acceptance, same reasons.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { before, describe, test } from 'node:test';

import { loadRuntime } from '../../dist/index.js';

let mod;
before(async () => {
  mod = await loadRuntime();
});
const MAX_JWT_BYTES = 16 * 1024;  // src/jwt.h kMaxJwtBytes
const decodeJwt = (token) => mod._decodeJwt(token);
const base64UrlDecode = (text) => {
  const hex = mod._base64UrlDecodeHex(text);
  return hex === null ? null : new Uint8Array(Buffer.from(hex, 'hex'));
};

const b64url = (s) => Buffer.from(s, 'latin1').toString('base64url');
const HEADER = '{"alg":"HS256","typ":"JWT"}';
const SIG = b64url('not-a-real-signature');
const make = (payload, header = HEADER) => `${b64url(header)}.${b64url(payload)}.${SIG}`;
const str = (bytes) => (bytes === null ? null : Buffer.from(bytes).toString('latin1'));

function malformed(token, reasonPart) {
  const r = decodeJwt(token);
  assert.equal(r.error, 'malformed_token', `accepted: ${String(token).slice(0, 80)}`);
  assert.ok(r.reason.length > 0 && r.reason.length < 64);
  if (reasonPart) assert.ok(r.reason.includes(reasonPart), `${r.reason} lacks ${reasonPart}`);
  assert.deepEqual([r.expMs, r.iatMs, r.nbfMs], [null, null, null]);
}

describe('base64url (strict)', () => {
  test('RFC 4648 vectors, complete padding, url alphabet', () => {
    for (const [enc, dec] of [['', ''], ['Zg', 'f'], ['Zm8', 'fo'], ['Zm9v', 'foo'], ['Zm9vYg', 'foob'],
      ['Zm9vYmE', 'fooba'], ['Zm9vYmFy', 'foobar'], ['Zg==', 'f'], ['Zm8=', 'fo'], ['Zm9vYg==', 'foob'],
      ['-_8', '\xfb\xff']]) {
      assert.equal(str(base64UrlDecode(enc)), dec, enc);
    }
  });

  test('rejects bad padding, impossible lengths, other alphabets, stray bits', () => {
    for (const bad of ['Zg=', 'Zm8==', 'Zg===', 'Z===', '====', '=', 'Zm9v====', 'Zg==Zg==', 'Z=9v', 'Z', 'Zm9vY',
      '+/8', '-/8', '+_8', 'Zm9 v', ' Zm9v', 'Zm9v\n', 'Zm.v', 'Zm9*', 'Zm9é', 'Zm\0v', 'Zh', 'Zm9', 'Zh==']) {
      assert.equal(base64UrlDecode(bad), null, JSON.stringify(bad));
    }
  });

  test('round-trips every byte', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    for (let len = 0; len <= 256; len += 7) {
      assert.deepEqual(Buffer.from(base64UrlDecode(all.subarray(0, len).toString('base64url'))), all.subarray(0, len));
    }
  });
});

describe('decodeJwt', () => {
  test('valid tokens: time claims in ms, fractional seconds, no exp, duplicates (last wins)', () => {
    let r = decodeJwt(make('{"sub":"u1","iat":1700000000,"nbf":1700000000,"exp":1700003600}'));
    assert.deepEqual(r, { error: '', reason: '', expMs: 1700003600000, iatMs: 1700000000000, nbfMs: 1700000000000 });
    r = decodeJwt('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c');
    assert.equal(r.error, '');
    assert.equal(r.expMs, null);
    assert.equal(r.iatMs, 1516239022000);
    assert.equal(decodeJwt(make('{"exp":1700000000.25}')).expMs, 1700000000250);
    assert.equal(decodeJwt(make('{}')).error, '');
    assert.equal(decodeJwt(make('{"exp":1,"exp":2}')).expMs, 2000);
    assert.equal(decodeJwt(`${b64url(HEADER)}.${b64url('{"exp":1}')}.`).error, '', 'empty signature');
    // Padded segments are accepted when complete.
    let padded = b64url('{"exp":10}');
    while (padded.length % 4) padded += '=';
    assert.equal(decodeJwt(`${b64url(HEADER)}.${padded}.${SIG}`).expMs, 10000);
    malformed(`${b64url(HEADER)}.${padded}=.${SIG}`, 'payload');
  });

  test('claims of the wrong type or out of range', () => {
    malformed(make('{"exp":"1700003600"}'), 'exp');
    for (const v of ['null', 'true', '[1]']) malformed(make(`{"exp":${v}}`), 'exp');
    malformed(make('{"exp":1,"iat":"x"}'), 'iat');
    malformed(make('{"nbf":{}}'), 'nbf');
    malformed(make('{"exp":1e306}'), 'exp is out of range');
  });

  test('structure: segments, alphabet, JSON objects, UTF-8, NUL, size', () => {
    const payload = b64url('{"exp":1}');
    malformed(`${b64url(HEADER)}.${payload}`, 'three segments');
    malformed(`${b64url(HEADER)}.${payload}..${SIG}`);
    malformed(`${make('{"exp":1}')}.${SIG}`, 'more than three');
    malformed(`${make('{"exp":1}')}.`, 'more than three');
    for (const t of ['abc', '..', '...', '']) malformed(t);
    malformed(`${b64url(HEADER)}.${payload}!.${SIG}`, 'payload');
    malformed(`${b64url(HEADER)} .${payload}.${SIG}`, 'header');
    malformed(`${b64url(HEADER)}.${payload}.${SIG}*`, 'signature');
    malformed(` ${make('{"exp":1}')}`);
    malformed(`Bearer ${make('{"exp":1}')}`);
    const url = b64url('{"exp":1700000000,"x":"??>"}');
    assert.match(url, /[-_]/);
    assert.equal(decodeJwt(`${b64url(HEADER)}.${url}.${SIG}`).error, '');
    malformed(`${b64url(HEADER)}.${url.replace(/-/g, '+').replace(/_/g, '/')}.${SIG}`, 'payload is not base64url');
    malformed(`.${payload}.${SIG}`, 'header');
    malformed(`${b64url(HEADER)}..${SIG}`, 'payload');
    malformed(make('not json'), 'payload is not JSON');
    malformed(make('{"exp":1'), 'payload is not JSON');
    malformed(make('{"exp":1} trailing'), 'payload is not JSON');
    malformed(make('{"sub":"\xff"}'), 'payload is not JSON');  // invalid UTF-8
    malformed(make('{"exp":1}', 'nope'), 'header is not JSON');
    malformed(make('{"exp":1}\0{'), 'payload is not JSON');
    malformed(make('{"exp":1}', '{}\0'), 'header is not JSON');
    malformed(make('[{"exp":1}]'), 'payload is not a JSON object');
    malformed(make('1700000000'), 'payload is not a JSON object');
    malformed(make('{"exp":1}', '[]'), 'header is not a JSON object');
    malformed(make(`{"exp":1,"pad":"${'A'.repeat(MAX_JWT_BYTES)}"}`), 'too long');
    malformed('.'.repeat(10 * 1024 * 1024), 'too long');
    const base = make('{"exp":1,"pad":""}');
    const room = Math.floor((MAX_JWT_BYTES - base.length) / 4) * 3;
    assert.equal(decodeJwt(make(`{"exp":1,"pad":"${'x'.repeat(room)}"}`)).error, '');
    const deep = make(`{"exp":1,"x":${'['.repeat(6000)}${']'.repeat(6000)}}`);
    assert.equal(decodeJwt(deep).expMs, 1000);
  });

  test('reasons never contain the token', () => {
    for (const token of [make('{"exp":"SECRETVALUE"}'), 'SECRETVALUE', 'SECRETVALUE.a.b.c', `${make('{"exp":1}')}SECRETVALUE!`]) {
      const r = decodeJwt(token);
      assert.equal(r.error, 'malformed_token');
      assert.ok(!r.reason.includes('SECRET') && !r.reason.includes('U0VDUkVU'), r.reason);
    }
  });

  test('the fuzz corpus of the C++ decoder decodes without throwing', async () => {
    const dir = new URL('../fuzz/corpus/jwt_fuzz/', import.meta.url);
    for (const name of await readdir(dir)) {
      const r = decodeJwt((await readFile(new URL(name, dir))).toString('latin1'));
      assert.ok(r.error === '' || r.error === 'malformed_token', name);
    }
  });
});
