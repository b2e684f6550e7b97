/** The schema, as one ordered list of migrations in the SQL both PostgreSQL and PGlite speak. */
import { journeyMigration } from './journeys.ts';

export interface Migration {
  /** Strictly increasing; recorded in `schema_migrations` once applied. */
  version: number;
  name: string;
  /** One statement per entry: PGlite's extended protocol runs a single statement per query. */
  statements: string[];
}

/**
 * Never edit an applied migration: add a new one. Tables are unqualified so they land in the
 * connection's `search_path` (a test's fresh schema, or `public`).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'conversations, messages, events, inbox',
    statements: [
      `CREATE TABLE conversations (
        id text PRIMARY KEY,
        channel text NOT NULL,
        channel_key text,
        token_hash text UNIQUE,
        state jsonb NOT NULL,
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`,
      // A channel's thread maps to one conversation; web chat has no key (tokens find those).
      `CREATE UNIQUE INDEX conversations_channel_key ON conversations (channel, channel_key) WHERE channel_key IS NOT NULL`,
      `CREATE TABLE messages (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        direction text NOT NULL CHECK (direction IN ('in', 'out')),
        body jsonb NOT NULL,
        at timestamptz NOT NULL
      )`,
      // Transcripts read the newest N of one conversation.
      `CREATE INDEX messages_conversation_seq ON messages (conversation_id, seq)`,
      `CREATE TABLE events (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        name text NOT NULL,
        flow text,
        step text,
        data jsonb,
        at timestamptz NOT NULL
      )`,
      // Analytics: counts of one event over time, and funnels per flow over time.
      `CREATE INDEX events_name_at ON events (name, at)`,
      `CREATE INDEX events_flow_at ON events (flow, at) WHERE flow IS NOT NULL`,
      `CREATE INDEX events_conversation_seq ON events (conversation_id, seq)`,
      `CREATE TABLE inbox (
        channel text NOT NULL,
        message_id text NOT NULL,
        conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        at timestamptz NOT NULL,
        PRIMARY KEY (channel, message_id)
      )`,
      `CREATE INDEX inbox_conversation ON inbox (conversation_id)`,
    ],
  },
  {
    version: 2,
    name: 'outbox',
    statements: [
      // Replies for channels we post to (Slack, Teams), written with the turn that produced them,
      // so a crash between the commit and the post cannot lose an answer: the sender marks a row
      // delivered; rows whose lease ran out are picked up again by any instance.
      `CREATE TABLE outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        channel text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        lease_until timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        delivered_at timestamptz
      )`,
      `CREATE INDEX outbox_pending ON outbox (channel, lease_until) WHERE delivered_at IS NULL`,
    ],
  },
  {
    version: 3,
    name: 'conversation reply address',
    statements: [
      // Where the customer's channel takes messages we send on our own (an agent's reply): a Slack
      // channel and thread, a Teams conversation reference. Updated by turns that carry one.
      `ALTER TABLE conversations ADD COLUMN reply_to jsonb`,
    ],
  },
  {
    version: 4,
    name: 'retention, handoff queue',
    statements: [
      // Analytics events hold no personal data and outlive the conversations that retention deletes.
      `ALTER TABLE events DROP CONSTRAINT IF EXISTS events_conversation_id_fkey`,
      // Retention finds old conversations and old transcript lines without a scan.
      `CREATE INDEX conversations_updated_at ON conversations (updated_at)`,
      `CREATE INDEX messages_at ON messages (at)`,
      `CREATE INDEX inbox_at ON inbox (at)`,
      // The handoff queue (conversations waiting for a person), for /metrics and the agents' queue.
      `CREATE INDEX conversations_handoff ON conversations (((state->'handoff'->>'at')::float8)) WHERE state ? 'handoff' AND state->>'status' = 'active'`,
    ],
  },
  {
    version: 5,
    name: 'staff accounts, sessions, audit log',
    statements: [
      // Support staff: agents take conversations, managers see analytics, admins manage accounts.
      `CREATE TABLE users (
        id text PRIMARY KEY,
        email text NOT NULL,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('agent', 'manager', 'admin')),
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        disabled_at timestamptz
      )`,
      `CREATE UNIQUE INDEX users_email ON users (lower(email))`,
      // A session is found by the SHA-256 of its cookie; the cookie itself is never stored.
      `CREATE TABLE sessions (
        token_hash text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        csrf text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`,
      `CREATE INDEX sessions_user ON sessions (user_id)`,
      // Who did what to which conversation, and when: claims, views, replies, transfers, closes, logins.
      `CREATE TABLE audit (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL,
        actor_id text,
        action text NOT NULL,
        conversation_id text,
        data jsonb
      )`,
      `CREATE INDEX audit_conversation ON audit (conversation_id, seq) WHERE conversation_id IS NOT NULL`,
    ],
  },
  {
    version: 6,
    name: 'slack agents desk threads',
    statements: [
      // The Slack agents' desk (SLACK_HANDOFF_CHANNEL): one thread per handed-off conversation. The
      // primary key keeps two instances from posting two threads: the first to insert the row (its
      // ts a pending marker, `pending:<uuid>`) posts the thread, then swaps in Slack's ts. The cursor
      // (mirrored_seq, handed_off) moves by compare-and-set, so one instance mirrors each transcript
      // line into the thread. Deleted with its conversation (retention).
      `CREATE TABLE desk_threads (
        conversation_id text PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
        channel text NOT NULL,
        ts text NOT NULL,
        created_at timestamptz NOT NULL,
        mirrored_seq bigint NOT NULL DEFAULT 0,
        handed_off boolean NOT NULL DEFAULT true
      )`,
      // An agent's reply in a thread finds its conversation by the thread's (channel, ts).
      `CREATE UNIQUE INDEX desk_threads_channel_ts ON desk_threads (channel, ts)`,
    ],
  },
  {
    version: 7,
    name: 'analytics: event dimensions, abandonment',
    statements: [
      // Who the event is about, stamped at write time (channel, language, country at that turn), so
      // the dashboard filters without joining conversations (which retention deletes).
      `ALTER TABLE events ADD COLUMN channel text, ADD COLUMN locale text, ADD COLUMN country text`,
      // When the abandonment job last marked the conversation idle; cleared by the next turn.
      `ALTER TABLE conversations ADD COLUMN abandoned_at timestamptz`,
      // Per-procedure views read one flow's events of one kind over a date range.
      `CREATE INDEX events_flow_name_at ON events (flow, name, at) WHERE flow IS NOT NULL`,
      // The abandonment job finds idle, active, unmarked conversations without a scan.
      `CREATE INDEX conversations_idle ON conversations (updated_at) WHERE abandoned_at IS NULL AND state->>'status' = 'active'`,
    ],
  },
  {
    version: 8,
    name: 'analytics: journeys rollup',
    // Funnels over raw events took seconds at 100,000 conversations (see src/store/journeys.ts).
    statements: journeyMigration(),
  },
];
