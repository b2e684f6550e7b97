/** What every posting channel adapter (Slack, Teams) is given, and the per-address ordering they share. */
import type { FastifyBaseLogger } from 'fastify';
import type { ChatService } from '../chat/service.ts';
import type { Translate } from '../conversation/render.ts';
import type { Store } from '../store/port.ts';

export interface ChannelDeps {
  chat: ChatService;
  /** For the outbox (its sweep) and saved reply addresses. */
  store: Store;
  t: Translate;
  maxFileBytes: number;
  log: FastifyBaseLogger;
  now?: () => number;
  /** How often the outbox sweep looks for answers another process failed to send. */
  outboxIntervalMs?: number;
}

export interface KeyedQueue {
  /** Run `fn` after everything queued before under the same key (whether that succeeded or not). */
  run(key: string, fn: () => Promise<void>): Promise<void>;
  /** Everything queued so far has finished. */
  idle(): Promise<void>;
}

/** Messages to one channel or conversation go out one at a time, so a slow or retried send is never overtaken. */
export function createKeyedQueue(): KeyedQueue {
  const chains = new Map<string, Promise<unknown>>();
  return {
    run(key, fn) {
      const prev = chains.get(key) ?? Promise.resolve();
      const run = prev.then(fn, fn);
      const tail = run.catch(() => undefined);
      chains.set(key, tail);
      void tail.then(() => {
        if (chains.get(key) === tail) chains.delete(key);
      });
      return run;
    },
    async idle() {
      await Promise.all([...chains.values()]);
    },
  };
}
