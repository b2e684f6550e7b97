/** The storage port: conversations (persisted state + version), redacted transcripts, analytics events and the channel inbox. */
import type { AnalyticsEvent } from '../conversation/events.ts';
import type { ConversationState } from '../conversation/state.ts';

export type Channel = 'webchat' | 'slack' | 'teams' | 'cli';

export interface ConversationRecord {
  id: string;
  channel: Channel;
  channelKey?: string;
  state: ConversationState;
  /** Bumped by every committed turn; the optimistic-concurrency token. */
  version: number;
  /** The channel's address for messages we send unprompted (a Teams conversation reference, a Slack thread). */
  replyTo?: unknown;
  createdAt: number;
  updatedAt: number;
}

/** One transcript line. `body` is already redacted by the engine (secrets are `••••`). */
export interface TranscriptMessage {
  direction: 'in' | 'out';
  body: unknown;
  at: number;
}

export interface StoredMessage extends TranscriptMessage {
  seq: number;
}

export interface NewConversation {
  id: string;
  channel: Channel;
  channelKey?: string;
  /** SHA-256 (hex) of the web chat token; the token itself is never stored. */
  tokenHash?: string;
  state: ConversationState;
  at: number;
  messages: TranscriptMessage[];
  events: AnalyticsEvent[];
  /** The message that opened it (a channel's first event), so its redelivery is a duplicate. */
  inbox?: { channel: Channel; messageId: string };
  outbox?: OutboxWrite;
  replyTo?: unknown;
}

/** Replies to post on the customer's channel, written in the turn's transaction. */
export interface OutboxWrite {
  channel: Channel;
  payload: unknown;
  /** Until then (ms since epoch) the process that wrote it delivers it; after, anyone may. */
  leaseUntil: number;
}

export interface OutboxItem {
  id: number;
  conversationId: string;
  channel: Channel;
  payload: unknown;
  attempts: number;
  createdAt: number;
}

/** Where a conversation stands, as the agents' lists show it. */
export interface ConversationWhereabouts {
  id: string;
  channel: Channel;
  locale: string;
  country?: string;
  /** The procedure and step the customer is at. */
  flow: string;
  step: string;
  updatedAt: number;
  /** The last certificate check's outcome. */
  lastCheck?: { verdict: string; failed: string[] };
}

export interface QueuedConversation extends ConversationWhereabouts {
  reason: string;
  /** When they asked for a person (ms since epoch). */
  since: number;
  /** queued: waiting for an agent; assigned: `agent` has it. */
  status: 'queued' | 'assigned';
  agent?: { id: string; name: string };
  /** Left by the customer outside business hours. */
  email?: string;
}

/** A conversation with the bot, as an agent scanning for someone to help sees it. */
export interface ActiveConversation extends ConversationWhereabouts {
  startedAt: number;
  /** Times a step "did not work" in this conversation, and wrong PINs typed: where it is going badly. */
  failures: number;
  secretFailures: number;
}

/** A change other instances should hear of: a conversation's transcript or handoff status moved on. */
export interface Notice {
  conversationId: string;
  /** The queue changed (joined, taken, transferred, left). */
  queue?: boolean;
  /** Staff wrote to the customer: instances holding the customer's web chat socket push it. */
  push?: boolean;
}

/**
 * A conversation's thread in the Slack agents' desk. While one instance posts the thread's first
 * message, `ts` is a pending marker (`pending:<uuid>`) unique to that attempt.
 */
export interface DeskThread {
  conversationId: string;
  /** The desk channel's id. */
  channel: string;
  /** The thread's first message (Slack's `ts`), or the pending marker. */
  ts: string;
  /** When the row was written (for a pending marker: when that attempt began). */
  createdAt: number;
  /** The last transcript line (seq) mirrored into the thread. */
  mirroredSeq: number;
  /** Whether the conversation was with a person, or waiting for one, as of `mirroredSeq`. */
  handedOff: boolean;
}

/** The part of a desk thread that moves on: compared and set together. */
export type DeskCursor = Pick<DeskThread, 'ts' | 'mirroredSeq' | 'handedOff'>;

export interface TurnCommit {
  conversationId: string;
  /** The version the turn was computed from; the commit fails if the row moved on. */
  expectedVersion: number;
  state: ConversationState;
  messages: TranscriptMessage[];
  events: AnalyticsEvent[];
  /** The channel's message id, recorded in the same transaction so a redelivery applies once. */
  inbox?: { channel: Channel; messageId: string };
  outbox?: OutboxWrite;
  /** The channel's latest reply address; absent: keep the stored one. */
  replyTo?: unknown;
  /** The conversation's channel, stamped on its analytics events (with the state's language and country). */
  channel?: Channel;
}

export type StoreErrorCode = 'version.conflict' | 'inbox.duplicate' | 'conversation.missing' | 'conversation.exists';

export type CommitResult = { ok: true; version: number; outboxId?: number } | { ok: false; code: StoreErrorCode };

/**
 * The database could not be reached, or the connection broke (a failover, a network blip, a
 * statement that got no answer in time). Thrown, with a stable code, by any store call; a fault of
 * the database or the network, never of the data, so the caller may try again later.
 */
export class StoreUnavailableError extends Error {
  readonly code = 'store.unavailable';
  /**
   * false: certainly not applied (the store already retried it for a while). 'unknown': the
   * connection died during COMMIT and the outcome could not be learned; a retry may apply a second
   * time unless it is guarded (an inbox id turns the second into `inbox.duplicate`).
   */
  readonly applied: false | 'unknown';

