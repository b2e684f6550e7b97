/** The web chat wire protocol (JSON over WebSocket): parsing what the widget sends, shapes of what it receives. */
import type { Inbound, Locale } from '../../conversation/messages.ts';
import type { Rendered } from '../../conversation/render.ts';
import type { HistoryItem } from '../../chat/service.ts';

export type ClientMessage =
  | { t: 'hello'; token?: string; locale: Locale }
  | { t: 'inbound'; mid: string; inbound: Inbound };

export type ServerMessage =
  | { t: 'welcome'; token: string; locale: Locale; history: HistoryItem[]; messages: Rendered[]; at: number }
  | { t: 'ack'; mid: string }
  | { t: 'typing'; on: boolean }
  | { t: 'bot'; messages: Rendered[]; locale: Locale; at: number }
  /** Written by staff, not in answer to the customer's last message: an agent's reply, "X joined", the bot's step after a return. */
  | { t: 'push'; messages: Rendered[]; at: number }
  /**
   * A frame refused or a turn that failed. `mid`: the customer's message it is about, whenever the
   * frame had one (the widget marks that message "not sent" and offers to retry it). `ref`: the
   * reference a failed turn was logged under, for support. `messages`: what the bot says about it
   * (the apology carrying the reference), when the server rendered one. `retryAfter`: seconds
   * before trying again (rate limits).
   */
  | { t: 'error'; code: string; mid?: string; text?: string; ref?: string; messages?: Rendered[]; retryAfter?: number };

export type ParseError = 'protocol.not-json' | 'protocol.unknown' | 'protocol.field' | 'protocol.file-encoding';

const str = (v: unknown, max = 100_000): v is string => typeof v === 'string' && v.length <= max;
const MID = /^[\w-]{1,64}$/;
const COMMANDS = new Set(['help', 'back', 'restart', 'handoff', 'language', 'start']);

/**
 * Parse one frame. Files arrive base64-encoded over the same socket so the bytes reach the
 * process that will receive the PIN; the frame size cap (WebSocket `maxPayload`) bounds them
 * and the engine says when a file is too large to be a certificate.
 */
export function parseClient(raw: string): { ok: true; msg: ClientMessage } | { ok: false; code: ParseError; mid?: string } {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'protocol.not-json' };
  }
  if (typeof v !== 'object' || v === null) return { ok: false, code: 'protocol.not-json' };
  const o = v as Record<string, unknown>;
  if (o.t === 'hello') {
    const locale: Locale = o.locale === 'en' ? 'en' : 'es';
    return { ok: true, msg: { t: 'hello', locale, ...(str(o.token, 200) ? { token: o.token } : {}) } };
  }
  if (!str(o.mid) || !MID.test(o.mid)) return { ok: false, code: 'protocol.field' };
  const mid = o.mid;
  const ok = (inbound: Inbound) => ({ ok: true as const, msg: { t: 'inbound' as const, mid, inbound } });
  switch (o.t) {
    case 'text':
      return str(o.text) ? ok({ type: 'text', text: o.text }) : { ok: false, code: 'protocol.field', mid };
    case 'secret':
      return str(o.text, 1000) ? ok({ type: 'secret', text: o.text }) : { ok: false, code: 'protocol.field', mid };
    case 'choice':
      return str(o.id, 300) ? ok({ type: 'choice', id: o.id }) : { ok: false, code: 'protocol.field', mid };
    case 'command':
      return str(o.command) && COMMANDS.has(o.command)
        ? ok({ type: 'command', command: o.command as never, ...(str(o.value, 10) ? { value: o.value } : {}) })
        : { ok: false, code: 'protocol.field', mid };
    case 'file': {
      if (!str(o.name, 255) || typeof o.data !== 'string') return { ok: false, code: 'protocol.field', mid };
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(o.data)) return { ok: false, code: 'protocol.file-encoding', mid };
      return ok({ type: 'file', name: o.name, bytes: new Uint8Array(Buffer.from(o.data, 'base64')) });
    }
    default:
      return { ok: false, code: 'protocol.unknown', mid };
  }
}
