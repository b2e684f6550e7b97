/**
 * The Slack channel: a Bolt app (HTTP on our server, or Socket Mode) whose listeners turn DMs,
 * mentions, button presses and the PIN modal into turns of the chat service, and post the answers
 * from the outbox, in order, on the customer's DM or thread.
 */
import { App, LogLevel, type Logger } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { createOutboxWorker, type OutboxWorker } from '../../chat/outbox.ts';
import type { NoticeHub } from '../../chat/notices.ts';
import type { Inbound, Locale } from '../../conversation/messages.ts';
import { ACTION, PIN_INPUT, VIEW, answered, commandSentModal, isPinCommand, pinModal, type SlackT } from './blocks.ts';
import { createChannelTurns, type ChannelDeps } from '../channel.ts';
import { createDesk, type Desk } from './desk.ts';
import { downloadFile } from '../download.ts';
import {
  encodeModalContext,
  eventChannel,
  fromBlockAction,
  fromDeskAction,
  fromDeskMessage,
  fromMention,
  fromMessageEvent,
  fromModalAction,
  fromViewSubmission,
  type SlackInput,
  type SlackMessage,
  type SlackTarget,
} from './inbound.ts';
import { FastifyReceiver } from './receiver.ts';
import { createSlackSender, type SlackSender } from './sender.ts';

export interface SlackConfig {
  botToken: string;
  /** HTTP mode: requests to `/slack/events` are verified with it. */
  signingSecret?: string;
  /** Socket Mode when set (no public URL needed). */
  appToken?: string;
  /** Web API base URL (tests and staging point it at a local server). */
  apiUrl?: string;
  /** The agents' desk: a channel (id) where each handed-off conversation gets a thread agents reply in. */
  handoffChannel?: string;
  /** The desk's language (default Spanish). */
  handoffLocale?: Locale;
  /** The agent console's public address, linked from each desk thread. */
  consoleUrl?: string;
}

export interface SlackOptions extends ChannelDeps {
  config: SlackConfig;
  /** How long `/slack/events` waits for the turn's commit before answering Slack anyway. */
  ackTimeoutMs?: number;
  /** Web API retry policy (tests shorten it; the default retries for about half an hour). */
  retryConfig?: { retries: number; factor?: number; minTimeout?: number; maxTimeout?: number };
  outboxIntervalMs?: number;
  /** A request refused before any turn (bad signature, stale, malformed): for metrics. */
  onRefused?: (reason: string) => void;
  /** Every instance's notices: what brings the agents' desk up to date (needed with `handoffChannel`). */
  notices?: NoticeHub;
  /** The agents' desk: its language (default Spanish), the console's public address for links, timings. */
  desk?: { locale?: Locale; consoleUrl?: string; pendingTimeoutMs?: number; sweepIntervalMs?: number };
}

