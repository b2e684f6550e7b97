/** Rendering: outbound messages with their locale keys resolved to text, as channels and the JSONL CLI show them. */
import type { CertReport, CheckStatus } from '../certs/report.ts';
import type { Key } from '../flows/step.ts';
import type { HandoffReason, Locale, Outbound } from './messages.ts';

export type Translate = (key: Key, locale: Locale, params?: Record<string, string | number>) => string;

export interface RenderedCheck {
  id: string;
  status: CheckStatus;
  message: string;
}

export type Rendered =
  | { type: 'text'; key: Key; text: string }
  | { type: 'choices'; key: Key; text: string; options: Array<{ id: string; label: string }> }
  | { type: 'request-file'; key: Key; text: string; accept: string[]; maxBytes: number }
  | { type: 'request-secret'; key: Key; text: string }
  | {
      type: 'report';
      key: Key;
      text: string;
      verdict: CertReport['verdict'];
      checks: RenderedCheck[];
      holder?: CertReport['holder'];
      certificate?: CertReport['certificate'];
      environment: CertReport['environment'];
    }
  | { type: 'handoff'; key: Key; text: string; reason: HandoffReason }
  /** A support agent's reply: their words as written, and their name. */
  | { type: 'agent'; key: Key; text: string; name: string }
  | { type: 'end'; key: Key; text: string };

/** The checks worth telling the customer about: failures first, then warnings. */
export function renderChecks(report: CertReport, t: Translate, locale: Locale): RenderedCheck[] {
  return report.checks.map((c) => ({ id: c.id, status: c.status, message: t(c.messageKey, locale, c.params) }));
}

export function render(o: Outbound, t: Translate, locale: Locale): Rendered {
  switch (o.type) {
    case 'text':
      return { type: 'text', key: o.key, text: t(o.key, locale, o.params) };
    case 'choices':
      return {
        type: 'choices',
        key: o.key,
        text: t(o.key, locale, o.params),
        options: o.options.map((x) => ({ id: x.id, label: t(x.label, locale) })),
      };
    case 'request-file':
      return { type: 'request-file', key: o.key, text: t(o.key, locale, o.params), accept: o.accept, maxBytes: o.maxBytes };
    case 'request-secret':
      return { type: 'request-secret', key: o.key, text: t(o.key, locale, o.params) };
    case 'report': {
      const key = `certs:verdict.${o.report.verdict}`;
      return {
        type: 'report',
        key,
        text: t(key, locale),
        verdict: o.report.verdict,
        checks: renderChecks(o.report, t, locale),
        holder: o.report.holder,
        certificate: o.report.certificate,
        environment: o.report.environment,
      };
    }
    case 'handoff':
      return { type: 'handoff', key: o.key, text: t(o.key, locale), reason: o.reason };
    case 'agent':
      return { type: 'agent', key: 'common:agent.says', text: o.text, name: o.name };
    case 'end':
      return { type: 'end', key: o.key, text: t(o.key, locale) };
  }
}
