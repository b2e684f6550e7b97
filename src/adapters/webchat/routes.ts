/** The web chat channel: the widget's static files, its UI strings, and the WebSocket that carries the conversation. */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { ChatService, SendResult } from '../../chat/service.ts';
import type { NoticeHub } from '../../chat/notices.ts';
import type { Locale } from '../../conversation/messages.ts';
import type { Rendered } from '../../conversation/render.ts';
import type { Resources } from '../../i18n/resources.ts';
import { createAddressLimiter } from './limits.ts';
import { parseClient, type ClientMessage, type ServerMessage } from './protocol.ts';

export interface WebchatOptions {
  chat: ChatService;
  resources: Resources;
  now: () => number;
  /** Origins allowed to embed the widget (WebSocket `Origin` check, CORS for strings); empty: any. */
  allowedOrigins: readonly string[];
  /** Messages per conversation: burst and sustained rate (per second). */
  messageBurst?: number;
  messagesPerSecond?: number;
  /** New conversations (a `hello` that does not resume one) per client address per minute; 0: no limit. */
  newConversationsPerMinute?: number;
  /**
   * Whether a resume token belongs to a conversation, asked only when the address's budget of new
   * conversations is spent: a hello that resumes is let through then, one that would create is not.
   * Absent: every hello needs the budget while it is spent.
   */
  tokenKnown?: (token: string) => Promise<boolean>;
  /** Called with +1/-1 as sockets open and close (metrics). */
  onConnections?: (delta: number) => void;
  /** A frame refused before any turn (malformed, rate limited): for metrics. */
  onRefused?: (reason: string) => void;
  /** Notices from every instance: an agent's reply to a customer whose socket is here is pushed to it. */
  notices?: NoticeHub;
}

export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/** Sockets per conversation, for messages that do not answer the customer (an agent's reply). */
export type Connections = Map<string, Set<WebSocket>>;

/** Per socket: the last staff line it has shown (transcript seq), and its pushes in order. */
interface PushCursor {
  seq: number;
  chain: Promise<void>;
}

export interface Webchat {
  connections: Connections;
  /** Open sockets right now (for metrics). */
  open(): number;
  /**
   * Shutting down: stop taking frames (a frame not acknowledged is resent by the widget after it
   * reconnects), let the turns in flight finish and be acknowledged, then close every socket with
   * 1012 "service restart" so widgets reconnect at once, to another instance.
   */
  drain(): Promise<void>;
}

/** WebSocket close code "Service Restart": the widget reconnects at once. */
export const CLOSE_RESTART = 1012;

/**
 * What `ChatService.send` returns for a turn that threw (agreed with the engine's split): the
 * reference it was logged under and the rendered apology carrying it. Typed here until the
 * service's own `SendResult` names it; the routes handle both that and a send that still throws.
 */
type TurnFailed = { ok: false; code: 'turn.failed'; ref: string; outbound: Rendered[] };
type Sent = SendResult | TurnFailed;
const isTurnFailed = (r: Sent): r is TurnFailed => !r.ok && r.code === 'turn.failed';

/** A short reference for a failure, said to the customer and written in the log line with the details. */
const newRef = (): string => randomBytes(4).toString('hex');

