/** Store benchmark: raw pooled 2 KB upserts against group-committed turns, on PGlite and PostgreSQL. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConversationState } from '../src/conversation/state.ts';
import { openStore } from '../src/store/open.ts';
import type { Sql, SqlStore } from '../src/store/sql-store.ts';
import { medianHigh, pgReachable, withFreshSchema } from './support.ts';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';
const RUNS = 3;
const RUN_MS = 2_000;
const RAW_WORKERS = 50;
const CONVERSATIONS = 1_000;

/** A plausible conversation state of about 2 KB (JSON), mostly a "back" trail. */
function stateOf(n: number, at: number): ConversationState {
  const step = (i: number) => ({ id: 'atv.revoke-key' as const, version: 3, value: { login: `step-${i}` }, context: { country: 'CR', attempt: i, n } });
  return {
    schema: 1,
    locale: 'es',
    country: 'CR',
    status: 'active',
    flow: step(0),
    stack: [],
    trail: Array.from({ length: 13 }, (_, i) => ({ ...step(i + 1), stack: [] })),
    secretFailures: [],
    failures: { 'atv.revoke-key/login': 1 },
    stepSince: at,
    startedAt: at,
    updatedAt: at,
  };
}

/** `workers` loops calling `op` until the deadline; returns completed operations per second. */
async function rate(workers: number, op: (worker: number, i: number) => Promise<boolean>): Promise<number> {
  let done = 0;
  const start = performance.now();
  const deadline = start + RUN_MS;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) if (await op(w, i)) done++;
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

async function rawUpserts(sql: Sql): Promise<number> {
  await sql.query('CREATE TABLE IF NOT EXISTS bench_raw (id text PRIMARY KEY, state jsonb NOT NULL, updated_at timestamptz NOT NULL)');
  const body = JSON.stringify(stateOf(0, Date.now()));
  return rate(RAW_WORKERS, async (w, i) => {
    await sql.query(
      `INSERT INTO bench_raw (id, state, updated_at) VALUES ($1, $2::text::jsonb, now())
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
      [`r${w}-${i % 20}`, body],
    );
    return true;
  });
}

async function turns(store: SqlStore, run: number): Promise<number> {
  const at = Date.now();
  const ids = Array.from({ length: CONVERSATIONS }, (_, n) => `bench-${run}-${n}`);
  const versions = new Map<string, number>();
  for (const id of ids) {
    const r = await store.createConversation({ id, channel: 'webchat', state: stateOf(0, at), at, messages: [], events: [] });
    if (!r.ok) throw new Error(`create ${id}: ${r.code}`);
    versions.set(id, r.version);
  }
  return rate(CONVERSATIONS, async (w, i) => {
    const id = ids[w] as string;
    const now = Date.now();
    const r = await store.commitTurn({
      conversationId: id,
      expectedVersion: versions.get(id) ?? 1,
      state: stateOf(i, now),
      messages: [
        { direction: 'in', body: { type: 'text', text: `message ${i}`, display: `message ${i}` }, at: now },
        { direction: 'out', body: { key: 'atv:revoke.menu.prompt', params: {}, choices: ['a', 'b', 'c'] }, at: now },
      ],
      events: [
        { name: 'step.left', at: now, flow: 'atv.revoke-key', step: 'login', data: { ms: 1200 } },
        { name: 'step.entered', at: now, flow: 'atv.revoke-key', step: 'menu' },
      ],
      inbox: { channel: 'webchat', messageId: `${id}-${i}` },
    });
    if (!r.ok) throw new Error(`commit ${id}: ${r.code}`);
    versions.set(id, r.version);
    return true;
  });
}

/** A lone commit's latency with nothing to batch with: group commit must not add a wait. */
async function loneCommit(store: SqlStore): Promise<number> {
  const at = Date.now();
  const id = `bench-lone-${at}`;
  const created = await store.createConversation({ id, channel: 'webchat', state: stateOf(0, at), at, messages: [], events: [] });
  if (!created.ok) throw new Error(`create ${id}: ${created.code}`);
  let version = created.version;
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    const r = await store.commitTurn({ conversationId: id, expectedVersion: version, state: stateOf(i, at), messages: [], events: [] });
    times.push(performance.now() - start);
    if (!r.ok) throw new Error(`commit ${id}: ${r.code}`);
    version = r.version;
  }
  return medianHigh(times);
}

async function benchOne(label: string, open: () => Promise<SqlStore>): Promise<void> {
  const store = await open();
  try {
    await store.migrate();
    const raw: number[] = [];
    const turn: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      raw.push(await rawUpserts(store.sql));
      turn.push(await turns(store, run));
    }
    const lone = await loneCommit(store);
    const r = medianHigh(raw);
    const t = medianHigh(turn);
    console.log(`store ${label}: raw 2 KB upsert (${RAW_WORKERS} concurrent): ${r.toFixed(0)}/s [${raw.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`store ${label}: commitTurn (${CONVERSATIONS} conversations, 2 msgs + 2 events + inbox): ${t.toFixed(0)} turns/s [${turn.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`store ${label}: lone commitTurn latency (median of 50): ${lone.toFixed(2)} ms`);
    console.log(`store ${label}: turns / raw upserts = ${(t / r).toFixed(2)}`);
  } finally {
    await store.close();
  }
}

export async function benchStore(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'llavero-bench-store-'));
  try {
    await benchOne('pglite', () => openStore({ dataDir: dir }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const url = process.env.DATABASE_URL || DEFAULT_URL;
  if (!(await pgReachable(url))) {
    console.log(`store postgres: skipped (${url} not reachable; set DATABASE_URL)`);
    return;
  }
  await withFreshSchema(url, 'bench_store', (schema) => benchOne('postgres', () => openStore({ databaseUrl: url, schema, poolSize: RAW_WORKERS })));
}

if (import.meta.url === `file://${process.argv[1]}`) await benchStore();
