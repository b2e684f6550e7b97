/** The Store written once over a tiny SQL interface (PostgreSQL and PGlite), with group commit of turns. */
import type { AnalyticsEvent } from '../conversation/events.ts';
import type { StateValue } from 'xstate';
import { pathOf } from '../conversation/flow-snapshot.ts';
import type { ConversationState } from '../conversation/state.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';
import { isStoreUnavailable, type StoreHealth } from './port.ts';
import type { Channel, CommitResult, ConversationRecord, ConversationWhereabouts, DeskThread, NewConversation, Notice, OutboxItem, OutboxWrite, QueuedConversation, Store, StoredMessage, TranscriptMessage, TurnCommit } from './port.ts';

export type Row = Record<string, unknown>;

/** What the store needs of a database: one statement at a time, and a transaction around several. */
export interface Sql {
  query<T extends object = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** LISTEN on a channel; payloads arrive in `fn`; `onReconnect` after the listening connection was lost and re-established. */
  listen(channel: string, fn: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  /**
   * Runs `fn` in BEGIN … COMMIT on one connection; rolls back and rethrows if it throws.
   * `unbounded`: no statement timeout (migrations, which may build an index on a large table).
   */
  transaction<T>(fn: (tx: Sql) => Promise<T>, opts?: { unbounded?: boolean }): Promise<T>;
  close(): Promise<void>;
}

export interface SqlStoreOptions {
  /** Created (if missing) by `migrate()`, under the migration lock so two processes don't race on it. */
  schema?: string;
  /** Group-commit batches written at the same time: several on a pool, one on single-connection PGlite. */
  concurrency?: number;
  /** Most turns in one batch transaction. */
  maxBatch?: number;
  migrations?: readonly Migration[];
  /**
   * A batch the database certainly did not apply (its connection broke before COMMIT, or the
   * server says the COMMIT was lost) is written again, with backoff, for this long before its
   * turns fail with `StoreUnavailableError`: a cut connection costs a turn a few ms, not an error.
   */
  unavailableRetryMs?: number;
}

export interface SqlStore extends Store {
  /** Like `migrate()`, but says which migrations this call applied (empty: already up to date). */
  applyMigrations(): Promise<Migration[]>;
  /** The database under the store, for benchmarks and diagnostics. */
  readonly sql: Sql;
}

/** Any 32-bit constant works as long as every process uses the same one; this is "llav". */
const MIGRATION_LOCK_KEY = 0x6c6c6176;

/** A schema name we can splice into SQL unquoted (unquoted so it folds the same way `search_path` does). */
export const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${JSON.stringify(schema)}`);
  return schema;
}

/** ms since epoch → timestamptz, exactly (no float rounding through seconds). */
export const ts = (ms: string): string => `('epoch'::timestamptz + (${ms}) * interval '1 millisecond')`;
/** timestamptz → ms since epoch as a JS number (`extract` is numeric, so this is exact). */
const ms = (col: string): string => `(extract(epoch from ${col}) * 1000)::float8`;

/** SQLSTATE of a database error, if it is one (pg and PGlite both put it on `code`). */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Deadlock or serialization failure: the transaction was rolled back whole and can simply run again. */
const retryable = (err: unknown): boolean => ['40P01', '40001'].includes(sqlState(err) ?? '');
/** Bad data (class 22) or a broken constraint (class 23): one turn's fault, not the database's. */
const turnsFault = (err: unknown): boolean => /^2[23]/.test(sqlState(err) ?? '');

interface ConversationRow {
  id: string;
  channel: Channel;
  channel_key: string | null;
  reply_to: unknown;
  state: ConversationState;
  version: number;
  created_at: number;
  updated_at: number;
}

/** Waiting for a person, not yet taken by an agent (a handoff saved before `status` existed is queued). */
const QUEUED = `state ? 'handoff' AND state->>'status' = 'active' AND COALESCE(state->'handoff'->>'status', 'queued') = 'queued'`;

const CONVERSATION_COLUMNS = `id, channel, channel_key, reply_to, state, version, ${ms('created_at')} AS created_at, ${ms('updated_at')} AS updated_at`;

function toRecord(r: ConversationRow): ConversationRecord {
  return {
    id: r.id,
    channel: r.channel,
    ...(r.channel_key === null ? {} : { channelKey: r.channel_key }),
    ...(r.reply_to === null || r.reply_to === undefined ? {} : { replyTo: r.reply_to }),
    state: r.state,
    version: Number(r.version),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Rows go to the database as one JSON document per statement (`jsonb_to_recordset`): one parameter, any count, same in both drivers. */
const json = (rows: unknown): string => JSON.stringify(rows);

interface MessageRow {
  i: number;
  c: string;
  d: 'in' | 'out';
  b: unknown;
  a: number;
}
interface EventRow {
  i: number;
  c: string;
  n: string;
  f: string | null;
  s: string | null;
  d: unknown;
  a: number;
  ch: string | null;
  lo: string | null;
  co: string | null;
}

/** What every event of a turn is stamped with, for the dashboard's filters. */
type EventDims = Pick<EventRow, 'ch' | 'lo' | 'co'>;

const INSERT_MESSAGES = `INSERT INTO messages (conversation_id, direction, body, at)
  SELECT x.c, x.d, COALESCE(x.b, 'null'::jsonb), ${ts('x.a')}
  FROM jsonb_to_recordset($1::text::jsonb) AS x(i int, c text, d text, b jsonb, a float8)
  ORDER BY x.i`;

const INSERT_EVENTS = `INSERT INTO events (conversation_id, name, flow, step, data, at, channel, locale, country)
  SELECT x.c, x.n, x.f, x.s, x.d, ${ts('x.a')}, x.ch, x.lo, x.co
  FROM jsonb_to_recordset($1::text::jsonb) AS x(i int, c text, n text, f text, s text, d jsonb, a float8, ch text, lo text, co text)
  ORDER BY x.i`;

// Inbox first, ON CONFLICT DO NOTHING: a redelivered message fails only its own turn. The EXISTS
// keeps a turn for a missing conversation from tripping the foreign key and failing the batch.
const INSERT_INBOX = `INSERT INTO inbox (channel, message_id, conversation_id, at)
  SELECT x.ch, x.mid, x.c, now()
  FROM jsonb_to_recordset($1::text::jsonb) AS x(ch text, mid text, c text)
  WHERE EXISTS (SELECT 1 FROM conversations c WHERE c.id = x.c)
  ON CONFLICT DO NOTHING
  RETURNING channel, message_id`;

// The version check and the write are one statement, so a turn computed from a stale row never lands.
const UPDATE_CONVERSATIONS = `UPDATE conversations c
  SET state = x.s, version = c.version + 1, updated_at = ${ts('x.u')}, reply_to = COALESCE(x.r, c.reply_to), abandoned_at = NULL
  FROM jsonb_to_recordset($1::text::jsonb) AS x(id text, v int, s jsonb, u float8, r jsonb)
  WHERE c.id = x.id AND c.version = x.v
  RETURNING c.id, c.version`;

const DELETE_INBOX = `DELETE FROM inbox i
  USING jsonb_to_recordset($1::text::jsonb) AS x(ch text, mid text)
  WHERE i.channel = x.ch AND i.message_id = x.mid`;

// SKIP LOCKED: two instances sweeping at once take different rows instead of waiting on each other.
const CLAIM_OUTBOX = `UPDATE outbox o SET lease_until = ${ts('$3::float8')}, attempts = o.attempts + 1
  WHERE o.id IN (
    SELECT id FROM outbox
    WHERE channel = $1 AND delivered_at IS NULL AND lease_until <= ${ts('$2::float8')}
    ORDER BY id LIMIT $4::int FOR UPDATE SKIP LOCKED)
  RETURNING o.id::float8 AS id, o.conversation_id, o.channel, o.payload, o.attempts, ${ms('o.created_at')} AS created_at`;

const EXISTING = `SELECT c.id FROM conversations c
  WHERE c.id IN (SELECT jsonb_array_elements_text($1::text::jsonb))`;

const inboxKey = (channel: string, messageId: string): string => `${channel}\u0000${messageId}`;

function messageRows(conversationId: string, messages: TranscriptMessage[], into: MessageRow[]): void {
  for (const m of messages) into.push({ i: into.length, c: conversationId, d: m.direction, b: m.body ?? null, a: m.at });
}

function eventRows(conversationId: string, events: AnalyticsEvent[], into: EventRow[], dims: EventDims): void {
  for (const e of events) {
    into.push({ i: into.length, c: conversationId, n: e.name, f: e.flow ?? null, s: e.step ?? null, d: e.data ?? null, a: e.at, ...dims });
  }
}

const dimsOf = (channel: Channel | undefined, state: ConversationState): EventDims => ({ ch: channel ?? null, lo: state.locale ?? null, co: state.country ?? null });

interface OutboxRow {
  c: string;
  ch: string;
  p: unknown;
  l: number;
}

// Transcript lines, analytics events and outbox rows in one statement (data-modifying CTEs): one
// round trip instead of three, which is most of a small transaction's cost on the embedded store.
const INSERT_ROWS = `WITH m AS (${INSERT_MESSAGES}),
  e AS (${INSERT_EVENTS.replace('$1', '$2')})
  INSERT INTO outbox (conversation_id, channel, payload, created_at, lease_until)
  SELECT x.c, x.ch, x.p, now(), ${ts('x.l')}
  FROM jsonb_to_recordset($3::text::jsonb) AS x(c text, ch text, p jsonb, l float8)
  RETURNING id::float8 AS id, conversation_id`;

/** Writes the rows of a batch (outbox: at most one per conversation); returns the outbox id per conversation. */
async function insertRows(tx: Sql, messages: MessageRow[], events: EventRow[], outbox: OutboxRow[] = []): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  if (messages.length + events.length + outbox.length === 0) return ids;
  const written = await tx.query<{ id: number; conversation_id: string }>(INSERT_ROWS, [json(messages), json(events), json(outbox)]);
  for (const r of written) ids.set(r.conversation_id, Number(r.id));
  return ids;
}

const outboxRow = (conversationId: string, o: OutboxWrite): OutboxRow => ({ c: conversationId, ch: o.channel, p: o.payload, l: o.leaseUntil });

/**
 * Writes a batch of turns (distinct conversations, distinct inbox ids) in one transaction and
 * returns each turn's own result: a duplicate, a stale version or a missing conversation fails
 * only that turn. Statements: inbox insert → version-checked update → (rare) undo of inbox rows
 * whose update failed → transcript, events and outbox in one statement → (rare) which conversations exist.
 */
async function writeBatch(tx: Sql, turns: readonly TurnCommit[]): Promise<CommitResult[]> {
  const withInbox = turns.filter((t) => t.inbox);
  const inboxTaken = new Set<string>();
  if (withInbox.length > 0) {
    const rows = await tx.query<{ channel: string; message_id: string }>(INSERT_INBOX, [
      json(withInbox.map((t) => ({ ch: t.inbox?.channel, mid: t.inbox?.messageId, c: t.conversationId }))),
    ]);
    for (const r of rows) inboxTaken.add(inboxKey(r.channel, r.message_id));
  }
  const passedInbox = (t: TurnCommit): boolean => !t.inbox || inboxTaken.has(inboxKey(t.inbox.channel, t.inbox.messageId));

  const candidates = turns.filter(passedInbox);
  const updated = new Map<string, number>();
  if (candidates.length > 0) {
    // Sorted by id so concurrent batches (other processes) tend to lock rows in the same order.
    const rows = candidates
      .map((t) => ({
        id: t.conversationId,
        v: t.expectedVersion,
        s: t.state,
        u: typeof t.state.updatedAt === 'number' ? t.state.updatedAt : Date.now(),
        ...(t.replyTo !== undefined ? { r: t.replyTo } : {}),
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const r of await tx.query<{ id: string; version: number }>(UPDATE_CONVERSATIONS, [json(rows)])) updated.set(r.id, Number(r.version));
  }

  const undo = candidates.filter((t) => t.inbox && !updated.has(t.conversationId));
  if (undo.length > 0) await tx.query(DELETE_INBOX, [json(undo.map((t) => ({ ch: t.inbox?.channel, mid: t.inbox?.messageId })))]);

  const messages: MessageRow[] = [];
  const events: EventRow[] = [];
  for (const t of turns) {
    if (!updated.has(t.conversationId)) continue;
    messageRows(t.conversationId, t.messages, messages);
    eventRows(t.conversationId, t.events, events, dimsOf(t.channel, t.state));
  }
  const outboxIds = await insertRows(
    tx,
    messages,
    events,
    turns.flatMap((t) => (t.outbox && updated.has(t.conversationId) ? [outboxRow(t.conversationId, t.outbox)] : [])),
  );

  const failed = turns.filter((t) => !updated.has(t.conversationId));
  const existing = new Set<string>();
  if (failed.length > 0) {
    for (const r of await tx.query<{ id: string }>(EXISTING, [json(failed.map((t) => t.conversationId))])) existing.add(r.id);
  }
  return turns.map((t): CommitResult => {
    const version = updated.get(t.conversationId);
    const outboxId = outboxIds.get(t.conversationId);
    if (version !== undefined) return outboxId === undefined ? { ok: true, version } : { ok: true, version, outboxId };
    if (!existing.has(t.conversationId)) return { ok: false, code: 'conversation.missing' };
    return { ok: false, code: passedInbox(t) ? 'version.conflict' : 'inbox.duplicate' };
  });
}

interface DeskRow {
  conversation_id: string;
  channel: string;
  ts: string;
  created_at: number;
  mirrored_seq: number;
  handed_off: boolean;
}

const DESK_COLUMNS = `conversation_id, channel, ts, ${ms('created_at')} AS created_at, mirrored_seq::float8 AS mirrored_seq, handed_off`;

const toDeskThread = (r: DeskRow): DeskThread => ({
  conversationId: r.conversation_id,
  channel: r.channel,
  ts: r.ts,
  createdAt: Number(r.created_at),
  mirroredSeq: Number(r.mirrored_seq),
  handedOff: r.handed_off === true,
});

/** A notice from another instance; anything malformed is ignored (it is only a hint to re-read). */
function parseNotice(payload: string): Notice | undefined {
  try {
    const v = JSON.parse(payload) as Partial<Notice> | null;
    if (!v || typeof v.conversationId !== 'string') return undefined;
    return { conversationId: v.conversationId, ...(v.queue === true ? { queue: true } : {}), ...(v.push === true ? { push: true } : {}) };
  } catch {
    return undefined;
  }
}

interface Pending {
  turn: TurnCommit;
  resolve: (r: CommitResult) => void;
  reject: (err: unknown) => void;
}

/** Where a stored conversation stands, for the agents' lists. */
function whereabouts(r: ConversationRow): ConversationWhereabouts {
  const st = r.state;
  const value = st.flow.value;
  return {
    id: r.id,
    channel: r.channel,
    locale: st.locale,
    ...(st.country ? { country: st.country } : {}),
    flow: st.flow.id,
    step: typeof value === 'string' ? value : JSON.stringify(value),
    updatedAt: Number(r.updated_at),
    ...(st.lastCheck ? { lastCheck: { verdict: st.lastCheck.verdict, failed: st.lastCheck.failed } } : {}),
  };
}

export function createSqlStore(sql: Sql, opts: SqlStoreOptions = {}): SqlStore {
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const maxBatch = Math.max(1, opts.maxBatch ?? 500);
  const migrations = opts.migrations ?? MIGRATIONS;
  const schema = opts.schema === undefined ? undefined : assertSchemaName(opts.schema);
  // One notification channel per schema, so stores side by side in one database (tests) do not hear each other.
  const noticeChannel = `llavero_${schema ?? 'public'}`.toLowerCase();
  const unavailableRetryMs = Math.max(0, opts.unavailableRetryMs ?? 5_000);

  /** The one health probe in flight, if any: callers during a stall share it rather than stacking more. */
  let probe: Promise<StoreHealth> | undefined;
  async function probeHealth(): Promise<StoreHealth> {
    try {
      const rows = await sql.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
      const applied = Number(rows[0]?.v ?? 0);
      return { reachable: true, pendingMigrations: migrations.filter((m) => m.version > applied).length };
    } catch (err) {
      // No migrations table yet is "reachable, nothing applied"; anything else is unreachable.
      if (sqlState(err) === '42P01') return { reachable: true, pendingMigrations: migrations.length };
      return { reachable: false, pendingMigrations: migrations.length };
    }
  }

  async function applyMigrations(): Promise<Migration[]> {
    // Unbounded: a migration may build an index on a large table; the statement timeout is for turns.
    return sql.transaction(async (tx) => {
      // Held to the end of this transaction: a second process waits here, then finds nothing to do.
      await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      if (schema) await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const done = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
      const ran: Migration[] = [];
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(m.version)) continue;
        for (const statement of m.statements) await tx.query(statement);
        await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        ran.push(m);
      }
      return ran;
    }, { unbounded: true });
  }

  async function createConversation(c: NewConversation): Promise<CommitResult> {
    return sql.transaction(async (tx) => {
      // No conflict target: a clash on id, token or channel key all mean "someone created it first".
      const inserted = await tx.query(
        `INSERT INTO conversations (id, channel, channel_key, token_hash, state, version, created_at, updated_at, reply_to)
         VALUES ($1, $2, $3, $4, $5::text::jsonb, 1, ${ts('$6::float8')}, ${ts('$6::float8')}, $7::text::jsonb)
         ON CONFLICT DO NOTHING RETURNING id`,
        [c.id, c.channel, c.channelKey ?? null, c.tokenHash ?? null, json(c.state), c.at, c.replyTo === undefined ? null : json(c.replyTo)],
      );
      if (inserted.length === 0) return { ok: false, code: 'conversation.exists' } as const;
      // ON CONFLICT DO NOTHING: an id already seen (a conversation since deleted) must not fail the creation.
      if (c.inbox) await tx.query(INSERT_INBOX, [json([{ ch: c.inbox.channel, mid: c.inbox.messageId, c: c.id }])]);
      const messages: MessageRow[] = [];
      const events: EventRow[] = [];
      messageRows(c.id, c.messages, messages);
      eventRows(c.id, c.events, events, dimsOf(c.channel, c.state));
      const outboxId = (await insertRows(tx, messages, events, c.outbox ? [outboxRow(c.id, c.outbox)] : [])).get(c.id);
      return outboxId === undefined ? ({ ok: true, version: 1 } as const) : ({ ok: true, version: 1, outboxId } as const);
    });
  }

  async function findOne(where: string, params: unknown[]): Promise<ConversationRecord | undefined> {
    const rows = await sql.query<ConversationRow>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE ${where}`, params);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async function findDesk(where: string, params: unknown[]): Promise<DeskThread | undefined> {
    const rows = await sql.query<DeskRow>(`SELECT ${DESK_COLUMNS} FROM desk_threads WHERE ${where}`, params);
    return rows[0] ? toDeskThread(rows[0]) : undefined;
  }

  // ---- group commit -------------------------------------------------------------------------
  // Turns queue up; a flush starts on the next macrotask (setImmediate: no timer, so an idle
  // commit waits only for the current tick) whenever fewer than `concurrency` batches are in
  // flight, and takes everything queued. Under load, the turns arriving while batches are in
  // flight form the next batch, so one transaction (one WAL flush) carries hundreds of turns.
  let queue: Pending[] = [];
  let inFlight = 0;
  let scheduled = false;
  /** Conversations with a turn in an in-flight batch: their later turns wait, keeping per-conversation order. */
  const busy = new Set<string>();
  let idle: Array<() => void> = [];

  function kick(): void {
    if (scheduled || inFlight >= concurrency || queue.length === 0) return;
    scheduled = true;
    setImmediate(drain);
  }

  /** The next batch: oldest first, at most one turn per conversation and per inbox id. */
  function take(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const seen = new Set<string>();
    const keys = new Set<string>();
    for (const p of queue) {
      const id = p.turn.conversationId;
      const key = p.turn.inbox ? inboxKey(p.turn.inbox.channel, p.turn.inbox.messageId) : undefined;
      if (batch.length < maxBatch && !busy.has(id) && !seen.has(id) && !(key !== undefined && keys.has(key))) {
        batch.push(p);
        if (key !== undefined) keys.add(key);
      } else {
        rest.push(p);
      }
      // Also for a turn left behind: later turns of its conversation must not overtake it.
      seen.add(id);
    }
    queue = rest;
    return batch;
  }

  function drain(): void {
    scheduled = false;
    while (inFlight < concurrency) {
      const batch = take();
      if (batch.length === 0) break;
      inFlight++;
      for (const p of batch) busy.add(p.turn.conversationId);
      void flush(batch).finally(() => {
        inFlight--;
        for (const p of batch) busy.delete(p.turn.conversationId);
        kick();
        if (inFlight === 0 && queue.length === 0) {
          const waiters = idle;
          idle = [];
          for (const w of waiters) w();
        }
      });
    }
  }

  async function writeWithRetry(turns: readonly TurnCommit[]): Promise<CommitResult[]> {
    const giveUpAt = Date.now() + unavailableRetryMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await sql.transaction((tx) => writeBatch(tx, turns));
      } catch (err) {
        if (isStoreUnavailable(err) && err.applied === false && Date.now() < giveUpAt) {
          // Not applied: safe to write again once the pool has a fresh connection.
          await new Promise((r) => setTimeout(r, Math.min(1_000, 25 * 2 ** Math.min(attempt, 6))));
          continue;
        }
        if (!retryable(err) || attempt >= 5) throw err;
      }
    }
  }

  async function flush(batch: Pending[]): Promise<void> {
    try {
      const results = await writeWithRetry(batch.map((p) => p.turn));
      batch.forEach((p, i) => p.resolve(results[i] ?? { ok: false, code: 'conversation.missing' }));
    } catch (err) {
      if (batch.length === 1 || !turnsFault(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      // One turn's bad data failed the whole batch: write each alone so only that one fails.
      for (const p of batch) {
        try {
          const [r] = await writeWithRetry([p.turn]);
          p.resolve(r ?? { ok: false, code: 'conversation.missing' });
        } catch (e) {
          p.reject(e);
        }
      }
    }
  }

  function commitTurn(turn: TurnCommit): Promise<CommitResult> {
    return new Promise<CommitResult>((resolve, reject) => {
      queue.push({ turn, resolve, reject });
      kick();
    });
  }

  return {
    sql,
    applyMigrations,
    migrate: async () => {
      await applyMigrations();
    },
    createConversation,
    getConversation: (id) => findOne('id = $1', [id]),
    findByToken: (tokenHash) => findOne('token_hash = $1', [tokenHash]),
    findByChannelKey: (channel, channelKey) => findOne('channel = $1 AND channel_key = $2', [channel, channelKey]),
    commitTurn,
    async transcript(conversationId, { limit, after } = {}): Promise<StoredMessage[]> {
      const rows = await sql.query<{ seq: number; direction: 'in' | 'out'; body: unknown; at: number }>(
        `SELECT m.seq::float8 AS seq, m.direction, m.body, ${ms('m.at')} AS at
         FROM (SELECT * FROM messages WHERE conversation_id = $1 AND seq > $3::bigint ORDER BY seq DESC LIMIT $2::int) m
         ORDER BY m.seq`,
        [conversationId, limit ?? null, after ?? 0],
      );
      return rows.map((r) => ({ seq: Number(r.seq), direction: r.direction, body: r.body, at: Number(r.at) }));
    },
    async inboxSeen(channel, messageId) {
      const rows = await sql.query('SELECT 1 AS seen FROM inbox WHERE channel = $1 AND message_id = $2', [channel, messageId]);
      return rows.length > 0;
    },
    async claimOutbox(channel, { now, leaseUntil, limit = 50 }): Promise<OutboxItem[]> {
      const rows = await sql.query<{ id: number; conversation_id: string; channel: Channel; payload: unknown; attempts: number; created_at: number }>(CLAIM_OUTBOX, [
        channel,
        now,
        leaseUntil,
        limit,
      ]);
      return rows
        .map((r) => ({ id: Number(r.id), conversationId: r.conversation_id, channel: r.channel, payload: r.payload, attempts: Number(r.attempts), createdAt: Number(r.created_at) }))
        .sort((a, b) => a.id - b.id);
    },
    async outboxDelivered(ids, at) {
      if (ids.length === 0) return;
      await sql.query(`UPDATE outbox SET delivered_at = ${ts('$2::float8')} WHERE id IN (SELECT jsonb_array_elements_text($1::text::jsonb)::bigint)`, [json(ids), at]);
    },
    async health({ timeoutMs = 1_500 } = {}) {
      const current = (probe ??= probeHealth().finally(() => (probe = undefined)));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<StoreHealth>((resolve) => {
        timer = setTimeout(() => resolve({ reachable: false, pendingMigrations: migrations.length }), timeoutMs);
      });
      try {
        return await Promise.race([current, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    async deleteOlderThan(before, { batch = 1000 } = {}) {
      let conversations = 0;
      let messages = 0;
      for (;;) {
        const rows = await sql.query<{ n: number }>(
          `WITH d AS (DELETE FROM conversations WHERE id IN (
             SELECT id FROM conversations WHERE updated_at < ${ts('$1::float8')} LIMIT $2::int) RETURNING 1)
           SELECT count(*)::int AS n FROM d`,
          [before, batch],
        );
        const n = Number(rows[0]?.n ?? 0);
        conversations += n;
        if (n < batch) break;
      }
      for (;;) {
        const rows = await sql.query<{ n: number }>(
          `WITH d AS (DELETE FROM messages WHERE seq IN (
             SELECT seq FROM messages WHERE at < ${ts('$1::float8')} LIMIT $2::int) RETURNING 1)
           SELECT count(*)::int AS n FROM d`,
          [before, batch * 5],
        );
        const n = Number(rows[0]?.n ?? 0);
        messages += n;
        if (n < batch * 5) break;
      }
      // Channel message ids only guard against redeliveries, which come within minutes.
      await sql.query(`DELETE FROM inbox WHERE at < ${ts('$1::float8')}`, [before]);
      await sql.query(`DELETE FROM outbox WHERE delivered_at < ${ts('$1::float8')}`, [before]);
      return { conversations, messages };
    },
    async markAbandoned(before, at, { limit = 1000 } = {}) {
      let marked = 0;
      for (;;) {
        const rows = await sql.query<{ id: string; version: number; channel: Channel; state: ConversationState; updated_at: number }>(
          `SELECT id, version, channel, state, ${ms('updated_at')} AS updated_at FROM conversations
           WHERE abandoned_at IS NULL AND state->>'status' = 'active' AND NOT (state ? 'handoff') AND updated_at < ${ts('$1::float8')}
           ORDER BY updated_at LIMIT $2::int`,
          [before, limit],
        );
        if (rows.length === 0) return marked;
        const marks = rows.map((r) => ({
          id: r.id,
          v: Number(r.version),
          f: r.state.flow.id,
          s: pathOf(r.state.flow.value as StateValue),
          d: { idleMs: Math.max(0, at - Number(r.updated_at)), ...(r.state.stack[0] ? { within: r.state.stack[0].id } : {}) },
          ...dimsOf(r.channel, r.state),
        }));
        // The version check keeps a conversation that just got a message from being marked.
        const done = await sql.query<{ n: number }>(
          `WITH x AS (SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS x(id text, v int, f text, s text, d jsonb, ch text, lo text, co text)),
           u AS (UPDATE conversations c SET abandoned_at = ${ts('$2::float8')} FROM x WHERE c.id = x.id AND c.version = x.v AND c.abandoned_at IS NULL RETURNING c.id),
           e AS (INSERT INTO events (conversation_id, name, flow, step, data, at, channel, locale, country)
             SELECT x.id, 'flow.abandoned', x.f, x.s, x.d, ${ts('$2::float8')}, x.ch, x.lo, x.co FROM x JOIN u ON u.id = x.id RETURNING 1)
           SELECT count(*)::int AS n FROM e`,
          [json(marks), at],
        );
        marked += Number(done[0]?.n ?? 0);
        if (rows.length < limit) return marked;
      }
    },
    async handoffOutlook({ since, now, sample = 100, windowMs = 7 * 24 * 3_600_000 }) {
      const [a] = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM conversations WHERE ${QUEUED} AND (state->'handoff'->>'at')::float8 < $1::float8`,
        [since],
      );
      const [w] = await sql.query<{ median: number | null; n: number }>(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY wait) AS median, count(*)::int AS n FROM (
           SELECT (data->>'waitMs')::float8 AS wait FROM events
           WHERE name = 'handoff.claimed' AND at > ${ts('$1::float8')} AND data ? 'waitMs'
           ORDER BY at DESC LIMIT $2::int) recent`,
        [now - windowMs, sample],
      );
      // Fewer than five claims is not a history worth quoting to a customer.
      const typical = w && Number(w.n) >= 5 && w.median !== null ? Number(w.median) : undefined;
      return { ahead: Number(a?.n ?? 0), ...(typical !== undefined ? { typicalWaitMs: typical } : {}) };
    },
    async notify(n: Notice) {
      await sql.query('SELECT pg_notify($1, $2)', [noticeChannel, JSON.stringify(n)]);
    },
    async listen(fn, onReconnect) {
      return sql.listen(
        noticeChannel,
        (payload) => {
          const n = parseNotice(payload);
          if (n) fn(n);
        },
        onReconnect,
      );
    },
    async handoffQueue({ limit = 200 } = {}): Promise<QueuedConversation[]> {
      const rows = await sql.query<ConversationRow>(
        `SELECT ${CONVERSATION_COLUMNS} FROM conversations
         WHERE state ? 'handoff' AND state->>'status' = 'active'
         ORDER BY (state->'handoff'->>'at')::float8 LIMIT $1::int`,
        [limit],
      );
      return rows.map((r) => {
        const st = r.state;
        return {
          ...whereabouts(r),
          reason: st.handoff?.reason ?? 'asked',
          since: Number(st.handoff?.at ?? 0),
          status: st.handoff?.status ?? 'queued',
          ...(st.handoff?.agent ? { agent: st.handoff.agent } : {}),
          ...(st.handoff?.email ? { email: st.handoff.email } : {}),
        };
      });
    },
    async activeConversations({ since, limit = 50 }) {
      const rows = await sql.query<ConversationRow>(
        `SELECT ${CONVERSATION_COLUMNS} FROM conversations
         WHERE updated_at > ${ts('$1::float8')} AND state->>'status' = 'active' AND NOT state ? 'handoff'
         ORDER BY updated_at DESC LIMIT $2::int`,
        [since, Math.max(1, Math.min(200, limit))],
      );
      return rows.map((r) => ({
        ...whereabouts(r),
        startedAt: r.state.startedAt,
        failures: Object.values(r.state.failures ?? {}).reduce((n, k) => n + k, 0),
        secretFailures: r.state.secretFailures?.length ?? 0,
      }));
    },
    async queueStats() {
      const [h] = await sql.query<{ n: number; oldest: number | null }>(
        `SELECT count(*)::int AS n, min((state->'handoff'->>'at')::float8) AS oldest FROM conversations WHERE ${QUEUED}`,
      );
      const [o] = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE delivered_at IS NULL');
      const oldest = h?.oldest === null || h?.oldest === undefined ? undefined : Number(h.oldest);
      return { handoffWaiting: Number(h?.n ?? 0), ...(oldest !== undefined ? { oldestHandoffAt: oldest } : {}), outboxPending: Number(o?.n ?? 0) };
    },
    async recordDeskThread(t) {
      // ON CONFLICT DO NOTHING on the conversation (primary key) and on (channel, ts): the first
      // writer wins, everyone else learns it from the empty RETURNING. The EXISTS keeps a
      // conversation deleted meanwhile (retention) from tripping the foreign key.
      const rows = await sql.query(
        `INSERT INTO desk_threads (conversation_id, channel, ts, created_at, mirrored_seq, handed_off)
         SELECT $1, $2, $3, ${ts('$4::float8')}, $5::bigint, $6::boolean
         WHERE EXISTS (SELECT 1 FROM conversations WHERE id = $1)
         ON CONFLICT DO NOTHING RETURNING conversation_id`,
        [t.conversationId, t.channel, t.ts, t.createdAt, t.mirroredSeq, t.handedOff],
      );
      return rows.length > 0;
    },
    deskThreadOf: (conversationId) => findDesk('conversation_id = $1', [conversationId]),
    deskThreadAt: (channel, threadTs) => findDesk('channel = $1 AND ts = $2', [channel, threadTs]),
    async updateDeskThread(conversationId, from, to) {
      const rows = await sql.query(
        `UPDATE desk_threads SET ts = $5, mirrored_seq = $6::bigint, handed_off = $7::boolean,
           created_at = COALESCE(${ts('$8::float8')}, created_at)
         WHERE conversation_id = $1 AND ts = $2 AND mirrored_seq = $3::bigint AND handed_off = $4::boolean
         RETURNING conversation_id`,
        [conversationId, from.ts, from.mirroredSeq, from.handedOff, to.ts, to.mirroredSeq, to.handedOff, to.createdAt ?? null],
      );
      return rows.length > 0;
    },
    async deleteDeskThread(conversationId, threadTs) {
      const rows = await sql.query('DELETE FROM desk_threads WHERE conversation_id = $1 AND ts = $2 RETURNING conversation_id', [conversationId, threadTs]);
      return rows.length > 0;
    },
    async claimInbox({ channel, messageId, conversationId }) {
      const rows = await sql.query(INSERT_INBOX, [json([{ ch: channel, mid: messageId, c: conversationId }])]);
      return rows.length > 0;
    },
    async releaseInbox(channel, messageId) {
      await sql.query('DELETE FROM inbox WHERE channel = $1 AND message_id = $2', [channel, messageId]);
    },
    async close() {
      // Let queued and in-flight turns finish: their callers are awaiting a result.
      if (inFlight > 0 || queue.length > 0) await new Promise<void>((resolve) => idle.push(resolve));
      await sql.close();
    },
  };
}
