/**
 * The analytics seed: generated traffic driven through the real engine. With a fixed seed, 300
 * conversations: the same seed gives the same data (whatever slice is generated and whatever
 * transcripts are kept), every event and step is one the engine and the flows know, abandonment,
 * handoffs, completion and ratings come in plausible proportions, no PIN a customer typed is
 * stored anywhere, events carry their dimensions, and the rows land in a store as the real
 * store (and its abandonment job) would have written them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ABANDON_AFTER_MS, SEED_AGENTS, generateConversations, type SeedOptions, type SeededConversation } from '../../src/analytics/seed.ts';
import { insertSeeded, seedAnalyticsCommand } from '../../src/cli/seed-analytics.ts';
import type { AnalyticsName } from '../../src/conversation/events.ts';
import { pathOf, stepsOf } from '../../src/conversation/flow-snapshot.ts';
import { FLOWS, PROCEDURE_IDS, isFlowId } from '../../src/flows/catalog.ts';
import { openStore } from '../../src/store/open.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';

const NOW = Date.UTC(2026, 10, 23, 15, 0, 0);
const DAYS = 90;
const BASE: SeedOptions = { seed: 20261123, count: 300, now: NOW, days: DAYS };

/** Every name the engine emits, plus the abandonment job's own (a Record, so a new name fails to compile until listed). */
const KNOWN: Record<AnalyticsName | 'flow.abandoned', true> = {
  'conversation.started': true,
  'flow.entered': true,
  'flow.completed': true,
  'flow.routed': true,
  'step.entered': true,
  'step.left': true,
  'choice.taken': true,
  'routing.result': true,
  'handoff.requested': true,
  'handoff.claimed': true,
  'handoff.cancelled': true,
  'handoff.transferred': true,
  'handoff.returned': true,
  'handoff.closed': true,
  'handoff.email-left': true,
  'agent.replied': true,
  'verification.result': true,
  'csat.rated': true,
  'conversation.restarted': true,
  'conversation.ended': true,
  'language.switched': true,
  'flow.migrated': true,
  'flow.abandoned': true,
};

const PROCEDURES: readonly string[] = PROCEDURE_IDS;

async function generate(opts: SeedOptions): Promise<SeededConversation[]> {
  const out: SeededConversation[] = [];
  for await (const c of generateConversations(opts)) out.push(c);
  return out;
}

/** Every string value in a JSON-like value (keys and numbers left out). */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

const share = (n: number, of: number) => n / Math.max(1, of);
const has = (c: SeededConversation, pred: (e: SeededConversation['events'][number]) => boolean) => c.events.some(pred);

let rows: SeededConversation[];
/** The same seed again, keeping every transcript, and recording each PIN or password typed. */
let full: SeededConversation[];
const secrets = new Map<string, string[]>();

beforeAll(async () => {
  rows = await generate(BASE);
  full = await generate({
    ...BASE,
    transcriptDays: DAYS + 1,
    onSecret: (id, secret) => secrets.set(id, [...(secrets.get(id) ?? []), secret]),
  });
});

