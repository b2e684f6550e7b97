/**
 * `npm run seed:analytics -- --conversations 100000 [--days 90] [--seed 42] [--database-url URL | --data-dir DIR]`
 *
 * Fills a store with generated traffic (src/analytics/seed.ts) for demos and the dashboard
 * benchmark. The store is the server's: DATABASE_URL, else DATA_DIR (default ./data); the flags
 * override both. Conversations are generated in worker threads, each a fixed slice of batches
 * (so the data depends only on the seed, the window and the count), and written from this thread
 * in order, one transaction per batch with one multi-row statement per table.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { conversationId, generateConversations, type SeededConversation } from '../analytics/seed.ts';
import { openStore } from '../store/open.ts';
import { describeTarget } from './migrate.ts';
import { ts, type Sql, type SqlStore } from '../store/sql-store.ts';

// ---- the bulk insert -----------------------------------------------------------------------------

/** One batch, encoded for `jsonb_to_recordset`: one JSON document (one parameter) per table. */
interface SeedBatch {
  conversations: string;
  messages: string;
  events: string;
  counts: { conversations: number; messages: number; events: number };
}

/**
 * Rows are numbered in the order of the JSON array: a lone function scan returns them in that order,
 * so no ORDER BY (sorting a batch of wide rows cost a third of the insert). Transcript lines and
 * events of a conversation thus get increasing `seq`, as the dashboard's "last step" expects.
 */


const INSERT_CONVERSATIONS = `INSERT INTO conversations (id, channel, channel_key, state, version, created_at, updated_at, abandoned_at)
  SELECT x.id, x.ch, x.k, x.s, x.v, ${ts('x.c')}, ${ts('x.u')}, ${ts('x.ab')}
  FROM jsonb_to_recordset($1::text::jsonb) AS x(id text, ch text, k text, s jsonb, v int, c float8, u float8, ab float8)`;

const INSERT_MESSAGES = `INSERT INTO messages (conversation_id, direction, body, at)
  SELECT x.c, x.d, COALESCE(x.b, 'null'::jsonb), ${ts('x.a')}
  FROM jsonb_to_recordset($1::text::jsonb) AS x(c text, d text, b jsonb, a float8)`;

const INSERT_EVENTS = `INSERT INTO events (conversation_id, name, flow, step, data, at, channel, locale, country)
  SELECT x.c, x.n, x.f, x.s, x.d, ${ts('x.a')}, x.ch, x.lo, x.co
  FROM jsonb_to_recordset($1::text::jsonb) AS x(c text, n text, f text, s text, d jsonb, a float8, ch text, lo text, co text)`;

/** Rows → the three JSON documents (done where the rows are made: a worker, so the writer only writes). */
function encodeBatch(rows: readonly SeededConversation[]): SeedBatch {
  const conversations: unknown[] = [];
  const messages: unknown[] = [];
  const events: unknown[] = [];
  for (const { conversation: c, messages: ms, events: es } of rows) {
    conversations.push({ id: c.id, ch: c.channel, k: c.channelKey ?? null, s: c.state, v: c.version, c: c.createdAt, u: c.updatedAt, ab: c.abandonedAt ?? null });
    for (const m of ms) messages.push({ c: c.id, d: m.direction, b: m.body ?? null, a: m.at });
    for (const e of es) {
      events.push({ c: c.id, n: e.name, f: e.flow ?? null, s: e.step ?? null, d: e.data ?? null, a: e.at, ch: e.channel, lo: e.locale, co: e.country ?? null });
    }
  }
  return {
    conversations: JSON.stringify(conversations),
    messages: JSON.stringify(messages),
    events: JSON.stringify(events),
    counts: { conversations: conversations.length, messages: messages.length, events: events.length },
  };
}

/** Writes one batch in one transaction: conversations, then transcript lines, then events. */
async function insertBatch(sql: Sql, batch: SeedBatch): Promise<void> {
  await sql.transaction(async (tx) => {
    if (batch.counts.conversations > 0) await tx.query(INSERT_CONVERSATIONS, [batch.conversations]);
    if (batch.counts.messages > 0) await tx.query(INSERT_MESSAGES, [batch.messages]);
    if (batch.counts.events > 0) await tx.query(INSERT_EVENTS, [batch.events]);
  });
}

/** Generated rows straight into a store (tests, small seeds). */
export const insertSeeded = (sql: Sql, rows: readonly SeededConversation[]): Promise<void> => insertBatch(sql, encodeBatch(rows));

// ---- generation in worker threads ----------------------------------------------------------------

interface Plan {
  seed: number;
  days: number;
  now: number;
  /** Conversations in all. */
  count: number;
  /** Conversations per batch. */
  batch: number;
}

