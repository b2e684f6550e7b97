/**
 * What the benchmarks share: order statistics, the closed-loop HTTP load generator of the Slack and Teams benches
 * (warm-up runs, measured runs, an idle customer, the lines they print), and a fresh PostgreSQL schema per run.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openStore } from '../src/store/open.ts';
import type { SqlStore } from '../src/store/sql-store.ts';

// ---- statistics ---------------------------------------------------------------------------------

/** The higher of the two middle values for an even count (the value at index ⌊n/2⌋ of the sorted samples); 0 for none. */
export const medianHigh = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** The textbook median: the mean of the two middle values for an even count; 0 for none. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** The `p`th percentile, nearest rank below (the value at index ⌊p/100·n⌋ of the sorted samples, capped at the last); 0 for none. */
export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

/** `[1.0, 2.5, …]`: each run's figure, for the line that prints their median. */
export const list = (xs: number[], digits: number): string => `[${xs.map((x) => x.toFixed(digits)).join(', ')}]`;

// ---- closed-loop load over keep-alive HTTP ------------------------------------------------------

/** One request of a customer's script, serialized before the clock starts; `key` is where its reply will show up (a channel, a conversation). */
export interface Outgoing {
  key: string;
  body: string;
  headers: Record<string, string | number>;
}

/** The load generator's side: one keep-alive HTTP client, and a per-key wait for the first reply to reach the fake. */
export interface Harness {
  /** Replies that arrived with no request waiting on their key (a turn answering with more than one message). */
  stray: number;
  /** POST one request to `port`; resolves with ms from sending it to its first reply reaching the fake. */
  turn(port: number, out: Outgoing): Promise<number>;
  /** Stop listening to the fake and close the client's sockets. */
  close(): void;
}

export interface HarnessOptions {
  /** The path every request is POSTed to, e.g. '/slack/events'. */
  path: string;
  /** Most sockets the keep-alive client opens. */
  sockets: number;
  /** How long a request waits for its reply before the run fails. */
  waitMs: number;
  /** What the reply is, for the timeout's message: 'chat.postMessage'. */
  reply: string;
  /** Hook the fake: call `replied(key)` as each reply reaches it; returns what removes the hook. */
  listen(replied: (key: string) => void): () => void;
}

