/** One LISTEN per process, fanned out to whoever shows live changes (web chat sockets, agents' consoles). */
import type { Notice, Store } from '../store/port.ts';

/** A notice, or `resync`: the listening connection was lost and re-established, so notices may have been missed. */
export type Heard = Notice | 'resync';

export interface NoticeHub {
  subscribe(fn: (n: Heard) => void): () => void;
  close(): Promise<void>;
}

export async function createNoticeHub(store: Store, { onError = () => {} }: { onError?: (err: unknown) => void } = {}): Promise<NoticeHub> {
  const subscribers = new Set<(n: Heard) => void>();
  const emit = (n: Heard) => {
    for (const fn of subscribers) {
      try {
        fn(n);
      } catch (err) {
        // One subscriber's bug must not keep the notice from the others.
        onError(err);
      }
    }
  };
  const stop = await store.listen(emit, () => emit('resync'));
  return {
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    async close() {
      subscribers.clear();
      await stop();
    },
  };
}
