/**
 * Counting key derivations, so a test can say "refused before deriving anything" without a stopwatch:
 * every PBKDF, scrypt and PKCS#12 KDF round in `src/certs` ends in one of node:crypto's `pbkdf2Sync`,
 * `scryptSync` or `hash`. Use it from the test file (vi.mock is hoisted there):
 *
 *   const derivations = vi.hoisted(() => ({ count: 0 }));
 *   vi.mock('node:crypto', async (real) => (await import('../support/derivations.ts')).counting(await real(), derivations));
 */
import type * as Crypto from 'node:crypto';

export interface Counter {
  count: number;
}

/** node:crypto with its derivation primitives counted into `counter` (plain wrappers: a million-round KDF stays cheap). */
export function counting(real: typeof Crypto, counter: Counter): typeof Crypto {
  const counted =
    <A extends unknown[], R>(f: (...args: A) => R) =>
    (...args: A): R => {
      counter.count++;
      return f(...args);
    };
  const wrapped = { ...real, hash: counted(real.hash), pbkdf2Sync: counted(real.pbkdf2Sync), scryptSync: counted(real.scryptSync) } as typeof Crypto;
  return { ...wrapped, default: wrapped } as typeof Crypto;
}
