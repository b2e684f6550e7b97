/**
 * The chat service: durable, ordered turns for every channel. Loads a conversation, runs the
 * engine, commits state + transcript + analytics + inbox id in one write, and returns what to
 * show. Turns of one conversation run one at a time in this process (a queue per conversation)
 * and across processes by the store's version check, retried on conflict.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Bot } from '../bot.ts';
import type { TranscriptEntry } from '../conversation/engine.ts';
import type { AnalyticsEvent } from '../conversation/events.ts';
import type { FileHolds } from '../conversation/file-hold.ts';
import type { Inbound, Locale } from '../conversation/messages.ts';
import type { Rendered } from '../conversation/render.ts';
import type { ConversationState } from '../conversation/state.ts';
import type { Channel, ConversationRecord, Store, TranscriptMessage } from '../store/port.ts';

export interface HistoryItem {
  direction: 'in' | 'out';
  at: number;
  /** Inbound: what the customer sent, secrets as `••••`. */
  text?: string;
  /** Outbound: the rendered message. */
  body?: Rendered;
}

export type SendResult =
  | { ok: true; duplicate: boolean; outbound: Rendered[]; state: ConversationState; locale: Locale; outboxId?: number }
  | { ok: false; code: 'conversation.missing' | 'conversation.busy' };

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
}: ChatServiceOptions): ChatService {
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
    const r = await bot.engine.turn(undefined, first, { now: at, locale, hold: holds.forConversation(id) });
    const outbound = bot.render(r.outbound, r.state.locale);
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
      onTurn({ channel, flow: r.state.flow.id, ms: now() - at, events: r.events });
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

  async function send(id: string, inbound: Inbound, opts: { messageId?: string; channel?: Channel; reply?: ReplyTo } = {}): Promise<SendResult> {
    return serialize(id, async () => {
      const started = now();
      const inbox = opts.messageId && opts.channel ? { channel: opts.channel, messageId: opts.messageId } : undefined;
      for (let attempt = 0; attempt <= maxRetries; attempt++) {
        const conv = (attempt === 0 ? recent.get(id) : undefined) ?? (await store.getConversation(id));
        if (!conv) {
          forgetKeys(id);
          return { ok: false, code: 'conversation.missing' } as const;
        }
        // A redelivered message is caught by the inbox row written with the turn (below).
        const at = now();
        const r = await bot.engine.turn(conv.state, inbound, { now: at, hold: holds.forConversation(id) });
        const outbound = bot.render(r.outbound, r.state.locale);
        const shown = describeInbound(r.transcript, labelIn(conv.state.locale));
        const res = await store.commitTurn({
          conversationId: id,
          expectedVersion: conv.version,
          state: r.state,
          messages: messagesOf(r.transcript, shown, outbound, at),
          events: r.events,
          inbox,
          outbox: opts.channel ? outboxOf(opts.channel, opts.reply, r.state.locale, outbound, at) : undefined,
          ...(opts.reply ? { replyTo: opts.reply.target } : {}),
        });
        if (res.ok) {
          onTurn({ channel: opts.channel ?? 'webchat', flow: r.state.flow.id, ms: now() - started, events: r.events });
          remember(id, { state: r.state, version: res.version });
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
        // version.conflict: another process applied a turn first; run ours on top of it, after a
        // short random pause so two processes hammering one conversation stop colliding in step.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 * (attempt + 1))));
      }
      return { ok: false, code: 'conversation.busy' } as const;
    });
  }

  async function history(id: string, limit = 200): Promise<HistoryItem[]> {
    const items = await store.transcript(id, { limit });
    return items.map((m) =>
      m.direction === 'in'
        ? { direction: 'in', at: m.at, text: String((m.body as { display?: string }).display ?? '') }
        : { direction: 'out', at: m.at, body: m.body as Rendered },
    );
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
    replay: (state) => bot.render(bot.engine.replay(state), state.locale),
    idle: async () => {
      while (queues.size > 0) await Promise.all([...queues.values()]);
    },
  };
}
