/**
 * The managers' side over HTTP: the dashboard's static app at `/dashboard/` (with Chart.js), the
 * figures as JSON under `/api/analytics/…`, each table as CSV, and the redacted transcript behind a
 * drop-off. Managers and admins only; viewing a transcript is audited.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Accounts } from '../accounts/accounts.ts';
import { PROCEDURES, type Analytics, type Filters, type Procedure } from '../analytics/queries.ts';
import type { Locale } from '../conversation/messages.ts';
import type { Resources } from '../i18n/resources.ts';
import type { Store } from '../store/port.ts';
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

/** Today in a time zone, as YYYY-MM-DD. */
const dayIn = (at: number, tz: string): string => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);

const validZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/** The filters of a request, or the name of the first bad one. Default: the 30 days ending today. */
export function parseFilters(q: Query, now: number, defaultTz = 'America/Santiago'): { ok: true; filters: Filters } | { ok: false; field: string } {
  const tz = q.tz && q.tz !== '' ? q.tz : defaultTz;
  if (tz.length > 64 || !validZone(tz)) return { ok: false, field: 'tz' };
  const to = q.to && q.to !== '' ? q.to : dayIn(now, tz);
  const from = q.from && q.from !== '' ? q.from : dayIn(Date.parse(`${to}T12:00:00Z`) - 29 * 86_400_000, 'UTC');
  for (const [field, v] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!DAY.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) return { ok: false, field };
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

  app.get<{ Querystring: Query }>('/api/analytics/overview', { preHandler: managers }, async (req, reply) => {
    const f = filtersOf(req.query, reply);
    if (!f) return reply;
    return reply.header('cache-control', 'no-store').send(await overviewOf(f, lngOf(req.query)));
  });

  app.get<{ Params: { flow: string }; Querystring: Query }>('/api/analytics/procedures/:flow', { preHandler: managers }, async (req, reply) => {
    if (!isProcedure(req.params.flow)) return reply.code(404).send({ error: 'procedure.unknown' });
    const f = filtersOf(req.query, reply);
    if (!f) return reply;
    return reply.header('cache-control', 'no-store').send(await procedureOf(req.params.flow, f, lngOf(req.query)));
  });

  app.get<{ Params: { flow: string; step: string }; Querystring: Query }>('/api/analytics/procedures/:flow/steps/:step/conversations', { preHandler: managers }, async (req, reply) => {
    if (!isProcedure(req.params.flow)) return reply.code(404).send({ error: 'procedure.unknown' });
    const f = filtersOf(req.query, reply);
    if (!f) return reply;
    const limit = Number(req.query.limit ?? 50);
    const conversations = await analytics.stoppedAt(req.params.flow, req.params.step, f, Number.isFinite(limit) ? limit : 50);
    return reply.header('cache-control', 'no-store').send({ conversations });
  });

  app.get<{ Params: { id: string } }>('/api/analytics/conversations/:id', { preHandler: managers }, async (req, reply) => {
    const conv = await store.getConversation(req.params.id);
    if (!conv) return reply.code(404).send({ error: 'conversation.missing' });
    const { transcript } = transcriptOf(await store.transcript(conv.id, { limit: 500 }));
    await accounts.audit({ actorId: req.staff?.user.id, action: 'conversation.viewed', conversationId: conv.id, data: { from: 'dashboard' } });
    return reply.header('cache-control', 'no-store').send({ id: conv.id, channel: conv.channel, locale: conv.state.locale, transcript });
  });

  app.get<{ Params: { table: string }; Querystring: Query }>('/api/analytics/export/:table', { preHandler: managers }, async (req, reply) => {
    const f = filtersOf(req.query, reply);
    if (!f) return reply;
    const lng = lngOf(req.query);
    const table = req.params.table.replace(/\.csv$/, '');
    let body: string | undefined;
    if (table === 'steps') {
      const flow = req.query.flow ?? '';
      if (!isProcedure(flow)) return reply.code(404).send({ error: 'procedure.unknown' });
      const v = await procedureOf(flow, f, lng);
      body = csv(['procedure', 'step', 'label', 'reached', 'stopped', 'drop_off_rate', 'median_ms', 'p90_ms'], v.steps.map((s) => [flow, s.step, s.label, s.reached, s.stopped, s.dropOffRate, s.medianMs, s.p90Ms]));
    } else {
      const o = await overviewOf(f, lng);
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
