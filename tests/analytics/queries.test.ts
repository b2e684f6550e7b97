// The dashboard's figures on a small, hand-built history whose answers are known exactly: funnel counts, drop-off,
// medians and p90s, rates, filters, and days counted in the manager's time zone. Same on both stores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalytics, type Analytics, type Filters } from '../../src/analytics/queries.ts';
import type { AnalyticsEvent } from '../../src/conversation/events.ts';
import type { FlowId } from '../../src/flows/step.ts';
import type { Channel } from '../../src/store/port.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { DATABASE_URL, newConversation, pgliteMemoryBackend, postgresBackend, stateAt, type Backend } from '../store/support.ts';

const F = 'atv.generate-key' satisfies FlowId;
const S = 1_000;
const T0 = Date.UTC(2026, 10, 5, 15, 0, 0); // 5 Nov 2026, 12:00 in Santiago (UTC-3)

interface Journey {
  id: string;
  channel?: Channel;
  locale?: 'es' | 'en';
  country?: 'CL' | 'CR';
  start: number;
  events: Array<Omit<AnalyticsEvent, 'at'> & { t: number }>;
  transcript?: boolean;
}

/** step.entered for `step` at t, step.left for the previous one with the time spent. */
function walk(flow: FlowId, steps: Array<[step: string, seconds: number]>, from = 0): Journey['events'] {
  const out: Journey['events'] = [{ name: 'flow.entered', flow, t: from }];
  let t = from;
  steps.forEach(([step, seconds], i) => {
    out.push({ name: 'step.entered', flow, step, t });
    if (i < steps.length - 1) {
      t += seconds * S;
      out.push({ name: 'step.left', flow, step, t, data: { ms: seconds * S } });
    }
  });
  return out;
}
const lastT = (e: Journey['events']) => Math.max(...e.map((x) => x.t));
const completed = (e: Journey['events'], after: number): Journey['events'] => [...e, { name: 'flow.completed', flow: F, t: lastT(e) + after * S, data: { result: 'completed' } }];

const JOURNEYS: Journey[] = [
  { id: 'c1', start: T0, events: completed(walk(F, [['portal', 60], ['login', 120], ['menu', 30], ['pin', 0]]), 50) },
  { id: 'c2', start: T0 + 3_600_000, events: [...walk(F, [['portal', 10], ['login', 0]]), { name: 'flow.abandoned', flow: F, step: 'login', t: 40 * 60 * S, data: { idleMs: 30 * 60 * S } }] },
  {
    id: 'c3',
    start: T0 + 7_200_000,
    events: [
      ...walk(F, [['portal', 20], ['login', 300], ['menu', 0]]),
      { name: 'handoff.requested', flow: F, step: 'menu', t: 400 * S, data: { reason: 'asked' } },
      { name: 'handoff.claimed', flow: F, step: 'menu', t: 580 * S, data: { reason: 'asked', waitMs: 180 * S } },
    ],
  },
  // 10 Nov 02:30 UTC is still 9 Nov in Santiago.
  { id: 'c4', start: Date.UTC(2026, 10, 10, 2, 30), events: walk(F, [['portal', 0]]), transcript: true },
  { id: 'c5', channel: 'slack', locale: 'en', start: T0 + 86_400_000, events: completed(walk(F, [['portal', 40], ['login', 60], ['menu', 90], ['pin', 0]]), 10) },
  {
    id: 'c6',
    start: T0 + 2 * 86_400_000,
    events: [
      { name: 'handoff.requested', flow: 'triage', step: 'menu', t: 5 * S, data: { reason: 'asked' } },
      { name: 'handoff.claimed', flow: 'triage', step: 'menu', t: 65 * S, data: { reason: 'asked', waitMs: 60 * S } },
      { name: 'handoff.closed', flow: 'triage', t: 300 * S, data: { tag: 'solved', reason: 'asked', ms: 295 * S } },
      { name: 'csat.rated', flow: 'wrap-up', t: 320 * S, data: { rating: 5, solved: true } },
    ],
  },
  {
    id: 'c7',
    start: T0 + 3 * 86_400_000,
    events: [
      ...walk(F, [['portal', 30], ['login', 0]]),
      { name: 'verification.result', flow: 'verify-certificate', step: 'pin', t: 100 * S, data: { verdict: 'fail', failed: ['secret.correct'] } },
      { name: 'flow.abandoned', flow: 'verify-certificate', step: 'pin', t: 2_000 * S, data: { idleMs: 1_800 * S, within: F } },
    ],
  },
  {
    id: 'c8',
    start: T0 + 4 * 86_400_000,
    events: [
      { name: 'verification.result', flow: 'verify-certificate', step: 'pin', t: 10 * S, data: { verdict: 'fail', failed: ['secret.correct'] } },
      { name: 'verification.result', flow: 'verify-certificate', step: 'pin', t: 20 * S, data: { verdict: 'fail', failed: ['certificate.expired', 'secret.correct'] } },
      { name: 'verification.result', flow: 'verify-certificate', step: 'pin', t: 30 * S, data: { verdict: 'ok', failed: [] } },
      { name: 'csat.rated', flow: 'wrap-up', t: 40 * S, data: { rating: 4, solved: true } },
      { name: 'csat.rated', flow: 'wrap-up', t: 50 * S, data: { rating: 4, solved: true } },
      { name: 'csat.rated', flow: 'wrap-up', t: 60 * S, data: { rating: 1, solved: false } },
    ],
  },
];

