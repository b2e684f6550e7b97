/** Helpers that POST to our server exactly as Slack does: signed Events API bodies and form-encoded interactivity payloads. */
import { createHmac } from 'node:crypto';

/** 'v0=' + hex HMAC-SHA256 of `v0:${ts}:${body}` (Slack's request signing, version 0). */
export function slackSignature(signingSecret: string, timestampSec: number, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${rawBody}`).digest('hex')}`;
}

export interface SlackPostOptions {
  signingSecret: string;
  /** Defaults to now; set it old (more than 5 minutes) to test replay protection. */
  timestampSec?: number;
  retryNum?: number;
  retryReason?: string;
  /** Sent instead of the computed signature, for forged requests. */
  signature?: string;
  omitHeaders?: Array<'signature' | 'timestamp'>;
}

export interface SlackPostResult {
  status: number;
  text: string;
  headers: Headers;
  /** The x-slack-signature sent, if any (to check it never reaches a log). */
  sentSignature?: string;
}

async function signedPost(url: string, rawBody: string, contentType: string, opts: SlackPostOptions): Promise<SlackPostResult> {
  const ts = opts.timestampSec ?? Math.floor(Date.now() / 1000);
  const omit = new Set(opts.omitHeaders ?? []);
  const headers: Record<string, string> = {
    'content-type': contentType,
    // Slack's own user agent, so nothing in our stack mistakes these for browser traffic.
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
  };
  if (!omit.has('timestamp')) headers['x-slack-request-timestamp'] = String(ts);
  if (!omit.has('signature')) headers['x-slack-signature'] = opts.signature ?? slackSignature(opts.signingSecret, ts, rawBody);
  if (opts.retryNum !== undefined) headers['x-slack-retry-num'] = String(opts.retryNum);
  if (opts.retryReason !== undefined) headers['x-slack-retry-reason'] = opts.retryReason;
  const res = await fetch(url, { method: 'POST', headers, body: rawBody });
  const sent = headers['x-slack-signature'];
  return { status: res.status, text: await res.text(), headers: res.headers, ...(sent ? { sentSignature: sent } : {}) };
}

/** POST an Events API JSON body (application/json). A string `body` is sent as-is (for malformed-JSON tests). Returns status, headers and body text. */
export async function postEvent(url: string, body: unknown, opts: SlackPostOptions): Promise<SlackPostResult> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return signedPost(url, raw, 'application/json', opts);
}

/** POST an interactivity payload (block_actions / view_submission) the way Slack does: application/x-www-form-urlencoded `payload=<json>`. */
export async function postInteraction(url: string, payload: unknown, opts: SlackPostOptions): Promise<SlackPostResult> {
  const raw = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return signedPost(url, raw, 'application/x-www-form-urlencoded', opts);
}
