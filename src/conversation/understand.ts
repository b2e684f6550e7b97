/** Understanding free text: conversation commands ("ayuda", "talk to a person"), typed answers to buttons, and procedure routing. */
import type { Country } from '../certs/report.ts';
import type { FlowId } from '../flows/step.ts';
import type { Command, Locale } from './messages.ts';
import { normalize, phraseScore, tokens, wordMatches } from './text.ts';

/** Words customers use, per language, from `locales/<lng>/routing.json`. Matching uses every language at once. */
export interface Vocabulary {
  /** Phrases that point to a procedure. */
  intents: Partial<Record<FlowId, string[]>>;
  /** Phrases that point to a country without naming a procedure ("SII", "cédula"). */
  countries: Partial<Record<Country, string[]>>;
  /** Whole messages (or, for phrases of two or more words in a short message, parts of one) that are commands. */
  commands: Partial<Record<Exclude<Command, 'start' | 'language'> | 'language-es' | 'language-en', string[]>>;
  /** Typed synonyms of choice ids ("sí", "listo" for `worked`). */
  answers: Record<string, string[]>;
}

export function mergeVocabularies(list: readonly Vocabulary[]): Vocabulary {
  const merge = <K extends string>(parts: ReadonlyArray<Partial<Record<K, string[]>>>): Partial<Record<K, string[]>> => {
    const out: Partial<Record<K, string[]>> = {};
    for (const part of parts) {
      for (const [k, v] of Object.entries(part) as Array<[K, string[] | undefined]>) {
        out[k] = [...(out[k] ?? []), ...(v ?? [])];
      }
    }
    return out;
  };
  return {
    intents: merge(list.map((v) => v.intents)),
    countries: merge(list.map((v) => v.countries)),
    commands: merge(list.map((v) => v.commands)),
    answers: merge(list.map((v) => v.answers)) as Record<string, string[]>,
  };
}

/** Compiled for matching: phrases split into normalised words once. */
export interface Lexicon {
  intents: Array<{ flow: FlowId; words: string[] }>;
  countries: Array<{ country: Country; words: string[] }>;
  commands: Array<{ command: Command; value?: Locale; words: string[]; whole: string }>;
  answers: Map<string, Set<string>>;
}

export function compileVocabulary(v: Vocabulary): Lexicon {
  const split = (p: string) => tokens(p);
  const commands: Lexicon['commands'] = [];
  for (const [k, phrases] of Object.entries(v.commands)) {
    for (const p of phrases ?? []) {
      const entry =
        k === 'language-es' || k === 'language-en'
          ? { command: 'language' as const, value: k.slice(9) as Locale }
          : { command: k as Command };
      commands.push({ ...entry, words: split(p), whole: normalize(p) });
    }
  }
  return {
    intents: Object.entries(v.intents).flatMap(([flow, ps]) => (ps ?? []).map((p) => ({ flow: flow as FlowId, words: split(p) }))),
    countries: Object.entries(v.countries).flatMap(([c, ps]) =>
      (ps ?? []).map((p) => ({ country: c as Country, words: split(p) })),
    ),
    commands,
    answers: new Map(Object.entries(v.answers).map(([id, ps]) => [id, new Set(ps.map(normalize))])),
  };
}

/** Longest messages still read as a command phrase inside them ("por favor quiero hablar con una persona"). */
const COMMAND_MAX_WORDS = 8;

export function matchCommand(text: string, lex: Lexicon): { command: Command; value?: Locale } | undefined {
  const whole = normalize(text);
  const typed = whole === '' ? [] : whole.split(' ');
  for (const c of lex.commands) if (c.whole === whole) return { command: c.command, value: c.value };
  if (typed.length > COMMAND_MAX_WORDS) return undefined;
  let best: { command: Command; value?: Locale; score: number } | undefined;
  for (const c of lex.commands) {
    if (c.words.length < 2) continue;
    const score = phraseScore(typed, c.words, 1);
    if (score === c.words.length && score > (best?.score ?? 0)) best = { command: c.command, value: c.value, score };
  }
  return best && { command: best.command, value: best.value };
}

/**
 * Which of the offered options did the customer type? Its label in any language, a synonym
 * of its id, or its number in the list ("2"). Exact after normalisation: a guess here would
 * answer a question for the customer.
 */
export function matchChoice(
  text: string,
  options: ReadonlyArray<{ id: string; labels: readonly string[] }>,
  lex: Lexicon,
  { partial = true }: { partial?: boolean } = {},
): string | undefined {
  const typed = normalize(text);
  if (typed === '') return undefined;
  const n = Number(typed);
  if (Number.isInteger(n) && n >= 1 && n <= options.length) return options[n - 1]?.id;
  for (const o of options) if (o.labels.some((l) => normalize(l) === typed)) return o.id;
  for (const o of options) if (lex.answers.get(o.id)?.has(typed)) return o.id;
  // Part of a label, as people type it ("ATV clásico" for «ATV clásico (Comprobantes
  // Electrónicos)», typos tolerated): taken only when exactly one option has every word.
  const words = tokens(text);
  if (!partial || words.length === 0) return undefined;
  const fits = options.filter((o) => o.labels.some((l) => containsAll(tokens(l), words)));
  return fits.length === 1 ? fits[0]?.id : undefined;
}

const containsAll = (label: readonly string[], words: readonly string[]): boolean =>
  words.every((w) => label.some((l) => wordMatches(w, l)));

export interface Routing {
  /** Candidate procedures, best first; one means a confident match. */
  flows: FlowId[];
  country?: Country;
}

/** Route free text to procedures: each matching phrase scores its word count; ties are asked back. */
export function routeIntent(text: string, lex: Lexicon, flowCountry: (f: FlowId) => Country | undefined): Routing {
  const typed = tokens(text);
  const hits = new Map<FlowId, number[]>();
  for (const i of lex.intents) {
    const s = phraseScore(typed, i.words);
    if (s > 0) hits.set(i.flow, [...(hits.get(i.flow) ?? []), s]);
  }
  // The longest phrase decides; each further phrase for the same procedure breaks ties.
  const byFlow = new Map([...hits].map(([f, ss]) => [f, Math.max(...ss) + 0.25 * (ss.length - 1)] as const));
  const byCountry = new Map<Country, number>();
  for (const c of lex.countries) {
    const s = phraseScore(typed, c.words);
    if (s > 0) byCountry.set(c.country, (byCountry.get(c.country) ?? 0) + s);
  }
  const ranked = [...byCountry.entries()].sort((a, b) => b[1] - a[1]);
  const hinted = ranked.length > 0 && (ranked.length === 1 || (ranked[0]?.[1] ?? 0) > (ranked[1]?.[1] ?? 0)) ? ranked[0]?.[0] : undefined;
  let flows = [...byFlow.entries()].sort((a, b) => b[1] - a[1]);
  // A country named in the message settles procedures of the other country.
  if (hinted) flows = flows.filter(([f]) => (flowCountry(f) ?? hinted) === hinted);
  const top = flows[0]?.[1] ?? 0;
  const best = flows.filter(([, s]) => s === top).map(([f]) => f);
  const country = hinted ?? (best.length === 1 ? flowCountry(best[0] as FlowId) : undefined);
  return { flows: best, country };
}
