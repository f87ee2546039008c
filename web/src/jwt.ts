// Client-side JWT claims decoding for SecureWebSocketManager: structure and time claims only, no
// signature check (the client never holds the key; the server verifies).
//
// The rules are those of the C++ decoder src/jwt.h (tested natively and fuzzed), ported here
// rather than bound through embind: the C++ one pulls nlohmann/json's DOM into the module and
// costs 3.6 kB gzip, which the package's 80 kB budget does not have, while the browser already
// ships a JSON parser. Same acceptance and the same reason texts:
// - at most 16 KiB, exactly three dot-separated segments;
// - each segment strict base64url (RFC 4648 §5): that alphabet only, padding optional but
//   complete, canonical (unused trailing bits zero), never a length of 4n+1;
// - header and payload decode to UTF-8 JSON objects (the signature may be empty);
// - `exp`, `iat`, `nbf`, when present, are finite numbers (NumericDate seconds → ms); with a
//   duplicated claim the last one counts (as JSON.parse, and RFC 7519 §4).
// Reasons are static texts: never any part of the token.

export const MAX_JWT_BYTES = 16 * 1024;

export interface JwtClaims {
  expMs: number | null;
  iatMs: number | null;
  nbfMs: number | null;
}

export type JwtDecodeResult =
  | ({ error: ''; reason: '' } & JwtClaims)
  | ({ error: 'malformed_token'; reason: string } & JwtClaims);

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const TABLE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) TABLE[ALPHABET.charCodeAt(i)] = i;

/** Strict base64url (see above); null when invalid. */
export function base64UrlDecode(input: string): Uint8Array | null {
  let s = input;
  if (s.endsWith('=')) {
    if (s.length % 4 !== 0) return null;
    s = s.slice(0, s.endsWith('==') ? -2 : -1);
  }
  if (s.length % 4 === 1) return null;  // 6 bits cannot make a byte
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? TABLE[c]! : -1;
    if (v < 0) return null;  // includes any '=' left in the middle
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) return null;  // not canonical
  return out.subarray(0, n);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeObject(segment: string, part: 'header' | 'payload'): Record<string, unknown> | string {
  const bytes = base64UrlDecode(segment);
  if (!bytes) return `JWT ${part} is not base64url`;
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return `JWT ${part} is not JSON`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `JWT ${part} is not a JSON object`;
  }
  return value as Record<string, unknown>;
}

const NONE: JwtClaims = { expMs: null, iatMs: null, nbfMs: null };

function malformed(reason: string): JwtDecodeResult {
  return { error: 'malformed_token', reason, ...NONE };
}

/** Decodes a compact JWS's time claims. No signature check. */
export function decodeJwt(token: string): JwtDecodeResult {
  if (typeof token !== 'string' || token.length === 0) return malformed('JWT is empty');
  if (token.length > MAX_JWT_BYTES) return malformed('JWT is too long');
  const parts = token.split('.');
  if (parts.length < 3) return malformed('JWT does not have three segments');
  if (parts.length > 3) return malformed('JWT has more than three segments');
  const header = decodeObject(parts[0]!, 'header');
  if (typeof header === 'string') return malformed(header);
  const payload = decodeObject(parts[1]!, 'payload');
  if (typeof payload === 'string') return malformed(payload);
  if (!base64UrlDecode(parts[2]!)) return malformed('JWT signature is not base64url');
  const claims: JwtClaims = { ...NONE };
  for (const [name, field] of [['exp', 'expMs'], ['iat', 'iatMs'], ['nbf', 'nbfMs']] as const) {
    if (!Object.hasOwn(payload, name)) continue;
    const v = payload[name];
    if (typeof v !== 'number') return malformed(`JWT ${name} is not a number`);
    const ms = v * 1000;
    if (!Number.isFinite(ms)) return malformed(`JWT ${name} is out of range`);
    claims[field] = ms;
  }
  return { error: '', reason: '', ...claims };
}
