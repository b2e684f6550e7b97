/** The composition root: builds the HTTP server (not listening) from the config and its ports, so tests drive it in-process. */
import Fastify, { type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import { slack, type SlackAdapter } from './adapters/slack/slack.ts';
import { teams, type TeamsAdapter } from './adapters/teams/teams.ts';
import { webchat, type Connections } from './adapters/webchat/routes.ts';
import type { Bot } from './bot.ts';
import { createChatService, type ChatService } from './chat/service.ts';
import type { Config } from './config.ts';
import { createFileHolds } from './conversation/file-hold.ts';
import type { Resources } from './i18n/resources.ts';
import type { Store } from './store/port.ts';

export interface AppDeps {
  config: Readonly<Config>;
  store: Store;
  bot: Bot;
  resources: Resources;
  now?: () => number;
  /** Pino logger options, or false for none (tests). */
  logger?: boolean | object;
  /** Adapter tuning for tests (Slack's Web API retry policy, acknowledgement deadline). */
  slackOptions?: { retryConfig?: { retries: number; factor?: number; minTimeout?: number; maxTimeout?: number }; ackTimeoutMs?: number; outboxIntervalMs?: number };
  teamsOptions?: { ackTimeoutMs?: number; outboxIntervalMs?: number };
}

export interface App {
  server: FastifyInstance;
  chat: ChatService;
  connections: Connections;
  slack?: SlackAdapter;
  teams?: TeamsAdapter;
}

/** Largest WebSocket frame: a certificate (base64) with room to spare; a 50 MB upload closes the socket. */
const MAX_FRAME = 1024 * 1024;

export async function buildApp({ config, store, bot, resources, now = Date.now, logger = false, slackOptions = {}, teamsOptions = {} }: AppDeps): Promise<App> {
  const server = Fastify({
    logger,
    bodyLimit: 64 * 1024,
    // Behind a load balancer the client's address is in X-Forwarded-For.
    trustProxy: true,
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
      },
    },
  });
  await server.register(rateLimit, { max: config.requestsPerMinute, timeWindow: '1 minute' });
  await server.register(websocket, { options: { maxPayload: MAX_FRAME } });

  const holds = createFileHolds({ now });
  const sweep = setInterval(() => holds.sweep(), 60_000);
  sweep.unref();
  server.addHook('onClose', async () => clearInterval(sweep));

  const chat = createChatService({ store, bot, holds, now });
  const connections = await webchat(server, {
    chat,
    resources,
    now,
    allowedOrigins: config.widgetOrigins,
    messageBurst: config.chatBurst,
    messagesPerSecond: config.chatPerSecond,
  });

  let slackAdapter: SlackAdapter | undefined;
  if (config.slack) {
    slackAdapter = await slack(server, { config: config.slack, chat, store, t: bot.translator.t, maxFileBytes: config.maxCertBytes, log: server.log, now, ...slackOptions });
    const adapter = slackAdapter;
    server.addHook('onClose', async () => adapter.close());
  } else {
    server.log.info({ channel: 'slack' }, 'slack adapter off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) to turn it on');
  }

  let teamsAdapter: TeamsAdapter | undefined;
  if (config.teams) {
    teamsAdapter = await teams(server, { config: config.teams, chat, store, t: bot.translator.t, maxFileBytes: config.maxCertBytes, log: server.log, now, ...teamsOptions });
    const adapter = teamsAdapter;
    server.addHook('onClose', async () => adapter.close());
  } else {
    server.log.info({ channel: 'teams' }, 'teams adapter off: set MicrosoftAppId and MicrosoftAppPassword (or TEAMS_LOCAL=1 for the Bot Framework Emulator)');
  }

  server.get('/healthz', { config: { rateLimit: false } }, async () => ({ ok: true }));
  return { server, chat, connections, ...(slackAdapter ? { slack: slackAdapter } : {}), ...(teamsAdapter ? { teams: teamsAdapter } : {}) };
}
