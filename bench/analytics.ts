// Dashboard queries over generated traffic: the time of each view on the embedded store and on PostgreSQL.
// A generated conversation writes about 56 events (a step writes entered, left and the choice), so the default
// 100,000 conversations are about 5.6 million events; BENCH_CONVERSATIONS=18000 is about 1,000,000.
// The data is seeded once (npm run seed:analytics) and kept for later runs; BENCH_STORES picks the stores.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAnalytics, PROCEDURES, type Analytics, type Filters } from '../src/analytics/queries.ts';
import { openStore } from '../src/store/open.ts';
import type { SqlStore } from '../src/store/sql-store.ts';
import { median, pgReachable } from './support.ts';

const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 100_000);
const RUNS = 5;

function seed(target: string[]): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/seed-analytics.ts', '--conversations', String(CONVERSATIONS), ...target], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`seeding failed (${r.status})`);
}

async function counts(store: SqlStore): Promise<{ conversations: number; events: number }> {
  const [c] = await store.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM conversations');
  const [e] = await store.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  return { conversations: Number(c?.n ?? 0), events: Number(e?.n ?? 0) };
}

async function time(label: string, fn: () => Promise<unknown>): Promise<{ label: string; ms: number[] }> {
  await fn(); // warm: plans and caches, as a dashboard in use has them
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return { label, ms };
}

async function views(store: SqlStore, where: string): Promise<void> {
  const a: Analytics = createAnalytics(store.sql);
  const { conversations, events } = await counts(store);
  const [span] = await store.sql.query<{ last: string }>(`SELECT to_char(max(at) AT TIME ZONE 'America/Santiago', 'YYYY-MM-DD') AS last FROM events`);
  const to = span?.last ?? new Date().toISOString().slice(0, 10);
  const back = (days: number) => new Date(Date.parse(`${to}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const last30: Filters = { from: back(30), to, tz: 'America/Santiago' };
  const last90: Filters = { from: back(90), to, tz: 'America/Santiago' };
  const busiest = await a.procedure('atv.generate-key', last90);
  const stopStep = [...busiest.steps].sort((x, y) => y.stopped - x.stopped)[0]?.step ?? 'portal';
  const results = [
    await time('overview, last 30 days', () => a.overview(last30)),
    await time('overview, last 90 days', () => a.overview(last90)),
    await time('overview, 90 days, Teams in English', () => a.overview({ ...last90, channel: 'teams', locale: 'en' })),
    await time('overview, 90 days, Costa Rica', () => a.overview({ ...last90, country: 'CR' })),
  ];
  // One view at a time, as a manager clicks them: timings taken concurrently would measure the queue.
  for (const p of PROCEDURES) results.push(await time(`procedure ${p}, 90 days`, () => a.procedure(p, last90)));
  results.push(
    await time(`who stopped at atv.generate-key/${stopStep}, 90 days`, () => a.stoppedAt('atv.generate-key', stopStep, last90)),
  );
  console.log(`analytics on ${where}: ${conversations.toLocaleString('en')} conversations, ${events.toLocaleString('en')} events; median (max) of ${RUNS} runs after a warm-up`);
  for (const r of results) console.log(`  ${r.label.padEnd(52)} ${median(r.ms).toFixed(0).padStart(6)} ms (${Math.max(...r.ms).toFixed(0)})`);
}

export async function benchAnalytics(): Promise<void> {
  // BENCH_STORES=postgres (or embedded) times one of the two.
  const stores = (process.env.BENCH_STORES ?? 'embedded,postgres').split(',');
  const dir = process.env.BENCH_ANALYTICS_DIR ?? join(tmpdir(), `llavero-bench-analytics-${CONVERSATIONS}`);
  if (stores.includes('embedded')) {
    if (!existsSync(dir)) seed(['--data-dir', dir]);
    const embedded = await openStore({ dataDir: dir });
    try {
      const t0 = performance.now();
      await embedded.migrate();
      console.log(`migrations on the embedded store: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      await views(embedded, `the embedded store (${dir})`);
    } finally {
      await embedded.close();
    }
  }
  if (!stores.includes('postgres')) return;

  const url = process.env.DATABASE_URL;
  if (!url || !(await pgReachable(url))) {
    console.log('analytics on PostgreSQL: skipped (set DATABASE_URL)');
    return;
  }
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=bench_analytics_${CONVERSATIONS}`);
  let pg = await openStore({ databaseUrl: u.toString() });
  try {
    const t0 = performance.now();
    await pg.migrate();
    console.log(`migrations on PostgreSQL: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if ((await counts(pg)).conversations < CONVERSATIONS) {
      await pg.close();
      seed(['--database-url', u.toString(), '--append']);
      pg = await openStore({ databaseUrl: u.toString() });
    }
    await pg.sql.query('ANALYZE');
    await views(pg, 'PostgreSQL');
  } finally {
    await pg.close();
  }
}
