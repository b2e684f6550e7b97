/**
 * What the classifier sees of a message: its words, spelling variants folded together and
 * typos corrected towards the training vocabulary, each reduced to its NLP.js stem.
 */
import { StemmerEn } from '@nlpjs/lang-en-min';
import { StemmerEs } from '@nlpjs/lang-es';
import { isTypoOf, tokens } from '../conversation/text.ts';

const es = new StemmerEs();
const en = new StemmerEn();

/**
 * Spelling that Spanish speakers mix up when typing fast sounds the same: ll/y, b/v, c/s/z,
 * qu/k/c, a silent h, g/j before e and i, and letters held down ("siii"). Folding both the
 * training phrases and the typed text makes "yave", "rebocar", "sertificado" and "kiero"
 * the words the model learnt, without listing misspellings. Applied to stems, so the
 * stemmers still see real endings.
 */
export function fold(word: string): string {
  return word
    .replace(/ll/g, 'y')
    .replace(/qu(?=[ei])/g, 'k')
    .replace(/c(?=[ei])/g, 's')
    .replace(/g(?=[ei])/g, 'j')
    .replace(/c(?!h)/g, 'k')
    .replace(/z/g, 's')
    .replace(/v/g, 'b')
    .replace(/(?<!c)h/g, '')
    .replace(/(.)\1+/g, '$1');
}

/** The folded stems of a word in both languages (one when they agree). */
function stems(word: string): string[] {
  const a = fold(es.stemWord(word));
  const b = fold(en.stemWord(word));
  return a === b ? [a] : [a, b];
}

export interface Featurizer {
  /** Every word the training phrases use (normalised), so a known word is never "corrected". */
  readonly vocabulary: ReadonlySet<string>;
  features(text: string): string[];
}

/**
 * A featurizer over the training phrases: unknown words within a typo of exactly one known
 * word are read as that word. For training, the phrases' own features are computed once, as
 * every classifier trained on them asks for them again.
 */
export function createFeaturizer(phrases: readonly string[], { precompute = true }: { precompute?: boolean } = {}): Featurizer {
  const vocabulary = new Set<string>();
  for (const p of phrases) for (const w of tokens(p)) vocabulary.add(w);
  const known = [...vocabulary].sort();
  const corrected = new Map<string, string>();
  const correct = (w: string): string => {
    if (vocabulary.has(w) || w.length < 4) return w;
    let hit = corrected.get(w);
    if (hit === undefined) {
      const near = known.filter((k) => isTypoOf(w, k));
      hit = near.length === 1 ? (near[0] as string) : w;
      // Bounded: a flood of unknown words must not grow memory without end.
      if (corrected.size < 10_000) corrected.set(w, hit);
    }
    return hit;
  };
  const stemmed = new Map<string, string[]>();
  const stemsOf = (w: string): string[] => {
    let s = stemmed.get(w);
    if (!s) stemmed.set(w, (s = stems(w)));
    return s;
  };
  const featuresOf = (text: string) => [...new Set(tokens(text).flatMap((w) => (vocabulary.has(w) ? stemsOf(w) : stems(correct(w)))))];
  const precomputed = new Map(precompute ? phrases.map((p) => [p, featuresOf(p)]) : []);
  return { vocabulary, features: (text) => precomputed.get(text) ?? featuresOf(text) };
}
