/**
 * The agents' desk in Slack (SLACK_HANDOFF_CHANNEL): every conversation handed to a person, on any
 * channel, gets a thread in one channel, headed by its context; the customer's messages and the
 * conversation's status changes are mirrored into it; a person's reply in the thread reaches the
 * customer on their own channel, as that agent (claiming the conversation if it was waiting).
 *
 * Triggered by the notices hub: every instance hears every notice, so the work is made to happen
 * once through the store. The thread's row is inserted (ON CONFLICT DO NOTHING) with a pending
 * marker before anything is posted, and only the instance whose insert won posts the thread; the
 * mirroring cursor moves by compare-and-set, and only the instance whose swap won posts those lines.
 * Notices are best effort, so a periodic sweep (and a lost LISTEN connection) looks at the queue again.
 */
import { randomUUID } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { KnownBlock } from '@slack/types';
import type { FastifyBaseLogger } from 'fastify';
import type { NoticeHub } from '../../chat/notices.ts';
import type { ChatService, StaffOutcome } from '../../chat/service.ts';
import { whereIs } from '../../conversation/engine.ts';
import { stepsOf } from '../../conversation/flow-snapshot.ts';
import { CANCEL_HANDOFF, LOCALES, type HandoffReason, type Locale } from '../../conversation/messages.ts';
import type { Translate } from '../../conversation/render.ts';
import type { ConversationState } from '../../conversation/state.ts';
import { FLOWS } from '../../flows/catalog.ts';
import type { FlowId } from '../../flows/step.ts';
import { RESOLUTION_TAGS } from '../../handoff/resolution.ts';
import type { ConversationRecord, DeskCursor, DeskThread, StoredMessage, Store } from '../../store/port.ts';
import { createKeyedQueue } from '../channel.ts';
import { cut, escapeMrkdwn, escapeTyped, LIMITS } from './blocks.ts';
import { DESK_ACTION, type DeskAction, type DeskReply } from './inbound.ts';

export interface DeskOptions {
  /** The desk channel's id (C…); the app must be a member. */
  channel: string;
  client: WebClient;
  chat: ChatService;
  store: Store;
  notices: NoticeHub;
  t: Translate;
  log: FastifyBaseLogger;
  now?: () => number;
  /** The desk's language (the agents'), not the customers'. */
  locale?: Locale;
  /** Where agents open the console (`https://HOST/agent/`); without it the head has no link. */
  consoleUrl?: string;
  /** A thread whose posting began this long ago and never finished (its instance died) may be posted again. */
  pendingTimeoutMs?: number;
  /** How often the queue is looked at again (notices are best effort). */
  sweepIntervalMs?: number;
  /** How long an agent's display name is remembered. */
  nameTtlMs?: number;
}