interface WorkerInput extends Plan {
  role: 'llavero-seed-analytics';
  /** This worker makes batches `index`, `index + workers`, … */
  index: number;
  workers: number;
}

type FromWorker = { type: 'batch'; k: number; batch: SeedBatch } | { type: 'done' } | { type: 'error'; message: string };
type ToWorker = { type: 'credit' };

const batchesOf = (p: Plan): number => Math.ceil(p.count / p.batch);

async function makeBatch(p: Plan, k: number): Promise<SeedBatch> {
  const start = k * p.batch;
  const rows: SeededConversation[] = [];
  for await (const c of generateConversations({ seed: p.seed, now: p.now, days: p.days, start, count: Math.min(p.batch, p.count - start), total: p.count })) rows.push(c);
  return encodeBatch(rows);
}

/** In a worker: make this worker's batches, at most `AHEAD` beyond what the writer has taken. */
const AHEAD = 2;
async function runWorker(input: WorkerInput): Promise<void> {
  const port = parentPort;
  if (!port) return;
  let credits = AHEAD;
  let wake: (() => void) | undefined;
  port.on('message', (m: ToWorker) => {
    if (m.type !== 'credit') return;
    credits++;
    wake?.();
  });
  try {
    for (let k = input.index; k < batchesOf(input); k += input.workers) {
      while (credits <= 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      credits--;
      const batch = await makeBatch(input, k);
      port.postMessage({ type: 'batch', k, batch } satisfies FromWorker);
    }
    port.postMessage({ type: 'done' } satisfies FromWorker);
  } catch (err) {
    port.postMessage({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies FromWorker);
  } finally {
    port.removeAllListeners('message');
  }
}

/**
 * A worker's first lines: TypeScript through tsx (workers do not inherit `--import tsx`; the same
 * bootstrap as src/certs/worker.mjs, inline), then this module, which sees `workerData` and runs its slice.
 */
const WORKER_BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;

/** Batches in order 0, 1, 2, …, from `workers` threads (0: made here, one after another). */
async function* batches(p: Plan, workers: number): AsyncGenerator<SeedBatch> {
  const total = batchesOf(p);
  if (workers <= 0) {
    for (let k = 0; k < total; k++) yield await makeBatch(p, k);
    return;
  }
  const ready = new Map<number, SeedBatch>();
  let failure: Error | undefined;
  let notify: (() => void) | undefined;
  const threads = Array.from({ length: Math.min(workers, total) }, (_, index) => {
    const w = new Worker(WORKER_BOOT, {
      eval: true,
      workerData: { ...p, role: 'llavero-seed-analytics', index, workers: Math.min(workers, total) } satisfies WorkerInput,
    });
    w.on('message', (m: FromWorker) => {
      if (m.type === 'batch') ready.set(m.k, m.batch);
      if (m.type === 'error') failure ??= new Error(`seed worker ${index}: ${m.message}`);
      notify?.();
    });
    w.on('error', (err) => {
      failure ??= err;
      notify?.();
    });
    w.on('exit', (code) => {
      if (code !== 0) failure ??= new Error(`seed worker ${index} exited with ${code}`);
      notify?.();
    });
    return w;
  });
  try {
    for (let k = 0; k < total; k++) {
      for (;;) {
        if (failure) throw failure;
        const b = ready.get(k);
        if (b) {
          ready.delete(k);
          threads[k % threads.length]?.postMessage({ type: 'credit' } satisfies ToWorker);
          yield b;
          break;
        }
        await new Promise<void>((resolve) => (notify = resolve));
        notify = undefined;
      }
    }
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}

// ---- the command ---------------------------------------------------------------------------------

export interface SeedIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

const USAGE = `usage: npm run seed:analytics -- --conversations N [options]
  Fills the store with generated conversations, transcripts and analytics events (demos, the dashboard benchmark).
  --conversations N    how many (default 100000)
  --days D             spread over the D days before now (default 90)
  --seed S             the same seed, window and count give the same data (default 42)
  --now ISO-8601       the end of the window (default: now)
  --database-url URL   PostgreSQL (default: DATABASE_URL)
  --data-dir DIR       the embedded store's directory (default: DATA_DIR, else ./data)
  --append             add to a store that already has conversations (use another --seed)
  --workers N          generator threads (default: the machine's cores less one; 0: none)
  --batch N            conversations per transaction (default 1000)
`;

const count = (n: number): string => n.toLocaleString('en-US');

export async function seedAnalyticsCommand(args: string[], io: SeedIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      options: {
        conversations: { type: 'string' },
        days: { type: 'string' },
        seed: { type: 'string' },
        now: { type: 'string' },
        'database-url': { type: 'string' },
        'data-dir': { type: 'string' },
        append: { type: 'boolean', default: false },
        workers: { type: 'string' },
        batch: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    io.stderr.write(`seed:analytics: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const int = (name: string, fallback: number, min: number, max: number): number | string => {
    const v = values[name];
    if (v === undefined) return fallback;
    const n = Number(v);
    return Number.isInteger(n) && n >= min && n <= max ? n : `--${name}: expected a whole number from ${min} to ${max}`;
  };
  const conversations = int('conversations', 100_000, 1, 50_000_000);
  const days = int('days', 90, 1, 3650);
  const seed = int('seed', 42, -2_147_483_648, 2_147_483_647);
  // The writer needs a core of its own (PGlite runs in this thread): the others generate.
  const workers = int('workers', Math.max(1, Math.min(8, availableParallelism() - 1)), 0, 64);
  const batch = int('batch', 1000, 1, 100_000);
  const now = values.now === undefined ? Date.now() : Date.parse(String(values.now));
  const problems = [conversations, days, seed, workers, batch].filter((x): x is string => typeof x === 'string');
  if (Number.isNaN(now)) problems.push('--now: expected an ISO-8601 date and time');
  const databaseUrl = (values['database-url'] as string | undefined) ?? (values['data-dir'] === undefined ? env.DATABASE_URL || undefined : undefined);
  if (databaseUrl && !/^postgres(ql)?:\/\/.+/.test(databaseUrl)) problems.push('database URL: expected postgres://user@host:port/database');
  if (values['database-url'] !== undefined && values['data-dir'] !== undefined) problems.push('--database-url and --data-dir: give one');
  if (problems.length > 0) {
    io.stderr.write(`seed:analytics: ${problems.join('; ')}\n`);
    return 2;
  }
  const plan: Plan = { seed: seed as number, days: days as number, now, count: conversations as number, batch: batch as number };
  const dataDir = (values['data-dir'] as string | undefined) ?? (env.DATA_DIR || './data');
  const target = describeTarget(databaseUrl, dataDir);

  let store: SqlStore;
  try {
    store = await openStore(databaseUrl ? { databaseUrl } : { dataDir });
  } catch (err) {
    io.stderr.write(`seed:analytics: cannot open ${target}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  try {
    await store.migrate();
    const [existing] = await store.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM conversations');
    const already = Number(existing?.n ?? 0);
    if (already > 0 && !values.append) {
      io.stderr.write(`seed:analytics: ${target} already has ${count(already)} conversations; add --append to add more (with another --seed)\n`);
      return 1;
    }
    const clash = await store.sql.query('SELECT 1 AS x FROM conversations WHERE id = $1', [conversationId(plan.seed, 0)]);
    if (clash.length > 0) {
      io.stderr.write(`seed:analytics: ${target} already has seed ${plan.seed}'s conversations; pick another --seed\n`);
      return 1;
    }
    io.stdout.write(
      `seed:analytics: ${count(plan.count)} conversations over ${plan.days} days to ${new Date(plan.now).toISOString()}, seed ${plan.seed}, into ${target} (${workers as number} worker${workers === 1 ? '' : 's'})\n`,
    );
    const started = performance.now();
    const totals = { conversations: 0, messages: 0, events: 0 };
    let lastReport = started;
    /** Time spent writing; the rest is waiting for the generators. */
    let writing = 0;
    for await (const b of batches(plan, workers as number)) {
      const w0 = performance.now();
      await insertBatch(store.sql, b);
      writing += performance.now() - w0;
      totals.conversations += b.counts.conversations;
      totals.messages += b.counts.messages;
      totals.events += b.counts.events;
      const t = performance.now();
      if (t - lastReport >= 5_000 || totals.conversations === plan.count) {
        lastReport = t;
        const s = (t - started) / 1000;
        io.stdout.write(
          `  ${count(totals.conversations)}/${count(plan.count)} conversations, ${count(totals.events)} events, ${count(totals.messages)} messages, ${s.toFixed(1)} s (${count(Math.round(totals.conversations / s))}/s)\n`,
        );
      }
    }
    const seconds = (performance.now() - started) / 1000;
    io.stdout.write(
      `seed:analytics: done: ${count(totals.conversations)} conversations, ${count(totals.events)} events, ${count(totals.messages)} messages in ${seconds.toFixed(1)} s (writing ${(writing / 1000).toFixed(1)} s, waiting for generators ${(seconds - writing / 1000).toFixed(1)} s)\n`,
    );
    return 0;
  } catch (err) {
    io.stderr.write(`seed:analytics: ${target}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await store.close();
  }
}

// A worker thread runs its slice; the main thread runs the command when started as a script.
const input = workerData as Partial<WorkerInput> | null;
if (!isMainThread && input?.role === 'llavero-seed-analytics') {
  await runWorker(input as WorkerInput);
} else if (isMainThread && process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await seedAnalyticsCommand(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
}
