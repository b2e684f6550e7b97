/** The retention job: every hour, conversations and transcript lines older than RETENTION_DAYS are deleted; analytics events stay. */
import type { Store } from '../store/port.ts';

export interface RetentionOptions {
  store: Store;
  days: number;
  now?: () => number;
  intervalMs?: number;
  /** First run after this long, so a fleet restarting together does not all delete at once. */
  firstRunMs?: number;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface RetentionJob {
  /** One pass now; resolves with what it deleted. */
  run(): Promise<{ conversations: number; messages: number }>;
  stop(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** `days` 0 keeps everything: no timer is started. Deleting is idempotent, so several instances may run it. */
export function startRetention({ store, days, now = Date.now, intervalMs = 60 * 60 * 1000, firstRunMs = 60_000 + Math.random() * 60_000, log }: RetentionOptions): RetentionJob {
  let running: Promise<{ conversations: number; messages: number }> | undefined;
  const run = () => {
    // 0 keeps everything: never delete, even when asked directly.
    if (days <= 0) return Promise.resolve({ conversations: 0, messages: 0 });
    running ??= store
      .deleteOlderThan(now() - days * DAY_MS)
      .then((r) => {
        if (r.conversations + r.messages > 0) log.info({ job: 'retention', days, ...r }, 'retention: deleted old conversations and transcript lines');
        return r;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const tick = () => {
    run().catch((err: unknown) => log.error({ err, job: 'retention' }, 'retention pass failed; next pass retries'));
  };
  const timers: NodeJS.Timeout[] = [];
  if (days > 0) {
    const first = setTimeout(() => {
      tick();
      const every = setInterval(tick, intervalMs);
      every.unref();
      timers.push(every);
    }, firstRunMs);
    first.unref();
    timers.push(first);
  }
  return {
    run,
    async stop() {
      for (const t of timers) clearTimeout(t);
      await running?.catch(() => undefined);
    },
  };
}
