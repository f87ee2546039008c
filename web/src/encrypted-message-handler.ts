// EncryptedMessageHandler: AES-GCM message encryption through WebCrypto (crypto.subtle) only —
// no cryptography is implemented here. The seed's name and methods, with its flaws fixed:
//
// - The seed imported the bytes of a passphrase as a raw AES key: that fails for any passphrase
//   that is not exactly 16 or 32 bytes long, and when it "works" the key has the entropy of the
//   passphrase with no stretching, so it can be brute-forced offline from one captured message.
//   Here a key is either 16/32 random bytes, or derived from a passphrase with PBKDF2-SHA-256
//   (600,000 iterations by default and at least — the OWASP 2023 figure) and a salt, or with HKDF
//   when the secret is already high-entropy.
// - A fresh random 96-bit IV per message (the seed did this right; it is checked here that it
//   stays so: the IV is never derived from anything else), and a per-key message cap below the
//   2^32 random-IV bound of NIST SP 800-38D §8.3.
// - The seed's `btoa(String.fromCharCode(...bytes))` throws RangeError for messages of more than
//   about 100 KB (too many arguments); base64 here works in chunks.
// - Failures are one typed error, `RealtimeError('decrypt_failed')`, whose message never contains
//   the plaintext or the ciphertext.
import { RealtimeError } from './errors.js';
import type { PayloadCodec } from './websocket-manager.js';

export interface PassphraseKeyOptions {
  /** The secret. With PBKDF2 a human passphrase is fine; with HKDF it must be high-entropy. */
  passphrase: string | Uint8Array;
  /** At least 16 bytes for PBKDF2 (random, stored or sent alongside; it need not be secret). */
  salt: string | Uint8Array;
  /** 'PBKDF2' (default: stretches a passphrase) or 'HKDF' (no stretching: random secrets only). */
  kdf?: 'PBKDF2' | 'HKDF';
  /** PBKDF2 iterations; default and minimum 600,000 (SHA-256). */
  iterations?: number;
  /** HKDF `info` (context binding); default 'realtime-wasm AES-256-GCM v1'. */
  info?: string | Uint8Array;
}

/** 16 or 32 random bytes, an AES-GCM CryptoKey, or a passphrase to derive one from. */
export type EncryptionKeyInput = Uint8Array | ArrayBuffer | CryptoKey | PassphraseKeyOptions;

/** Deepest array/object nesting in a JSON text (iterative: hostile nesting cannot overflow). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;  // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return max;
}

export interface HandlerOptions {
  /** Decrypted JSON nested deeper than this is rejected with 'too_deep' (default 128, as the
   * wire limit: a decrypted payload never went through the native validator). */
  maxDepth?: number;
}

export interface CipherOptions {
  /** Authenticated but not encrypted data that must match on decryption (e.g. a channel id). */
  additionalData?: string | Uint8Array;
}

const IV_BYTES = 12;  // 96 bits: the size GCM is specified for
const TAG_BYTES = 16;
export const PBKDF2_MIN_ITERATIONS = 600_000;
const HKDF_DEFAULT_INFO = 'realtime-wasm AES-256-GCM v1';
// NIST SP 800-38D: with random IVs, at most 2^32 messages per key.
const MAX_MESSAGES_PER_KEY = 2 ** 32;

const encoder = new TextEncoder();

function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!s) {
    throw new RealtimeError(
      'unsupported',
      'WebCrypto (crypto.subtle) is not available; browsers expose it only in secure contexts (https)',
    );
  }
  return s;
}

type Bytes = Uint8Array<ArrayBuffer>;

/** A copy (ours to wipe), never a view of the caller's buffer. */
function bytesOf(v: string | Uint8Array | ArrayBuffer): Bytes {
  if (typeof v === 'string') return encoder.encode(v);
  return new Uint8Array(v instanceof Uint8Array ? v : new Uint8Array(v));
}

