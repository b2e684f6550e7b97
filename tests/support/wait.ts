/**
 * Waiting for a condition instead of sleeping: a test that sleeps is too slow on an idle machine and
 * too short on a busy one. `waitFor` polls until the condition holds and fails with what it waited
 * for; the deadline is generous because it only costs time when the test is failing anyway.
 */

export interface WaitOptions {
  /** Give up after this long. Default 15 s: far beyond any honest wait, even on a loaded 2-core machine. */
  timeoutMs?: number;
  /** Between attempts. Default 20 ms. */
  intervalMs?: number;
  /** What is awaited, for the failure message ("the job deleted the old conversation"). */
  what?: string;
}

/**
 * Resolves with the first truthy value `condition` returns (a thrown error counts as "not yet"), or
 * rejects after `timeoutMs` naming `what` and the last value or error seen.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, { timeoutMs = 15_000, intervalMs = 20, what = 'a condition' }: WaitOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${seen})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
