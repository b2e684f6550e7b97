/**
 * Outbox delivery for channels we post to: the turn's answer is posted right after its commit,
 * and a periodic sweep posts any row whose writer crashed or failed before marking it delivered.
 */
import type { Channel, Store } from '../store/port.ts';
import type { OutboxPayload } from './service.ts';

/** Posts one outbox row's messages on the channel; throws if the channel refused them. */
export type PostReplies = (payload: OutboxPayload, conversationId: string) => Promise<void>;

export interface OutboxWorker {
  /**
   * Post a row just written by this process, in the background, then mark it delivered. A failure
   * is logged and left to the sweep. No row (an empty answer): nothing to do.
   */
  deliver(id: number | undefined, conversationId: string, payload: OutboxPayload): void;
  /** Every delivery started so far has finished (tests, shutdown). */
  idle(): Promise<void>;
  /** Take over rows whose lease ran out and post them; returns how many were delivered. */
  sweep(): Promise<number>;
  /** Sweep now and every `intervalMs` until `stop()`. */
  start(): void;
  stop(): Promise<void>;
}

export interface OutboxWorkerOptions {
  store: Store;
  channel: Channel;
  post: PostReplies;
  now?: () => number;
  /** How long a sweeper owns a claimed row before another instance may take it. */
  leaseMs?: number;
  intervalMs?: number;
  /** After this many failed sweeps a row is dropped (logged), so one poisoned row cannot loop forever. */
  maxAttempts?: number;
  onError?: (err: unknown, ctx: { outboxId: number; conversationId: string; gaveUp: boolean }) => void;
}

export function createOutboxWorker({
  store,
  channel,
  post,
  now = Date.now,
  leaseMs = 120_000,
  intervalMs = 15_000,
  maxAttempts = 10,
  onError = () => {},
}: OutboxWorkerOptions): OutboxWorker {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  // Delivered marks are written in batches: one UPDATE for every reply posted in the same tick.
  // A mark lost to a crash only means the sweep posts that reply again (at least once, never lost).
  let marks: number[] = [];
  let flushing: Promise<void> | undefined;
  function markDelivered(id: number): Promise<void> {
    marks.push(id);
    flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      const ids = marks;
      marks = [];
      flushing = undefined;
      await store.outboxDelivered(ids, now());
    });
    return flushing;
  }

  const inFlight = new Set<Promise<void>>();
  function deliver(id: number | undefined, conversationId: string, payload: OutboxPayload): void {
    if (id === undefined) return;
    const p = post(payload, conversationId)
      .then(() => markDelivered(id))
      .catch((err: unknown) => onError(err, { outboxId: id, conversationId, gaveUp: false }))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }

  async function sweepOnce(): Promise<number> {
    let delivered = 0;
    const items = await store.claimOutbox(channel, { now: now(), leaseUntil: now() + leaseMs });
    for (const item of items) {
      try {
        await post(item.payload as OutboxPayload, item.conversationId);
        await markDelivered(item.id);
        delivered++;
      } catch (err) {
        const gaveUp = item.attempts >= maxAttempts;
        if (gaveUp) await markDelivered(item.id);
        onError(err, { outboxId: item.id, conversationId: item.conversationId, gaveUp });
      }
    }
    return delivered;
  }

  const sweep = (): Promise<number> => {
    // One sweep at a time in this process; other instances are kept apart by the lease.
    running ??= sweepOnce().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    deliver,
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    sweep,
    start() {
      const tick = () => {
        sweep().catch((err: unknown) => onError(err, { outboxId: -1, conversationId: '', gaveUp: false }));
      };
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      await running?.catch(() => 0);
      await flushing?.catch(() => undefined);
    },
  };
}