export interface Desk {
  readonly channel: string;
  /** A person's reply in a desk thread: to the customer, as them. */
  onReply(m: DeskReply): Promise<void>;
  /** A person pressed a control on a thread's first message: back to the assistant, back to the queue, close. */
  onAction(a: DeskAction): Promise<void>;
  /** Look at one conversation now: give it a thread if it is with a person, mirror what is new. */
  sync(conversationId: string): Promise<void>;
  /** Every conversation with a person or waiting for one, looked at again. */
  sweep(): Promise<void>;
  start(): void;
  /** Everything started so far has finished (tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const PENDING = 'pending:';
const isPending = (ts: string): boolean => ts.startsWith(PENDING);

const withPerson = (s: ConversationState): boolean => s.status === 'active' && s.handoff !== undefined;
const cursorOf = (r: DeskThread): DeskCursor => ({ ts: r.ts, mirroredSeq: r.mirroredSeq, handedOff: r.handedOff });

// ---- what the transcript says happened ----------------------------------------------------------

/** One thing to say in a desk thread. */
export type DeskLine =
  | { kind: 'customer'; text: string }
  | { kind: 'again'; reason: HandoffReason }
  | { kind: 'claimed' | 'transferred' | 'returned' | 'closed'; name?: string }
  | { kind: 'requeued' | 'left' }
  | { kind: 'email'; email?: string };

/** A transcript line's body as stored: a rendered message (out), or the customer's entry with its `display` (in). */
type Body = { type?: unknown; key?: unknown; text?: unknown; display?: unknown; id?: unknown; reason?: unknown };

/** Keys of lines the bot may say while a person has the conversation; anything else means the bot has it again. */
const WHILE_WAITING = /^common:(handoff|input|secret|language|agent|error|end)\./;

/**
 * Transcript lines (oldest first) → what to mirror, and whether the conversation is with a person
 * after them. `handedOff` says whether it was before the first. Customer messages count only while
 * with a person; status changes come from the lines staff and the bot wrote about the handoff.
 * `param` recovers a name or address from a line's text (the transcript keeps text, not params).
 */
export function digest(
  lines: readonly StoredMessage[],
  handedOff: boolean,
  param: (key: string, text: string, name: 'name' | 'email') => string | undefined,
): { lines: DeskLine[]; handedOff: boolean } {
  const out: DeskLine[] = [];
  let on = handedOff;
  for (const m of lines) {
    const b = (m.body ?? {}) as Body;
    if (m.direction === 'in') {
      const internal = b.type === 'command' || (b.type === 'choice' && b.id === CANCEL_HANDOFF);
      const text = typeof b.display === 'string' ? b.display.trim() : '';
      if (on && !internal && text !== '') out.push({ kind: 'customer', text });
      continue;
    }
    const key = typeof b.key === 'string' ? b.key : '';
    const text = typeof b.text === 'string' ? b.text : '';
    const named = (kind: 'claimed' | 'transferred' | 'returned' | 'closed') => {
      const name = param(key, text, 'name');
      out.push(name ? { kind, name } : { kind });
    };
    if (b.type === 'handoff') {
      if (!on) out.push({ kind: 'again', reason: typeof b.reason === 'string' ? (b.reason as HandoffReason) : 'asked' });
      on = true;
      continue;
    }
    switch (key) {
      case 'common:handoff.joined':
        named('claimed');
        on = true;
        continue;
      case 'common:handoff.transferred':
        named('transferred');
        continue;
      case 'common:handoff.requeued':
        out.push({ kind: 'requeued' });
        continue;
      case 'common:handoff.returned':
        if (on) named('returned');
        on = false;
        continue;
      case 'common:handoff.closed-by-agent':
        if (on) named('closed');
        on = false;
        continue;
      case 'common:handoff.cancelled':
      case 'common:handoff.left-agent':
        if (on) out.push({ kind: 'left' });
        on = false;
        continue;
      case 'common:handoff.email-saved': {
        const email = param(key, text, 'email');
        if (on) out.push(email ? { kind: 'email', email } : { kind: 'email' });
        continue;
      }
    }
    // The bot speaking a step of its own: the person is gone (the customer started over, say).
    if (on && b.type !== 'agent' && b.type !== 'end' && key !== '' && !WHILE_WAITING.test(key)) {
      out.push({ kind: 'left' });
      on = false;
    }
  }
  return { lines: out, handedOff: on };
}

/** Where a conversation's current handoff began: the line asking for a person, or the agent joining it. */
function handoffStart(lines: readonly StoredMessage[]): number {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = lines[i] as StoredMessage;
    const b = (m.body ?? {}) as Body;
    if (m.direction === 'out' && (b.type === 'handoff' || b.key === 'common:handoff.joined')) return m.seq;
  }
  return lines.at(-1)?.seq ?? 0;
}

// ---- the desk -----------------------------------------------------------------------------------

