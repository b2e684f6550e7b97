/**
 * The agents' side over HTTP: the console's static app at `/agent/`, the live queue, a
 * conversation with its redacted transcript and last certificate report, the actions (claim,
 * reply, back to the bot, transfer, close), and a Server-Sent Events stream of changes heard from
 * every instance. Every action is audited.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { fileURLToPath } from 'node:url';
import type { Accounts, Session } from '../accounts/accounts.ts';
import type { ChatService, StaffOutcome } from '../chat/service.ts';
import type { NoticeHub } from '../chat/notices.ts';
import type { StaffAction } from '../conversation/engine.ts';
import type { Locale } from '../conversation/messages.ts';
import type { ConversationState } from '../conversation/state.ts';
import type { FlowId } from '../flows/step.ts';
import type { Resources } from '../i18n/resources.ts';
import type { Store } from '../store/port.ts';
import { cookie, guard, SESSION_COOKIE } from './auth.ts';
import { flowTitle, lngOf, stepLabels, transcriptOf, type Translate } from './present.ts';
import { RESOLUTION_TAGS } from '../handoff/resolution.ts';

export const AGENT_DIR = fileURLToPath(new URL('./public/agent/', import.meta.url));

/** Resolution tags an agent closes a conversation with (labels in `agent.json`, counted by analytics). */

/** Procedures an agent can hand a customer back into, in the order the console lists them. */
const RETURN_FLOWS: readonly FlowId[] = ['sii.centralize-certificate', 'sii.enable-certificate-login', 'atv.revoke-key', 'atv.generate-key', 'triage'];

export interface AgentRoutesOptions {
  accounts: Accounts;
  store: Store;
  chat: ChatService;
  notices: NoticeHub;
  resources: Resources;
  t: Translate;
  now: () => number;
  /** How often an open event stream re-checks its session (and keeps proxies from closing it). */
  heartbeatMs?: number;
}

const MAX_REPLY = 2000;
/** Conversations that moved within this long are listed as "with the bot" (ABANDON_AFTER_MINUTES' default: after it they are gone). */
const ACTIVE_WINDOW_MS = 30 * 60_000;

/** Where a conversation stands for the console: with the bot, waiting for an agent, with one, or over (a handoff saved before `status` existed is queued). */
const standing = (st: ConversationState): 'bot' | 'queued' | 'assigned' | 'ended' => (st.status === 'ended' ? 'ended' : st.handoff ? (st.handoff.status ?? 'queued') : 'bot');

/** HTTP status for an action refused as a value. */
function statusOf(code: Extract<StaffOutcome, { ok: false }>['code']): number {
  switch (code) {
    case 'conversation.missing':
      return 404;
    case 'reply.empty':
    case 'reply.too-long':
    case 'return.unknown-step':
      return 400;
    case 'conversation.busy':
      return 503;
    default:
      return 409;
  }
}

