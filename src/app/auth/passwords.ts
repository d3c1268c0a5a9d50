/**
 * Password hashing with scrypt (node:crypto), self-describing so the cost can change later, and
 * bounded: at most one derivation per core but one runs at once, so a burst of log-ins queues
 * here instead of taking every core from the event loop (see HASH_CONCURRENCY).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';

const KEY_LENGTH = 32;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;

/**
 * scrypt runs on libuv's four threads: on a 2-core machine four derivations at once (~75 ms of a
 * core each) left the event loop a fraction of a core, and every other request's p95 rose with the
 * log-in rate (docs/benchmarks.md "Load test": the breaking point was set by log-ins). One core is
 * left to the event loop; the threads' other users (files, zlib, DNS) keep a free thread too.
 */
export const HASH_CONCURRENCY = Math.max(1, Math.min(3, availableParallelism() - 1));
const hashing = pLimit(HASH_CONCURRENCY);

/**
 * PASSWORD_HASH_CONCURRENCY (0: the default above). More runs more log-ins per second on a
 * machine that does little else (a dedicated auth tier); libuv has four threads (UV_THREADPOOL_SIZE).
 */
export function setPasswordHashConcurrency(n: number): void {
  hashing.concurrency = n > 0 ? n : HASH_CONCURRENCY;
}

/** Derivations running and waiting for a turn now (the `password_hashes` gauge). */
export function passwordHashing(): { active: number; waiting: number } {
  return { active: hashing.activeCount, waiting: hashing.pendingCount };
}

function derive(password: string, salt: Buffer, cost: number): Promise<Buffer> {
  return hashing(() => deriveNow(password, salt, cost));
}

function deriveNow(password: string, salt: Buffer, cost: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      KEY_LENGTH,
      { N: cost, r: BLOCK_SIZE, p: PARALLELISM, maxmem: 256 * cost * BLOCK_SIZE },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

/** Format: `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(password: string, cost: number): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost);
  return ['scrypt', cost, BLOCK_SIZE, PARALLELISM, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, , , salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), Number(n));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;
/** Spends the same time as a real check so unknown emails are not revealed by timing. */
export async function burnPasswordCheck(password: string, cost: number): Promise<void> {
  dummyHash ??= hashPassword('not-a-real-password', cost);
  await verifyPassword(password, await dummyHash);
}
