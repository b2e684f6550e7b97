// The retention job asks the store to delete what is older than RETENTION_DAYS, on its schedule, and never with 0 days.
import { describe, expect, it } from 'vitest';
import { startRetention } from '../../src/jobs/retention.ts';
import type { Store } from '../../src/store/port.ts';

const DAY = 24 * 60 * 60 * 1000;

function fakeStore(cutoffs: number[], fail = false): Store {
  return {
    deleteOlderThan: async (before: number) => {
      cutoffs.push(before);
      if (fail) throw new Error('database down');
      return { conversations: 2, messages: 5 };
    },
  } as unknown as Store;
}

const quiet = { info: () => {}, error: () => {} };

describe('retention job', () => {
  it('deletes what is older than RETENTION_DAYS, first after a delay, then on every interval', async () => {
    const cutoffs: number[] = [];
    const now = 1_800_000_000_000;
    const job = startRetention({ store: fakeStore(cutoffs), days: 30, now: () => now, firstRunMs: 10, intervalMs: 20, log: quiet });
    await expect.poll(() => cutoffs.length, { timeout: 2_000 }).toBeGreaterThanOrEqual(3);
    await job.stop();
    expect(new Set(cutoffs)).toEqual(new Set([now - 30 * DAY]));
    const after = cutoffs.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(cutoffs.length).toBe(after);
    expect(await job.run()).toEqual({ conversations: 2, messages: 5 });
  });

  it('with 0 days deletes nothing, ever', async () => {
    const cutoffs: number[] = [];
    const job = startRetention({ store: fakeStore(cutoffs), days: 0, firstRunMs: 1, intervalMs: 1, log: quiet });
    await new Promise((r) => setTimeout(r, 30));
    expect(await job.run()).toEqual({ conversations: 0, messages: 0 });
    expect(cutoffs).toEqual([]);
    await job.stop();
  });

  it('a failed pass is logged and the next one tries again', async () => {
    const cutoffs: number[] = [];
    const errors: unknown[] = [];
    const job = startRetention({ store: fakeStore(cutoffs, true), days: 1, firstRunMs: 5, intervalMs: 10, log: { info: () => {}, error: (o) => errors.push(o) } });
    await expect.poll(() => errors.length, { timeout: 2_000 }).toBeGreaterThanOrEqual(2);
    await job.stop();
  });
});