export function harness(o: HarnessOptions): Harness {
  const agent = new Agent({ keepAlive: true, maxSockets: o.sockets });
  const waiting = new Map<string, (at: number) => void>();
  const h: Harness = {
    stray: 0,
    async turn(port, out) {
      let timer: NodeJS.Timeout | undefined;
      const replied = new Promise<number>((resolve, reject) => {
        waiting.set(out.key, resolve);
        timer = setTimeout(() => reject(new Error(`no ${o.reply} in ${out.key} within ${o.waitMs} ms`)), o.waitMs);
      });
      const start = performance.now();
      const acked = new Promise<number>((resolve, reject) => {
        const req = request({ agent, host: '127.0.0.1', port, method: 'POST', path: o.path, headers: out.headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(out.body);
      });
      try {
        const [status, at] = await Promise.all([acked, replied]);
        if (status !== 200) throw new Error(`${o.path} answered ${status}`);
        return at - start;
      } finally {
        clearTimeout(timer);
        waiting.delete(out.key);
      }
    },
    close() {
      off();
      agent.destroy();
    },
  };
  const off = o.listen((key) => {
    const at = performance.now();
    const resolve = waiting.get(key);
    if (!resolve) {
      h.stray++;
      return;
    }
    waiting.delete(key);
    resolve(at);
  });
  return h;
}

export interface Load {
  /** Measured requests (warm-up messages not counted). */
  count: number;
  seconds: number;
  latencies: number[];
  /** Replies beyond the first per request during the run (their latencies may be misattributed). */
  stray: number;
}

/**
 * Each customer sends its `first` message (opens the conversation, not timed), then, once all have, its `script`
 * (built before the clock starts), closed loop: the next request once the reply to the last reached the fake.
 */
export async function closedLoop<C>(h: Harness, port: number, customers: C[], first: (c: C) => Outgoing, script: (c: C) => Outgoing[]): Promise<Load> {
  const strayBefore = h.stray;
  await Promise.all(customers.map((c) => h.turn(port, first(c))));
  const scripts = customers.map(script);
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    scripts.map(async (s) => {
      for (const out of s) latencies.push(await h.turn(port, out));
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { count: latencies.length, seconds, latencies, stray: h.stray - strayBefore };
}

export interface Figures {
  rate: number;
  p50: number;
  p99: number;
  idle: number;
}

export interface MeasureOptions {
  /** The bench, first word of every line: 'slack'. */
  bench: string;
  /** The app measured: 'bare Bolt echo', 'ours embedded'. */
  label: string;
  /** What is counted per second: 'events'. */
  unit: string;
  customers: number;
  messages: number;
  runs: number;
  /** Discarded runs before the measured ones. */
  warmupRuns: number;
  idleMessages: number;
  /** Before each run (not the idle one). */
  beforeRun(): void;
  /** One closed-loop run of `n` customers sending `messages` each; `tag` tells the runs apart: `R0`, `R1`, … then `I` for the idle customer. */
  load(n: number, messages: number, tag: string): Promise<Load>;
}

/** `warmupRuns` discarded and `runs` measured closed-loop runs, then one idle customer; prints and returns the medians. */
export async function measure(o: MeasureOptions): Promise<Figures> {
  const rates: number[] = [];
  const p50s: number[] = [];
  const p99s: number[] = [];
  for (let run = -o.warmupRuns; run < o.runs; run++) {
    o.beforeRun();
    const load = await o.load(o.customers, o.messages, `R${run + o.warmupRuns}`);
    if (run < 0) continue;
    rates.push(load.count / load.seconds);
    p50s.push(percentile(load.latencies, 50));
    p99s.push(percentile(load.latencies, 99));
  }
  const idle = await o.load(1, o.idleMessages, 'I');
  const f: Figures = { rate: medianHigh(rates), p50: medianHigh(p50s), p99: medianHigh(p99s), idle: medianHigh(idle.latencies) };
  console.log(
    `${o.bench} ${o.label} ${o.customers} customers × ${o.messages}: ${f.rate.toFixed(0)} ${o.unit}/s ${list(rates, 0)}, p50 ${f.p50.toFixed(1)} ms ${list(p50s, 1)}, p99 ${f.p99.toFixed(1)} ms ${list(p99s, 1)}`,
  );
  console.log(`${o.bench} ${o.label} idle (1 customer, ${o.idleMessages} sequential messages): median ${f.idle.toFixed(2)} ms`);
  return f;
}

/** Ours against the bare echo, with the targets: throughput ≥ 0.8× the echo's, p99 ≤ 1.2× the echo's. */
export function printRatios(bench: string, label: string, unit: string, f: Figures, echo: Figures): void {
  const rate = f.rate / echo.rate;
  const p99 = f.p99 / echo.p99;
  console.log(
    `${bench} ${label} / bare echo: ${unit}/s ${rate.toFixed(2)}× (target ≥ 0.8: ${rate >= 0.8 ? 'met' : 'missed'}), p99 ${p99.toFixed(2)}× (target ≤ 1.2: ${p99 <= 1.2 ? 'met' : 'missed'}), idle ${(f.idle / echo.idle).toFixed(2)}×`,
  );
}

// ---- PostgreSQL ---------------------------------------------------------------------------------

/** Whether a PostgreSQL server answers at `url` within 2 s. */
export async function pgReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` with a schema name of its own (`${prefix}_${pid}_${ms}`), then drops that schema, whatever happened. */
export async function withFreshSchema<T>(url: string, prefix: string, fn: (schema: string) => Promise<T>): Promise<T> {
  const schema = `${prefix}_${process.pid}_${Date.now()}`;
  try {
    return await fn(schema);
  } finally {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

/**
 * With DATABASE_URL set: runs `fn` on a store in a fresh schema of that database, then closes the store and drops
 * the schema; prints `${label}: skipped` when the server does not answer. Without DATABASE_URL: nothing.
 */
export async function onFreshPostgres(label: string, prefix: string, fn: (store: SqlStore) => Promise<void>): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) return;
  if (!(await pgReachable(url))) {
    console.log(`${label}: skipped (${url} not reachable)`);
    return;
  }
  await withFreshSchema(url, prefix, async (schema) => {
    const store = await openStore({ databaseUrl: url, schema });
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  });
}
