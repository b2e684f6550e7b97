/**
 * Understanding free text: conversation commands ("ayuda", "talk to a person"), typed answers
 * to buttons, procedure routing, and a change of procedure mid-way. Exact phrases decide where
 * they are certain; the trained model (`src/understanding`), when the lexicon carries one,
 * decides the rest.
 */
import type { Country } from '../certs/report.ts';
import type { FlowId } from '../flows/step.ts';
import type { Command, Locale } from './messages.ts';
import { commandOf, NONE, procedureOf, type RouteLabel, type Scored, type Understanding } from '../understanding/model.ts';
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

/** Compiled for matching: phrases split into normalised words once, and the trained model. */
export interface Lexicon {
  intents: Array<{ flow: FlowId; words: string[]; whole: string }>;
  countries: Array<{ country: Country; words: string[] }>;
  commands: Array<{ command: Command; value?: Locale; words: string[]; whole: string }>;
  answers: Map<string, Set<string>>;
  /** Every word of the vocabulary and of the training phrases: such a word is never read as a typo of another. */
  known: ReadonlySet<string>;
  /** Without it (tests of the exact rules), only phrases are matched. */
  model?: Understanding;
}

export function compileVocabulary(v: Vocabulary, model?: Understanding): Lexicon {
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
  const intents = Object.entries(v.intents).flatMap(([flow, ps]) =>
    (ps ?? []).map((p) => ({ flow: flow as FlowId, words: split(p), whole: normalize(p) })),
  );
  const countries = Object.entries(v.countries).flatMap(([c, ps]) => (ps ?? []).map((p) => ({ country: c as Country, words: split(p) })));
  const known = new Set([...intents, ...countries, ...commands].flatMap((e) => e.words));
  for (const w of model?.vocabulary ?? []) known.add(w);
  return {
    intents,
    countries,
    commands,
    answers: new Map(Object.entries(v.answers).map(([id, ps]) => [id, new Set(ps.map(normalize))])),
    known,
    model,
  };
}

/** Longest messages still read as a command phrase inside them ("por favor quiero hablar con una persona"). */
const COMMAND_MAX_WORDS = 8;
/**
 * How sure the model must be. Shares are of the labels compared (they sum to 1); the floor is
 * on the classifier's own score, so a share won by a hair of evidence ("ok") decides nothing.
 */
const RAW_FLOOR = 0.1;
/** A procedure with this share of the whole-message labels is what the message asks for. */
const ROUTE_MIN = 0.5;
/** A second procedure scoring within this much of the first is asked back, naming both. */
const ROUTE_CLOSE = 0.7;
/** A command changes where the customer is: the model must be this sure. */
const COMMAND_MIN = 0.7;
/** A typed reply takes the button with this share of the step's buttons and none. */
const ANSWER_MIN = 0.55;
/** Leaving a procedure for another is offered only when the model is this sure the message asks for the other. */
const SWITCH_MIN = 0.6;

/**
 * The router's reading of the last text, per lexicon: one turn asks for it up to four times
 * (command, button guard, routing, switch). A cache of one, so it cannot grow.
 */
const lastRead = new WeakMap<Lexicon, { text: string; read: Array<Scored<RouteLabel>> }>();
function readOf(text: string, lex: Lexicon): Array<Scored<RouteLabel>> {
  if (!lex.model) return [];
  const hit = lastRead.get(lex);
  if (hit?.text === text) return hit.read;
  const read = lex.model.route(text);
  lastRead.set(lex, { text, read });
  return read;
}

const sure = (s: { score: number; raw: number } | undefined, min: number): boolean => !!s && s.score >= min && s.raw >= RAW_FLOOR;

/** The router reads the message as about something else altogether ("¿cuánto cuesta el plan?"). */
function offTopic(text: string, lex: Lexicon): boolean {
  const top = readOf(text, lex)[0];
  return !!top && top.label === NONE && sure(top, ROUTE_MIN);
}

/** The procedure a message asks for, by the model, when one clearly is. */
function askedProcedure(text: string, lex: Lexicon): FlowId | undefined {
  const top = readOf(text, lex)[0];
  const flow = top && procedureOf(top.label);
  return flow && sure(top, ROUTE_MIN) ? flow : undefined;
}

