/** Files waiting for their PIN: in memory only, per conversation, gone after a few minutes or a restart. */
import type { FileHold, HeldFile } from './contract.ts';

export interface FileHolds {
  forConversation(id: string): FileHold;
  /** Drop expired files now (also happens on every access). */
  sweep(): void;
  size(): number;
}

/** `now` is injected so the expiry is testable; the default TTL is 10 minutes. */
export function createFileHolds({ now, ttlMs = 10 * 60_000 }: { now: () => number; ttlMs?: number }): FileHolds {
  const files = new Map<string, { file: HeldFile; until: number }>();
  const sweep = () => {
    const t = now();
    for (const [id, f] of files) if (f.until <= t) files.delete(id);
  };
  return {
    forConversation: (id) => ({
      put: (file) => void files.set(id, { file, until: now() + ttlMs }),
      get: () => {
        sweep();
        return files.get(id)?.file;
      },
      clear: () => void files.delete(id),
    }),
    sweep,
    size: () => files.size,
  };
}