export interface SlackAdapter {
  bolt: App;
  sender: SlackSender;
  outbox: OutboxWorker;
  /** The agents' desk, when SLACK_HANDOFF_CHANNEL is set. */
  desk?: Desk;
  /** Replies in flight have been posted (tests, shutdown). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * What the app asks of Slack; `slack/manifest.yml` lists exactly these (a test keeps them equal).
 * Events: DMs, mentions, and replies in the threads those mentions start (and in the agents' desk
 * threads). Scopes: reading those, posting, updating and deleting our messages, reading the shared
 * file, and the customer's locale (and an agent's name).
 */
export const SLACK_APP = {
  events: ['app_mention', 'message.channels', 'message.groups', 'message.im'],
  scopes: ['app_mentions:read', 'channels:history', 'chat:write', 'files:read', 'groups:history', 'im:history', 'users:read'],
  /** Web API methods called, and the scope each needs (views.open needs none: it rides on a trigger). */
  methods: { 'auth.test': null, 'chat.postMessage': 'chat:write', 'chat.update': 'chat:write', 'chat.delete': 'chat:write', 'files.info': 'files:read', 'users.info': 'users:read', 'views.open': null, 'views.update': null },
} as const;

/** Slack's locale ("es-LA", "en-US") to ours; anything else gets Spanish, our customers' usual language. */
export const localeFromSlack = (locale: unknown): Locale => (typeof locale === 'string' && locale.toLowerCase().startsWith('en') ? 'en' : 'es');

/** Bolt's logger interface over our pino logger, so its lines are JSON like ours. */
function boltLogger(log: FastifyBaseLogger): Logger {
  let level = LogLevel.INFO;
  const child = log.child({ channel: 'slack' });
  return {
    // Slack's debug lines carry whole payloads, customer text included: never logged.
    debug: () => {},
    info: (...m: unknown[]) => child.info(m.map(String).join(' ')),
    warn: (...m: unknown[]) => child.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => child.error(m.map(String).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** Download URLs must be Slack's (or the configured test API's): the bot token goes with the request. */
function allowedDownload(url: string, apiUrl: string | undefined): boolean {
  try {
    const u = new URL(url);
    if (apiUrl && u.origin === new URL(apiUrl).origin) return true;
    return u.protocol === 'https:' && (u.hostname === 'files.slack.com' || u.hostname.endsWith('.slack.com'));
  } catch {
    return false;
  }
}

export async function slack(server: FastifyInstance, opts: SlackOptions): Promise<SlackAdapter> {
  const { config, chat, store, t, maxFileBytes, log, now = Date.now, ackTimeoutMs, retryConfig, outboxIntervalMs, onRefused = () => {}, notices } = opts;
  const clientOptions = { ...(config.apiUrl ? { slackApiUrl: config.apiUrl } : {}), ...(retryConfig ? { retryConfig } : {}) };
  const logger = boltLogger(log);
  const client = new WebClient(config.botToken, { ...clientOptions, logger });

  // Who we are (to ignore our own messages and strip our mention), asked once, on the first event
  // rather than at start so the server comes up even when Slack is unreachable. Bolt 5 would call
  // auth.test before every event when given only a token; a failure is retried on the next event.
  let identity: Promise<{ botId?: string; botUserId?: string }> | undefined;
  const authorize = async () => {
    identity ??= client.auth.test().then(
      (r) => ({ ...(r.bot_id ? { botId: r.bot_id } : {}), ...(r.user_id ? { botUserId: r.user_id } : {}) }),
      (err: unknown) => {
        identity = undefined;
        throw err;
      },
    );
    return { botToken: config.botToken, ...(await identity) };
  };
  // convoStore: false: Bolt's per-conversation memory store is not used (our state is in the store).
  const common = { authorize, clientOptions, logger, extendedErrorHandler: true, convoStore: false } as const;

  let receiver: FastifyReceiver | undefined;
  const bolt = config.appToken
    ? new App({ ...common, socketMode: true, appToken: config.appToken })
    : new App({
        ...common,
        receiver: (receiver = new FastifyReceiver({
          signingSecret: config.signingSecret ?? '',
          now,
          ...(ackTimeoutMs !== undefined ? { ackTimeoutMs } : {}),
          onRejected: (reason, req) => {
            onRefused(reason);
            req.log.warn({ reason }, 'slack request refused');
          },
        })),
      });
  // A listener that throws makes `/slack/events` answer 500, so Slack delivers the event again.
  // Bolt's index does not export the extended handler's type; this is its shape.
  const onError = async ({ error }: { error: Error }): Promise<void> => {
    log.error({ err: error, channel: 'slack' }, 'slack listener failed');
    throw error;
  };
  bolt.error(onError);

  const tOf =
    (locale: Locale): SlackT =>
    (key, params) =>
      t(key.includes(':') ? key : `slack:${key}`, locale, params);
  const sender = createSlackSender(client, tOf);
  const outbox = createOutboxWorker({
    store,
    channel: 'slack',
    post: (payload) => sender.replies(payload),
    now,
    ...(outboxIntervalMs !== undefined ? { intervalMs: outboxIntervalMs } : {}),
    onError: (err, ctx) => log.error({ err, ...ctx, channel: 'slack' }, ctx.gaveUp ? 'slack reply dropped after retries' : 'slack reply not posted yet'),
  });
  const runTurn = createChannelTurns({ channel: 'slack', chat, outbox, log });
  if (config.handoffChannel && !notices) log.warn({ channel: 'slack' }, 'agents desk off: no notices to follow');
  const desk: Desk | undefined =
    config.handoffChannel && notices ? createDesk({
          channel: config.handoffChannel,
          client,
          chat,
          store,
          notices,
          t,
          log,
          now,
          ...(config.handoffLocale ? { locale: config.handoffLocale } : {}),
          ...(config.consoleUrl ? { consoleUrl: config.consoleUrl } : {}),
          ...opts.desk,
        }) : undefined;

  async function localeOf(user: string): Promise<Locale> {
    try {
      const r = await client.users.info({ user, include_locale: true });
      return localeFromSlack(r.user?.locale);
    } catch (err) {
      log.warn({ err, channel: 'slack' }, 'users.info failed; using Spanish');
      return 'es';
    }
  }

  /** A shared file, fetched into memory (never to disk), or the reason it could not be. */
  async function fileInbound(input: Extract<SlackInput, { kind: 'file' }>): Promise<Inbound> {
    const refused = (reason: 'too-large' | 'not-a-file' | 'download-failed', size?: number): Inbound => ({
      type: 'file-refused',
      name: input.name,
      reason,
      ...(size !== undefined ? { size } : {}),
    });
    if (input.size !== undefined && input.size > maxFileBytes) return refused('too-large', input.size);
    let info;
    try {
      info = (await client.files.info({ file: input.fileId })).file;
    } catch (err) {
      log.warn({ err, channel: 'slack' }, 'files.info failed');
      return refused('download-failed');
    }
    const url = info?.url_private_download ?? info?.url_private;
    const name = info?.name ?? input.name;
    if (!url || !allowedDownload(url, config.apiUrl)) return refused('download-failed');
    const got = await downloadFile({ url, token: config.botToken, maxBytes: maxFileBytes, ...(typeof info?.size === 'number' ? { declaredSize: info.size } : {}) });
    if (got.ok) return { type: 'file', name, bytes: got.bytes };
    return { type: 'file-refused', name, reason: got.reason, ...(got.size !== undefined ? { size: got.size } : {}) };
  }

  /** A bare mention opens the conversation (the greeting) or, in one that exists, shows where we are. */
  const turn = (args: { key: string; user: string; messageId: string; target: SlackTarget; continueOnly?: boolean; costly?: boolean; inbound: () => Promise<Inbound | undefined> }) =>
    runTurn({ ...args, locale: () => localeOf(args.user), whenEmpty: { open: true, existing: { type: 'command', command: 'help' } } });

  const messageTurn = (m: SlackMessage) =>
    turn({
      ...m,
      costly: m.input.kind === 'file',
      inbound: async () =>
        m.input.kind === 'file' ? fileInbound(m.input) : m.input.kind === 'text' ? { type: 'text', text: m.input.text } : undefined,
    });

  bolt.event('message', async ({ body, context }) => {
    // The agents' desk is never a customer's conversation: there, only replies in its threads count.
    if (desk && eventChannel(body) === desk.channel) {
      const reply = fromDeskMessage(body, desk.channel, context.botUserId);
      if (reply) await desk.onReply(reply);
      return;
    }
    const m = fromMessageEvent(body, context.botUserId);
    if (m) await messageTurn(m);
  });

  bolt.event('app_mention', async ({ body, context }) => {
    // A mention in a desk thread is an agent's reply (the message event carries it); elsewhere there, nothing.
    if (desk && eventChannel(body) === desk.channel) return;
    const m = fromMention(body, context.botUserId);
    if (m) await messageTurn(m);
  });

  bolt.action(new RegExp(`^${ACTION.choice.replace('.', '\\.')}:`), async ({ ack, body }) => {
    await ack();
    const a = fromBlockAction(body);
    if (!a) return;
    const conv = await chat.find('slack', a.key);
    if (a.message && conv) {
      // The pressed message keeps the answer and loses its buttons, in order with the reply that follows.
      const blocks = answered(a.message.blocks as never, a.label, tOf(conv.state.locale));
      void sender.update(a.target.channel, a.message.ts, a.label, blocks).catch((err: unknown) => log.warn({ err, channel: 'slack' }, 'chat.update failed'));
    }
    await turn({ ...a, continueOnly: true, inbound: async () => ({ type: 'choice', id: a.value }) });
  });

  // "Talk to a person", "Help", "Back" beside the PIN: on the message that asks for it, or inside the PIN box.
  bolt.action(new RegExp(`^${ACTION.command.replace('.', '\\.')}:`), async ({ ack, body }) => {
    await ack();
    const inBox = fromModalAction(body);
    if (inBox) {
      const command = inBox.value;
      if (!isPinCommand(command)) return;
      const conv = await chat.find('slack', inBox.context.key);
      const st = tOf(conv?.state.locale ?? 'es');
      // The box cannot be closed from here (Slack closes a modal only on its submission): it now says where the answer is.
      const view = commandSentModal({ label: inBox.label, privateMetadata: encodeModalContext(inBox.context), t: st });
      void client.views
        .update({ view_id: inBox.viewId, ...(inBox.hash ? { hash: inBox.hash } : {}), view: view as never })
        .catch((err: unknown) => log.warn({ err, channel: 'slack' }, 'views.update failed'));
      await turn({ key: inBox.context.key, user: inBox.user, messageId: inBox.messageId, target: inBox.context.target, continueOnly: true, inbound: async () => ({ type: 'command', command }) });
      return;
    }
    const a = fromBlockAction(body);
    if (!a || !isPinCommand(a.value)) return;
    const command = a.value;
    const conv = await chat.find('slack', a.key);
    if (a.message && conv) {
      // Like a choice: the message keeps the answer and loses its buttons ("Enter PIN" too; the answer asks again if it should).
      const blocks = answered(a.message.blocks as never, a.label, tOf(conv.state.locale));
      void sender.update(a.target.channel, a.message.ts, a.label, blocks).catch((err: unknown) => log.warn({ err, channel: 'slack' }, 'chat.update failed'));
    }
    await turn({ ...a, continueOnly: true, inbound: async () => ({ type: 'command', command }) });
  });

  bolt.action(/^llavero\.desk\./, async ({ ack, body }) => {
    await ack();
    const a = desk ? fromDeskAction(body, desk.channel) : undefined;
    if (desk && a) await desk.onAction(a);
  });

  bolt.action(ACTION.secret, async ({ ack, body }) => {
    await ack();
    const a = fromBlockAction(body);
    if (!a?.triggerId) return;
    const conv = await chat.find('slack', a.key);
    const st = tOf(conv?.state.locale ?? 'es');
    await client.views.open({
      trigger_id: a.triggerId,
      view: pinModal({ prompt: st('secret.label'), privateMetadata: encodeModalContext({ key: a.key, target: a.target }), t: st }) as never,
    });
  });

  bolt.view(VIEW.secret, async ({ ack, body }) => {
    // Closing the modal at once: the answer (the report) arrives in the conversation.
    await ack();
    const s = fromViewSubmission(body, PIN_INPUT);
    if (!s) return;
    await turn({ key: s.context.key, user: s.user, messageId: s.messageId, target: s.context.target, continueOnly: true, inbound: async () => ({ type: 'secret', text: s.value }) });
  });

  if (receiver) await receiver.register(server);
  outbox.start();
  desk?.start();
  if (config.appToken) await bolt.start();
  log.info({ channel: 'slack', mode: config.appToken ? 'socket' : 'http', ...(desk ? { desk: desk.channel } : {}) }, 'slack adapter on');

  const idle = async () => {
    await desk?.idle();
    await outbox.idle();
    await sender.idle();
  };
  return {
    bolt,
    sender,
    outbox,
    ...(desk ? { desk } : {}),
    idle,
    async close() {
      await desk?.stop();
      await outbox.stop();
      await idle();
      if (config.appToken) await bolt.stop();
    },
  };
}
