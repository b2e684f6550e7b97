/**
 * The dashboard's figures, as SQL over the analytics events (the same dialect on PostgreSQL and the
 * embedded store): per-procedure funnels and drop-off, completion, handoff and abandonment rates,
 * time per step and per procedure, certificate check outcomes, CSAT, handoff waits, and a series
 * per day in the manager's time zone. Every figure takes the same filters.
 */
import type { Sql } from '../store/sql-store.ts';

export const PROCEDURES = ['sii.centralize-certificate', 'sii.enable-certificate-login', 'atv.revoke-key', 'atv.generate-key'] as const;
export type Procedure = (typeof PROCEDURES)[number];

export interface Filters {
  /** Inclusive calendar days (YYYY-MM-DD) in `tz`. */
  from: string;
  to: string;
  /** IANA time zone the days are counted in. */
  tz: string;
  channel?: string;
  locale?: string;
  country?: string;
}

export type Rate = number | null;

export interface ProcedureSummary {
  flow: Procedure;
  entered: number;
  completed: number;
  completionRate: Rate;
  handoffs: number;
  handoffRate: Rate;
  abandoned: number;
  abandonmentRate: Rate;
  /** Entering → completing the procedure, for those who completed it (ms). */
  medianMs: number | null;
  p90Ms: number | null;
}

export interface DayFigures {
  day: string;
  /** Conversations started (in one procedure's view: that entered it). */
  conversations: number;
  entered: number;
  completed: number;
  handoffs: number;
  abandoned: number;
}

export interface StepFigures {
  step: string;
  /** Conversations that reached the step. */
  reached: number;
  /** Of those, how many went no further in this procedure and did not complete it. */
  stopped: number;
  dropOffRate: Rate;
  /** Time spent on the step before leaving it (ms). */
  medianMs: number | null;
  p90Ms: number | null;
}

export interface Overview {
  totals: { conversations: number; entered: number; completed: number; handoffs: number; abandoned: number; completionRate: Rate; handoffRate: Rate; abandonmentRate: Rate };
  procedures: ProcedureSummary[];
  series: DayFigures[];
  csat: { count: number; average: number | null; distribution: Array<{ rating: number; count: number }> };
  checks: { total: number; verdicts: Array<{ verdict: string; count: number }>; failing: Array<{ check: string; count: number }> };
  handoff: { requested: number; claimed: number; medianWaitMs: number | null; p90WaitMs: number | null; closed: Array<{ tag: string; count: number }> };
}

export interface ProcedureView extends ProcedureSummary {
  steps: StepFigures[];
  series: DayFigures[];
}

export interface StoppedConversation {
  id: string;
  lastAt: number;
  channel: string | null;
  locale: string | null;
  country: string | null;
  outcome: 'abandoned' | 'handoff' | 'redirected' | 'open';
  /** Its transcript is still kept (retention deletes old ones; the events stay). */
  transcript: boolean;
}

const rate = (n: number, d: number): Rate => (d > 0 ? n / d : null);
const num = (v: unknown): number => Number(v ?? 0);
const maybe = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * The WHERE clause and parameters for a filter set (`$1…`), plus more parameters after them. `at` is
 * the column the dates apply to (an event's time, or a journey's `entered_at`).
 */
function where(f: Filters, extra: unknown[] = [], at = 'at'): { sql: string; params: unknown[] } {
  const params: unknown[] = [f.from, f.to, f.tz, ...extra];
  const parts = [`${at} >= ($1::date::timestamp AT TIME ZONE $3)`, `${at} < (($2::date + 1)::timestamp AT TIME ZONE $3)`];
  for (const [col, v] of [
    ['channel', f.channel],
    ['locale', f.locale],
    ['country', f.country],
  ] as const) {
    if (v === undefined) continue;
    params.push(v);
    parts.push(`${col} = $${params.length}`);
  }
  return { sql: parts.join(' AND '), params };
}

