/** How staff pages show a conversation: transcript lines by author (secrets already `••••`), procedure titles and step labels. */
import { stepsOf } from '../conversation/flow-snapshot.ts';
import type { Locale } from '../conversation/messages.ts';
import type { Rendered } from '../conversation/render.ts';
import { FLOWS } from '../flows/catalog.ts';
import type { FlowId } from '../flows/step.ts';
import type { StoredMessage } from '../store/port.ts';

export type Translate = (key: string, locale: Locale, params?: Record<string, string | number>) => string;

/** The language a staff page asks for (`?lng=` or a `:lng` parameter): English when it says so, else Spanish. */
export const lngOf = (q: unknown): Locale => ((q as { lng?: unknown } | undefined)?.lng === 'en' ? 'en' : 'es');

export interface TranscriptLine {
  seq: number;
  at: number;
  direction: 'in' | 'out';
  author: 'customer' | 'bot' | 'agent';
  text: string;
  agentName?: string;
  options?: string[];
}

export type ReportLine = Extract<Rendered, { type: 'report' }> & { at: number };

/** Transcript rows as people read them, and the last certificate report among them. */
export function transcriptOf(lines: readonly StoredMessage[]): { transcript: TranscriptLine[]; report?: ReportLine } {
  let report: ReportLine | undefined;
  const transcript = lines.map((m): TranscriptLine => {
    const body = (m.body ?? {}) as Partial<Rendered> & { display?: unknown };
    if (m.direction === 'in') return { seq: m.seq, at: m.at, direction: 'in', author: 'customer', text: String(body.display ?? '') };
    if (body.type === 'report') report = { ...(body as Extract<Rendered, { type: 'report' }>), at: m.at };
    if (body.type === 'agent') return { seq: m.seq, at: m.at, direction: 'out', author: 'agent', text: String(body.text ?? ''), agentName: String(body.name ?? '') };
    const options = body.type === 'choices' ? body.options?.map((o) => o.label) : undefined;
    return { seq: m.seq, at: m.at, direction: 'out', author: 'bot', text: String(body.text ?? ''), ...(options ? { options } : {}) };
  });
  return report ? { transcript, report } : { transcript };
}

export function flowTitle(t: Translate, flow: string, lng: Locale): string {
  const def = FLOWS[flow as FlowId];
  return def ? t(def.title, lng) : flow;
}

/** A procedure's steps in order, each labelled by the first line of what the bot says there. */
export function stepLabels(t: Translate, flow: FlowId, lng: Locale): Array<{ id: string; label: string }> {
  const def = FLOWS[flow];
  if (!def) return [];
  return stepsOf(def.machine).map(({ path, step }) => ({ id: path, label: summary(t(step.prompt, lng)) }));
}

function summary(text: string): string {
  const first = text.split('\n').find((l) => l.trim() !== '') ?? '';
  const plain = first.replace(/\*\*/g, '').trim();
  return plain.length > 90 ? `${plain.slice(0, 89)}…` : plain;
}
