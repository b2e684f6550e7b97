/** The composition root: builds the HTTP server (not listening) from the config and its ports, so tests drive it in-process. */
import Fastify, { type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import { slack, type SlackAdapter, type SlackOptions } from './adapters/slack/slack.ts';
import { teams, type TeamsAdapter } from './adapters/teams/teams.ts';
import { webchat, type Connections } from './adapters/webchat/routes.ts';
import { randomUUID } from 'node:crypto';
import type { Accounts } from './accounts/accounts.ts';
import type { Bot } from './bot.ts';
import { createChatService, hashToken, type ChatService } from './chat/service.ts';
import { availabilityOf } from './handoff/availability.ts';
import { createNoticeHub, type NoticeHub } from './chat/notices.ts';
import type { OutboxWorker } from './chat/outbox.ts';
import type { Config } from './config.ts';
import { createFileHolds } from './conversation/file-hold.ts';
import type { Resources } from './i18n/resources.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import type { Channel, Store } from './store/port.ts';
import { adminRoutes } from './web/admin.ts';
import { agentRoutes } from './web/agent.ts';
import { analyticsRoutes } from './web/analytics.ts';
import { createAnalytics } from './analytics/queries.ts';
import type { Sql } from './store/sql-store.ts';
import { authRoutes } from './web/auth.ts';

export interface AppDeps {
  config: Readonly<Config>;
  store: Store;
  bot: Bot;
  resources: Resources;
  /** Staff accounts (sign-in, agent and admin APIs); absent: those routes are not mounted. */
  accounts?: Accounts;
  /** The database under the store, for the dashboard's queries; absent: no dashboard. */
  sql?: Sql;
  now?: () => number;
  /** Pino logger options, or false for none (tests). */
  logger?: boolean | object;
  /** Adapter tuning for tests (Slack's Web API retry policy, acknowledgement deadline). */
  slackOptions?: { retryConfig?: { retries: number; factor?: number; minTimeout?: number; maxTimeout?: number }; ackTimeoutMs?: number; outboxIntervalMs?: number; desk?: SlackOptions['desk'] };
  teamsOptions?: { ackTimeoutMs?: number; outboxIntervalMs?: number };
}

export interface App {
  server: FastifyInstance;
  chat: ChatService;
  connections: Connections;
  metrics: Metrics;
  notices: NoticeHub;
  slack?: SlackAdapter;
  teams?: TeamsAdapter;
  /**
   * Graceful stop: /readyz turns 503, web chat stops taking frames, turns in flight finish and
   * are acknowledged, sockets close with "service restart", then the server closes (adapters
   * flush their outboxes). The caller bounds it with a deadline and closes the store after.
   */
  shutdown(): Promise<void>;
}

/** Trust the `hops` proxies nearest the server (as proxy-addr does for a number; Fastify's types take only the function). */
const trustHops =
  (hops: number) =>
  (_address: string, hop: number): boolean =>
    hop < hops;

/** Largest WebSocket frame: a certificate (base64) with room to spare; a 50 MB upload closes the socket. */
const MAX_FRAME = 1024 * 1024;

export async function buildApp({ config, store, bot, resources, accounts, sql, now = Date.now, logger = false, slackOptions = {}, teamsOptions = {} }: AppDeps): Promise<App> {
  const server = Fastify({
    logger,
    bodyLimit: 64 * 1024,
    // Behind a load balancer the client's address is in X-Forwarded-For; believed only from the
    // proxies TRUST_PROXY names, or any client could pick its own address and dodge rate limits.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    // Every log line of a request carries its id; a proxy's X-Request-Id is kept so lines correlate across hops.
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  });
  // One place for what a failed request shows: a client's mistake (4xx) keeps Fastify's coded answer;
  // anything else is logged with the request id and counted, and the body says only `internal` (and
  // the id to quote), never a database's or a library's text.
  server.setErrorHandler((err: { statusCode?: number; code?: string; message?: string }, req, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status < 500) return reply.code(status).send(err);
    req.log.error({ err, url: req.url, route: req.routeOptions.url }, 'request failed');
    metrics.httpError(req.routeOptions.url ?? 'unknown');
    return reply.code(500).send({ code: 'internal', requestId: req.id });
  });
  await server.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        connectSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        // Not forced: on a plain-HTTP host (an intranet) it would turn the widget's ws:// into wss:// and break it.
        upgradeInsecureRequests: null,
      },
    },
  });
  await server.register(rateLimit, { max: config.requestsPerMinute, timeWindow: '1 minute' });
  await server.register(websocket, { options: { maxPayload: MAX_FRAME } });

  const holds = createFileHolds({ now });
  const sweep = setInterval(() => holds.sweep(), 60_000);
  sweep.unref();
  server.addHook('onClose', async () => clearInterval(sweep));

  let closing = false;
  const metrics = createMetrics({
    queue: async () => {
      // A stalled database must not hang the scrape: give up after 2 s (counted as a scrape error).
      let timer: NodeJS.Timeout | undefined;
      const q = await Promise.race([
        store.queueStats(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('queue stats timed out')), 2_000);
        }),
      ]).finally(() => clearTimeout(timer));
      return { length: q.handoffWaiting, oldestAgeSeconds: q.oldestHandoffAt === undefined ? 0 : Math.max(0, (now() - q.oldestHandoffAt) / 1000), outboxPending: q.outboxPending };
    },
  });
  const notices = await createNoticeHub(store, { onError: (err) => server.log.error({ err }, 'notice subscriber failed') });
  server.addHook('onClose', async () => notices.close());
  /** Outbox workers of the channels on here, so an agent's reply to Slack or Teams is posted at once. */
  const outboxes = new Map<Channel, OutboxWorker>();
  const chat = createChatService({
    store,
    bot,
    holds,
    now,
    availability: availabilityOf(config.agentHours),
    deliver: (channel, id, conversationId, payload) => outboxes.get(channel)?.deliver(id, conversationId, payload),
    onNoticeError: (err) => server.log.warn({ err }, 'notice not sent'),
    onOutlookError: (err) => server.log.warn({ err }, 'queue outlook not read: customer queued without a place'),
    onTurnError: ({ conversationId, channel, code, ref, err }) => {
      server.log.error({ err, conversationId, channel, code, ref }, 'turn failed');
      metrics.turnError(channel);
    },
    onTurn: (t) => {
      metrics.turn(t.channel, t.flow, t.ms / 1000);
      for (const e of t.events) {
        if (e.name !== 'verification.result') continue;
        const failed = Array.isArray(e.data?.failed) ? e.data.failed : [];
        metrics.certificateCheck(String(e.data?.verdict ?? 'unknown'), failed);
      }
    },
  });
  const web = await webchat(server, {
    onConnections: (delta) => metrics.wsConnections(delta),
    onRefused: (reason) => metrics.refused('webchat', reason),
    chat,
    resources,
    now,
    allowedOrigins: config.widgetOrigins,
    notices,
    messageBurst: config.chatBurst,
    messagesPerSecond: config.chatPerSecond,
    newConversationsPerMinute: config.newConversationsPerMinute,
    tokenKnown: async (token) => (await store.findByToken(hashToken(token))) !== undefined,
  });

  let slackAdapter: SlackAdapter | undefined;
  if (config.slack) {
    slackAdapter = await slack(server, { config: config.slack, chat, store, t: bot.translator.t, maxFileBytes: config.maxCertBytes, log: server.log, now, onRefused: (reason) => metrics.refused('slack', reason), notices, ...slackOptions });
    const adapter = slackAdapter;
    outboxes.set('slack', adapter.outbox);
    server.addHook('onClose', async () => adapter.close());
  } else {
    server.log.info({ channel: 'slack' }, 'slack adapter off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) to turn it on');
  }

  let teamsAdapter: TeamsAdapter | undefined;
  if (config.teams) {
    teamsAdapter = await teams(server, { config: config.teams, chat, store, t: bot.translator.t, maxFileBytes: config.maxCertBytes, log: server.log, now, ...teamsOptions });
    const adapter = teamsAdapter;
    outboxes.set('teams', adapter.outbox);
    server.addHook('onClose', async () => adapter.close());
  } else {
    server.log.info({ channel: 'teams' }, 'teams adapter off: set MicrosoftAppId and MicrosoftAppPassword (or TEAMS_LOCAL=1 for the Bot Framework Emulator)');
  }

  if (accounts) {
    await authRoutes(server, { accounts });
    await agentRoutes(server, { accounts, store, chat, notices, resources, t: bot.translator.t, now });
    await adminRoutes(server, { accounts });
    if (sql) await analyticsRoutes(server, { accounts, store, analytics: createAnalytics(sql), resources, t: bot.translator.t, now });
  }

  // Liveness: the process answers. Readiness: it can serve (store reachable and migrated, not stopping).
  server.get('/healthz', { config: { rateLimit: false } }, async () => ({ ok: true }));
  server.get('/readyz', { config: { rateLimit: false } }, async (_req, reply) => {
    const reasons: string[] = [];
    if (closing) reasons.push('shutting down');
    const health = await store.health({ timeoutMs: config.readyTimeoutMs }).catch(() => ({ reachable: false, pendingMigrations: -1 }));
    if (!health.reachable) reasons.push('store unreachable');
    else if (health.pendingMigrations > 0) reasons.push(`${health.pendingMigrations} migration(s) not applied`);
    const body = {
      ok: reasons.length === 0,
      ...(reasons.length > 0 ? { reasons } : {}),
      store: health.reachable ? 'reachable' : 'unreachable',
      channels: { webchat: 'on', slack: slackAdapter ? 'on' : 'off', teams: teamsAdapter ? 'on' : 'off' },
    };
    return reply.code(body.ok ? 200 : 503).send(body);
  });
  // Prometheus scrapes: keep it off the public internet (see README, Production).
  server.get('/metrics', { config: { rateLimit: false } }, async (_req, reply) => {
    const m = await metrics.render();
    return reply.header('content-type', m.contentType).send(m.body);
  });

  async function shutdown(): Promise<void> {
    if (closing) return;
    closing = true;
    await web.drain();
    await chat.idle();
    await server.close();
  }

  return {
    server,
    chat,
    connections: web.connections,
    metrics,
    notices,
    shutdown, ...(slackAdapter ? { slack: slackAdapter } : {}),
    ...(teamsAdapter ? { teams: teamsAdapter } : {}),
  };
}
