/**
 * Slack payloads → what the customer did, and which conversation it belongs to. Pure: Bolt hands
 * us the body, these functions decide; the transport does the I/O.
 */

/** Where a reply goes: a DM, or a thread in a channel. */
export interface SlackTarget {
  channel: string;
  threadTs?: string;
}

export type SlackInput =
  | { kind: 'text'; text: string }
  | { kind: 'file'; fileId: string; name: string; size?: number }
  /** A bare mention: start, or show where we are. */
  | { kind: 'hello' };

export interface SlackMessage {
  /** One conversation per DM, and one per thread in a channel. */
  key: string;
  team: string;
  user: string;
  /** Slack's id for this delivery, the same on every retry: the inbox key. */
  messageId: string;
  target: SlackTarget;
  /** A thread reply without a mention continues our conversation but never starts one. */
  continueOnly: boolean;
  input: SlackInput;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export const dmKey = (team: string, channel: string): string => `${team}:${channel}`;
export const threadKey = (team: string, channel: string, threadTs: string): string => `${team}:${channel}:${threadTs}`;

/** The conversation key for a reply target (DM channel ids start with D). */
export const keyOf = (team: string, target: SlackTarget): string =>
  target.threadTs && !target.channel.startsWith('D') ? threadKey(team, target.channel, target.threadTs) : dmKey(team, target.channel);

/**
 * Slack's message markup to what the customer typed: mentions dropped, links to their label,
 * and the three escaped characters restored.
 */
export function plainText(text: string, botUserId?: string): string {
  return text
    .replace(/<@([A-Z0-9]+)(\|[^>]*)?>/g, (_m, id: string, label?: string) => (id === botUserId ? '' : (label?.slice(1) ?? '')))
    .replace(/<#[A-Z0-9]+\|([^>]*)>/g, '#$1')
    .replace(/<!([a-z]+)(\|[^>]*)?>/g, '')
    .replace(/<([^>|]+)\|([^>]+)>/g, '$2')
    .replace(/<([^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

function teamOf(body: Obj, event: Obj): string | undefined {
  return str(body.team_id) ?? str(event.team) ?? str(obj(body.team)?.id);
}

function inputOf(event: Obj, botUserId: string | undefined): SlackInput {
  const files = Array.isArray(event.files) ? event.files.map(obj).filter((f): f is Obj => f !== undefined) : [];
  const file = files[0];
  const id = file ? str(file.id) : undefined;
  if (file && id) {
    const size = typeof file.size === 'number' ? file.size : undefined;
    return { kind: 'file', fileId: id, name: str(file.name) ?? str(file.title) ?? id, ...(size !== undefined ? { size } : {}) };
  }
  const text = plainText(str(event.text) ?? '', botUserId);
  return text === '' ? { kind: 'hello' } : { kind: 'text', text };
}

/**
 * A `message` event: a DM to the app, or a reply in a thread of a channel conversation. Edits,
 * deletions, joins, bots (ourselves included) and mentions (the `app_mention` event carries
 * those) are not the customer talking to us.
 */
export function fromMessageEvent(body: unknown, botUserId?: string): SlackMessage | undefined {
  const b = obj(body);
  const e = obj(b?.event);
  if (!b || !e || e.type !== 'message') return undefined;
  if (e.subtype !== undefined && e.subtype !== 'file_share') return undefined;
  if (e.bot_id !== undefined || e.bot_profile !== undefined) return undefined;
  const team = teamOf(b, e);
  const user = str(e.user);
  const channel = str(e.channel);
  const eventId = str(b.event_id);
  if (!team || !user || !channel || !eventId || user === botUserId) return undefined;
  const threadTs = str(e.thread_ts);
  if (e.channel_type === 'im') {
    return { key: dmKey(team, channel), team, user, messageId: eventId, target: { channel }, continueOnly: false, input: inputOf(e, botUserId) };
  }
  if (!threadTs) return undefined;
  if (botUserId && (str(e.text) ?? '').includes(`<@${botUserId}>`)) return undefined;
  return {
    key: threadKey(team, channel, threadTs),
    team,
    user,
    messageId: eventId,
    target: { channel, threadTs },
    continueOnly: true,
    input: inputOf(e, botUserId),
  };
}

/** An `app_mention` in a channel: the thread it starts (or is in) is the conversation. */
export function fromMention(body: unknown, botUserId?: string): SlackMessage | undefined {
  const b = obj(body);
  const e = obj(b?.event);
  if (!b || !e || e.type !== 'app_mention' || e.bot_id !== undefined) return undefined;
  const team = teamOf(b, e);
  const user = str(e.user);
  const channel = str(e.channel);
  const eventId = str(b.event_id);
  const ts = str(e.ts);
  if (!team || !user || !channel || !eventId || !ts) return undefined;
  const threadTs = str(e.thread_ts) ?? ts;
  return {
    key: channel.startsWith('D') ? dmKey(team, channel) : threadKey(team, channel, threadTs),
    team,
    user,
    messageId: eventId,
    target: channel.startsWith('D') ? { channel } : { channel, threadTs },
    continueOnly: false,
    input: inputOf(e, botUserId),
  };
}

export interface SlackAction {
  key: string;
  team: string;
  user: string;
  /** Unique per click: the inbox key. */
  messageId: string;
  target: SlackTarget;
  triggerId?: string;
  /** The message the button was on, to take its buttons away. */
  message?: { ts: string; blocks: unknown[] };
  actionId: string;
  value: string;
  label: string;
}

/** A button press (`block_actions`) on one of our messages. */
export function fromBlockAction(body: unknown): SlackAction | undefined {
  const b = obj(body);
  if (!b || b.type !== 'block_actions') return undefined;
  const action = Array.isArray(b.actions) ? obj(b.actions[0]) : undefined;
  const container = obj(b.container);
  const message = obj(b.message);
  const team = str(obj(b.team)?.id) ?? str(obj(b.user)?.team_id);
  const user = str(obj(b.user)?.id);
  const channel = str(container?.channel_id) ?? str(obj(b.channel)?.id);
  const actionId = str(action?.action_id);
  if (!action || !team || !user || !channel || !actionId) return undefined;
  const threadTs = str(message?.thread_ts) ?? str(container?.thread_ts);
  const target: SlackTarget = threadTs && !channel.startsWith('D') ? { channel, threadTs } : { channel };
  const ts = str(container?.message_ts) ?? str(message?.ts);
  const triggerId = str(b.trigger_id);
  return {
    key: keyOf(team, target),
    team,
    user,
    messageId: `action:${triggerId ?? `${ts ?? ''}:${str(action.action_ts) ?? ''}`}`,
    target,
    ...(triggerId ? { triggerId } : {}),
    ...(ts ? { message: { ts, blocks: Array.isArray(message?.blocks) ? message.blocks : [] } } : {}),
    actionId,
    value: str(action.value) ?? '',
    label: str(obj(action.text)?.text) ?? '',
  };
}

/** What our PIN modal carries in `private_metadata`: where the conversation is. */
export interface ModalContext {
  key: string;
  target: SlackTarget;
}

export const encodeModalContext = (c: ModalContext): string => JSON.stringify({ k: c.key, c: c.target.channel, ...(c.target.threadTs ? { t: c.target.threadTs } : {}) });

export interface SlackSubmission {
  context: ModalContext;
  team: string;
  user: string;
  messageId: string;
  value: string;
}

/** Where the conversation is, from our modal's `private_metadata`; undefined when it is not ours or not readable. */
function modalContextOf(view: Obj): ModalContext | undefined {
  let meta: Obj | undefined;
  try {
    meta = obj(JSON.parse(str(view.private_metadata) ?? ''));
  } catch {
    return undefined;
  }
  const key = str(meta?.k);
  const channel = str(meta?.c);
  if (!key || !channel) return undefined;
  const threadTs = str(meta?.t);
  return { key, target: threadTs ? { channel, threadTs } : { channel } };
}

/** The PIN modal's `view_submission`. */
export function fromViewSubmission(body: unknown, input: { block: string; action: string }): SlackSubmission | undefined {
  const b = obj(body);
  const view = obj(b?.view);
  if (!b || !view || b.type !== 'view_submission') return undefined;
  const context = modalContextOf(view);
  const team = str(obj(b.team)?.id) ?? str(obj(b.user)?.team_id);
  const user = str(obj(b.user)?.id);
  const viewId = str(view.id);
  if (!context || !team || !user || !viewId) return undefined;
  const field = obj(obj(obj(obj(view.state)?.values)?.[input.block])?.[input.action]);
  return {
    context,
    team,
    user,
    messageId: `view:${viewId}`,
    value: typeof field?.value === 'string' ? field.value : '',
  };
}

/** A button pressed inside our PIN modal (a `block_actions` whose container is the view, not a message). */
export interface SlackModalAction {
  context: ModalContext;
  team: string;
  user: string;
  /** Unique per click: the inbox key. */
  messageId: string;
  viewId: string;
  /** The view's version, so updating it cannot overwrite a newer one. */
  hash?: string;
  actionId: string;
  value: string;
  label: string;
}

export function fromModalAction(body: unknown): SlackModalAction | undefined {
  const b = obj(body);
  const view = obj(b?.view);
  const container = obj(b?.container);
  if (!b || !view || b.type !== 'block_actions' || container?.type !== 'view') return undefined;
  const action = Array.isArray(b.actions) ? obj(b.actions[0]) : undefined;
  const context = modalContextOf(view);
  const team = str(obj(b.team)?.id) ?? str(obj(b.user)?.team_id);
  const user = str(obj(b.user)?.id);
  const viewId = str(view.id) ?? str(container.view_id);
  const actionId = str(action?.action_id);
  if (!action || !context || !team || !user || !viewId || !actionId) return undefined;
  const hash = str(view.hash);
  return {
    context,
    team,
    user,
    messageId: `action:${str(b.trigger_id) ?? `${viewId}:${str(action.action_ts) ?? ''}`}`,
    viewId,
    ...(hash ? { hash } : {}),
    actionId,
    value: str(action.value) ?? '',
    label: str(obj(action.text)?.text) ?? '',
  };
}

/** The channel a Slack event happened in, whatever its kind (a message, an edit, a mention). */
export function eventChannel(body: unknown): string | undefined {
  return str(obj(obj(body)?.event)?.channel);
}

/** A person's reply in a thread of the agents' desk channel. */
export interface DeskReply {
  channel: string;
  /** The thread's first message: which conversation it is. */
  threadTs: string;
  /** This message's ts: unique in the channel, the same on every redelivery. */
  ts: string;
  user: string;
  /** What the agent wrote, as plain text with their line breaks (links keep their address). */
  text: string;
  /** They attached files (which are not passed on). */
  files: boolean;
}

/**
 * A `message` event in the desk channel that is a person's reply in a thread. Top-level messages,
 * edits, deletions, joins, bots (ourselves included) and anything without a thread are not.
 * Mentioning the app is fine here: the message is for the customer either way.
 */
export function fromDeskMessage(body: unknown, deskChannel: string, botUserId?: string): DeskReply | undefined {
  const e = obj(obj(body)?.event);
  if (!e || e.type !== 'message') return undefined;
  if (e.subtype !== undefined && e.subtype !== 'thread_broadcast' && e.subtype !== 'file_share') return undefined;
  if (e.bot_id !== undefined || e.bot_profile !== undefined) return undefined;
  const channel = str(e.channel);
  const user = str(e.user);
  const ts = str(e.ts);
  const threadTs = str(e.thread_ts);
  if (channel !== deskChannel || !user || !ts || !threadTs || ts === threadTs || user === botUserId) return undefined;
  // In a channel shared with another organisation (Slack Connect), only our own workspace's people answer customers.
  const team = str(obj(body)?.team_id);
  const from = str(e.user_team) ?? str(e.team);
  if (team && from && from !== team) return undefined;
  const files = Array.isArray(e.files) && e.files.length > 0;
  return { channel, threadTs, ts, user, text: typedText(str(e.text) ?? '', botUserId), files };
}

/**
 * Slack's message markup to what a person typed, for someone who does not read Slack: our own
 * mention dropped, other mentions and channel links to their label, links as "label (address)",
 * the three escaped characters restored. Unlike `plainText`, line breaks stay.
 */
export function typedText(text: string, botUserId?: string): string {
  return text
    .replace(/<@([A-Z0-9]+)(\|[^>]*)?>/g, (_m, id: string, label?: string) => (id === botUserId ? '' : label ? `@${label.slice(1)}` : ''))
    .replace(/<#[A-Z0-9]+\|([^>]*)>/g, '#$1')
    .replace(/<!([a-z]+)(\|[^>]*)?>/g, '')
    .replace(/<mailto:([^>|]+)(\|[^>]*)?>/g, '$1')
    .replace(/<([^>|]+)\|([^>]+)>/g, (_m, url: string, label: string) => (label === url || url.endsWith(`//${label}`) ? url : `${label} (${url})`))
    .replace(/<([^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Action ids of the controls on a desk thread's first message. */
export const DESK_ACTION = { return: 'llavero.desk.return', requeue: 'llavero.desk.requeue', close: 'llavero.desk.close' } as const;

/** A person pressing one of those controls. */
export interface DeskAction {
  channel: string;
  /** The thread's first message (the controls are on it). */
  threadTs: string;
  user: string;
  action: 'return' | 'requeue' | 'close';
  /** For `close`: the resolution tag chosen. */
  tag?: string;
  /** Unique per press, the same on a redelivery: the inbox key. */
  messageId: string;
}

/** A `block_actions` payload from a desk control in the desk channel; anything else: undefined. */
export function fromDeskAction(body: unknown, deskChannel: string): DeskAction | undefined {
  const b = obj(body);
  if (!b || b.type !== 'block_actions') return undefined;
  const action = Array.isArray(b.actions) ? obj(b.actions[0]) : undefined;
  const container = obj(b.container);
  const channel = str(container?.channel_id) ?? str(obj(b.channel)?.id);
  const threadTs = str(container?.message_ts) ?? str(obj(b.message)?.ts);
  const user = str(obj(b.user)?.id);
  const id = str(action?.action_id);
  const kind = (Object.keys(DESK_ACTION) as Array<keyof typeof DESK_ACTION>).find((k) => DESK_ACTION[k] === id);
  if (!action || !kind || channel !== deskChannel || !threadTs || !user) return undefined;
  const press = str(b.trigger_id) ?? `${threadTs}:${str(action.action_ts) ?? ''}`;
  const tag = str(obj(action.selected_option)?.value);
  if (kind === 'close' && !tag) return undefined;
  return { channel, threadTs, user, action: kind, ...(kind === 'close' && tag ? { tag } : {}), messageId: `desk:action:${press}` };
}