export async function webchat(app: FastifyInstance, opts: WebchatOptions): Promise<Webchat> {
  const {
    chat,
    resources,
    now,
    allowedOrigins,
    messageBurst = 20,
    messagesPerSecond = 2,
    newConversationsPerMinute = 20,
    tokenKnown,
    onConnections = () => {},
    onRefused = () => {},
    notices,
  } = opts;
  const connections: Connections = new Map();
  // Per address, across sockets: one socket or many, a script cannot fill the store with conversations.
  const newConversations = createAddressLimiter({ perMinute: newConversationsPerMinute, now });
  const cursors = new WeakMap<WebSocket, PushCursor>();

  /** Show a socket the staff lines it has not shown yet (an agent's reply, "X joined", the bot after a return). */
  function push(conversationId: string, socket: WebSocket): void {
    const cursor = cursors.get(socket);
    if (!cursor) return;
    cursor.chain = cursor.chain
      .then(async () => {
        const lines = await chat.staffLines(conversationId, cursor.seq);
        if (lines.length === 0 || socket.readyState !== socket.OPEN) return;
        cursor.seq = Math.max(cursor.seq, ...lines.map((l) => l.seq));
        socket.send(JSON.stringify({ t: 'push', messages: lines.map((l) => l.body), at: now() } satisfies ServerMessage));
      })
      .catch((err: unknown) => app.log.warn({ err, conversationId }, 'webchat push failed'));
  }
  const unsubscribe = notices?.subscribe((n) => {
    if (n === 'resync') {
      for (const [id, set] of connections) for (const socket of set) push(id, socket);
      return;
    }
    if (!n.push) return;
    for (const socket of connections.get(n.conversationId) ?? []) push(n.conversationId, socket);
  });
  app.addHook('onClose', async () => unsubscribe?.());
  const sockets = new Map<WebSocket, () => Promise<void>>();
  let draining = false;
  const originAllowed = (origin: string | undefined) =>
    allowedOrigins.length === 0 || (origin !== undefined && allowedOrigins.includes(origin));

  await app.register(fastifyStatic, {
    root: PUBLIC_DIR,
    index: 'index.html',
    // The widget is embedded in other sites' pages.
    setHeaders: (res, path) => {
      if (path.endsWith('widget.js') || path.endsWith('widget.css')) res.header('cross-origin-resource-policy', 'cross-origin');
    },
  });

  app.get<{ Params: { lng: string } }>('/api/webchat/strings/:lng', async (req, reply) => {
    const lng: Locale = req.params.lng === 'en' ? 'en' : 'es';
    const origin = req.headers.origin;
    if (origin && originAllowed(origin)) reply.header('access-control-allow-origin', allowedOrigins.length === 0 ? '*' : origin).header('vary', 'origin');
    reply.header('cache-control', 'public, max-age=300');
    return resources[lng].webchat;
  });

  app.get('/api/webchat/ws', { websocket: true }, (socket, req) => {
    const send = (m: ServerMessage) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
    };
    if (!originAllowed(req.headers.origin)) {
      socket.close(4003, 'origin not allowed');
      return;
    }
    if (draining) {
      socket.close(CLOSE_RESTART, 'shutting down');
      return;
    }
    onConnections(1);
    let conversationId: string | undefined;
    // Token bucket per connection (one connection = one conversation).
    let tokens = messageBurst;
    let last = now();
    const allow = () => {
      const t = now();
      tokens = Math.min(messageBurst, tokens + ((t - last) / 1000) * messagesPerSecond);
      last = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    };
    const forget = () => {
      if (!conversationId) return;
      const set = connections.get(conversationId);
      set?.delete(socket);
      if (set?.size === 0) connections.delete(conversationId);
    };
    // Frames are handled strictly in arrival order.
    let chain = Promise.resolve();
    sockets.set(socket, () => chain);
    socket.on('message', (data, isBinary) => {
      // While draining, a frame is left unacknowledged: the widget resends it to the next process.
      if (draining) return;
      const parsed = parseClient(isBinary ? '' : String(data));
      chain = chain
        .then(() => handle(parsed))
        .catch((err: unknown) => {
          // The message id goes back with the error, so the widget can mark that message and offer to retry it.
          const mid = parsed.ok ? (parsed.msg.t === 'inbound' ? parsed.msg.mid : undefined) : parsed.mid;
          const ref = newRef();
          req.log.error({ err, conversationId, ref }, 'webchat frame failed');
          send({ t: 'typing', on: false });
          send({ t: 'error', code: 'internal', ref, ...(mid ? { mid } : {}) });
        });
    });
    socket.on('close', () => {
      forget();
      if (sockets.delete(socket)) onConnections(-1);
    });

    /**
     * A hello that would start a conversation spends one of the address's new conversations; one
     * that resumes (a known token) does not. Refused: false, with the error frame sent.
     */
    async function mayOpen(msg: Extract<ClientMessage, { t: 'hello' }>): Promise<{ ok: boolean; spent: boolean }> {
      if (newConversations.take(req.ip)) return { ok: true, spent: true };
      if (msg.token !== undefined && tokenKnown && (await tokenKnown(msg.token))) return { ok: true, spent: false };
      onRefused('new-conversations');
      send({ t: 'error', code: 'conversations.rate-limited', retryAfter: Math.max(1, newConversations.retryAfter(req.ip)) });
      return { ok: false, spent: false };
    }

    async function handle(parsed: ReturnType<typeof parseClient>): Promise<void> {
      if (!parsed.ok) {
        onRefused(parsed.code);
        return send({ t: 'error', code: parsed.code, ...(parsed.mid ? { mid: parsed.mid } : {}) });
      }
      const msg = parsed.msg;
      if (msg.t === 'hello') {
        // Hellos share the socket's message budget too: resuming costs reads, and a loop of them is no customer.
        if (!allow()) {
          onRefused('rate-limited');
          return send({ t: 'error', code: 'rate-limited' });
        }
        const may = await mayOpen(msg);
        if (!may.ok) return;
        const opened = await chat.open({ channel: 'webchat', token: msg.token, locale: msg.locale });
        if (may.spent && !opened.created) newConversations.refund(req.ip);
        forget();
        conversationId = opened.id;
        connections.set(opened.id, (connections.get(opened.id) ?? new Set()).add(socket));
        const history = opened.created ? [] : await chat.history(opened.id);
        cursors.set(socket, { seq: history.reduce((m, h) => Math.max(m, h.seq), 0), chain: Promise.resolve() });
        return send({
          t: 'welcome',
          token: opened.token ?? msg.token ?? '',
          locale: opened.state.locale,
          history,
          messages: opened.outbound,
          at: now(),
        });
      }
      if (!conversationId) return send({ t: 'error', code: 'protocol.no-hello', mid: msg.mid });
      if (!allow()) {
        onRefused('rate-limited');
        return send({ t: 'error', code: 'rate-limited', mid: msg.mid });
      }
      send({ t: 'typing', on: true });
      let r: Sent;
      try {
        r = await chat.send(conversationId, msg.inbound, { messageId: msg.mid, channel: 'webchat' });
      } catch (err) {
        // A turn that threw was not committed: the customer's message is not taken, and may be sent again.
        const ref = newRef();
        req.log.error({ err, conversationId, mid: msg.mid, ref }, 'webchat turn failed');
        r = { ok: false, code: 'turn.failed', ref, outbound: [] };
      }
      if (!r.ok) {
        send({ t: 'typing', on: false });
        if (isTurnFailed(r)) {
          return send({ t: 'error', code: r.code, mid: msg.mid, ref: r.ref, ...(r.outbound.length > 0 ? { messages: r.outbound } : {}) });
        }
        return send({ t: 'error', code: r.code, mid: msg.mid });
      }
      send({ t: 'ack', mid: msg.mid });
      req.log.debug({ conversationId, channel: 'webchat', mid: msg.mid, duplicate: r.duplicate }, 'turn');
      send(r.duplicate ? { t: 'typing', on: false } : { t: 'bot', messages: r.outbound, locale: r.locale, at: now() });
    }
  });

  return {
    connections,
    open: () => sockets.size,
    async drain() {
      draining = true;
      await Promise.all([...sockets.values()].map((chainOf) => chainOf().catch(() => undefined)));
      for (const socket of sockets.keys()) socket.close(CLOSE_RESTART, 'service restart');
    },
  };
}