describe('generated traffic', () => {
  it('is the same for the same seed, whatever slice is generated and whatever transcripts are kept', async () => {
    expect(JSON.stringify(full.map((c) => c.events))).toBe(JSON.stringify(rows.map((c) => c.events)));
    expect(JSON.stringify(full.map((c) => c.conversation))).toBe(JSON.stringify(rows.map((c) => c.conversation)));
    // A worker's slice: indices 120…169 of the same 300.
    const slice = await generate({ ...BASE, start: 120, count: 50, total: 300 });
    expect(JSON.stringify(slice)).toBe(JSON.stringify(rows.slice(120, 170)));
    // Another seed is other traffic.
    const other = await generate({ ...BASE, seed: 7, count: 20 });
    expect(other.map((c) => c.conversation.id)).not.toEqual(rows.slice(0, 20).map((c) => c.conversation.id));
  });

  it('uses only event names the engine (and the abandonment job) write, and steps that exist in their flows', () => {
    const steps = new Map(Object.values(FLOWS).map((def) => [def.id, new Set(stepsOf(def.machine).map((s) => s.path))]));
    for (const c of rows) {
      for (const e of c.events) {
        expect(Object.hasOwn(KNOWN, e.name), e.name).toBe(true);
        if (e.flow !== undefined) expect(isFlowId(e.flow), e.flow).toBe(true);
        if (e.name === 'step.entered' || e.name === 'flow.abandoned') {
          expect(steps.get(e.flow as never)?.has(e.step ?? ''), `${e.flow}/${e.step}`).toBe(true);
        }
      }
    }
  });

  it('keeps its clock: inside the window, in order, conversations in start order', () => {
    let previousStart = 0;
    for (const c of rows) {
      expect(c.conversation.createdAt).toBeGreaterThanOrEqual(NOW - DAYS * 86_400_000);
      expect(c.conversation.createdAt).toBeGreaterThanOrEqual(previousStart);
      previousStart = c.conversation.createdAt;
      let at = c.conversation.createdAt;
      for (const e of c.events) {
        expect(e.at).toBeGreaterThanOrEqual(at);
        expect(e.at).toBeLessThanOrEqual(NOW);
        at = e.at;
      }
      expect(c.conversation.updatedAt).toBe(c.conversation.state.updatedAt);
    }
    // Thinking between answers: seconds to minutes, not milliseconds, not days.
    const ms = rows.flatMap((c) => c.events.filter((e) => e.name === 'step.left').map((e) => Number(e.data?.ms)));
    const sorted = [...ms].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    expect(median).toBeGreaterThan(15_000);
    expect(median).toBeLessThan(120_000);
  });

  it('has abandonment, handoffs, completion and ratings in plausible proportions', () => {
    const n = rows.length;
    const entered = rows.filter((c) => has(c, (e) => e.name === 'flow.entered' && PROCEDURES.includes(e.flow ?? '')));
    const abandoned = rows.filter((c) => has(c, (e) => e.name === 'flow.abandoned'));
    const abandonedInProcedure = entered.filter((c) => has(c, (e) => e.name === 'flow.abandoned' && (PROCEDURES.includes(e.flow ?? '') || PROCEDURES.includes(String(e.data?.within ?? '')))));
    const handedOff = rows.filter((c) => has(c, (e) => e.name === 'handoff.requested'));
    const completed = entered.filter((c) => has(c, (e) => e.name === 'flow.completed' && e.data?.result === 'completed' && PROCEDURES.includes(e.flow ?? '')));
    const rated = rows.filter((c) => has(c, (e) => e.name === 'csat.rated'));

    expect(share(entered.length, n)).toBeGreaterThan(0.75);
    expect(share(abandoned.length, n)).toBeGreaterThan(0.15);
    expect(share(abandoned.length, n)).toBeLessThan(0.5);
    expect(share(abandonedInProcedure.length, entered.length)).toBeGreaterThan(0.08);
    expect(share(abandonedInProcedure.length, entered.length)).toBeLessThan(0.35);
    expect(share(handedOff.length, n)).toBeGreaterThan(0.1);
    expect(share(handedOff.length, n)).toBeLessThan(0.45);
    expect(share(completed.length, entered.length)).toBeGreaterThan(0.4);
    expect(share(completed.length, entered.length)).toBeLessThan(0.85);
    expect(share(rated.length, n)).toBeGreaterThan(0.2);
    expect(share(rated.length, n)).toBeLessThan(0.75);

    // Abandonment concentrates where it is hard: more at "it didn't work" steps than at plain questions.
    const hard = /(Trouble|Missing|Rejected|Lost|Failed)$|^(login|upload|waitCode|askFile|askSecret|wrongSecret)$/;
    const where = abandoned.flatMap((c) => c.events.filter((e) => e.name === 'flow.abandoned' && PROCEDURES.concat(['verify-certificate']).includes(e.flow ?? '')).map((e) => e.step ?? ''));
    expect(share(where.filter((s) => hard.test(s)).length, where.length)).toBeGreaterThan(0.4);

    // Ratings: solved ones mostly 4–5, and better on average than unsolved ones.
    const ratings = rows.flatMap((c) => c.events.filter((e) => e.name === 'csat.rated').map((e) => ({ rating: Number(e.data?.rating), solved: e.data?.solved === true })));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const solved = ratings.filter((r) => r.solved).map((r) => r.rating);
    expect(mean(solved)).toBeGreaterThan(3.8);
    const unsolved = ratings.filter((r) => !r.solved).map((r) => r.rating);
    if (unsolved.length > 0) expect(mean(unsolved)).toBeLessThan(mean(solved));
  });

  it('hands off through the real staff actions: claims after a wait, replies, closes with a tag, some back to the bot', () => {
    const events = rows.flatMap((c) => c.events);
    const claimed = events.filter((e) => e.name === 'handoff.claimed');
    const closed = events.filter((e) => e.name === 'handoff.closed');
    expect(claimed.length).toBeGreaterThan(10);
    // Each claim's wait is the time since that conversation's request, and there always was one.
    for (const c of rows) {
      let requestedAt: number | undefined;
      for (const e of c.events) {
        if (e.name === 'handoff.requested') requestedAt = e.at;
        if (e.name !== 'handoff.claimed') continue;
        expect(requestedAt, c.conversation.id).toBeDefined();
        expect(e.data?.waitMs, c.conversation.id).toBe(e.at - (requestedAt ?? NaN));
        expect(e.data?.waitMs, c.conversation.id).toBeGreaterThan(0);
      }
    }
    expect(closed.length).toBeGreaterThan(5);
    for (const e of closed) expect(['solved', 'workaround', 'escalated', 'no-response', 'out-of-scope']).toContain(e.data?.tag);
    expect(events.filter((e) => e.name === 'agent.replied').length).toBeGreaterThan(claimed.length * 0.9);
    expect(events.some((e) => e.name === 'handoff.returned')).toBe(true);
    // Agents are the seed's, by name, on the conversation's state while they have it.
    const names = new Set(SEED_AGENTS.map((a) => a.name));
    for (const c of rows) if (c.conversation.state.handoff?.agent) expect(names.has(c.conversation.state.handoff.agent.name)).toBe(true);
  });

  it('stores no PIN or password a customer typed: not in transcripts, events or states', () => {
    const typed = [...secrets.values()].flat();
    expect(typed.length).toBeGreaterThan(10);
    // Some were typed in plain view (a message, not the masked field), and are masked in the transcript.
    const masked = full.flatMap((c) => c.messages).filter((m) => m.direction === 'in' && JSON.stringify(m.body).includes('••••'));
    expect(masked.length).toBeGreaterThan(0);
    for (const c of full) {
      const mine = secrets.get(c.conversation.id) ?? [];
      if (mine.length === 0) continue;
      const texts = strings([c.messages, c.events, c.conversation.state]);
      for (const secret of mine) {
        // A PIN is digits: look for it as a whole token, not inside a longer number or id.
        const token = new RegExp(`(?<![\\p{L}\\p{N}])${secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'u');
        const leaked = texts.find((t) => token.test(t));
        expect(leaked, `${c.conversation.id}: ${secret}`).toBeUndefined();
      }
    }
    // Passwords (Chile) are distinctive: none anywhere in any conversation.
    const everything = JSON.stringify(full);
    for (const secret of typed.filter((s) => /\D/.test(s))) expect(everything.includes(secret), secret).toBe(false);
  });

  it('stamps every event with its channel and language, and with the country once it is known', () => {
    for (const c of rows) {
      let countryKnown = false;
      for (const e of c.events) {
        expect(['webchat', 'slack', 'teams']).toContain(e.channel);
        expect(e.channel).toBe(c.conversation.channel);
        expect(['es', 'en']).toContain(e.locale);
        const flowCountry = e.flow !== undefined && isFlowId(e.flow) ? FLOWS[e.flow].country : undefined;
        if (flowCountry) expect(e.country, `${e.name} ${e.flow}`).toBe(flowCountry);
        if (e.country) countryKnown = true;
        else expect(countryKnown, `${e.name} after the country was known`).toBe(false);
      }
    }
    const channels = new Set(rows.map((c) => c.conversation.channel));
    expect(channels).toEqual(new Set(['webchat', 'slack', 'teams']));
    const es = rows.filter((c) => c.conversation.state.locale === 'es').length;
    expect(share(es, rows.length)).toBeGreaterThan(0.7);
  });

  it('keeps transcripts as the chat service writes them, for recent conversations and one in twenty older ones', () => {
    const recent = NOW - 14 * 86_400_000;
    const kept = rows.filter((c) => c.messages.length > 0);
    for (const c of rows) if (c.conversation.createdAt >= recent) expect(c.messages.length).toBeGreaterThan(0);
    const older = rows.filter((c) => c.conversation.createdAt < recent);
    expect(share(older.filter((c) => c.messages.length > 0).length, older.length)).toBeLessThan(0.15);
    for (const c of kept) {
      for (const m of c.messages) {
        const body = m.body as { type?: string; display?: unknown; text?: unknown };
        if (m.direction === 'in') expect(typeof body.display).toBe('string');
        else expect(typeof body.text === 'string' || body.type === 'report').toBe(true);
      }
    }
    // With every transcript kept, each conversation has one.
    expect(full.every((c) => c.messages.length > 0)).toBe(true);
  });
});

describe('into a store', () => {
  let store: SqlStore;
  beforeAll(async () => {
    store = await openStore({});
    await store.migrate();
    await insertSeeded(store.sql, rows);
  });
  afterAll(() => store.close());

  it('writes every conversation, transcript line and event, with abandonment marks and dimensions', async () => {
    const [counts] = await store.sql.query<{ c: number; m: number; e: number; a: number }>(
      `SELECT (SELECT count(*)::int FROM conversations) AS c, (SELECT count(*)::int FROM messages) AS m,
              (SELECT count(*)::int FROM events) AS e, (SELECT count(*)::int FROM conversations WHERE abandoned_at IS NOT NULL) AS a`,
    );
    expect(counts).toEqual({
      c: rows.length,
      m: rows.reduce((n, c) => n + c.messages.length, 0),
      e: rows.reduce((n, c) => n + c.events.length, 0),
      a: rows.filter((c) => c.conversation.abandonedAt !== undefined).length,
    });
    const [missing] = await store.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE channel IS NULL OR locale IS NULL`);
    expect(missing?.n).toBe(0);
    // A conversation's events are numbered in their order, as the dashboard's "last step" reads them.
    const some = rows.find((c) => c.events.length > 20) as SeededConversation;
    const stored = await store.sql.query<{ name: string; step: string | null }>(`SELECT name, step FROM events WHERE conversation_id = $1 ORDER BY seq`, [some.conversation.id]);
    expect(stored.map((e) => `${e.name} ${e.step ?? ''}`)).toEqual(some.events.map((e) => `${e.name} ${e.step ?? ''}`));
    // The store reads the rows back as it wrote them.
    const back = await store.getConversation(some.conversation.id);
    expect(back?.state).toEqual(some.conversation.state);
    expect(back?.createdAt).toBe(some.conversation.createdAt);
  });

  it('writes flow.abandoned exactly as the abandonment job (markAbandoned) would', async () => {
    const last = rows.filter((c) => c.conversation.abandonedAt !== undefined).sort((a, b) => a.conversation.updatedAt - b.conversation.updatedAt);
    expect(last.length).toBeGreaterThan(10);
    // The same conversations, unmarked, in a store of their own; the real job marks them one pass at a time.
    const job = await openStore({});
    try {
      await job.migrate();
      const sample = last.slice(0, 25);
      await insertSeeded(
        job.sql,
        sample.map((c) => {
          const { abandonedAt: _marked, ...conversation } = c.conversation;
          return { conversation, messages: [], events: [] };
        }),
      );
      for (const c of sample) {
        const mine = c.events.filter((e) => e.name === 'flow.abandoned').at(-1);
        expect(mine?.at).toBe(c.conversation.abandonedAt);
        expect(await job.markAbandoned(c.conversation.updatedAt + 1, mine?.at ?? 0)).toBe(1);
        const [theirs] = await job.sql.query<Record<string, unknown>>(
          `SELECT name, flow, step, data, (extract(epoch from at) * 1000)::float8 AS at, channel, locale, country FROM events WHERE conversation_id = $1`,
          [c.conversation.id],
        );
        expect(theirs).toEqual({
          name: 'flow.abandoned',
          flow: mine?.flow,
          step: mine?.step,
          data: mine?.data,
          at: mine?.at,
          channel: mine?.channel,
          locale: mine?.locale,
          country: mine?.country ?? null,
        });
        expect(mine?.step).toBe(pathOf(c.conversation.state.flow.value as never));
        expect(Number(mine?.data?.idleMs)).toBeGreaterThanOrEqual(ABANDON_AFTER_MS);
      }
    } finally {
      await job.close();
    }
  });
});

describe('seed:analytics', () => {
  it('fills a store once, refuses to fill it again without --append, and appends another seed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llavero-seed-'));
    const out: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) } };
    const run = (...args: string[]) => seedAnalyticsCommand(['--data-dir', dir, '--conversations', '40', '--days', '30', '--now', '2026-11-23T15:00:00Z', '--batch', '15', ...args], io, {});
    try {
      expect(await run('--workers', '1')).toBe(0);
      expect(out.join('')).toMatch(/done: 40 conversations, [\d,]+ events, [\d,]+ messages/);
      expect(await run('--workers', '0')).toBe(1);
      expect(out.join('')).toMatch(/already has 40 conversations; add --append/);
      expect(await run('--workers', '0', '--append')).toBe(1);
      expect(out.join('')).toMatch(/pick another --seed/);
      expect(await run('--workers', '0', '--append', '--seed', '43')).toBe(0);
      const store = await openStore({ dataDir: dir });
      try {
        const [n] = await store.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM conversations');
        expect(n?.n).toBe(80);
      } finally {
        await store.close();
      }
      expect(await run('--conversations', 'many')).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