function invalid(message: string): RealtimeError {
  return new RealtimeError('invalid_config', `EncryptedMessageHandler: ${message}`);
}

function decryptFailed(why: string): RealtimeError {
  return new RealtimeError('decrypt_failed', `message could not be decrypted: ${why}`);
}

/** Standard base64, in chunks (no argument-count limit). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  }
  return btoa(binary);
}

/** Strict standard base64 (padding required); null when it is not. */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return null;
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function isCryptoKey(v: unknown): v is CryptoKey {
  return typeof CryptoKey === 'function' && v instanceof CryptoKey;
}

async function importKey(input: EncryptionKeyInput): Promise<CryptoKey> {
  const s = subtle();
  if (typeof input === 'string') {
    throw invalid(
      'a string is not a key (the seed imported a passphrase as raw AES key bytes); pass 32 ' +
        'random bytes, or { passphrase, salt } to derive a key with PBKDF2',
    );
  }
  if (isCryptoKey(input)) {
    const algo = input.algorithm as { name?: string };
    if (algo.name !== 'AES-GCM' || !input.usages.includes('encrypt') || !input.usages.includes('decrypt')) {
      throw invalid('a CryptoKey must be AES-GCM with the encrypt and decrypt usages');
    }
    return input;
  }
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
    const raw = bytesOf(input);
    if (raw.length !== 16 && raw.length !== 32) {
      throw invalid(`an AES-GCM key is 16 or 32 bytes (got ${raw.length}); for a passphrase use { passphrase, salt }`);
    }
    try {
      return await s.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    } finally {
      raw.fill(0);
    }
  }
  if (!input || typeof input !== 'object' || !('passphrase' in input)) {
    throw invalid('initialize() takes 16/32 key bytes, a CryptoKey, or { passphrase, salt, kdf? }');
  }
  const secret = bytesOf(input.passphrase);
  if (secret.length === 0) throw invalid('the passphrase is empty');
  if (input.salt === undefined || input.salt === null) throw invalid('a salt is required');
  const salt = bytesOf(input.salt);
  const kdf = input.kdf ?? 'PBKDF2';
  const target = { name: 'AES-GCM', length: 256 };
  if (kdf === 'PBKDF2') {
    const iterations = input.iterations ?? PBKDF2_MIN_ITERATIONS;
    if (!Number.isInteger(iterations) || iterations < PBKDF2_MIN_ITERATIONS) {
      throw invalid(`PBKDF2 needs at least ${PBKDF2_MIN_ITERATIONS} iterations (got ${iterations})`);
    }
    if (salt.length < 16) throw invalid(`the PBKDF2 salt must be at least 16 bytes (got ${salt.length})`);
    const base = await s.importKey('raw', secret, 'PBKDF2', false, ['deriveKey']);
    secret.fill(0);
    return s.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base, target, false, [
      'encrypt',
      'decrypt',
    ]);
  }
  if (kdf === 'HKDF') {
    if (secret.length < 16) {
      throw invalid('HKDF does not stretch: its input must be a random secret of 16+ bytes (use PBKDF2 for passphrases)');
    }
    const info = bytesOf(input.info ?? HKDF_DEFAULT_INFO);
    const base = await s.importKey('raw', secret, 'HKDF', false, ['deriveKey']);
    secret.fill(0);
    return s.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info }, base, target, false, [
      'encrypt',
      'decrypt',
    ]);
  }
  throw invalid(`unknown kdf '${String(kdf)}' (PBKDF2 or HKDF)`);
}

export class EncryptedMessageHandler implements PayloadCodec {
  private key: Promise<CryptoKey> | null = null;
  private used = 0;
  private readonly maxDepth: number;

  constructor(options: HandlerOptions = {}) {
    this.maxDepth = options.maxDepth ?? 128;
  }

