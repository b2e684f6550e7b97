/** What the local HTTP fakes (Slack's Web API, the Bot Connector) and the bare bot servers share: bodies, JSON answers, listening, closing, waiters, listeners. */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Json = Record<string, unknown>;

export function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The whole request body. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The whole request body as UTF-8 text. */
export async function readText(req: IncomingMessage): Promise<string> {
  return (await readBody(req)).toString('utf8');
}

/** Answer `body` as JSON with its length; `headers` come after content-type and content-length. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Listen on a free port of 127.0.0.1; resolves with the port, rejects if the server cannot listen. */
export async function listenLocal(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Drop every connection (keep-alive ones too) and close. */
export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Pending `waitFor…` calls of a fake: each resolves once its check passes after something was recorded, or rejects after its timeout. */
export interface Waiters<T> {
  /** Resolves with `check()` once it gives something (at once if it already does); rejects with `describe()` after `timeoutMs`. */
  wait(check: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T>;
  /** Something was recorded: settle every waiter whose check now passes. */
  notify(): void;
  /** Reject every pending waiter with `message` (the fake is closing). */
  close(message: string): void;
}

export function createWaiters<T>(): Waiters<T> {
  interface Waiter {
    check(): T | undefined;
    resolve(v: T): void;
    reject(err: Error): void;
    timer: NodeJS.Timeout;
  }
  const pending = new Set<Waiter>();
  return {
    wait: (check, timeoutMs, describe) =>
      new Promise((resolve, reject) => {
        const now = check();
        if (now) {
          resolve(now);
          return;
        }
        const w: Waiter = {
          check,
          resolve,
          reject,
          timer: setTimeout(() => {
            pending.delete(w);
            reject(new Error(describe()));
          }, timeoutMs),
        };
        pending.add(w);
      }),
    notify() {
      for (const w of pending) {
        const got = w.check();
        if (got) {
          pending.delete(w);
          clearTimeout(w.timer);
          w.resolve(got);
        }
      }
    },
    close(message) {
      for (const w of pending) {
        clearTimeout(w.timer);
        w.reject(new Error(message));
      }
      pending.clear();
    },
  };
}

/** The `on…` hooks of a fake: functions called with each record as it happens. */
export interface Listeners<T> {
  /** Add `fn`; returns what removes it. */
  add(fn: (v: T) => void): () => void;
  emit(v: T): void;
  clear(): void;
}

export function createListeners<T>(): Listeners<T> {
  const fns = new Set<(v: T) => void>();
  return {
    add(fn) {
      fns.add(fn);
      return () => fns.delete(fn);
    },
    emit(v) {
      for (const fn of fns) fn(v);
    },
    clear: () => fns.clear(),
  };
}