export function matchCommand(text: string, lex: Lexicon): { command: Command; value?: Locale } | undefined {
  const whole = normalize(text);
  const typed = whole === '' ? [] : whole.split(' ');
  for (const c of lex.commands) if (c.whole === whole) return { command: c.command, value: c.value };
  // A command phrase inside a message that also asks for a procedure ("tengo otra consulta,
  // se me venció la llave") is the request's preamble, not a command; asking for a person is.
  const asks = askedProcedure(text, lex);
  const inside = typed.length <= COMMAND_MAX_WORDS ? commandInside(typed, lex) : undefined;
  if (inside && (!asks || inside.command === 'handoff')) return inside;
  if (asks) return undefined;
  return modelCommand(text, lex);
}

function commandInside(typed: readonly string[], lex: Lexicon): { command: Command; value?: Locale } | undefined {
  let best: { command: Command; value?: Locale; score: number } | undefined;
  for (const c of lex.commands) {
    if (c.words.length < 2) continue;
    const score = phraseScore(typed, c.words, 1, lex.known);
    if (score === c.words.length && score > (best?.score ?? 0)) best = { command: c.command, value: c.value, score };
  }
  return best && { command: best.command, value: best.value };
}

function modelCommand(text: string, lex: Lexicon): { command: Command; value?: Locale } | undefined {
  const top = readOf(text, lex)[0];
  const c = top && sure(top, COMMAND_MIN) ? commandOf(top.label) : undefined;
  if (!c) return undefined;
  return c === 'language-es' || c === 'language-en' ? { command: 'language', value: c.slice(9) as Locale } : { command: c };
}

type Option = { id: string; labels: readonly string[] };

/**
 * Which of the offered options did the customer type? Its label in any language, a synonym
 * of its id, or its number in the list ("2") decide for certain. Otherwise (unless `partial`
 * is off, as in the menus, where routing reads the text) the model scores the reply against
 * this step's options only, and takes one when it is clearly ahead; below that, nothing is
 * taken, and the customer is asked again: a guess here would answer for the customer.
 */
export function matchChoice(
  text: string,
  options: readonly Option[],
  lex: Lexicon,
  { partial = true }: { partial?: boolean } = {},
): string | undefined {
  const typed = normalize(text);
  if (typed === '') return undefined;
  const n = Number(typed);
  if (Number.isInteger(n) && n >= 1 && n <= options.length) return options[n - 1]?.id;
  for (const o of options) if (o.labels.some((l) => normalize(l) === typed)) return o.id;
  for (const o of options) if (lex.answers.get(o.id)?.has(typed)) return o.id;
  if (!partial) return undefined;
  const ranked = lex.model?.answer(text, options.map((o) => o.id)) ?? [];
  // A question the model was not trained for (buttons that depend on the context): labels only.
  if (ranked.length === 0) return partOfLabel(text, options, lex);
  const [best] = ranked;
  // Unsure: a word that only one button's label has is still a certain answer ("plataforma").
  if (!best || best.label === NONE || !sure(best, ANSWER_MIN)) return partOfLabel(text, options, lex);
  // "Sí, funcionó" means nothing in "en realidad necesito generar una llave nueva": a request
  // for a procedure is not a generic reply (but it may be an action button, "sí, revocarla primero").
  if (lex.model?.replyIds.has(best.label) && askedProcedure(text, lex)) return undefined;
  return offTopic(text, lex) ? undefined : best.label;
}

/** Part of a label, as people type it ("ATV clásico" for «ATV clásico (Comprobantes Electrónicos)»): only when exactly one option has every word. */
function partOfLabel(text: string, options: readonly Option[], lex: Lexicon): string | undefined {
  const words = tokens(text);
  if (words.length === 0) return undefined;
  const fits = options.filter((o) => o.labels.some((l) => containsAll(tokens(l), words, lex.known)));
  return fits.length === 1 ? fits[0]?.id : undefined;
}