  /**
   * Sets the key: 16 or 32 random bytes (32 recommended), an AES-GCM CryptoKey, or
   * `{ passphrase, salt, kdf: 'PBKDF2' | 'HKDF', iterations?, info? }`. The key is never
   * extractable. Rejects with RealtimeError('invalid_config') on a bad key.
   */
  initialize(key: EncryptionKeyInput): Promise<void> {
    const pending = importKey(key);
    pending.catch(() => {});  // rejections are reported by initialize() and by each use
    this.key = pending;
    this.used = 0;
    return pending.then(() => undefined);
  }

  get initialized(): boolean {
    return this.key !== null;
  }

  /**
   * JSON-serializes `message` (synchronously: later changes to the object are not encrypted) and
   * encrypts it with a fresh random 96-bit IV. Resolves with base64(iv ‖ ciphertext ‖ tag).
   */
  encryptMessage(message: unknown, options: CipherOptions = {}): Promise<string> {
    let plaintext: Bytes;
    try {
      const json = JSON.stringify(message);
      if (json === undefined) throw new TypeError('not serializable');
      plaintext = encoder.encode(json);
    } catch {
      return Promise.reject(new RealtimeError('encrypt_failed', 'message is not JSON-serializable'));
    }
    const key = this.requireKey();
    if (++this.used > MAX_MESSAGES_PER_KEY) {
      return Promise.reject(
        new RealtimeError('key_exhausted', '2^32 messages were encrypted with this key: rotate it'),
      );
    }
    const iv = (globalThis as { crypto: Crypto }).crypto.getRandomValues(new Uint8Array(IV_BYTES));
    return key.then(async (k) => {
      const params: AesGcmParams = { name: 'AES-GCM', iv, tagLength: TAG_BYTES * 8 };
      if (options.additionalData !== undefined) params.additionalData = bytesOf(options.additionalData);
      const sealed = new Uint8Array(await subtle().encrypt(params, k, plaintext));
      const out = new Uint8Array(IV_BYTES + sealed.length);
      out.set(iv);
      out.set(sealed, IV_BYTES);
      return bytesToBase64(out);
    });
  }

  /**
   * Decrypts what encryptMessage produced and JSON-parses it. A tampered, truncated, wrong-key or
   * malformed message rejects with RealtimeError('decrypt_failed'); nothing of it is returned.
   */
  async decryptMessage(data: string, options: CipherOptions = {}): Promise<unknown> {
    const key = await this.requireKey();
    if (typeof data !== 'string') throw decryptFailed('expected a base64 string');
    const bytes = base64ToBytes(data);
    if (!bytes) throw decryptFailed('not base64');
    if (bytes.length < IV_BYTES + TAG_BYTES) throw decryptFailed('too short (truncated?)');
    const params: AesGcmParams = { name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES), tagLength: TAG_BYTES * 8 };
    if (options.additionalData !== undefined) params.additionalData = bytesOf(options.additionalData);
    let plain: ArrayBuffer;
    try {
      plain = await subtle().decrypt(params, key, bytes.subarray(IV_BYTES));
    } catch {
      throw decryptFailed('authentication failed (tampered, truncated or wrong key)');
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch {
      throw decryptFailed('the plaintext is not UTF-8');
    }
    if (jsonDepth(text) > this.maxDepth) {
      // JSON.parse would cope, but a JSON.stringify or a recursive walk of the result would not.
      throw new RealtimeError('too_deep', `decrypted JSON is nested deeper than ${this.maxDepth}`);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw decryptFailed('the plaintext is not JSON');
    }
  }

  // ---- PayloadCodec: plug into WebSocketManager (config `codec`, or `useCodec(handler)`) ----

  encode(payload: unknown): Promise<string> {
    return this.encryptMessage(payload);
  }

  decode(wire: unknown): Promise<unknown> {
    return this.decryptMessage(wire as string);
  }

  private requireKey(): Promise<CryptoKey> {
    if (!this.key) {
      return Promise.reject(
        new RealtimeError('not_initialized', 'EncryptedMessageHandler: call initialize(key) first'),
      );
    }
    return this.key;
  }
}
