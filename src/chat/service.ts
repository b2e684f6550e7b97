/**
 * The chat service: durable, ordered turns for every channel. Loads a conversation, runs the
 * engine, commits state + transcript + analytics + inbox id in one write, and returns what to
 * show. Turns of one conversation run one at a time in this process (a queue per conversation)
 * and across processes by the store's version check, retried on conflict.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Bot } from '../bot.ts';
import type { QueueOutlook, StaffAction, StaffError, TranscriptEntry, TurnResult } from '../conversation/engine.ts';
import type { Country } from '../certs/report.ts';
import { runEffects } from '../conversation/runner.ts';
import { checkOnce, newRef, type TurnError } from './turn-errors.ts';
import type { AnalyticsEvent } from '../conversation/events.ts';
import type { FileHolds } from '../conversation/file-hold.ts';
import type { Inbound, Locale } from '../conversation/messages.ts';
import type { Rendered } from '../conversation/render.ts';
import type { ConversationState } from '../conversation/state.ts';
import type { Channel, ConversationRecord, Notice, Store, TranscriptMessage } from '../store/port.ts';

export interface HistoryItem {
  direction: 'in' | 'out';
  at: number;
  /** Transcript order (and the cursor for lines pushed later). */
  seq: number;
  /** Inbound: what the customer sent, secrets as `••••`. */
  text?: string;
  /** Outbound: the rendered message. */
  body?: Rendered;
}

export type SendResult =
  | { ok: true; duplicate: boolean; outbound: Rendered[]; state: ConversationState; locale: Locale; outboxId?: number }
  | { ok: false; code: 'conversation.missing' | 'conversation.busy' }
  /**
   * The turn threw (a bug): nothing changed, the message id is not in the inbox (a retry runs it
   * again), what the customer sent is in the transcript, `outbound` is the apology quoting `ref`,
   * and `ref` is in the log line of the error.
   */
  | { ok: false; code: 'turn.failed'; ref: string; outbound: Rendered[]; locale: Locale };

export interface OpenResult {
  id: string;
  /** Web chat only: the secret the browser keeps to resume (shown once, stored hashed). */
  token?: string;
  created: boolean;
  state: ConversationState;
  /** On creation: the greeting. */
  outbound: Rendered[];
  /** On creation with `reply`: the outbox row holding `outbound`. */
  outboxId?: number;
}

/**
 * For channels we post to (Slack, Teams): where the turn's answer goes. The answer is written to
 * the outbox in the turn's transaction, so a crash before it is posted cannot lose it.
 */
export interface ReplyTo {
  /** Channel-specific address (a Slack channel + thread, a Teams conversation reference). */
  target: unknown;
}

/** What an outbox row carries. */
export interface OutboxPayload {
  target: unknown;
  locale: Locale;
  messages: Rendered[];
}

/** What an agent's action came to: done (with the row to post on Slack or Teams), or refused as a value. */
export type StaffOutcome =
  | { ok: true; state: ConversationState; changed: boolean }
  | { ok: false; code: StaffError | 'conversation.missing' | 'conversation.busy'; agent?: { id: string; name: string } };

/** Agents' hours for a country at an instant: open, or when they are back (in which time zone). */
export type Availability = (country: Country | undefined, now: number) => { open: boolean; reopensAt?: number; timeZone?: string };

/** A transcript line written by staff (an agent's reply, "X joined", the bot's step after a return): pushed to the customer. */
export const STAFF_MARK = 'staff';

export interface ChatService {
  /** Resume by web chat token or channel key, or start a new conversation. */
  open(args: { channel: Channel; token?: string; channelKey?: string; locale: Locale; inbound?: Inbound; messageId?: string; reply?: ReplyTo }): Promise<OpenResult>;
  send(id: string, inbound: Inbound, opts?: { messageId?: string; channel?: Channel; reply?: ReplyTo }): Promise<SendResult>;
  /** A channel's conversation by its key (a Slack DM or thread), if it exists. */
  find(channel: Channel, channelKey: string): Promise<{ id: string; state: ConversationState } | undefined>;
  /** Whether a channel message id was already applied (to skip re-fetching a redelivered file). */
  seen(channel: Channel, messageId: string): Promise<boolean>;
  history(id: string, limit?: number): Promise<HistoryItem[]>;
  /** The current step again (after a reconnect). */
  replay(state: ConversationState): Rendered[];
  /** Every turn accepted so far has finished (shutdown). */
  idle(): Promise<void>;
  /** An agent's action on a conversation: claim, reply, back to the bot, transfer, close. */
  staff(id: string, action: StaffAction): Promise<StaffOutcome>;
  /** Lines staff wrote to the customer after `after` (a transcript seq), for the customer's open web chat. */
  staffLines(id: string, after: number): Promise<Array<{ seq: number; body: Rendered }>>;
}

