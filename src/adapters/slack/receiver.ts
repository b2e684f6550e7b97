/**
 * Bolt's transport for our own Fastify server: `/slack/events` verifies Slack's signature on the
 * raw body, answers the URL check, hands the payload to Bolt and replies once the turn has been
 * committed or the acknowledgement deadline has come, whichever is first.
 */
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { verifySlackRequest } from '@slack/bolt';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { within } from '../channel.ts';

export interface FastifyReceiverOptions {
  signingSecret: string;
  now?: () => number;
  /**
   * Slack wants an answer within 3 s. Until this deadline we wait for the turn to be committed,
   * so a crash before the commit leaves the event unacknowledged and Slack delivers it again.
   */
  ackTimeoutMs?: number;
  /** Largest request body; Slack's payloads are a few KB. */
  bodyLimit?: number;
  onRejected?: (reason: string, req: FastifyRequest) => void;
}

/** Slack's replay window: a signed request older (or newer) than this is refused. */
const MAX_SKEW_SEC = 5 * 60;

type Parsed = { ok: true; body: Record<string, unknown> } | { ok: false };

/** The Events API posts JSON; interactivity posts a form with a JSON `payload` field. */
export function parseSlackBody(raw: string, contentType: string | undefined): Parsed {
  try {
    if ((contentType ?? '').startsWith('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(raw);
      const payload = form.get('payload');
      const body: unknown = payload !== null ? JSON.parse(payload) : Object.fromEntries(form);
      return typeof body === 'object' && body !== null && !Array.isArray(body) ? { ok: true, body: body as Record<string, unknown> } : { ok: false };
    }
    const body: unknown = JSON.parse(raw);
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? { ok: true, body: body as Record<string, unknown> } : { ok: false };
  } catch {
    return { ok: false };
  }
}

export class FastifyReceiver implements Receiver {
  private bolt: App | undefined;
  private readonly signingSecret: string;
  private readonly now: () => number;
  private readonly ackTimeoutMs: number;
  private readonly bodyLimit: number;
  private readonly onRejected: (reason: string, req: FastifyRequest) => void;

  constructor({ signingSecret, now = Date.now, ackTimeoutMs = 2_500, bodyLimit = 512 * 1024, onRejected = () => {} }: FastifyReceiverOptions) {
    this.signingSecret = signingSecret;
    this.now = now;
    this.ackTimeoutMs = ackTimeoutMs;
    this.bodyLimit = bodyLimit;
    this.onRejected = onRejected;
  }

  init(app: App): void {
    this.bolt = app;
  }

  // The server is ours: listening and closing happen in the composition root.
  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  /** Mounts the endpoint. Its own scope takes bodies as raw strings: the signature covers the exact bytes. */
  async register(server: FastifyInstance, path = '/slack/events'): Promise<void> {
    await server.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: this.bodyLimit }, (_req, body, done) => done(null, body));
      // Slack's own traffic: throttling it would only make Slack retry.
      scope.post(path, { config: { rateLimit: false } }, (req, reply) => this.handle(req, reply));
    });
  }

  private reject(req: FastifyRequest, reply: FastifyReply, status: number, reason: string) {
    this.onRejected(reason, req);
    return reply.code(status).send({ ok: false, error: reason });
  }

  private async handle(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const raw = typeof req.body === 'string' ? req.body : '';
    const signature = req.headers['x-slack-signature'];
    const tsHeader = req.headers['x-slack-request-timestamp'];
    if (typeof signature !== 'string' || typeof tsHeader !== 'string') return this.reject(req, reply, 401, 'missing_signature');
    const ts = Number(tsHeader);
    if (!Number.isInteger(ts) || Math.abs(this.now() / 1000 - ts) > MAX_SKEW_SEC) return this.reject(req, reply, 401, 'stale_request');
    try {
      verifySlackRequest({
        signingSecret: this.signingSecret,
        body: raw,
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': ts },
        nowMilliseconds: this.now(),
      });
    } catch {
      return this.reject(req, reply, 401, 'bad_signature');
    }

    const parsed = parseSlackBody(raw, req.headers['content-type']);
    if (!parsed.ok) return this.reject(req, reply, 400, 'bad_payload');
    const body = parsed.body;
    if (body.type === 'url_verification') return reply.send({ challenge: String(body.challenge ?? '') });
    if (body.ssl_check !== undefined) return reply.send();
    if (!this.bolt) return reply.code(503).send();

    let ackBody: unknown;
    let acked = false;
    const retryNum = Number(req.headers['x-slack-retry-num']);
    const retryReason = req.headers['x-slack-retry-reason'];
    const event: ReceiverEvent = {
      body,
      ack: async (response?: unknown) => {
        acked = true;
        ackBody = response;
      },
      ...(Number.isInteger(retryNum) ? { retryNum } : {}),
      ...(typeof retryReason === 'string' ? { retryReason } : {}),
    };

    try {
      // A failure after the deadline is Bolt's error handler's to log; Slack already has its answer.
      await within(this.bolt.processEvent(event), this.ackTimeoutMs, () => undefined);
    } catch (err) {
      // The turn failed before it was committed: say so, and Slack will deliver the event again.
      req.log.error({ err, type: body.type }, 'slack event failed');
      return reply.code(500).send({ ok: false, error: 'processing_failed' });
    }
    if (acked && ackBody !== undefined && ackBody !== '') return reply.send(ackBody);
    return reply.code(200).send();
  }
}