const PROCS = `('${PROCEDURES.join("','")}')`;
const ms = (expr: string) => `(extract(epoch from ${expr}) * 1000)::float8`;

/** Every day from `from` to `to`, so a series has no holes. */
function days(from: string, to: string): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end && out.length < 3700; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

export interface Analytics {
  overview(f: Filters): Promise<Overview>;
  procedure(flow: Procedure, f: Filters): Promise<ProcedureView>;
  /** The conversations that stopped at `step` of `flow`, most recent first. */
  stoppedAt(flow: Procedure, step: string, f: Filters, limit?: number): Promise<StoppedConversation[]>;
}

export function createAnalytics(sql: Sql): Analytics {
  async function summaries(f: Filters, flows: readonly string[] = PROCEDURES): Promise<ProcedureSummary[]> {
    const w = where(f, [JSON.stringify(flows)], 'entered_at');
    // One journey per (conversation, procedure) entered in range: counts, rates and the time to complete.
    const rows = await sql.query<Record<string, unknown>>(
      `SELECT flow AS proc, count(*)::int AS entered,
         count(*) FILTER (WHERE completed_at IS NOT NULL)::int AS completed,
         count(*) FILTER (WHERE handoff)::int AS handoffs,
         count(*) FILTER (WHERE abandoned)::int AS abandoned,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ${ms('completed_at - entered_at')}) FILTER (WHERE completed_at >= entered_at) AS p50,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY ${ms('completed_at - entered_at')}) FILTER (WHERE completed_at >= entered_at) AS p90
       FROM journeys WHERE flow IN (SELECT jsonb_array_elements_text($4::text::jsonb)) AND ${w.sql}
       GROUP BY flow`,
      w.params,
    );
    const byFlow = new Map(rows.map((r) => [String(r.proc), r]));
    return flows.map((flow) => {
      const r = byFlow.get(flow) ?? {};
      const entered = num(r.entered);
      const completed = num(r.completed);
      const handoffs = num(r.handoffs);
      const abandoned = num(r.abandoned);
      return {
        flow: flow as Procedure,
        entered,
        completed,
        completionRate: rate(completed, entered),
        handoffs,
        handoffRate: rate(handoffs, entered),
        abandoned,
        abandonmentRate: rate(abandoned, entered),
        medianMs: maybe(r.p50),
        p90Ms: maybe(r.p90),
      };
    });
  }

  async function series(f: Filters, flow?: string): Promise<DayFigures[]> {
    const w = where(f, [flow === undefined ? null : flow], 'entered_at');
    const inProc = `($4::text IS NULL AND flow IN ${PROCS} OR flow = $4::text)`;
    const day = (col: string) => `to_char(${col} AT TIME ZONE $3, 'YYYY-MM-DD')`;
    // Journeys by the day they entered. Conversations: those started that day; in one procedure's view,
    // those that entered it; with a country, those that entered a procedure there (it is not known before).
    const fromStarts = flow === undefined && f.country === undefined;
    const e = where(f);
    const [rows, starts] = await Promise.all([
      sql.query<Record<string, unknown>>(
        `SELECT ${day('entered_at')} AS day,
           ${flow === undefined && !fromStarts ? 'count(DISTINCT conversation_id)' : 'count(*)'}::int AS conversations,
           count(*)::int AS entered,
           count(*) FILTER (WHERE completed_at IS NOT NULL)::int AS completed,
           count(*) FILTER (WHERE handoff)::int AS handoffs,
           count(*) FILTER (WHERE abandoned)::int AS abandoned
         FROM journeys WHERE ${inProc} AND ${w.sql}
         GROUP BY 1`,
        w.params,
      ),
      fromStarts
        ? sql.query<Record<string, unknown>>(`SELECT ${day('at')} AS day, count(*)::int AS n FROM milestones WHERE name = 'conversation.started' AND ${e.sql} GROUP BY 1`, e.params)
        : Promise.resolve(undefined),
    ]);
    const started = starts && new Map(starts.map((r) => [String(r.day), num(r.n)]));
    const byDay = new Map(rows.map((r) => [String(r.day), r]));
    return days(f.from, f.to).map((day) => {
      const r = byDay.get(day) ?? {};
      return { day, conversations: started ? (started.get(day) ?? 0) : num(r.conversations), entered: num(r.entered), completed: num(r.completed), handoffs: num(r.handoffs), abandoned: num(r.abandoned) };
    });
  }

  async function overview(f: Filters): Promise<Overview> {
    const w = where(f);
    const [procedures, days, csatRows, verdictRows, failingRows, handoffRows, tagRows, startedRows] = await Promise.all([
      summaries(f),
      series(f),
      sql.query<Record<string, unknown>>(`SELECT (data->>'rating')::int AS rating, count(*)::int AS n FROM milestones WHERE name = 'csat.rated' AND ${w.sql} GROUP BY 1 ORDER BY 1`, w.params),
      sql.query<Record<string, unknown>>(`SELECT data->>'verdict' AS verdict, count(*)::int AS n FROM milestones WHERE name = 'verification.result' AND ${w.sql} GROUP BY 1 ORDER BY 2 DESC`, w.params),
      sql.query<Record<string, unknown>>(
        `SELECT f AS check_id, count(*)::int AS n FROM milestones, jsonb_array_elements_text(COALESCE(data->'failed', '[]'::jsonb)) AS f
         WHERE name = 'verification.result' AND ${w.sql} GROUP BY 1 ORDER BY 2 DESC, 1`,
        w.params,
      ),
      sql.query<Record<string, unknown>>(
        `SELECT count(*) FILTER (WHERE name = 'handoff.requested')::int AS requested,
           count(*) FILTER (WHERE name = 'handoff.claimed')::int AS claimed,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY (data->>'waitMs')::float8) FILTER (WHERE name = 'handoff.claimed') AS p50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY (data->>'waitMs')::float8) FILTER (WHERE name = 'handoff.claimed') AS p90
         FROM milestones WHERE name IN ('handoff.requested', 'handoff.claimed') AND ${w.sql}`,
        w.params,
      ),
      sql.query<Record<string, unknown>>(`SELECT data->>'tag' AS tag, count(*)::int AS n FROM milestones WHERE name = 'handoff.closed' AND ${w.sql} GROUP BY 1 ORDER BY 2 DESC, 1`, w.params),
      f.country === undefined
        ? sql.query<Record<string, unknown>>(`SELECT count(*)::int AS n FROM milestones WHERE name = 'conversation.started' AND ${w.sql}`, w.params)
        : sql.query<Record<string, unknown>>(`SELECT count(DISTINCT conversation_id)::int AS n FROM journeys WHERE flow IN ${PROCS} AND ${where(f, [], 'entered_at').sql}`, w.params),
    ]);
    const sum = (k: 'entered' | 'completed' | 'handoffs' | 'abandoned') => procedures.reduce((n, p) => n + p[k], 0);
    const ratings = csatRows.map((r) => ({ rating: num(r.rating), count: num(r.n) })).filter((r) => r.rating >= 1 && r.rating <= 5);
    const rated = ratings.reduce((n, r) => n + r.count, 0);
    const h = handoffRows[0] ?? {};
    const verdicts = verdictRows.map((r) => ({ verdict: String(r.verdict), count: num(r.n) }));
    return {
      totals: {
        conversations: num(startedRows[0]?.n),
        entered: sum('entered'),
        completed: sum('completed'),
        handoffs: sum('handoffs'),
        abandoned: sum('abandoned'),
        completionRate: rate(sum('completed'), sum('entered')),
        handoffRate: rate(sum('handoffs'), sum('entered')),
        abandonmentRate: rate(sum('abandoned'), sum('entered')),
      },
      procedures,
      series: days,
      csat: {
        count: rated,
        average: rated > 0 ? ratings.reduce((n, r) => n + r.rating * r.count, 0) / rated : null,
        distribution: [1, 2, 3, 4, 5].map((rating) => ({ rating, count: ratings.find((r) => r.rating === rating)?.count ?? 0 })),
      },
      checks: { total: verdicts.reduce((n, v) => n + v.count, 0), verdicts, failing: failingRows.map((r) => ({ check: String(r.check_id), count: num(r.n) })) },
      handoff: {
        requested: num(h.requested),
        claimed: num(h.claimed),
        medianWaitMs: maybe(h.p50),
        p90WaitMs: maybe(h.p90),
        closed: tagRows.map((r) => ({ tag: String(r.tag), count: num(r.n) })),
      },
    };
  }

  async function procedure(flow: Procedure, f: Filters): Promise<ProcedureView> {
    const w = where(f, [flow], 'entered_at');
    // Reached: journeys that entered the step; stopped: unfinished journeys whose last step it is.
    const [[summary], days, reachedRows, stoppedRows] = await Promise.all([
      summaries(f, [flow]),
      series(f, flow),
      sql.query<Record<string, unknown>>(
        `SELECT step, count(*)::int AS reached,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE left_count > 0) AS p50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY ms) FILTER (WHERE left_count > 0) AS p90
         FROM journey_steps WHERE flow = $4 AND ${w.sql} GROUP BY step`,
        w.params,
      ),
      sql.query<Record<string, unknown>>(
        `SELECT last_step AS step, count(*)::int AS n FROM journeys
         WHERE flow = $4 AND completed_at IS NULL AND last_step IS NOT NULL AND ${w.sql} GROUP BY 1`,
        w.params,
      ),
    ]);
    const stops = new Map(stoppedRows.map((r) => [String(r.step), num(r.n)]));
    const steps = reachedRows.map((r) => {
      const reached = num(r.reached);
      const stopped = stops.get(String(r.step)) ?? 0;
      return { step: String(r.step), reached, stopped, dropOffRate: rate(stopped, reached), medianMs: maybe(r.p50), p90Ms: maybe(r.p90) };
    });
    return { ...(summary as ProcedureSummary), steps, series: days };
  }

  async function stoppedAt(flow: Procedure, step: string, f: Filters, limit = 50): Promise<StoppedConversation[]> {
    const w = where(f, [flow, step, Math.max(1, Math.min(500, limit))], 'entered_at');
    const rows = await sql.query<Record<string, unknown>>(
      `WITH here AS (
         SELECT conversation_id AS c FROM journeys
         WHERE flow = $4 AND last_step = $5 AND completed_at IS NULL AND ${w.sql}
         ORDER BY last_at DESC LIMIT $6::int),
       facts AS (
         SELECT e.conversation_id AS c, max(e.at) AS last_at,
           bool_or(e.name = 'flow.abandoned' AND (e.flow = $4 OR e.data->>'within' = $4)) AS abandoned,
           bool_or(e.name = 'handoff.requested') AS handoff,
           bool_or(e.name = 'flow.completed' AND e.flow = $4 AND e.data->>'result' = 'redirected') AS redirected,
           max(e.channel) AS channel, max(e.locale) AS locale, max(e.country) AS country
         FROM events e JOIN here ON here.c = e.conversation_id
         GROUP BY e.conversation_id)
       SELECT facts.*, ${ms('facts.last_at')} AS last_ms, EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = facts.c) AS kept
       FROM facts ORDER BY facts.last_at DESC`,
      w.params,
    );
    return rows.map((r) => ({
      id: String(r.c),
      lastAt: num(r.last_ms),
      channel: (r.channel as string | null) ?? null,
      locale: (r.locale as string | null) ?? null,
      country: (r.country as string | null) ?? null,
      outcome: r.abandoned ? 'abandoned' : r.handoff ? 'handoff' : r.redirected ? 'redirected' : 'open',
      transcript: r.kept === true,
    }));
  }

  return { overview, procedure, stoppedAt };
}
