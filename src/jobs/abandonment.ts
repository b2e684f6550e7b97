/** The abandonment job: every few minutes, conversations idle for ABANDON_AFTER_MINUTES are marked abandoned at their step (an analytics event). */
import type { Store } from '../store/port.ts';

export interface AbandonmentOptions {
  store: Store;
  minutes: number;
  now?: () => number;
  intervalMs?: number;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface AbandonmentJob {
  /** One pass now; resolves with how many conversations it marked. */
  run(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * `minutes` 0 marks nothing. Marking is version-checked and idempotent, so every instance may run
 * it: a conversation is marked once per idle spell (its next message clears the mark).
 */
export function startAbandonment({ store, minutes, now = Date.now, intervalMs = 5 * 60_000, log }: AbandonmentOptions): AbandonmentJob {
  let running: Promise<number> | undefined;
  const run = (): Promise<number> => {
    if (minutes <= 0) return Promise.resolve(0);
    const at = now();
    running ??= store
      .markAbandoned(at - minutes * 60_000, at)
      .then((n) => {
        if (n > 0) log.info({ job: 'abandonment', minutes, marked: n }, 'abandonment: marked idle conversations');
        return n;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  let timer: NodeJS.Timeout | undefined;
  if (minutes > 0) {
    timer = setInterval(() => {
      run().catch((err: unknown) => log.error({ err, job: 'abandonment' }, 'abandonment pass failed; next pass retries'));
    }, intervalMs);
    timer.unref();
  }
  return {
    run,
    async stop() {
      if (timer) clearInterval(timer);
      await running?.catch(() => 0);
    },
  };
}