export function createDesk(opts: DeskOptions): Desk {
  const { channel, client, chat, store, notices, t, log, now = Date.now, locale = 'es', consoleUrl, pendingTimeoutMs = 5 * 60_000, sweepIntervalMs = 60_000, nameTtlMs = 60 * 60_000 } = opts;
  const dl = (key: string, params?: Record<string, string | number>) => t(`slack:desk.${key}`, locale, params);
  /** Posts to one thread go one at a time, in order. */
  const threads = createKeyedQueue();

  /** A value a transcript line was rendered with, read back through its template in either language. */
  const MARK = '\u0000';
  function param(key: string, text: string, name: 'name' | 'email'): string | undefined {
    for (const l of LOCALES) {
      const tpl = t(key, l, { [name]: MARK });
      const at = tpl.indexOf(MARK);
      if (at < 0) continue;
      const pre = tpl.slice(0, at);
      const post = tpl.slice(at + MARK.length);
      if (text.length > pre.length + post.length && text.startsWith(pre) && text.endsWith(post)) return text.slice(pre.length, text.length - post.length);
    }
    return undefined;
  }

  // ---- the thread's head --------------------------------------------------------------------------

  const titleOf = (flow: string): string => {
    const def = FLOWS[flow as FlowId] as (typeof FLOWS)[FlowId] | undefined;
    return def ? t(def.title, locale) : flow;
  };

  /** The step as agents know it: its path and the first words of what the bot says there. */
  function stepOf(state: ConversationState): string {
    const path = whereIs(state).step;
    const def = FLOWS[state.flow.id] as (typeof FLOWS)[FlowId] | undefined;
    const step = def ? stepsOf(def.machine).find((s) => s.path === path)?.step : undefined;
    if (!step) return path;
    const first = (t(step.prompt, locale).split('\n').find((l) => l.trim() !== '') ?? '').replace(/\*\*/g, '').trim();
    return first ? `${path}: ${cut(first, 90)}` : path;
  }

  /** A moment as Slack shows it to each reader, in their own time zone. */
  const when = (at: number): string => `<!date^${Math.floor(at / 1000)}^{date_short_pretty} {time}|${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC>`;

  const statusOf = (s: ConversationState): string =>
    s.status === 'ended' ? dl('status.ended') : !s.handoff ? dl('status.bot') : s.handoff.status === 'assigned' ? dl('status.assigned', { name: escapeTyped(s.handoff.agent?.name ?? '') }) : dl('status.queued');

  function head(conv: ConversationRecord): { text: string; blocks: KnownBlock[] } {
    const s = conv.state;
    const h = s.handoff;
    const field = (label: string, value: string) => ({ type: 'mrkdwn' as const, text: cut(`*${escapeMrkdwn(label)}*\n${value}`, LIMITS.fieldText) });
    const fields = [
      field(dl('head.flow'), escapeMrkdwn(titleOf(s.flow.id))),
      field(dl('head.step'), escapeMrkdwn(stepOf(s))),
      field(dl('head.channel'), escapeMrkdwn(dl(`channel.${conv.channel}`))),
      field(dl('head.locale'), escapeMrkdwn(dl(`locale.${s.locale}`))),
      field(dl('head.country'), escapeMrkdwn(s.country ? dl(`country.${s.country}`) : dl('none'))),
      field(dl('head.reason'), escapeMrkdwn(dl(`reason.${h?.reason ?? 'asked'}`))),
      field(dl('head.since'), when(h?.at ?? conv.updatedAt)),
      field(dl('head.status'), escapeMrkdwn(statusOf(s))),
      ...(s.lastCheck ? [field(dl('head.check'), escapeMrkdwn(dl(`verdict.${s.lastCheck.verdict}`)))] : []),
      ...(h?.email ? [field(dl('head.email'), escapeTyped(h.email))] : []),
    ];
    const title = dl('head.title', { flow: titleOf(s.flow.id) });
    const blocks: KnownBlock[] = [
      { type: 'header', block_id: 'desk.title', text: { type: 'plain_text', text: cut(title, LIMITS.headerText), emoji: true } },
      { type: 'section', block_id: 'desk.facts', fields },
    ];
    const failed = s.lastCheck?.failed ?? [];
    if (failed.length > 0) {
      blocks.push({ type: 'section', block_id: 'desk.failed', text: { type: 'mrkdwn', text: cut(escapeMrkdwn(dl('head.failed', { checks: failed.map((c) => `\`${c}\``).join(', ') })), LIMITS.sectionText) } });
    }
    const how = [escapeMrkdwn(dl('head.how'))];
    if (withPerson(s)) blocks.push(controls(s));
    if (consoleUrl) how.push(`<${consoleUrl.replace(/\/?$/, '/')}#c=${encodeURIComponent(conv.id)}|${escapeMrkdwn(dl('head.open'))}>`);
    blocks.push({ type: 'context', block_id: 'desk.how', elements: how.map((text) => ({ type: 'mrkdwn' as const, text })) });
    return { text: cut(`${title} · ${statusOf(s)}`, LIMITS.fallbackText), blocks };
  }

  /** What an agent can do from the desk: hand back to the assistant, put back in the queue, close with a tag. */
  function controls(s: ConversationState): KnownBlock {
    const button = (id: string, key: string) => ({ type: 'button' as const, action_id: id, text: { type: 'plain_text' as const, text: dl(key), emoji: true } });
    return {
      type: 'actions',
      block_id: 'desk.actions',
      elements: [
        button(DESK_ACTION.return, 'action.return'),
        ...(s.handoff?.status === 'assigned' ? [button(DESK_ACTION.requeue, 'action.requeue')] : []),
        {
          type: 'static_select',
          action_id: DESK_ACTION.close,
          placeholder: { type: 'plain_text', text: dl('action.close'), emoji: true },
          options: RESOLUTION_TAGS.map((tag) => ({ text: { type: 'plain_text' as const, text: dl(`tag.${tag}`), emoji: true }, value: tag })),
        },
      ],
    };
  }

  /**
   * Post the thread's head for a row this instance holds with its pending marker, then put Slack's
   * ts in place of the marker. Posting failed: the row is given up, so a later notice or sweep tries
   * again. The marker was taken over meanwhile (this attempt outlived its timeout): the other
   * attempt's thread stands and ours is deleted, so one thread survives.
   */
  async function postHead(conv: ConversationRecord, pending: DeskThread): Promise<DeskThread | undefined> {
    const { text, blocks } = head(conv);
    let ts: string | undefined;
    try {
      ts = (await client.chat.postMessage({ channel, text, blocks, unfurl_links: false, unfurl_media: false })).ts;
    } catch (err) {
      log.warn({ err, channel: 'slack', conversationId: conv.id }, 'desk thread not posted; will try again');
    }
    if (!ts) {
      await store.deleteDeskThread(conv.id, pending.ts);
      return undefined;
    }
    const cursor = cursorOf(pending);
    if (await store.updateDeskThread(conv.id, cursor, { ...cursor, ts })) return { ...pending, ts };
    await client.chat.delete({ channel, ts }).catch((err: unknown) => log.warn({ err, channel: 'slack', conversationId: conv.id }, 'duplicate desk thread not deleted'));
    return undefined;
  }

  /** A conversation with a person and no thread yet: claim the row, then post (only if the claim won). */
  async function open(conv: ConversationRecord): Promise<DeskThread | undefined> {
    // Mirroring starts where this handoff began, so what the customer wrote while the head was being posted is not lost.
    const recent = await store.transcript(conv.id, { limit: 50 });
    const row: DeskThread = { conversationId: conv.id, channel, ts: `${PENDING}${randomUUID()}`, createdAt: now(), mirroredSeq: handoffStart(recent), handedOff: true };
    if (!(await store.recordDeskThread(row))) return undefined;
    return postHead(conv, row);
  }

  /** A pending row older than the timeout: its instance died between claiming and posting. Take it over. */
  async function takeOver(conv: ConversationRecord, row: DeskThread): Promise<DeskThread | undefined> {
    if (!withPerson(conv.state)) {
      await store.deleteDeskThread(conv.id, row.ts);
      return undefined;
    }
    const mine: DeskThread = { ...row, ts: `${PENDING}${randomUUID()}`, createdAt: now() };
    if (!(await store.updateDeskThread(conv.id, cursorOf(row), { ...cursorOf(mine), createdAt: mine.createdAt }))) return undefined;
    return postHead(conv, mine);
  }

  // ---- mirroring ----------------------------------------------------------------------------------

  function render(line: DeskLine): string {
    switch (line.kind) {
      case 'customer':
        return dl('line.customer', { text: escapeTyped(line.text) });
      case 'again':
        return dl('line.again', { reason: escapeMrkdwn(dl(`reason.${line.reason}`)) });
      case 'claimed':
      case 'transferred':
      case 'returned':
      case 'closed':
        return dl(`line.${line.kind}`, { name: line.name ? escapeTyped(line.name) : dl('someone') });
      case 'requeued':
      case 'left':
        return dl(`line.${line.kind}`);
      case 'email':
        return dl('line.email', { email: line.email ? escapeTyped(line.email) : dl('none') });
    }
  }

  /** Post in a thread: sections of already-escaped mrkdwn, 50 to a message; `broadcast` also shows it in the channel. */
  const say = (threadTs: string, key: string, texts: string[], broadcast = false): Promise<void> =>
    threads.run(key, async () => {
      for (let i = 0; i < texts.length; i += LIMITS.messageBlocks) {
        const chunk = texts.slice(i, i + LIMITS.messageBlocks);
        await client.chat.postMessage({
          channel,
          thread_ts: threadTs,
          reply_broadcast: broadcast,
          text: cut(chunk.join('\n'), LIMITS.fallbackText),
          blocks: chunk.map((text, j) => ({ type: 'section', block_id: `desk.line.${j}`, text: { type: 'mrkdwn', text: cut(text, LIMITS.sectionText) } })),
          unfurl_links: false,
          unfurl_media: false,
        });
      }
    });

  /** What the conversation said since the cursor: move the cursor (compare-and-set), and if this instance moved it, post. */
  async function mirror(start: DeskThread): Promise<void> {
    let row = start;
    for (let round = 0; round < 20; round++) {
      const lines = await store.transcript(row.conversationId, { after: row.mirroredSeq, limit: 200 });
      const last = lines.at(-1);
      if (!last) return;
      const d = digest(lines, row.handedOff, param);
      const to: DeskCursor = { ts: row.ts, mirroredSeq: last.seq, handedOff: d.handedOff };
      if (!(await store.updateDeskThread(row.conversationId, cursorOf(row), to))) {
        // Another instance moved it: look again from where it is now.
        const again = await store.deskThreadOf(row.conversationId);
        if (!again || isPending(again.ts)) return;
        row = again;
        continue;
      }
      if (d.lines.length > 0) {
        // Asking for a person again, in a thread long scrolled away: shown in the channel too.
        await say(row.ts, row.conversationId, d.lines.map(render), d.lines.some((l) => l.kind === 'again'));
        if (d.lines.some((l) => l.kind !== 'customer')) await refreshHead(row);
      }
      row = { ...row, ...to };
      if (lines.length < 200) return;
    }
  }

  /** The head shows the status and contact as they are now. */
  async function refreshHead(row: DeskThread): Promise<void> {
    const conv = await store.getConversation(row.conversationId);
    if (!conv) return;
    const { text, blocks } = head(conv);
    await threads.run(row.conversationId, async () => {
      await client.chat.update({ channel, ts: row.ts, text, blocks });
    });
  }

  async function sync(id: string): Promise<void> {
    let row = await store.deskThreadOf(id);
    if (!row || isPending(row.ts)) {
      const conv = await store.getConversation(id);
      if (!conv) return;
      if (!row) {
        if (!withPerson(conv.state)) return;
        row = await open(conv);
      } else {
        if (now() - row.createdAt < pendingTimeoutMs) return; // another instance is posting it
        row = await takeOver(conv, row);
      }
      if (!row) return;
    }
    await mirror(row);
  }

  // One sync at a time per conversation in this instance; notices arriving meanwhile make one more.
  const active = new Map<string, Promise<void>>();
  const dirty = new Set<string>();
  function schedule(id: string): void {
    if (active.has(id)) {
      dirty.add(id);
      return;
    }
    const run = (async () => {
      do {
        dirty.delete(id);
        try {
          await sync(id);
        } catch (err) {
          log.warn({ err, channel: 'slack', conversationId: id }, 'desk thread not brought up to date');
        }
      } while (dirty.has(id));
    })().finally(() => {
      active.delete(id);
      if (dirty.has(id)) schedule(id);
    });
    active.set(id, run);
  }

  async function sweep(): Promise<void> {
    for (const q of await store.handoffQueue({ limit: 500 })) schedule(q.id);
  }

  // ---- agents' replies ----------------------------------------------------------------------------

  const names = new Map<string, { name: string; at: number }>();
  async function nameOf(user: string): Promise<string> {
    const known = names.get(user);
    if (known && now() - known.at < nameTtlMs) return known.name;
    const r = await client.users.info({ user });
    const u = r.user;
    const name = [u?.profile?.display_name, u?.profile?.real_name, u?.real_name, u?.name].find((n): n is string => typeof n === 'string' && n.trim() !== '')?.trim() ?? user;
    names.set(user, { name, at: now() });
    if (names.size > 1000) names.delete(names.keys().next().value as string);
    return name;
  }

  function refusal(r: Extract<StaffOutcome, { ok: false }>): string {
    switch (r.code) {
      case 'handoff.taken':
      case 'handoff.not-yours':
        return r.agent ? dl('refused.taken', { name: escapeTyped(r.agent.name) }) : dl('refused.queued');
      case 'handoff.none':
        return dl('refused.none');
      case 'conversation.ended':
      case 'conversation.missing':
        return dl('refused.ended');
      case 'reply.too-long':
        return dl('refused.too-long');
      case 'reply.empty':
        return dl('refused.empty');
      default:
        return dl('refused.failed');
    }
  }

  /** An agent (`slack:<user>`, by display name). */
  const agentOf = async (user: string) => ({ id: `slack:${user}`, name: await nameOf(user) });

  /** Waiting for someone: the agent acting on it from the desk takes it first. A refusal, or nothing. */
  async function claimIfQueued(id: string, agent: { id: string; name: string }): Promise<Extract<StaffOutcome, { ok: false }> | undefined> {
    const conv = await store.getConversation(id);
    if (!conv || !withPerson(conv.state) || (conv.state.handoff?.status ?? 'queued') !== 'queued') return undefined;
    const claimed = await chat.staff(id, { type: 'claim', agent });
    return claimed.ok ? undefined : claimed;
  }

  /**
   * Apply a person's message or press once (by its id, whichever instance Slack delivers it to and
   * however often), then say in the thread what came of it. Not applied (an error): the id is
   * forgotten and the error rethrown, so Slack's redelivery tries again.
   */
  async function once(threadTs: string, messageId: string, apply: (id: string) => Promise<string[]>): Promise<void> {
    const row = await store.deskThreadAt(channel, threadTs);
    if (!row) return;
    const id = row.conversationId;
    if (!(await store.claimInbox({ channel: 'slack', messageId, conversationId: id }))) return;
    let notes: string[];
    try {
      notes = await apply(id);
    } catch (err) {
      await store.releaseInbox('slack', messageId).catch(() => undefined);
      throw err;
    }
    if (notes.length > 0) await say(threadTs, id, notes);
  }

  async function onReply(m: DeskReply): Promise<void> {
    if (m.channel !== channel) return;
    await once(m.threadTs, `desk:${m.channel}:${m.ts}`, async (id) => {
      const notes = m.files ? [dl('refused.files')] : [];
      if (m.text === '') return notes;
      const agent = await agentOf(m.user);
      const outcome = (await claimIfQueued(id, agent)) ?? (await chat.staff(id, { type: 'reply', agent, text: m.text }));
      if (!outcome.ok) notes.push(refusal(outcome));
      return notes;
    });
  }

  async function onAction(a: DeskAction): Promise<void> {
    if (a.channel !== channel) return;
    await once(a.threadTs, a.messageId, async (id) => {
      const agent = await agentOf(a.user);
      let outcome: StaffOutcome | undefined;
      switch (a.action) {
        case 'return':
          outcome = (await claimIfQueued(id, agent)) ?? (await chat.staff(id, { type: 'return', agent }));
          break;
        case 'requeue':
          outcome = await chat.staff(id, { type: 'transfer', agent });
          break;
        case 'close': {
          const tag = RESOLUTION_TAGS.find((x) => x === a.tag);
          if (!tag) return [];
          outcome = (await claimIfQueued(id, agent)) ?? (await chat.staff(id, { type: 'close', agent, tag }));
          break;
        }
      }
      return outcome.ok ? [] : [refusal(outcome)];
    });
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const swept = () => {
    sweep().catch((err: unknown) => log.warn({ err, channel: 'slack' }, 'desk sweep failed'));
  };
  async function idle(): Promise<void> {
    while (active.size > 0) await Promise.all([...active.values()]);
    await threads.idle();
  }

  return {
    channel,
    onReply,
    onAction,
    sync,
    sweep,
    start() {
      // A lost LISTEN connection may have missed notices: look at the whole queue again.
      unsubscribe = notices.subscribe((n) => (n === 'resync' ? swept() : schedule(n.conversationId)));
      swept();
      timer = setInterval(swept, sweepIntervalMs);
      timer.unref();
    },
    idle,
    async stop() {
      unsubscribe?.();
      if (timer) clearInterval(timer);
      await idle();
    },
  };
}
