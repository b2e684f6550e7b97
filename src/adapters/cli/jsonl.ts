/** The JSONL protocol of `llavero chat --jsonl`: one inbound object per stdin line, one outbound object per stdout line. */
import type { Inbound } from '../../conversation/messages.ts';
import type { Rendered } from '../../conversation/render.ts';

/** A parsed input line. Files name a path; the transport reads it. */
export type JsonlInput = Exclude<Inbound, { type: 'file' }> | { type: 'file'; path: string; name: string };

export type ParseResult = { ok: true; input: JsonlInput } | { ok: false; code: 'jsonl.not-json' | 'jsonl.unknown-type' | 'jsonl.missing-field' };

const str = (v: unknown): v is string => typeof v === 'string';

export function parseLine(line: string): ParseResult {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { ok: false, code: 'jsonl.not-json' };
  }
  if (typeof v !== 'object' || v === null) return { ok: false, code: 'jsonl.not-json' };
  const o = v as Record<string, unknown>;
  switch (o.type) {
    case 'text':
    case 'secret':
      return str(o.text) ? { ok: true, input: { type: o.type, text: o.text } } : { ok: false, code: 'jsonl.missing-field' };
    case 'choice':
      return str(o.id) ? { ok: true, input: { type: 'choice', id: o.id } } : { ok: false, code: 'jsonl.missing-field' };
    case 'file': {
      if (!str(o.path)) return { ok: false, code: 'jsonl.missing-field' };
      const name = str(o.name) ? o.name : (o.path.split(/[\\/]/).pop() ?? o.path);
      return { ok: true, input: { type: 'file', path: o.path, name } };
    }
    default:
      return { ok: false, code: 'jsonl.unknown-type' };
  }
}

export interface TurnEnd {
  type: 'turn-end';
  flow: string;
  state: string;
  done: boolean;
}

export const formatLine = (o: Rendered | TurnEnd): string => JSON.stringify(o);
