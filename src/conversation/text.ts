/** Text normalisation and tolerant word matching for what customers type: accents, case, punctuation and small typos. */

/** Lower case, no accents, letters and digits only, single spaces. "¿Revocar la LLAVE?" → "revocar la llave". */
export function normalize(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export const tokens = (text: string): string[] => {
  const n = normalize(text);
  return n === '' ? [] : n.split(' ');
};

/** Optimal string alignment distance (Damerau–Levenshtein without substring moves), capped for speed. */
export function editDistance(a: string, b: string, cap = 3): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i]);
  for (let j = 1; j <= b.length; j++) (rows[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const prev = rows[i - 1] as number[];
    let best = cap + 1;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = d;
      best = Math.min(best, d);
    }
    if (best > cap) return cap + 1;
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/** A typo of `word`: one edit for words of four to seven letters, two beyond (a swap of two letters is one). */
export function isTypoOf(typed: string, word: string): boolean {
  if (word.length < 4 || typed.length < 3) return false;
  const allowed = word.length >= 8 ? 2 : 1;
  return editDistance(typed, word, allowed) <= allowed;
}

/**
 * Does a typed word stand for a vocabulary word? Exact; the same stem (a shared prefix of
 * at least five letters covering all but the last three of the word: "centralizo" for
 * "centralizar"); or a typo (see `isTypoOf`). A typed word that is itself in `known` (the
 * vocabulary) stands only for itself: "clave" is a word of its own, not a typo of "llave",
 * and "tributaria" is not a longer "tribu".
 */
export function wordMatches(typed: string, word: string, known?: ReadonlySet<string>): boolean {
  if (typed === word) return true;
  if (known?.has(typed)) return false;
  if (word.length < 4 || typed.length < 3) return false;
  const stem = Math.max(5, word.length - 3);
  if (word.length >= 5 && typed.length >= stem && typed.slice(0, stem) === word.slice(0, stem)) return true;
  return isTypoOf(typed, word);
}

/**
 * Where does a phrase occur in the typed words? Its words must appear in order, with at most
 * `gap` other words between consecutive ones ("subir mi firma" matches "subir firma"); words in
 * `known` match only themselves (see `wordMatches`).
 * Returns the number of phrase words matched (0 when it does not occur).
 */
export function phraseScore(typed: readonly string[], phrase: readonly string[], gap = 2, known?: ReadonlySet<string>): number {
  if (phrase.length === 0) return 0;
  for (let start = 0; start < typed.length; start++) {
    if (!wordMatches(typed[start] as string, phrase[0] as string, known)) continue;
    let at = start;
    let matched = 1;
    for (let k = 1; k < phrase.length; k++) {
      let found = -1;
      for (let j = at + 1; j <= Math.min(typed.length - 1, at + 1 + gap); j++) {
        if (wordMatches(typed[j] as string, phrase[k] as string, known)) {
          found = j;
          break;
        }
      }
      if (found < 0) break;
      at = found;
      matched++;
    }
    if (matched === phrase.length) return matched;
  }
  return 0;
}
