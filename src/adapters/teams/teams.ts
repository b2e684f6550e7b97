/**
 * The Microsoft Teams channel: botbuilder's CloudAdapter at `/api/messages`, turning personal-chat
 * messages, card presses, the password card and attached files into turns of the chat service,
 * and sending the answers proactively from the outbox. botbuilder stays inside this folder (the
 * SDK is archived; moving to the Microsoft 365 Agents SDK should touch nothing else).
 */
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, TurnContext, type Activity, type ConversationReference } from 'botbuilder';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { createOutboxWorker, type OutboxWorker } from '../../chat/outbox.ts';
import type { OutboxPayload } from '../../chat/service.ts';
import type { Inbound, Locale } from '../../conversation/messages.ts';
import type { Rendered } from '../../conversation/render.ts';
import { createChannelTurns, createKeyedQueue, within, type ChannelDeps } from '../channel.ts';
import { parseSubmit, toTeamsMessages, type TeamsT } from './cards.ts';
import { downloadAttachment, FILE_DOWNLOAD_INFO } from './download.ts';

export interface TeamsConfig {
  appId?: string;
  appPassword?: string;
  appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
  tenantId?: string;
}

export interface TeamsOptions extends ChannelDeps {
  config: TeamsConfig;
  /** The longest a request waits for its turn before Teams is answered anyway (the work goes on). */
  ackTimeoutMs?: number;
}

export interface TeamsAdapter {
  outbox: OutboxWorker;
  /** Send messages to a conversation unprompted (an agent's reply), at its saved conversation reference. */
  sendTo(conversationId: string, messages: Rendered[]): Promise<boolean>;
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Teams' locale ("es-419", "en-US") to ours; anything else gets Spanish. */
export const localeFromTeams = (locale: unknown): Locale => (typeof locale === 'string' && locale.toLowerCase().startsWith('en') ? 'en' : 'es');

/** One conversation per personal chat (per tenant: conversation ids are only unique within one). */
export const teamsKey = (a: Partial<Activity>): string | undefined => {
  const id = a.conversation?.id;
  if (!id) return undefined;
  const tenant = a.conversation?.tenantId ?? (a.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ?? '';
  return `${tenant}:${id}`;
};

/** botbuilder's response interface over Fastify's reply. */
function responseOf(reply: FastifyReply) {
  let body: unknown;
  return {
    socket: reply.raw.socket,
    status: (code: number) => reply.code(code),
    header: (name: string, value: unknown) => reply.header(name, value),
    send: (b: unknown) => {
      body = b;
    },
    end: () => {
      if (!reply.sent) void reply.send(body ?? '');
    },
  };
}

export async function teams(server: FastifyInstance, opts: TeamsOptions): Promise<TeamsAdapter> {
  const { config, chat, store, t, maxFileBytes, log, now = Date.now, ackTimeoutMs = 2_500, outboxIntervalMs } = opts;
  const auth = new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: config.appId ?? '',
    MicrosoftAppPassword: config.appPassword ?? '',
    MicrosoftAppType: config.appType,
    MicrosoftAppTenantId: config.tenantId ?? '',
  });
  const adapter = new CloudAdapter(auth);
  const appId = config.appId ?? '';
  adapter.onTurnError = async (_context, err) => {
    log.error({ err, channel: 'teams' }, 'teams turn failed');
  };
  const tOf =
    (locale: Locale): TeamsT =>
    (key, params) =>
      t(key.includes(':') ? key : `teams:${key}`, locale, params);

  // Per conversation, one send at a time: answers arrive in the order their turns ran.
  const queue = createKeyedQueue();

  /** Proactive send at a saved reference: the same path for a turn's answer and for an agent's message. */
  const post = (reference: Partial<ConversationReference>, locale: Locale, messages: Rendered[]): Promise<void> =>
    queue.run(reference.conversation?.id ?? '', async () => {
      const activities = toTeamsMessages(messages, tOf(locale));
      if (activities.length === 0) return;
      let sent = false;
      await adapter.continueConversationAsync(appId, reference, async (context) => {
        // The card types are ours; botbuilder's Activity type is wider than JSON.
        await context.sendActivities(activities as Partial<Activity>[]);
        sent = true;
      });
      // botbuilder hands a failure (no token, a refused send) to onTurnError and resolves anyway:
      // throw, so the outbox keeps the row for its sweep.
      if (!sent) throw new Error('teams: proactive send failed');
    });