export async function agentRoutes(app: FastifyInstance, opts: AgentRoutesOptions): Promise<void> {
  const { accounts, store, chat, notices, resources, t, now, heartbeatMs = 25_000 } = opts;
  const staff = guard(accounts, ['agent', 'manager', 'admin']);
  const me = (s: Session | undefined) => ({ id: s?.user.id ?? '', name: s?.user.name ?? '' });

  await app.register(fastifyStatic, { root: AGENT_DIR, prefix: '/agent/', decorateReply: false, index: 'index.html' });
  app.get('/agent', async (_req, reply) => reply.redirect('/agent/'));

  // The sign-in page needs its words before anyone is signed in; they are not secret.
  app.get<{ Params: { lng: string } }>('/api/agent/strings/:lng', async (req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return resources[lngOf(req.params)].agent ?? {};
  });

  const titleOf = (flow: string, lng: Locale): string => flowTitle(t, flow, lng);

  app.get('/api/agent/queue', { preHandler: staff }, async (req, reply) => {
    const lng = lngOf(req.query);
    const at = now();
    const [queue, active] = await Promise.all([store.handoffQueue(), store.activeConversations({ since: at - ACTIVE_WINDOW_MS })]);
    return reply.header('cache-control', 'no-store').send({
      at,
      queue: queue.map((q) => ({ ...q, flowTitle: titleOf(q.flow, lng), waitingSeconds: Math.max(0, Math.round((at - q.since) / 1000)) })),
      // With the bot right now: an agent may step in before the customer asks (claimed with reason "agent").
      active: active.map((c) => ({ ...c, flowTitle: titleOf(c.flow, lng), idleSeconds: Math.max(0, Math.round((at - c.updatedAt) / 1000)) })),
    });
  });

  app.get<{ Params: { id: string } }>('/api/agent/conversations/:id', { preHandler: staff }, async (req, reply) => {
    const lng = lngOf(req.query);
    const conv = await store.getConversation(req.params.id);
    if (!conv) return reply.code(404).send({ error: 'conversation.missing' });
    const { transcript, report } = transcriptOf(await store.transcript(conv.id, { limit: 500 }));
    const st = conv.state;
    const value = st.flow.value;
    await accounts.audit({ actorId: req.staff?.user.id, action: 'conversation.viewed', conversationId: conv.id });
    return reply.header('cache-control', 'no-store').send({
      id: conv.id,
      channel: conv.channel,
      locale: st.locale,
      ...(st.country ? { country: st.country } : {}),
      flow: st.flow.id,
      flowTitle: titleOf(st.flow.id, lng),
      step: typeof value === 'string' ? value : JSON.stringify(value),
      status: standing(st),
      ...(st.handoff
        ? {
            handoff: {
              reason: st.handoff.reason,
              since: st.handoff.at,
              status: st.handoff.status ?? 'queued',
              ...(st.handoff.agent ? { agent: st.handoff.agent } : {}),
              ...(st.handoff.email ? { email: st.handoff.email } : {}),
            },
          }
        : {}),
      transcript,
      ...(report ? { report } : {}),
    });
  });

  /** Runs an action, audits it, and answers 200 or the refusal's code. */
  async function act(reply: FastifyReply, actor: Session | undefined, id: string, action: StaffAction, audit: Record<string, string | null> = {}) {
    const r = await chat.staff(id, action);
    if (!r.ok) return reply.code(statusOf(r.code)).send({ error: r.code, ...(r.agent ? { agent: { name: r.agent.name } } : {}) });
    if (r.changed) await accounts.audit({ actorId: actor?.user.id, action: `conversation.${action.type}`, conversationId: id, ...(Object.keys(audit).length > 0 ? { data: audit } : {}) });
    return reply.send({ ok: true, status: standing(r.state) });
  }

  type WithId = { Params: { id: string } };
  app.post<WithId>('/api/agent/conversations/:id/claim', { preHandler: staff }, async (req, reply) => act(reply, req.staff, req.params.id, { type: 'claim', agent: me(req.staff) }));

  app.post<WithId & { Body: { text?: unknown } }>('/api/agent/conversations/:id/reply', { preHandler: staff }, async (req, reply) => {
    const text = req.body?.text;
    if (typeof text !== 'string' || text.trim() === '') return reply.code(400).send({ error: 'reply.empty' });
    if (text.length > MAX_REPLY) return reply.code(400).send({ error: 'reply.too-long' });
    // The audit says that they replied and how much, not what: the transcript holds the words.
    return act(reply, req.staff, req.params.id, { type: 'reply', agent: me(req.staff), text }, { chars: String(text.length) });
  });

  app.post<WithId & { Body: { flow?: unknown; step?: unknown } }>('/api/agent/conversations/:id/return', { preHandler: staff }, async (req, reply) => {
    const { flow, step } = req.body ?? {};
    if ((flow !== undefined && flow !== null && typeof flow !== 'string') || (step !== undefined && step !== null && typeof step !== 'string')) {
      return reply.code(400).send({ error: 'return.unknown-step' });
    }
    const target: { flow?: FlowId; step?: string } = typeof flow === 'string' && flow !== '' ? { flow: flow as FlowId, ...(typeof step === 'string' && step !== '' ? { step } : {}) } : {};
    return act(reply, req.staff, req.params.id, { type: 'return', agent: me(req.staff), ...target }, { flow: target.flow ?? null, step: target.step ?? null });
  });

  app.post<WithId & { Body: { to?: unknown } }>('/api/agent/conversations/:id/transfer', { preHandler: staff }, async (req, reply) => {
    const to = req.body?.to;
    if (to === null || to === undefined || to === '') return act(reply, req.staff, req.params.id, { type: 'transfer', agent: me(req.staff) }, { to: null });
    if (typeof to !== 'string') return reply.code(404).send({ error: 'agent.unknown' });
    const target = (await accounts.listUsers()).find((u) => u.id === to && !u.disabled);
    if (!target) return reply.code(404).send({ error: 'agent.unknown' });
    return act(reply, req.staff, req.params.id, { type: 'transfer', agent: me(req.staff), to: { id: target.id, name: target.name } }, { to: target.id });
  });

  app.post<WithId & { Body: { tag?: unknown } }>('/api/agent/conversations/:id/close', { preHandler: staff }, async (req, reply) => {
    const tag = req.body?.tag;
    if (typeof tag !== 'string' || !(RESOLUTION_TAGS as readonly string[]).includes(tag)) return reply.code(400).send({ error: 'close.tag' });
    return act(reply, req.staff, req.params.id, { type: 'close', agent: me(req.staff), tag }, { tag });
  });

  app.get('/api/agent/agents', { preHandler: staff }, async (_req, reply) => {
    const users = await accounts.listUsers();
    return reply.header('cache-control', 'no-store').send({ agents: users.filter((u) => !u.disabled).map(({ id, name, email, role }) => ({ id, name, email, role })) });
  });

  app.get('/api/agent/flows', { preHandler: staff }, async (req) => {
    const lng = lngOf(req.query);
    return {
      tags: RESOLUTION_TAGS,
      flows: RETURN_FLOWS.map((id) => ({
        id,
        title: titleOf(id, lng),
        steps: stepLabels(t, id, lng),
      })),
    };
  });

  // ---- live updates ------------------------------------------------------------------------------
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    // Open streams would keep the server from closing; consoles reconnect (to another instance).
    for (const end of [...streams]) end();
  });

  app.get('/api/agent/events', { preHandler: staff, config: { rateLimit: false } }, (req, reply) => {
    const token = cookie(req.headers.cookie, SESSION_COOKIE) ?? '';
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Proxies such as nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    const write = (chunk: string) => {
      if (!res.writableEnded) res.write(chunk);
    };
    write('retry: 2000\n\n');
    const unsubscribe = notices.subscribe((n) => {
      if (n === 'resync' || n.queue) write('event: queue\ndata: {}\n\n');
      if (n !== 'resync') write(`event: conversation\ndata: ${JSON.stringify({ id: n.conversationId })}\n\n`);
    });
    // A session that ends (sign-out elsewhere, account disabled, expiry) ends the stream too.
    const beat = setInterval(() => {
      accounts
        .session(token)
        .then((s) => (s ? write(': ping\n\n') : end()))
        .catch(() => write(': ping\n\n'));
    }, heartbeatMs);
    beat.unref();
    const end = () => {
      clearInterval(beat);
      unsubscribe();
      streams.delete(end);
      if (!res.writableEnded) res.end();
    };
    streams.add(end);
    req.raw.on('close', end);
  });
}
