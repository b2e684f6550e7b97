// The retention job asks the store to delete what is older than RETENTION_DAYS, on its schedule, and never with 0 days.
// The schedule runs on fake timers: the real one is minutes and hours, and a sleep-and-count test breaks on a busy machine.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startRetention } from '../../src/jobs/retention.ts';
import type { Store } from '../../src/store/port.ts';

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

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
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('deletes what is older than RETENTION_DAYS, first after a delay, then on every interval, and not after stop()', async () => {
    const cutoffs: number[] = [];
    const now = 1_800_000_000_000;
    const job = startRetention({ store: fakeStore(cutoffs), days: 30, now: () => now, firstRunMs: 60_000, intervalMs: HOUR, log: quiet });
    await vi.advanceTimersByTimeAsync(59_999);
    expect(cutoffs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(cutoffs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(HOUR - 1);
    expect(cutoffs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(cutoffs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(cutoffs).toEqual([now - 30 * DAY, now - 30 * DAY, now - 30 * DAY]);

    await job.stop();
    await vi.advanceTimersByTimeAsync(10 * HOUR);
    expect(cutoffs).toHaveLength(3);
    // Stopping the schedule leaves a pass on demand working.
    expect(await job.run()).toEqual({ conversations: 2, messages: 5 });
  });

  it('with 0 days deletes nothing, ever', async () => {
    const cutoffs: number[] = [];
    const job = startRetention({ store: fakeStore(cutoffs), days: 0, firstRunMs: 1, intervalMs: 1, log: quiet });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * DAY);
    expect(await job.run()).toEqual({ conversations: 0, messages: 0 });
    expect(cutoffs).toEqual([]);
    await job.stop();
  });

  it('a failed pass is logged and the next one tries again', async () => {
    const cutoffs: number[] = [];
    const errors: unknown[] = [];
    const job = startRetention({ store: fakeStore(cutoffs, true), days: 1, firstRunMs: 60_000, intervalMs: HOUR, log: { info: () => {}, error: (o) => errors.push(o) } });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(errors).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(cutoffs).toHaveLength(2);
    expect(errors).toHaveLength(2);
    expect(errors[1]).toMatchObject({ job: 'retention', err: expect.objectContaining({ message: 'database down' }) });
    await job.stop();
  });
});