  const outbox = createOutboxWorker({
    store,
    channel: 'teams',
    post: (payload: OutboxPayload) => post(payload.target as Partial<ConversationReference>, payload.locale, payload.messages),
    now,
    ...(outboxIntervalMs !== undefined ? { intervalMs: outboxIntervalMs } : {}),
    onError: (err, ctx) => log.error({ err, ...ctx, channel: 'teams' }, ctx.gaveUp ? 'teams reply dropped after retries' : 'teams reply not sent yet'),
  });
  const runTurn = createChannelTurns({ channel: 'teams', chat, outbox, log });
  /** Turns running (a turn may outlive the request that started it). */
  const running = new Set<Promise<unknown>>();

  /** What the customer did, as an inbound message; undefined: nothing for us (a reaction, an empty card). */
  async function inboundOf(a: Partial<Activity>): Promise<Inbound | undefined> {
    const submitted = parseSubmit(a.value);
    if (submitted) {
      if (submitted.kind === 'choice') return { type: 'choice', id: submitted.id };
      if (submitted.kind === 'command') return { type: 'command', command: submitted.command };
      return { type: 'secret', text: submitted.text };
    }
    const file = (a.attachments ?? []).find((x) => x.contentType === FILE_DOWNLOAD_INFO);
    if (file) {
      const got = await downloadAttachment(file, { maxBytes: maxFileBytes, serviceUrl: a.serviceUrl });
      return got.ok
        ? { type: 'file', name: got.name, bytes: got.bytes }
        : { type: 'file-refused', name: got.name, reason: got.reason, ...(got.size !== undefined ? { size: got.size } : {}) };
    }
    // Teams wraps typed text in HTML when the customer formats it; the plain part is what they said.
    const text = (a.text ?? '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
    return text ? { type: 'text', text } : undefined;
  }

  /** An install greets a new conversation only; an activity with nothing in it changes nothing. */
  async function turn(a: Partial<Activity>, greetOnly: boolean): Promise<void> {
    const key = teamsKey(a);
    const messageId = a.id;
    if (!key || !messageId) return;
    await runTurn({
      key,
      messageId,
      target: TurnContext.getConversationReference(a),
      locale: () => localeFromTeams(a.locale),
      costly: (a.attachments ?? []).some((x) => x.contentType === FILE_DOWNLOAD_INFO),
      inbound: async () => (greetOnly ? undefined : inboundOf(a)),
      whenEmpty: { open: greetOnly },
    });
  }

  async function logic(context: TurnContext): Promise<void> {
    const a = context.activity;
    if (a.type === 'conversationUpdate') {
      // Installed in a personal chat: the bot itself appears among the members added.
      const added = a.membersAdded ?? [];
      if (added.length > 0) await turn(a, true);
      return;
    }
    if (a.type !== 'message') return;
    const submitted = parseSubmit(a.value);
    if (submitted?.kind === 'secret') {
      // The check may take a moment: say so now, in this request; the report follows proactively.
      const conv = teamsKey(a) ? await chat.find('teams', teamsKey(a) as string) : undefined;
      await context.sendActivity({ type: 'message', text: tOf(conv?.state.locale ?? localeFromTeams(a.locale))('checking'), textFormat: 'plain' });
    }
    // Teams gets its answer once the turn is committed, or after the deadline with the work going on.
    const work = turn(a, false);
    running.add(work);
    void work.finally(() => running.delete(work)).catch(() => undefined);
    await within(work, ackTimeoutMs, (err) => log.error({ err, channel: 'teams' }, 'teams turn failed late'));
  }

  // Bot Framework's own traffic, authenticated by its JWT: not throttled per address.
  server.post('/api/messages', { config: { rateLimit: false } }, async (req, reply) => {
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return reply.code(400).send({ error: 'expected an activity' });
    try {
      await adapter.process({ body: body as Record<string, unknown>, headers: req.headers as Record<string, string | string[] | undefined>, method: req.method }, responseOf(reply), logic);
    } catch (err) {
      // botbuilder throws (rather than answering) on an activity it cannot read, e.g. without a type.
      req.log.warn({ err, channel: 'teams' }, 'teams activity refused');
      if (!reply.sent) return reply.code(400).send({ error: 'not an activity' });
    }
    return reply;
  });

  outbox.start();
  log.info({ channel: 'teams', auth: config.appId ? 'on' : 'off (local mode)' }, 'teams adapter on');

  const idle = async () => {
    while (running.size > 0) await Promise.all([...running].map((p) => p.catch(() => undefined)));
    await outbox.idle();
    await queue.idle();
  };
  return {
    outbox,
    async sendTo(conversationId, messages) {
      const rec = await store.getConversation(conversationId);
      if (!rec || rec.channel !== 'teams' || !rec.replyTo) return false;
      await post(rec.replyTo as Partial<ConversationReference>, rec.state.locale, messages);
      return true;
    },
    idle,
    async close() {
      await outbox.stop();
      await idle();
    },
  };
}
