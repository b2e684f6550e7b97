/**
 * The understanding model, trained at start from the project's training phrases
 * (`training/`, passed in by the composition root). A router reads a message as a whole (a
 * procedure, a conversation command, an answer to a question, or none of these); one small
 * classifier per question (a step's set of buttons) reads it as an answer to that question.
 */
import type { FlowId } from '../flows/step.ts';
import { loadClassifier, NONE, neuralClassifier, type Classifier, type ClassifierFactory, type ClassifierJSON, type Example } from './classifier.ts';
import { createFeaturizer, type Featurizer } from './features.ts';

/** Commands the model recognises in free wording ("cancel" stays exact: it is also "cancelar la llave"). */
export const MODEL_COMMANDS = ['handoff', 'help', 'back', 'restart', 'language-es', 'language-en'] as const;
export type ModelCommand = (typeof MODEL_COMMANDS)[number];

/** One language's training phrases. */
export interface TrainingData {
  /** Requests for each procedure. */
  procedures: Partial<Record<FlowId, string[]>>;
  commands: Partial<Record<ModelCommand, string[]>>;
  /** Off-topic: invoices, prices, other passwords, greetings, thanks. */
  none: string[];
  /** Replies to a question, per meaning or choice id ("yes", "worked", "retry"): also teach the router that these are not requests. */
  replies: Record<string, string[]>;
  /** Replies that name an action ("get-new", "revoke-first"): only for the step's buttons, as they sound like requests. */
  options: Record<string, string[]>;
}

export interface Training {
  phrases: readonly TrainingData[];
  /** Choice id → the generic replies it also takes ("have-it" takes "yes"). */
  accepts: Readonly<Record<string, readonly string[]>>;
}

/** What the whole-message model can say: a procedure, `command:<name>`, `answer`, or none. */
export type RouteLabel = FlowId | `command:${ModelCommand}` | 'answer' | typeof NONE;

export interface Scored<L extends string = string> {
  label: L;
  /** The label's share of the scores compared (NLP.js's normalisation: squares, summing to 1). */
  score: number;
  /** The classifier's own score, about 0 to 1: how much the text looks like this label at all. */
  raw: number;
}

export interface Understanding {
  /** Every whole-message label, best first. */
  route(text: string): Array<Scored<RouteLabel>>;
  /** The given choice ids and none, for a typed reply, best first; empty for a set of buttons the model was not trained for. */
  answer(text: string, ids: readonly string[]): Scored[];
  /** Choice ids that are generic replies ("yes", "worked"), as opposed to actions ("revoke-first"). */
  readonly replyIds: ReadonlySet<string>;
  /** Every word of the training phrases: such a word is never read as a typo of another. */
  readonly vocabulary: ReadonlySet<string>;
  /** The trained weights, for `npm run train:understanding` to save (see `loadUnderstanding`). */
  toJSON(): UnderstandingJSON;
}

export interface TrainOptions {
  classifier?: ClassifierFactory;
  /** The button sets to answer (see `choiceSets`): one small classifier each, so a reply competes only with its step's other buttons. */
  questions?: ReadonlyArray<readonly string[]>;
}

/** Phrases with their labels; a phrase listed under several labels is one example with all of them. */
function examples(pairs: Iterable<[string, string]>): Example[] {
  const byText = new Map<string, Set<string>>();
  for (const [text, label] of pairs) byText.set(text, (byText.get(text) ?? new Set()).add(label));
  return [...byText].map(([text, labels]) => ({ text, labels: [...labels].sort() }));
}

function* entries<T extends string>(groups: Partial<Record<T, string[]>>, label: (k: T) => string): Generator<[string, string]> {
  for (const [k, phrases] of Object.entries(groups) as Array<[T, string[] | undefined]>) {
    for (const p of phrases ?? []) yield [p, label(k)];
  }
}

/** Raw scores → shares, best first (ties by label, so the order is stable). */
function shares<L extends string>(raw: ReadonlyArray<[L, number]>): Array<Scored<L>> {
  const total = raw.reduce((t, [, s]) => t + s * s, 0);
  return raw
    .map(([label, s]) => ({ label, raw: s, score: total > 0 ? (s * s) / total : 0 }))
    .sort((a, b) => b.raw - a.raw || a.label.localeCompare(b.label));
}

function* routePairs(data: readonly TrainingData[]): Generator<[string, string]> {
  for (const d of data) {
    yield* entries(d.procedures, (f) => f);
    yield* entries(d.commands, (c) => `command:${c}`);
    for (const p of d.none) yield [p, NONE];
    yield* entries(d.replies, () => 'answer');
  }
}

/** Phrases per choice id, every language. */
function phrasesById(data: readonly TrainingData[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const d of data) {
    for (const [id, ps] of [...Object.entries(d.replies), ...Object.entries(d.options)]) out.set(id, [...(out.get(id) ?? []), ...ps]);
  }
  return out;
}

