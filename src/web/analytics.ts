/**
 * The managers' side over HTTP: the dashboard's static app at `/dashboard/` (with Chart.js), the
 * figures as JSON under `/api/analytics/…`, each table as CSV, and the redacted transcript behind a
 * drop-off. Managers and admins only; viewing a transcript is audited.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Accounts } from '../accounts/accounts.ts';
import { PROCEDURES, type Analytics, type Filters, type Procedure } from '../analytics/queries.ts';
import type { Locale } from '../conversation/messages.ts';
import type { Resources } from '../i18n/resources.ts';
import type { Store } from '../store/port.ts';
import { sqlState } from '../store/sql-store.ts';
import { guard } from './auth.ts';
import { flowTitle, lngOf, stepLabels, transcriptOf, type Translate } from './present.ts';

export const DASHBOARD_DIR = fileURLToPath(new URL('./public/dashboard/', import.meta.url));
// chart.js's package exports do not list its UMD build; it sits beside the CommonJS entry.
const CHART_JS = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.js');

export interface AnalyticsRoutesOptions {
  accounts: Accounts;
  store: Store;
  analytics: Analytics;
  resources: Resources;
  t: Translate;
  now: () => number;
  /** The dashboard's default time zone. */
  defaultTz?: string;
}

type Query = Record<string, string | undefined>;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const CHANNELS = new Set(['webchat', 'slack', 'teams', 'cli']);

/** A query parameter: one value (a repeated `?to=…&to=…` is an array, refused), of a sane length. */
const param = (max = 64) => z.string().max(max).optional();
/**
 * What the dashboard's routes read from the query string, checked before anything reaches the
 * database; other parameters are ignored. The filters' meaning is checked by `parseFilters`.
 */
const QuerySchema = z
  .object({
    from: param(),
    to: param(),
    tz: param(),
    channel: param(),
    locale: param(),
    country: param(),
    lng: param(),
    flow: param(100),
    limit: z
      .string()
      .regex(/^\d{1,4}$/)
      .refine((v) => Number(v) >= 1 && Number(v) <= 500)
      .optional(),
  })
  .passthrough();
const ParamsSchema = z.object({ id: z.string().min(1).max(128).optional(), flow: param(100), step: param(200), table: param(100), lng: param() }).passthrough();

/** A calendar day that exists (Date.parse would read 2025-02-30 as 2 March). */
const realDay = (v: string): boolean => {
  if (!DAY.test(v)) return false;
  const t = Date.parse(`${v}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === v;
};

/** Today in a time zone, as YYYY-MM-DD. */
const dayIn = (at: number, tz: string): string => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);

/**
 * The zone's canonical IANA name (US/Pacific-New → America/Los_Angeles), or undefined if it is
 * none: the database's zone list lags ICU's aliases, so it is only ever given canonical names.
 */
const canonicalZone = (tz: string): string | undefined => {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(tz)) return undefined;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
};

/** The filters of a request, or the name of the first bad one. Default: the 30 days ending today. */
export function parseFilters(q: Query, now: number, defaultTz = 'America/Santiago'): { ok: true; filters: Filters } | { ok: false; field: string } {
  const tz = canonicalZone(q.tz && q.tz !== '' ? q.tz : defaultTz);
  if (tz === undefined || tz.length > 64) return { ok: false, field: 'tz' };
  const to = q.to && q.to !== '' ? q.to : dayIn(now, tz);
  // Checked before `from` is derived from it: an impossible day has no "29 days before".
  if (!realDay(to)) return { ok: false, field: 'to' };
  const from = q.from && q.from !== '' ? q.from : dayIn(Date.parse(`${to}T12:00:00Z`) - 29 * 86_400_000, 'UTC');
  for (const [field, v] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!realDay(v)) return { ok: false, field };
  }
  if (from > to) return { ok: false, field: 'from' };
  // A year and a bit is what a dashboard reads at once; more is an export job.
  if (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`) > 400 * 86_400_000) return { ok: false, field: 'from' };
  const channel = q.channel || undefined;
  if (channel !== undefined && !CHANNELS.has(channel)) return { ok: false, field: 'channel' };
  const locale = q.locale || undefined;
  if (locale !== undefined && locale !== 'es' && locale !== 'en') return { ok: false, field: 'locale' };
  const country = q.country || undefined;
  if (country !== undefined && country !== 'CL' && country !== 'CR') return { ok: false, field: 'country' };
  return { ok: true, filters: { from, to, tz, ...(channel ? { channel } : {}), ...(locale ? { locale } : {}), ...(country ? { country } : {}) } };
}

