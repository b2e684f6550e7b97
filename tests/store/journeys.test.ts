// The dashboard's rollup (journeys, their steps, milestones) follows the events a conversation writes turn
// by turn, and a store that had events before the rollup existed gets them folded in when it migrates.
import { afterAll, describe, expect, it } from 'vitest';
import { createAnalytics } from '../../src/analytics/queries.ts';
import type { AnalyticsEvent } from '../../src/conversation/events.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { createSqlStore, type SqlStore } from '../../src/store/sql-store.ts';
import { DATABASE_URL, newConversation, pgliteMemoryBackend, postgresBackend, stateAt, type Backend } from './support.ts';

const F = 'atv.generate-key';
const S = 1_000;
const T0 = Date.UTC(2026, 10, 5, 15, 0, 0);

/** One conversation's turns: each inner list is committed on its own, as the engine writes them. */
const TURNS: Array<Array<Omit<AnalyticsEvent, 'at'> & { t: number }>> = [
  [
    { name: 'flow.entered', flow: F, t: 0 },
    { name: 'step.entered', flow: F, step: 'portal', t: 0 },
  ],
  [
    { name: 'step.left', flow: F, step: 'portal', t: 10, data: { ms: 10 * S } },
    { name: 'step.entered', flow: F, step: 'login', t: 10 },
  ],
  [
    { name: 'step.left', flow: F, step: 'login', t: 15, data: { ms: 5 * S } },
    { name: 'step.entered', flow: F, step: 'portal', t: 15 },
  ],
  [
    { name: 'step.left', flow: F, step: 'portal', t: 22, data: { ms: 7 * S } },
    { name: 'step.entered', flow: F, step: 'login', t: 22 },
    { name: 'handoff.requested', flow: F, step: 'login', t: 22, data: { reason: 'asked' } },
  ],
  // Back into the procedure after the agent: the journey keeps its first entry.
  [{ name: 'flow.entered', flow: F, t: 100 }],
  [{ name: 'flow.abandoned', flow: 'verify-certificate', step: 'pin', t: 3_000, data: { idleMs: 1_800 * S, within: F } }],
  [
    { name: 'csat.rated', flow: 'wrap-up', t: 4_000, data: { rating: 4, solved: true } },
    { name: 'flow.completed', flow: F, t: 4_000, data: { result: 'completed' } },
  ],
];

async function play(store: SqlStore, id: string): Promise<void> {
  let version = (await store.createConversation({ ...newConversation({ at: T0 }), id, state: { ...stateAt(T0), country: 'CR' } })).ok ? 1 : 0;
  expect(version).toBe(1);
  for (const events of TURNS) {
    const at = T0 + Math.max(...events.map((e) => e.t)) * S;
    const r = await store.commitTurn({
      conversationId: id,
      expectedVersion: version,
      state: { ...stateAt(at, version), country: 'CR' },
      messages: [],
      events: events.map(({ t, ...e }) => ({ ...e, at: T0 + t * S }) as AnalyticsEvent),
      channel: 'teams',
    });
    if (!r.ok) throw new Error(r.code);
    version = r.version;
  }
}

/** The rollup's rows, as plain values to compare. */
async function rollup(store: SqlStore, id: string): Promise<{ journeys: unknown[]; steps: unknown[]; milestones: unknown[] }> {
  const journeys = await store.sql.query(
    `SELECT flow, (extract(epoch from entered_at) * 1000)::float8 AS entered, (extract(epoch from completed_at) * 1000)::float8 AS completed,
       handoff, abandoned, last_step, channel, country FROM journeys WHERE conversation_id = $1 ORDER BY flow`,
    [id],
  );
  const steps = await store.sql.query(`SELECT flow, step, ms, left_count FROM journey_steps WHERE conversation_id = $1 ORDER BY flow, step`, [id]);
  const milestones = await store.sql.query(`SELECT name FROM milestones WHERE conversation_id = $1 ORDER BY seq`, [id]);
  return { journeys, steps, milestones };
}

function suite(backend: () => Backend, skip = false): void {
  const b = skip ? undefined : backend();
  describe.skipIf(skip)(`the dashboard's rollup on ${b?.name ?? 'PostgreSQL'}`, () => {
    afterAll(async () => {
      await b?.cleanup();
    });

    it('follows a conversation turn by turn: first entry, total time per step over visits, last step, outcome', async () => {
      const store = await (b as Backend).fresh();
      try {
        await store.migrate();
        await play(store, 'turns');
        expect(await rollup(store, 'turns')).toEqual({
          journeys: [{ flow: F, entered: T0, completed: T0 + 4_000 * S, handoff: true, abandoned: true, last_step: 'login', channel: 'teams', country: 'CR' }],
          steps: [
            { flow: F, step: 'login', ms: 5 * S, left_count: 1 },
            { flow: F, step: 'portal', ms: 17 * S, left_count: 2 },
          ],
          milestones: [{ name: 'conversation.started' }, { name: 'handoff.requested' }, { name: 'csat.rated' }],
        });
        const view = await createAnalytics(store.sql).procedure(F, { from: '2026-11-01', to: '2026-11-30', tz: 'America/Costa_Rica' });
        expect(view).toMatchObject({ entered: 1, completed: 1, handoffs: 1, abandoned: 1, medianMs: 4_000 * S });
        expect(view.steps.find((s) => s.step === 'portal')).toMatchObject({ reached: 1, stopped: 0, medianMs: 17 * S });
      } finally {
        await store.close();
      }
    });

    it('folds in the events a store had before the rollup when it migrates, to the same rows', async () => {
      const store = await (b as Backend).fresh();
      try {
        const schema = (store.sql as { schema?: string }).schema;
        const before = createSqlStore(store.sql, { ...(schema ? { schema } : {}), migrations: MIGRATIONS.filter((m) => m.version < 8) });
        await before.migrate();
        await play(before, 'older');
        expect(await store.sql.query(`SELECT to_regclass('journeys') AS t`)).toEqual([{ t: null }]);
        await store.migrate();
        const older = await rollup(store, 'older');
        await play(store, 'newer');
        expect(older).toEqual(await rollup(store, 'newer'));
        expect(older.journeys).toHaveLength(1);
      } finally {
        await store.close();
      }
    });
  });
}

if (!DATABASE_URL) console.warn('\n*** SKIPPED: the dashboard rollup on PostgreSQL — set DATABASE_URL ***\n');
suite(pgliteMemoryBackend);
suite(() => postgresBackend(DATABASE_URL as string), !DATABASE_URL);
