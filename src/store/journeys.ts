/**
 * The dashboard's rollup: one row per (conversation, flow) entered, one per step of it reached, and
 * a copy of the few events the overview counts by kind, kept up to date from the analytics events by a statement trigger, so every writer (turns, the
 * abandonment job, the seed) feeds it and the dashboard never scans the events of a funnel.
 *
 * A journey belongs to the moment it entered its flow, with that moment's channel, language and
 * country: the figures are those of a cohort ("of the conversations that entered on these days, how
 * many completed"), and the time filter is on `entered_at`.
 */

/**
 * Events the overview counts by kind (starts, ratings, certificate checks, handoffs): copied into a
 * narrow table of their own, where a date range reads a few dense pages instead of rows scattered
 * among the millions of step events.
 */
const MILESTONES = ['conversation.started', 'csat.rated', 'verification.result', 'handoff.requested', 'handoff.claimed', 'handoff.closed'] as const;

/**
 * The statements that fold events from `source` into the rollup, in dependency order (a journey
 * exists before its steps are counted). The trigger runs them over its transition table; the
 * migration runs them once over the events already stored.
 */
function foldEvents(source: string): string[] {
  return [
    `INSERT INTO milestones (seq, conversation_id, name, flow, step, data, at, channel, locale, country)
       SELECT seq, conversation_id, name, flow, step, data, at, channel, locale, country FROM ${source}
       WHERE name IN ('${MILESTONES.join("', '")}')`,
    `INSERT INTO journeys (conversation_id, flow, entered_at, channel, locale, country)
       SELECT DISTINCT ON (conversation_id, flow) conversation_id, flow, at, channel, locale, country
       FROM ${source} WHERE name = 'flow.entered' AND flow IS NOT NULL
       ORDER BY conversation_id, flow, seq
     ON CONFLICT DO NOTHING`,
    `UPDATE journeys j SET completed_at = x.at
       FROM (SELECT conversation_id, flow, min(at) AS at FROM ${source}
             WHERE name = 'flow.completed' AND data->>'result' = 'completed' GROUP BY 1, 2) x
       WHERE j.conversation_id = x.conversation_id AND j.flow = x.flow AND j.completed_at IS NULL`,
    `UPDATE journeys j SET handoff = true
       FROM (SELECT DISTINCT conversation_id, flow FROM ${source} WHERE name = 'handoff.requested') x
       WHERE j.conversation_id = x.conversation_id AND j.flow = x.flow AND NOT j.handoff`,
    // Abandoned inside a sub-flow (the certificate check) counts for the procedure that called it.
    `UPDATE journeys j SET abandoned = true
       FROM (SELECT DISTINCT conversation_id, COALESCE(data->>'within', flow) AS flow FROM ${source} WHERE name = 'flow.abandoned') x
       WHERE j.conversation_id = x.conversation_id AND j.flow = x.flow AND NOT j.abandoned`,
    `UPDATE journeys j SET last_step = x.step, last_seq = x.seq, last_at = x.at
       FROM (SELECT DISTINCT ON (conversation_id, flow) conversation_id, flow, step, seq, at FROM ${source}
             WHERE name = 'step.entered' AND step IS NOT NULL ORDER BY conversation_id, flow, seq DESC) x
       WHERE j.conversation_id = x.conversation_id AND j.flow = x.flow AND (j.last_seq IS NULL OR j.last_seq < x.seq)`,
    `INSERT INTO journey_steps (conversation_id, flow, step, entered_at, channel, locale, country)
       SELECT DISTINCT ON (e.conversation_id, e.flow, e.step) e.conversation_id, e.flow, e.step, j.entered_at, j.channel, j.locale, j.country
       FROM ${source} e JOIN journeys j ON j.conversation_id = e.conversation_id AND j.flow = e.flow
       WHERE e.name = 'step.entered' AND e.step IS NOT NULL
     ON CONFLICT DO NOTHING`,
    // Time on a step is the customer's total over their visits to it.
    `UPDATE journey_steps s SET ms = s.ms + x.ms, left_count = s.left_count + x.n
       FROM (SELECT conversation_id, flow, step, sum((data->>'ms')::float8) AS ms, count(*)::int AS n FROM ${source}
             WHERE name = 'step.left' AND step IS NOT NULL AND data ? 'ms' GROUP BY 1, 2, 3) x
       WHERE s.conversation_id = x.conversation_id AND s.flow = x.flow AND s.step = x.step`,
  ];
}

/** Migration 8's statements: the tables, the trigger, and the events already stored folded in. */
export function journeyMigration(): string[] {
  return [
    `CREATE TABLE journeys (
      conversation_id text NOT NULL,
      flow text NOT NULL,
      entered_at timestamptz NOT NULL,
      channel text,
      locale text,
      country text,
      completed_at timestamptz,
      handoff boolean NOT NULL DEFAULT false,
      abandoned boolean NOT NULL DEFAULT false,
      last_step text,
      last_seq bigint,
      last_at timestamptz,
      PRIMARY KEY (conversation_id, flow)
    )`,
    `CREATE INDEX journeys_flow_entered ON journeys (flow, entered_at)`,
    `CREATE TABLE journey_steps (
      conversation_id text NOT NULL,
      flow text NOT NULL,
      step text NOT NULL,
      entered_at timestamptz NOT NULL,
      channel text,
      locale text,
      country text,
      ms float8 NOT NULL DEFAULT 0,
      left_count int NOT NULL DEFAULT 0,
      PRIMARY KEY (conversation_id, flow, step)
    )`,
    `CREATE TABLE milestones (
      seq bigint PRIMARY KEY,
      conversation_id text NOT NULL,
      name text NOT NULL,
      flow text,
      step text,
      data jsonb,
      at timestamptz NOT NULL,
      channel text,
      locale text,
      country text
    )`,
    `CREATE INDEX milestones_name_at ON milestones (name, at)`,
    // A procedure's funnel reads its steps over a date range and nothing else: covered by the index.
    `CREATE INDEX journey_steps_flow_entered ON journey_steps (flow, entered_at) INCLUDE (step, ms, left_count, channel, locale, country)`,
    `CREATE FUNCTION fold_journeys() RETURNS trigger LANGUAGE plpgsql AS $fold$
     BEGIN
       ${foldEvents('new_events').join(';\n       ')};
       RETURN NULL;
     END
     $fold$`,
    `CREATE TRIGGER events_fold_journeys AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
       FOR EACH STATEMENT EXECUTE FUNCTION fold_journeys()`,
    ...foldEvents('events'),
  ];
}