/**
 * One question's examples: each button's own phrases, plus the generic replies it accepts
 * unless the question offers that reply as a button of its own ("lo intento de nuevo" is
 * "retry" where both "retry" and "new code" are offered), plus off-topic phrases as none.
 */
function* questionPairs(ids: readonly string[], byId: ReadonlyMap<string, string[]>, accepts: Training['accepts'], none: readonly string[]): Generator<[string, string]> {
  for (const id of ids) {
    for (const p of byId.get(id) ?? []) yield [p, id];
    for (const a of accepts[id] ?? []) if (!ids.includes(a)) for (const p of byId.get(a) ?? []) yield [p, id];
  }
  for (const p of none) yield [p, NONE];
}

const keyOf = (ids: readonly string[]) => [...ids].sort().join('|');

/** Off-topic examples in each question's classifier: every third, enough to learn "about something else" at a third of the cost. */
const NONE_SAMPLE = 3;

/** A saved model: the classifiers' weights and the fingerprint of the data they were trained on. */
export interface UnderstandingJSON {
  fingerprint: string;
  router: ClassifierJSON;
  questions: Record<string, ClassifierJSON>;
}

/** FNV-1a over the training data and questions: a saved model is used only for exactly the data it was trained on. */
export function fingerprint(training: Training, questions: ReadonlyArray<readonly string[]>): string {
  const text = JSON.stringify({ format: 1, training, questions: questions.map(keyOf).sort() });
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${h.toString(16).padStart(8, '0')}-${text.length}`;
}

interface Parts {
  byId: Map<string, string[]>;
  routeExamples: Example[];
  none: string[];
  featurizer: Featurizer;
}

function partsOf({ phrases }: Training, precompute: boolean): Parts {
  const routeExamples = examples(routePairs(phrases));
  const byId = phrasesById(phrases);
  const none = phrases.flatMap((d) => d.none).filter((_, i) => i % NONE_SAMPLE === 0);
  const texts = [...routeExamples.map((e) => e.text), ...[...byId.values()].flat()];
  return { byId, routeExamples, none, featurizer: createFeaturizer(texts, { precompute }) };
}

/** Trains the router and one classifier per question; deterministic, and under a second for the project's phrases. */
export function trainUnderstanding(training: Training, { classifier = neuralClassifier, questions = [] }: TrainOptions = {}): Understanding {
  const { byId, routeExamples, none, featurizer } = partsOf(training, true);
  const answers = new Map<string, Classifier>();
  for (const q of questions) {
    if (answers.has(keyOf(q)) || !q.some((id) => byId.has(id) || training.accepts[id])) continue;
    answers.set(keyOf(q), classifier(examples(questionPairs(q, byId, training.accepts, none)), featurizer));
  }
  return understanding(training, classifier(routeExamples, featurizer), answers, featurizer, fingerprint(training, questions));
}

/** The model saved by `toJSON` for this very data, without training; undefined when the data changed since. */
export function loadUnderstanding(training: Training, json: UnderstandingJSON, questions: ReadonlyArray<readonly string[]> = []): Understanding | undefined {
  const print = fingerprint(training, questions);
  if (json.fingerprint !== print) return undefined;
  const { featurizer } = partsOf(training, false);
  const answers = new Map(Object.entries(json.questions).map(([k, c]) => [k, loadClassifier(c, featurizer)]));
  return understanding(training, loadClassifier(json.router, featurizer), answers, featurizer, print);
}

function understanding(training: Training, router: Classifier, answers: ReadonlyMap<string, Classifier>, featurizer: Featurizer, print: string): Understanding {
  return {
    route: (text) => shares([...router.scores(text)] as Array<[RouteLabel, number]>),
    answer(text, ids) {
      const s = answers.get(keyOf(ids))?.scores(text);
      return s ? shares([...ids, NONE].map((id) => [id, s.get(id) ?? 0] as [string, number])) : [];
    },
    replyIds: new Set(training.phrases.flatMap((d) => Object.keys(d.replies))),
    vocabulary: featurizer.vocabulary,
    toJSON: () => {
      const saved = (c: Classifier) => {
        if (!c.toJSON) throw new Error('this classifier cannot be saved');
        return c.toJSON();
      };
      return { fingerprint: print, router: saved(router), questions: Object.fromEntries([...answers].map(([k, c]) => [k, saved(c)])) };
    },
  };
}

/** The procedure a whole-message label names, if it names one. */
export const procedureOf = (label: RouteLabel): FlowId | undefined =>
  label === 'answer' || label === NONE || label.startsWith('command:') ? undefined : (label as FlowId);

/** The command a whole-message label names, if it names one. */
export const commandOf = (label: RouteLabel): ModelCommand | undefined =>
  label.startsWith('command:') ? (label.slice(8) as ModelCommand) : undefined;

export { NONE };
