/** The composition root: builds the HTTP server (not listening) from the config and its ports, so tests drive it in-process. */
import Fastify, { type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
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
}

export interface App {
  server: FastifyInstance;
  chat: ChatService;
  connections: Connections;
}

/** Largest WebSocket frame: a certificate (base64) with room to spare; a 50 MB upload closes the socket. */
const MAX_FRAME = 1024 * 1024;

export async function buildApp({ config, store, bot, resources, now = Date.now, logger = false }: AppDeps): Promise<App> {
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

  server.get('/healthz', { config: { rateLimit: false } }, async () => ({ ok: true }));
  return { server, chat, connections };
}
