import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Keys look like dck_<12 hex id>_<43 base64url chars = 256 random bits>.
// The "dck_<id>" prefix is public: it finds the row and names the key in logs and listings.
const KEY_RE = /^(dck_[0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

export interface NewKey {
  key: string;
  prefix: string;
  hash: Buffer;
}

export function generateApiKey(): NewKey {
  const prefix = `dck_${randomBytes(6).toString('hex')}`;
  const key = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}

// A fast hash is right for 256-bit random secrets: nothing to brute-force, and no 150 ms per request.
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** The public prefix of a well-formed key, or null. */
export function keyPrefix(key: string): string | null {
  return KEY_RE.exec(key)?.[1] ?? null;
}

export function hashMatches(key: string, storedHash: Buffer): boolean {
  const hash = hashApiKey(key);
  return hash.length === storedHash.length && timingSafeEqual(hash, storedHash);
}