async function load(store: SqlStore, prefix: string): Promise<void> {
  for (const j of JOURNEYS) {
    const base = newConversation({ at: j.start });
    const country = j.id === 'c6' || j.id === 'c8' ? undefined : (j.country ?? 'CR');
    await store.createConversation({
      ...base,
      id: `${prefix}-${j.id}`,
      channel: j.channel ?? 'webchat',
      state: { ...stateAt(j.start), locale: j.locale ?? 'es', ...(country ? { country } : {}) },
      messages: j.transcript ? base.messages : [],
      events: [{ name: 'conversation.started', at: j.start }, ...j.events.map(({ t, ...e }) => ({ ...e, at: j.start + t }) as AnalyticsEvent)],
    });
  }
}

const NOV: Filters = { from: '2026-11-01', to: '2026-11-30', tz: 'America/Santiago' };

function suite(backend: () => Backend, skip = false): void {
  const b = skip ? undefined : backend();
  describe.skipIf(skip)(`dashboard figures on ${b?.name ?? 'PostgreSQL'}`, () => {
    let store: SqlStore;
    let a: Analytics;
    beforeAll(async () => {
      store = await (b as Backend).open();
      await store.migrate();
      await load(store, `q${Date.now()}`);
      a = createAnalytics(store.sql);
    });
    afterAll(async () => {
      await store?.close();
      await b?.cleanup();
    });

    it('counts the procedure: entered, completed, handed off and abandoned (in a sub-flow too), with the time to complete', async () => {
      const v = await a.procedure(F, NOV);
      expect(v).toMatchObject({ flow: F, entered: 6, completed: 2, handoffs: 1, abandoned: 2 });
      expect(v.completionRate).toBeCloseTo(2 / 6);
      expect(v.handoffRate).toBeCloseTo(1 / 6);
      expect(v.abandonmentRate).toBeCloseTo(2 / 6);
      // c1: 60+120+30 s on steps, then 50 s → 260 s; c5: 40+60+90+10 → 200 s.
      expect(v.medianMs).toBe(230 * S);
      expect(v.p90Ms).toBeCloseTo(254 * S);
    });

    it('builds the funnel: reached, stopped and drop-off per step, with median and p90 time on each', async () => {
      const v = await a.procedure(F, NOV);
      const step = (id: string) => v.steps.find((s) => s.step === id);
      expect(step('portal')).toMatchObject({ reached: 6, stopped: 1 });
      expect(step('portal')?.dropOffRate).toBeCloseTo(1 / 6);
      // Left after 60, 10, 20, 40, 30 s (c4 never left): median 30, p90 40 + 0.6 × 20 = 52.
      expect(step('portal')?.medianMs).toBe(30 * S);
      expect(step('portal')?.p90Ms).toBeCloseTo(52 * S);
      expect(step('login')).toMatchObject({ reached: 5, stopped: 2, dropOffRate: 0.4 });
      expect(step('menu')).toMatchObject({ reached: 3, stopped: 1 });
      expect(step('pin')).toMatchObject({ reached: 2, stopped: 0, dropOffRate: 0, medianMs: null });
    });

    it('lists who stopped at a step, with why', async () => {
      const login = await a.stoppedAt(F, 'login', NOV);
      expect(login.map((c) => [c.id.split('-').at(-1), c.outcome]).sort()).toEqual([
        ['c2', 'abandoned'],
        ['c7', 'abandoned'],
      ]);
      const menu = await a.stoppedAt(F, 'menu', NOV);
      expect(menu.map((c) => [c.id.split('-').at(-1), c.outcome, c.transcript])).toEqual([['c3', 'handoff', false]]);
      const portal = await a.stoppedAt(F, 'portal', NOV);
      expect(portal).toHaveLength(1);
      expect(portal[0]).toMatchObject({ outcome: 'open', transcript: true, channel: 'webchat', locale: 'es', country: 'CR' });
    });

    it('gives the overview: totals, CSAT, certificate checks and handoff waits', async () => {
      const o = await a.overview(NOV);
      expect(o.totals).toMatchObject({ conversations: 8, entered: 6, completed: 2, handoffs: 1, abandoned: 2 });
      expect(o.procedures.find((p) => p.flow === 'atv.revoke-key')).toMatchObject({ entered: 0, completionRate: null });
      expect(o.csat.count).toBe(4);
      expect(o.csat.average).toBeCloseTo(3.5);
      expect(o.csat.distribution).toEqual([
        { rating: 1, count: 1 },
        { rating: 2, count: 0 },
        { rating: 3, count: 0 },
        { rating: 4, count: 2 },
        { rating: 5, count: 1 },
      ]);
      expect(o.checks.total).toBe(4);
      expect(o.checks.verdicts).toEqual([
        { verdict: 'fail', count: 3 },
        { verdict: 'ok', count: 1 },
      ]);
      expect(o.checks.failing).toEqual([
        { check: 'secret.correct', count: 3 },
        { check: 'certificate.expired', count: 1 },
      ]);
      // Waits 180 s and 60 s: median 120, p90 60 + 0.9 × 120 = 168.
      expect(o.handoff).toMatchObject({ requested: 2, claimed: 2, medianWaitMs: 120 * S, closed: [{ tag: 'solved', count: 1 }] });
      expect(o.handoff.p90WaitMs).toBeCloseTo(168 * S);
    });

    it('filters by channel, language and country', async () => {
      const slack = await a.procedure(F, { ...NOV, channel: 'slack' });
      expect(slack).toMatchObject({ entered: 1, completed: 1, completionRate: 1 });
      expect((await a.procedure(F, { ...NOV, locale: 'en' })).entered).toBe(1);
      expect((await a.procedure(F, { ...NOV, country: 'CL' })).entered).toBe(0);
      const cr = await a.overview({ ...NOV, country: 'CR' });
      // With a country, conversations count from the first procedure they entered there.
      expect(cr.totals.conversations).toBe(6);
      expect(cr.csat.count).toBe(0);
    });

    it('counts days in the manager\'s time zone, at the day boundary too', async () => {
      const santiago = await a.procedure(F, { from: '2026-11-09', to: '2026-11-09', tz: 'America/Santiago' });
      expect(santiago.entered).toBe(1);
      expect(santiago.series).toEqual([{ day: '2026-11-09', conversations: 1, entered: 1, completed: 0, handoffs: 0, abandoned: 0 }]);
      const utc = await a.procedure(F, { from: '2026-11-09', to: '2026-11-09', tz: 'UTC' });
      expect(utc.entered).toBe(0);
      const utcNext = await a.overview({ from: '2026-11-10', to: '2026-11-10', tz: 'UTC' });
      expect(utcNext.series).toEqual([{ day: '2026-11-10', conversations: 1, entered: 1, completed: 0, handoffs: 0, abandoned: 0 }]);
      // A month's series has every day, empty ones included, and adds up.
      const month = await a.overview(NOV);
      expect(month.series).toHaveLength(30);
      expect(month.series.reduce((n, d) => n + d.entered, 0)).toBe(6);
      expect(month.series.reduce((n, d) => n + d.completed, 0)).toBe(2);
      expect(month.series.find((d) => d.day === '2026-11-05')).toMatchObject({ conversations: 3, entered: 3, completed: 1, handoffs: 1, abandoned: 1 });
    });

    it('leaves out what happened outside the dates', async () => {
      const october = await a.overview({ from: '2026-10-01', to: '2026-10-31', tz: 'America/Santiago' });
      expect(october.totals).toMatchObject({ conversations: 0, entered: 0, completionRate: null });
      expect(october.csat.average).toBeNull();
    });
  });
}

if (!DATABASE_URL) console.warn('\n*** SKIPPED: dashboard figures on PostgreSQL — set DATABASE_URL ***\n');
suite(pgliteMemoryBackend);
suite(() => postgresBackend(DATABASE_URL as string), !DATABASE_URL);
