/**
 * What the chat service needs to run a turn's effects once and to make a failed turn seen: the
 * check memoised per message (a retried turn reuses its report), and the short reference a
 * customer quotes for a turn that threw (the same one is in the log line).
 */
import { randomBytes } from 'node:crypto';
import type { CertReport, VerifyCertificate } from '../certs/report.ts';
import type { Channel } from '../store/port.ts';

/** A turn that threw, as reported to the log and the metrics. */
export interface TurnError {
  /** `unknown` when a state was shown again without its id (a reconnect). */
  conversationId: string;
  channel: Channel;
  /** turn.failed: a customer's message; replay.failed: showing the current step again. */
  code: 'turn.failed' | 'replay.failed';
  /** The customer's reference, e.g. `7KQ2M9XD`. */
  ref: string;
  err: unknown;
}

/** Crockford's base32: no I, L, O or U, so a reference read aloud or retyped is not misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 8 characters of base32 (40 random bits): short enough to quote, unique enough among a day's errors. */
export function newRef(): string {
  const bytes = randomBytes(5);
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < 8; i++) {
    out = (ALPHABET[Number(bits & 31n)] ?? '0') + out;
    bits >>= 5n;
  }
  return out;
}

/**
 * The check, run at most once for one message: a turn retried after a version conflict asks for
 * the same file and PIN again and gets the first report (the file is cleared only after the commit).
 */
export function checkOnce(verify: VerifyCertificate | undefined): VerifyCertificate | undefined {
  if (!verify) return undefined;
  let last: { file: Uint8Array; secret: string; options: string; report: Promise<CertReport> } | undefined;
  return (file, secret, options) => {
    // The instant differs between attempts by milliseconds; the question asked is the same.
    const { now: _now, ...asked } = options;
    const key = JSON.stringify(asked);
    if (last && last.file === file && last.secret === secret && last.options === key) return last.report;
    last = { file, secret, options: key, report: verify(file, secret, options) };
    return last.report;
  };
}