/** One CSV cell: quoted when needed, and never read as a formula by a spreadsheet. */
function cell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
export const csv = (header: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string => [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';

const isProcedure = (flow: string): flow is Procedure => (PROCEDURES as readonly string[]).includes(flow);

export async function analyticsRoutes(app: FastifyInstance, opts: AnalyticsRoutesOptions): Promise<void> {
  const { accounts, store, analytics, resources, t, now, defaultTz = 'America/Santiago' } = opts;
  const managers = guard(accounts, ['manager', 'admin']);

  await app.register(fastifyStatic, { root: DASHBOARD_DIR, prefix: '/dashboard/', decorateReply: false, index: 'index.html' });
  app.get('/dashboard', async (_req, reply) => reply.redirect('/dashboard/'));
  const chartJs = readFile(CHART_JS);
  app.get('/dashboard/vendor/chart.umd.js', async (_req, reply) => reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(await chartJs));

  app.get<{ Params: { lng: string } }>('/api/analytics/strings/:lng', async (req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return resources[lngOf(req.params)].dashboard ?? {};
  });

  /** The query string and path parameters, by schema: a 400 naming the first bad one, before any handler runs. */
  const checked = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    for (const [schema, value] of [
      [QuerySchema, req.query],
      [ParamsSchema, req.params],
    ] as const) {
      const r = schema.safeParse(value ?? {});
      if (!r.success) {
        await reply.code(400).send({ error: 'filter.invalid', field: String(r.error.issues[0]?.path[0] ?? 'query') });
        return;
      }
    }
  };
  const guarded = { preHandler: [managers, checked] };

  /**
   * A value the database refuses as data (class 22: a date or zone it does not know, a number out
   * of range) is the request's fault, not ours: a 400, never a 500 carrying the database's text.
   */
  const refusedAsData = async <T>(work: Promise<T>, req: FastifyRequest, reply: FastifyReply): Promise<T | undefined> => {
    try {
      return await work;
    } catch (err) {
      if (!/^22/.test(sqlState(err) ?? '')) throw err;
      req.log.warn({ err, query: req.query }, 'analytics filter refused by the database');
      await reply.code(400).send({ error: 'filter.invalid', field: 'query' });
      return undefined;
    }
  };

  /** Filters or a 400 naming the bad one. */
  const filtersOf = (q: Query, reply: FastifyReply): Filters | undefined => {
    const f = parseFilters(q, now(), defaultTz);
    if (f.ok) return f.filters;
    void reply.code(400).send({ error: 'filter.invalid', field: f.field });
    return undefined;
  };

  const overviewOf = async (f: Filters, lng: Locale) => {
    const o = await analytics.overview(f);
    return {
      filters: f,
      ...o,
      procedures: o.procedures.map((p) => ({ ...p, title: flowTitle(t, p.flow, lng) })),
      checks: { ...o.checks, failing: o.checks.failing.map((c) => ({ ...c, label: t(`dashboard:checks.${c.check}`, lng) })) },
    };
  };

  const procedureOf = async (flow: Procedure, f: Filters, lng: Locale) => {
    const v = await analytics.procedure(flow, f);
    const order = stepLabels(t, flow, lng);
    const index = new Map(order.map((s, i) => [s.id, i]));
    return {
      ...v,
      title: flowTitle(t, flow, lng),
      steps: v.steps
        .map((s) => ({ ...s, label: order[index.get(s.step) ?? -1]?.label ?? s.step }))
        .sort((a, b) => (index.get(a.step) ?? 1e9) - (index.get(b.step) ?? 1e9) || a.step.localeCompare(b.step)),
    };
  };

  app.get<{ Querystring: Query }>('/api/analytics/overview', guarded, async (req, reply) => {
    const f = filtersOf(req.query, reply);
    if (!f) return reply;
    const o = await refusedAsData(overviewOf(f, lngOf(req.query)), req, reply);
    if (o === undefined) return reply;
    return reply.header('cache-control', 'no-store').send(o);
  });

  app.get<{ Params: { flow: string }; Querystring: Query }>('/api/analytics/procedures/:flow', guarded, async (req, reply) => {
    if (!isProcedure(req.params.flow)) return reply.code(404).send({ error: 'procedure.unknown' });
    const f = filtersOf(req.query, reply);
    if (!f) return reply;
    const v = await refusedAsData(procedureOf(req.params.flow, f, lngOf(req.query)), req, reply);
    if (v === undefined) return reply;
    return reply.header('cache-control', 'no-store').send(v);
  });

  app.get<{ Params: { flow: string; step: string }; Querystring: Query }>('/api/analytics/procedures/:flow/steps/:step/conversations', guarded, async (req, reply) => {
    if (!isProcedure(req.params.flow)) return reply.code(404).send({ error: 'procedure.unknown' });
    const f = filtersOf(req.query, reply);
    if (!f) return reply;
    const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
    const conversations = await refusedAsData(analytics.stoppedAt(req.params.flow, req.params.step, f, limit), req, reply);
    if (conversations === undefined) return reply;
    return reply.header('cache-control', 'no-store').send({ conversations });
  });

  app.get<{ Params: { id: string } }>('/api/analytics/conversations/:id', guarded, async (req, reply) => {
    const conv = await store.getConversation(req.params.id);
    if (!conv) return reply.code(404).send({ error: 'conversation.missing' });
    const { transcript } = transcriptOf(await store.transcript(conv.id, { limit: 500 }));
    await accounts.audit({ actorId: req.staff?.user.id, action: 'conversation.viewed', conversationId: conv.id, data: { from: 'dashboard' } });
    return reply.header('cache-control', 'no-store').send({ id: conv.id, channel: conv.channel, locale: conv.state.locale, transcript });
  });

  app.get<{ Params: { table: string }; Querystring: Query }>('/api/analytics/export/:table', guarded, async (req, reply) => {
    const f = filtersOf(req.query, reply);
    if (!f) return reply;
    const lng = lngOf(req.query);
    const table = req.params.table.replace(/\.csv$/, '');
    let body: string | undefined;
    if (table === 'steps') {
      const flow = req.query.flow ?? '';
      if (!isProcedure(flow)) return reply.code(404).send({ error: 'procedure.unknown' });
      const v = await refusedAsData(procedureOf(flow, f, lng), req, reply);
      if (v === undefined) return reply;
      body = csv(['procedure', 'step', 'label', 'reached', 'stopped', 'drop_off_rate', 'median_ms', 'p90_ms'], v.steps.map((s) => [flow, s.step, s.label, s.reached, s.stopped, s.dropOffRate, s.medianMs, s.p90Ms]));
    } else {
      const o = await refusedAsData(overviewOf(f, lng), req, reply);
      if (o === undefined) return reply;
      switch (table) {
        case 'procedures':
          body = csv(
            ['procedure', 'title', 'entered', 'completed', 'completion_rate', 'handoffs', 'handoff_rate', 'abandoned', 'abandonment_rate', 'median_ms', 'p90_ms'],
            o.procedures.map((p) => [p.flow, p.title, p.entered, p.completed, p.completionRate, p.handoffs, p.handoffRate, p.abandoned, p.abandonmentRate, p.medianMs, p.p90Ms]),
          );
          break;
        case 'series':
          body = csv(['day', 'conversations', 'entered', 'completed', 'handoffs', 'abandoned'], o.series.map((d) => [d.day, d.conversations, d.entered, d.completed, d.handoffs, d.abandoned]));
          break;
        case 'checks':
          body = csv(['check', 'label', 'failures'], o.checks.failing.map((c) => [c.check, c.label, c.count]));
          break;
        case 'csat':
          body = csv(['rating', 'count'], o.csat.distribution.map((d) => [d.rating, d.count]));
          break;
        case 'handoff':
          body = csv(['tag', 'closed'], o.handoff.closed.map((c) => [c.tag, c.count]));
          break;
      }
    }
    if (body === undefined) return reply.code(404).send({ error: 'export.unknown' });
    const name = `llavero-${table}-${f.from}-${f.to}.csv`;
    return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).header('cache-control', 'no-store').send(`\uFEFF${body}`);
  });
}