/** What a committed turn reports to observers (metrics): no content, only where and how long. */
export interface TurnObservation {
  channel: Channel;
  flow: string;
  /** Load → commit, ms. */
  ms: number;
  events: readonly AnalyticsEvent[];
}

export interface ChatServiceOptions {
  store: Store;
  bot: Bot;
  holds: FileHolds;
  now?: () => number;
  /** Retries on a version conflict with another process before giving up. */
  maxRetries?: number;
  /** Conversations whose last committed state this process keeps in memory. */
  cacheSize?: number;
  /** How long the process that wrote an outbox row has to post it before another may. */
  outboxLeaseMs?: number;
  onTurn?: (t: TurnObservation) => void;
  /** Business hours, for telling a customer joining the queue when agents are back. Absent: always open. */
  availability?: Availability;
  /**
   * Post an outbox row written by a staff action now (the channel adapter's worker), rather than
   * at the next sweep. Absent (no adapter for the channel here): the sweep posts it.
   */
  deliver?: (channel: Channel, outboxId: number, conversationId: string, payload: OutboxPayload) => void;
  /** A notice could not be sent (LISTEN/NOTIFY): logged; consoles catch up on their next poll. */
  onNoticeError?: (err: unknown) => void;
  /** A turn threw: to be logged (with the conversation, the code and the customer's reference) and counted. */
  onTurnError?: (e: TurnError) => void;
  /** The queue could not be read for a customer joining it (they are queued without a place): logged. */
  onOutlookError?: (err: unknown) => void;
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** What a transcript shows for an inbound message (`label` renders a choice's label key). */
export function describeInbound(entry: TranscriptEntry, label: (key: string) => string): string {
  switch (entry.type) {
    case 'text':
    case 'secret':
      return entry.text;
    case 'file':
    case 'file-refused':
      return `📎 ${entry.name}`;
    case 'choice':
      return entry.label ? label(entry.label) : entry.id;
    case 'command':
      return `/${entry.command}`;
  }
}

export function createChatService({
  store,
  bot,
  holds,
  now = Date.now,
  maxRetries = 30,
  cacheSize = 10_000,
  outboxLeaseMs = 120_000,
  onTurn = () => {},
  availability,
  deliver = () => {},
  onNoticeError = () => {},
  onTurnError = () => {},
  onOutlookError = () => {},
}: ChatServiceOptions): ChatService {
  const outlook = async ({ country, since }: { country?: Country; since: number }): Promise<QueueOutlook> => {
    const at = now();
    const q = await store.handoffOutlook({ since, now: at });
    const hours = availability?.(country, at) ?? { open: true };
    return { ...q, ...hours };
  };

  /** Tell consoles (every instance) that a conversation with a person moved on. */
  function announce(id: string, before: ConversationState | undefined, after: ConversationState, push = false): void {
    if (!before?.handoff && !after.handoff && !push) return;
    const queue = before?.handoff?.status !== after.handoff?.status || before?.handoff?.agent?.id !== after.handoff?.agent?.id || (before?.handoff === undefined) !== (after.handoff === undefined);
    const n: Notice = { conversationId: id, ...(queue ? { queue: true } : {}), ...(push ? { push: true } : {}) };
    store.notify(n).catch(onNoticeError);
  }

  const queues = new Map<string, Promise<unknown>>();
  /**
   * The last state this process committed, per conversation (least recently used dropped first).
   * It saves a read per turn; it is only a guess: a commit from a stale copy fails its version
   * check, and the turn is run again on the stored state.
   */
  const recent = new Map<string, { state: ConversationState; version: number }>();
  const remember = (id: string, entry: { state: ConversationState; version: number }) => {
    recent.delete(id);
    recent.set(id, entry);
    if (recent.size > cacheSize) recent.delete(recent.keys().next().value as string);
  };

  /** Channel key → conversation id, for conversations this process has seen (a key's id never changes). */
  const byKey = new Map<string, string>();
  const keyOf = (channel: Channel, channelKey: string) => `${channel}\u0000${channelKey}`;

  /** A deleted conversation (retention): the next message on its channel key opens a new one. */
  const forgetKeys = (id: string) => {
    for (const [k, v] of byKey) if (v === id) byKey.delete(k);
  };

  /** Before retrying after a version conflict: a short random pause, so two processes hammering one conversation stop colliding in step. */
  const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 * (attempt + 1))));

  /** Run `fn` after every earlier turn of this conversation in this process. */
  function serialize<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = queues.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    queues.set(id, tail);
    void tail.then(() => {
      if (queues.get(id) === tail) queues.delete(id);
    });
    return run;
  }

  /** Button labels in the conversation's language, so a transcript says "Sí, funcionó" rather than an id. */
  const labelIn = (locale: Locale) => (key: string) => bot.translator.t(key, locale);

  function messagesOf(entry: TranscriptEntry, inboundLabel: string, outbound: Rendered[], at: number): TranscriptMessage[] {
    return [
      { direction: 'in', body: { ...entry, display: inboundLabel }, at },
      ...outbound.map((body) => ({ direction: 'out' as const, body, at })),
    ];
  }

  const outboxOf = (channel: Channel, reply: ReplyTo | undefined, locale: Locale, messages: Rendered[], at: number) =>
    reply && messages.length > 0 ? { channel, payload: { target: reply.target, locale, messages } satisfies OutboxPayload, leaseUntil: at + outboxLeaseMs } : undefined;

  async function open({ channel, token, channelKey, locale, inbound, messageId, reply }: Parameters<ChatService['open']>[0]): Promise<OpenResult> {
    const found: ConversationRecord | undefined = token
      ? await store.findByToken(hashToken(token))
      : channelKey
        ? await store.findByChannelKey(channel, channelKey)
        : undefined;
    if (found) return { id: found.id, token, created: false, state: found.state, outbound: [] };
    const id = randomUUID();
    const newToken = channel === 'webchat' ? randomBytes(24).toString('base64url') : undefined;
    const at = now();
    const first = inbound ?? { type: 'command', command: 'start' };
    const a = await attempt(undefined, first, { id, at, locale, verify: bot.verify });
    if (!a.ok) {
      // No conversation to keep it in: logged with a reference, and the edge answers as for any failure.
      onTurnError({ conversationId: id, channel, code: 'turn.failed', ref: newRef(), err: a.err });
      throw a.err;
    }
    const { r, outbound } = a;
    const created = await store.createConversation({
      id,
      channel,
      channelKey,
      tokenHash: newToken ? hashToken(newToken) : undefined,
      state: r.state,
      at,
      messages: first.type === 'command' ? outbound.map((body) => ({ direction: 'out' as const, body, at })) : messagesOf(r.transcript, describeInbound(r.transcript, labelIn(r.state.locale)), outbound, at),
      events: r.events,
      ...(messageId ? { inbox: { channel, messageId } } : {}),
      ...(reply ? { outbox: outboxOf(channel, reply, r.state.locale, outbound, at), replyTo: reply.target } : {}),
    });
    if (created.ok) {
      runEffects(r.effects, holds.forConversation(id));
      onTurn({ channel, flow: r.state.flow.id, ms: now() - at, events: r.events });
      announce(id, undefined, r.state);
      remember(id, { state: r.state, version: created.version });
      if (channelKey) byKey.set(keyOf(channel, channelKey), id);
    }
    else {
      // Another process created this channel's conversation first: use theirs.
      holds.forConversation(id).clear();
      const again = channelKey ? await store.findByChannelKey(channel, channelKey) : undefined;
      if (again) return { id: again.id, created: false, state: again.state, outbound: [] };
    }
    return { id, token: newToken, created: true, state: r.state, outbound, ...(created.ok && created.outboxId !== undefined ? { outboxId: created.outboxId } : {}) };
  }

  type Attempt = { ok: true; r: TurnResult; outbound: Rendered[] } | { ok: false; err: unknown };

  /** Run a turn (and render its answer) with its effects deferred to after the commit. A bug comes back as a value. */
  async function attempt(state: ConversationState | undefined, inbound: Inbound, ctx: { id: string; at: number; locale?: Locale; verify: Bot['verify'] }): Promise<Attempt> {
    try {
      const r = await bot.engine.turn(state, inbound, {
        now: ctx.at,
        ...(ctx.locale ? { locale: ctx.locale } : {}),
        hold: holds.forConversation(ctx.id),
        outlook,
        onOutlookError,
        ...(ctx.verify ? { verify: ctx.verify } : {}),
        deferEffects: true,
      });
      return { ok: true, r, outbound: bot.render(r.outbound, r.state.locale) };
    } catch (err) {
      // The one place a turn's exception is caught: the caller reports it with a reference.
      return { ok: false, err };
    }
  }

  /** What the customer sent, as the transcript keeps it, for a turn that threw. */
  function keptInbound(state: ConversationState, inbound: Inbound, report: (err: unknown) => void): TranscriptEntry {
    try {
      return bot.engine.transcript(state, inbound);
    } catch (err) {
      // Even the step is unreadable: keep the message without it (typed text masked whole, since it may be a PIN).
      report(err);
      return bot.engine.transcript(undefined, inbound);
    }
  }

  /**
   * A turn threw: log and count it with a reference, keep what the customer sent (not the
   * message id: a retry runs the turn again), and answer with an apology quoting the reference.
   */
  async function failed(id: string, conv: { state: ConversationState; version: number }, inbound: Inbound, channel: Channel, err: unknown, at: number): Promise<SendResult> {
    const ref = newRef();
    onTurnError({ conversationId: id, channel, code: 'turn.failed', ref, err });
    const locale = conv.state.locale;
    const outbound = bot.render([{ type: 'text', key: 'common:error.turn-failed', params: { ref } }], locale);
    const entry = keptInbound(conv.state, inbound, (e) => onTurnError({ conversationId: id, channel, code: 'turn.failed', ref, err: e }));
    const res = await store.commitTurn({
      conversationId: id,
      expectedVersion: conv.version,
      state: conv.state,
      messages: messagesOf(entry, describeInbound(entry, labelIn(locale)), outbound, at),
      events: [],
      channel,
    });
    if (res.ok) {
      remember(id, { state: conv.state, version: res.version });
      announce(id, conv.state, conv.state);
    } else recent.delete(id);
    return { ok: false, code: 'turn.failed', ref, outbound, locale };
  }

  async function send(id: string, inbound: Inbound, opts: { messageId?: string; channel?: Channel; reply?: ReplyTo } = {}): Promise<SendResult> {
    return serialize(id, async () => {
      const started = now();
      const channel = opts.channel ?? 'webchat';
      const inbox = opts.messageId && opts.channel ? { channel: opts.channel, messageId: opts.messageId } : undefined;
      // One check per message, however often the turn is retried.
      const verify = checkOnce(bot.verify);
      for (let retry = 0; retry <= maxRetries; retry++) {
        const conv = (retry === 0 ? recent.get(id) : undefined) ?? (await store.getConversation(id));
        if (!conv) {
          forgetKeys(id);
          return { ok: false, code: 'conversation.missing' } as const;
        }
        // A redelivered message is caught by the inbox row written with the turn (below).
        const at = now();
        const a = await attempt(conv.state, inbound, { id, at, verify });
        if (!a.ok) return failed(id, conv, inbound, channel, a.err, at);
        const { r, outbound } = a;
        const shown = describeInbound(r.transcript, labelIn(conv.state.locale));
        const res = await store.commitTurn({
          conversationId: id,
          expectedVersion: conv.version,
          state: r.state,
          messages: messagesOf(r.transcript, shown, outbound, at),
          events: r.events,
          inbox,
          channel,
          outbox: opts.channel ? outboxOf(opts.channel, opts.reply, r.state.locale, outbound, at) : undefined,
          ...(opts.reply ? { replyTo: opts.reply.target } : {}),
        });
        if (res.ok) {
          // Only now, once: the turn is the one that counts.
          runEffects(r.effects, holds.forConversation(id));
          onTurn({ channel, flow: r.state.flow.id, ms: now() - started, events: r.events });
          remember(id, { state: r.state, version: res.version });
          announce(id, conv.state, r.state);
          return { ok: true, duplicate: false, outbound, state: r.state, locale: r.state.locale, ...(res.outboxId !== undefined ? { outboxId: res.outboxId } : {}) } as const;
        }
        recent.delete(id);
        if (res.code === 'inbox.duplicate') {
          return { ok: true, duplicate: true, outbound: [], state: conv.state, locale: conv.state.locale } as const;
        }
        if (res.code === 'conversation.missing') {
          forgetKeys(id);
          return { ok: false, code: 'conversation.missing' } as const;
        }
        // version.conflict: another process applied a turn first; run ours on top of it.
        await pause(retry);
      }
      return { ok: false, code: 'conversation.busy' } as const;
    });
  }

  /** The current step again (a reconnect). A state the engine cannot read gets the apology with a reference, logged. */
  function replay(state: ConversationState): Rendered[] {
    try {
      return bot.render(bot.engine.replay(state), state.locale);
    } catch (err) {
      const ref = newRef();
      onTurnError({ conversationId: 'unknown', channel: 'webchat', code: 'replay.failed', ref, err });
      return bot.render([{ type: 'text', key: 'common:error.turn-failed', params: { ref } }], state.locale ?? 'es');
    }
  }

  async function history(id: string, limit = 200): Promise<HistoryItem[]> {
    const items = await store.transcript(id, { limit });
    return items.map((m) =>
      m.direction === 'in'
        ? { direction: 'in', seq: m.seq, at: m.at, text: String((m.body as { display?: string }).display ?? '') }
        : { direction: 'out', seq: m.seq, at: m.at, body: m.body as Rendered },
    );
  }

  async function staff(id: string, action: StaffAction): Promise<StaffOutcome> {
    return serialize(id, async () => {
      for (let attempt = 0; attempt <= maxRetries; attempt++) {
        // Always the stored row: another instance may have claimed it a moment ago.
        const conv = await store.getConversation(id);
        if (!conv) return { ok: false, code: 'conversation.missing' } as const;
        const at = now();
        const r = bot.engine.staff(conv.state, action, { now: at });
        if (!r.ok) return r;
        if (!r.changed) return { ok: true, state: conv.state, changed: false } as const;
        const outbound = bot.render(r.outbound, r.state.locale);
        const reply = (conv.channel === 'slack' || conv.channel === 'teams') && conv.replyTo !== undefined ? { target: conv.replyTo } : undefined;
        const outbox = outboxOf(conv.channel, reply, r.state.locale, outbound, at);
        const res = await store.commitTurn({
          conversationId: id,
          expectedVersion: conv.version,
          state: r.state,
          messages: outbound.map((body) => ({ direction: 'out' as const, body: { ...body, via: STAFF_MARK }, at })),
          events: r.events,
          channel: conv.channel,
          outbox,
        });
        if (res.ok) {
          remember(id, { state: r.state, version: res.version });
          if (outbox && res.outboxId !== undefined) deliver(conv.channel, res.outboxId, id, outbox.payload);
          onTurn({ channel: conv.channel, flow: r.state.flow.id, ms: now() - at, events: r.events });
          announce(id, conv.state, r.state, outbound.length > 0);
          return { ok: true, state: r.state, changed: true } as const;
        }
        recent.delete(id);
        if (res.code === 'conversation.missing') return { ok: false, code: 'conversation.missing' } as const;
        await pause(attempt);
      }
      return { ok: false, code: 'conversation.busy' } as const;
    });
  }

  async function staffLines(id: string, after: number): Promise<Array<{ seq: number; body: Rendered }>> {
    const lines = await store.transcript(id, { after, limit: 200 });
    return lines
      .filter((m) => m.direction === 'out' && (m.body as { via?: unknown } | null)?.via === STAFF_MARK)
      .map((m) => {
        const { via: _via, ...body } = m.body as Rendered & { via?: unknown };
        return { seq: m.seq, body: body as Rendered };
      });
  }

  async function find(channel: Channel, channelKey: string) {
    const known = byKey.get(keyOf(channel, channelKey));
    const cached = known ? recent.get(known) : undefined;
    if (known && cached) return { id: known, state: cached.state };
    const found = await store.findByChannelKey(channel, channelKey);
    if (!found) return undefined;
    byKey.set(keyOf(channel, channelKey), found.id);
    if (byKey.size > cacheSize) byKey.delete(byKey.keys().next().value as string);
    return { id: found.id, state: found.state };
  }

  return {
    open,
    send,
    find,
    seen: (channel, messageId) => store.inboxSeen(channel, messageId),
    history,
    staff,
    staffLines,
    replay,
    idle: async () => {
      while (queues.size > 0) await Promise.all([...queues.values()]);
    },
  };
}