  constructor(message: string, { applied, cause }: { applied: false | 'unknown'; cause?: unknown }) {
    super(message, { cause });
    this.name = 'StoreUnavailableError';
    this.applied = applied;
  }
}

export const isStoreUnavailable = (err: unknown): err is StoreUnavailableError => err instanceof StoreUnavailableError;

/** /readyz: the database answered within the time given (and how many migrations are not applied yet). */
export interface StoreHealth {
  reachable: boolean;
  pendingMigrations: number;
}

export interface Store {
  /** Applies pending migrations; safe to run from several processes at once. */
  migrate(): Promise<void>;
  createConversation(c: NewConversation): Promise<CommitResult>;
  getConversation(id: string): Promise<ConversationRecord | undefined>;
  findByToken(tokenHash: string): Promise<ConversationRecord | undefined>;
  findByChannelKey(channel: Channel, channelKey: string): Promise<ConversationRecord | undefined>;
  /** State, transcript, events and inbox id in one transaction, only if the version still matches. */
  commitTurn(t: TurnCommit): Promise<CommitResult>;
  /** The newest `limit` lines (or those after `after`), oldest first. */
  transcript(conversationId: string, opts?: { limit?: number; after?: number }): Promise<StoredMessage[]>;
  inboxSeen(channel: Channel, messageId: string): Promise<boolean>;
  /**
   * Undelivered outbox rows of a channel whose lease has run out (their writer crashed or gave
   * up), oldest first; each is leased to the caller until `leaseUntil`, so two instances never
   * take the same row at once.
   */
  claimOutbox(channel: Channel, opts: { now: number; leaseUntil: number; limit?: number }): Promise<OutboxItem[]>;
  /** Marks rows delivered (several at once: senders batch their marks). */
  outboxDelivered(ids: readonly number[], at: number): Promise<void>;
  /**
   * For /readyz: the database answers within `timeoutMs` (default 1500), and how many migrations
   * are not applied yet. Never throws and never waits longer; at most one probe is in flight, so a
   * stalled database does not pile up probes on the pool.
   */
  health(opts?: { timeoutMs?: number }): Promise<StoreHealth>;
  /**
   * Retention: deletes conversations untouched since `before` (with their transcript, inbox and
   * outbox rows) and older transcript lines of the others. Analytics events stay. Works in
   * batches so it never holds long locks; returns what it deleted.
   */
  deleteOlderThan(before: number, opts?: { batch?: number }): Promise<{ conversations: number; messages: number }>;
  /**
   * Abandonment: active conversations not with a person, untouched since `before` and not marked
   * yet, are marked and get a `flow.abandoned` event (at the flow and step they stopped at, stamped
   * `at`). A conversation whose row moved on meanwhile is left alone. Returns how many were marked.
   */
  markAbandoned(before: number, at: number, opts?: { limit?: number }): Promise<number>;
  /** Conversations with a person or waiting for one, longest-waiting first, with what an agent needs to pick one. */
  handoffQueue(opts?: { limit?: number }): Promise<QueuedConversation[]>;
  /** Conversations with the bot (not handed off, not ended) that moved since `since`, most recent first: agents may step in. */
  activeConversations(opts: { since: number; limit?: number }): Promise<ActiveConversation[]>;
  /**
   * For a customer joining the queue at `since`: how many queued conversations asked before, and
   * the median wait of the latest claims (at most `sample`, within `windowMs` before `now`).
   */
  handoffOutlook(q: { since: number; now: number; sample?: number; windowMs?: number }): Promise<{ ahead: number; typicalWaitMs?: number }>;
  /** Tells every instance (this one too) about a change; delivery is best effort (LISTEN/NOTIFY). */
  notify(n: Notice): Promise<void>;
  /** Hears every instance's notices until the returned function is called. `onReconnect`: notices may have been missed. */
  listen(fn: (n: Notice) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  /** Conversations waiting for a person, and when the longest-waiting one asked (ms); outbox rows not yet delivered. */
  queueStats(): Promise<{ handoffWaiting: number; oldestHandoffAt?: number; outboxPending: number }>;
  /**
   * Records a desk thread (INSERT … ON CONFLICT DO NOTHING): true if this call wrote it; false if the
   * conversation already has one, the channel and ts are taken, or the conversation is gone.
   */
  recordDeskThread(t: DeskThread): Promise<boolean>;
  deskThreadOf(conversationId: string): Promise<DeskThread | undefined>;
  /** The desk thread whose first message is `ts` in `channel` (an agent replied in it). */
  deskThreadAt(channel: string, ts: string): Promise<DeskThread | undefined>;
  /** Compare-and-set: moves the thread's cursor from `from` to `to` only if it still equals `from`; true if it did. */
  updateDeskThread(conversationId: string, from: DeskCursor, to: DeskCursor & { createdAt?: number }): Promise<boolean>;
  /** Deletes the thread's row if its `ts` is still `ts` (posting it failed: another attempt may try); true if it did. */
  deleteDeskThread(conversationId: string, ts: string): Promise<boolean>;
  /**
   * Records a channel message id applied outside a turn (an agent's reply in a desk thread), so a
   * redelivery applies once: true if it was new. `releaseInbox` forgets it (the action failed).
   */
  claimInbox(i: { channel: Channel; messageId: string; conversationId: string }): Promise<boolean>;
  releaseInbox(channel: Channel, messageId: string): Promise<void>;
  close(): Promise<void>;
}
