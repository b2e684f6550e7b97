/**
 * Per-address budgets for the web chat: how many new conversations one client address may start
 * per minute. A token bucket per address (full at rest, refilled continuously), so a burst of a
 * few tabs is fine and a script opening thousands is refused after the first handful.
 */

export interface AddressLimiter {
  /** Spend one unit for `address`; false when its budget is used up (nothing is spent then). */
  take(address: string): boolean;
  /** Give back a unit taken for something that turned out not to need it (a hello that resumed). */
  refund(address: string): void;
  /** Whole seconds until `address` may spend one unit again (0: now). */
  retryAfter(address: string): number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Above this many addresses tracked, buckets that have refilled completely are dropped (they hold nothing). */
const SWEEP_ABOVE = 10_000;

/** `perMinute` 0 means no limit. */
export function createAddressLimiter({ perMinute, now }: { perMinute: number; now: () => number }): AddressLimiter {
  if (perMinute <= 0) return { take: () => true, refund: () => {}, retryAfter: () => 0 };
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, Bucket>();

  const level = (b: Bucket, t: number) => Math.min(perMinute, b.tokens + (t - b.at) * perMs);

  function sweep(t: number): void {
    for (const [address, b] of buckets) if (level(b, t) >= perMinute) buckets.delete(address);
  }

  function bucket(address: string, t: number): Bucket {
    let b = buckets.get(address);
    if (!b) {
      if (buckets.size >= SWEEP_ABOVE) sweep(t);
      b = { tokens: perMinute, at: t };
      buckets.set(address, b);
    }
    b.tokens = level(b, t);
    b.at = t;
    return b;
  }

  return {
    take(address) {
      const b = bucket(address, now());
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
    refund(address) {
      const b = bucket(address, now());
      b.tokens = Math.min(perMinute, b.tokens + 1);
    },
    retryAfter(address) {
      const b = bucket(address, now());
      return b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) / perMs / 1000);
    },
  };
}