const containsAll = (label: readonly string[], words: readonly string[], known: ReadonlySet<string>): boolean =>
  words.every((w) => label.some((l) => wordMatches(w, l, known)));

export interface Routing {
  /** Candidate procedures, best first; one means a confident match, two that they were too close to call. */
  flows: FlowId[];
  country?: Country;
}

/** What routing found, as analytics counts it: a procedure, two to ask between, only a country, or nothing. */
export const routingResult = (r: Routing): 'matched' | 'ambiguous' | 'country' | 'none' =>
  r.flows.length === 1 ? 'matched' : r.flows.length > 1 ? 'ambiguous' : r.country ? 'country' : 'none';

/**
 * Route free text to procedures. A message that is exactly a procedure phrase goes there; the
 * model decides the rest, and two procedures too close to call are both returned, so triage
 * asks between them. A country named in the message ("SII", "Hacienda") settles procedures
 * of the other country, and is returned when no procedure is clear.
 */
export function routeIntent(text: string, lex: Lexicon, flowCountry: (f: FlowId) => Country | undefined): Routing {
  const typed = tokens(text);
  const hinted = countryNamed(typed, lex);
  const whole = typed.join(' ');
  const exact = lex.intents.find((i) => i.whole === whole);
  let flows = exact ? [exact.flow] : lex.model ? modelFlows(text, lex) : phraseFlows(typed, lex);
  if (hinted) flows = flows.filter((f) => (flowCountry(f) ?? hinted) === hinted);
  const country = hinted ?? (flows.length === 1 ? flowCountry(flows[0] as FlowId) : undefined);
  return { flows, country };
}

function modelFlows(text: string, lex: Lexicon): FlowId[] {
  // Commands were matchCommand's to take; here a procedure competes with "none" and "an answer".
  const ranked = readOf(text, lex).filter((s) => !commandOf(s.label));
  const [first, second] = ranked;
  if (!first || !procedureOf(first.label) || first.raw < RAW_FLOOR) return [];
  const flows = [first.label as FlowId];
  if (second && procedureOf(second.label) && second.raw >= ROUTE_CLOSE * first.raw) flows.push(second.label as FlowId);
  return flows;
}

/** Without a model: each matching phrase scores its word count; the longest decides, further phrases break ties. */
function phraseFlows(typed: readonly string[], lex: Lexicon): FlowId[] {
  const hits = new Map<FlowId, number[]>();
  for (const i of lex.intents) {
    const s = phraseScore(typed, i.words, 2, lex.known);
    if (s > 0) hits.set(i.flow, [...(hits.get(i.flow) ?? []), s]);
  }
  const byFlow = [...hits].map(([f, ss]) => [f, Math.max(...ss) + 0.25 * (ss.length - 1)] as const).sort((a, b) => b[1] - a[1]);
  const top = byFlow[0]?.[1] ?? 0;
  return byFlow.filter(([, s]) => s === top).map(([f]) => f);
}

/** The country the message names more than the other, if any. */
function countryNamed(typed: readonly string[], lex: Lexicon): Country | undefined {
  const byCountry = new Map<Country, number>();
  for (const c of lex.countries) {
    const s = phraseScore(typed, c.words, 2, lex.known);
    if (s > 0) byCountry.set(c.country, (byCountry.get(c.country) ?? 0) + s);
  }
  const ranked = [...byCountry.entries()].sort((a, b) => b[1] - a[1]);
  const [first, second] = ranked;
  return first && (!second || first[1] > second[1]) ? first[0] : undefined;
}

/**
 * Does a message typed inside `current` clearly ask for another procedure ("ah, y también
 * necesito revocar la llave")? Returns that procedure, for the engine to offer leaving this
 * one. Call it after `matchCommand` and `matchChoice` found nothing: a reply that is one of
 * the step's buttons ("sí, revocarla primero") is an answer, not a change of mind.
 */
export function detectSwitch(text: string, current: FlowId, lex: Lexicon): FlowId | undefined {
  const top = readOf(text, lex)[0];
  const flow = top && sure(top, SWITCH_MIN) ? procedureOf(top.label) : undefined;
  return flow && flow !== current ? flow : undefined;
}
