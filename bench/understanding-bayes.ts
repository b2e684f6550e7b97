/** The comparison classifier for `eval:understanding`: wink's naive Bayes over the same features as the NLP.js network. */
import naiveBayes from 'wink-naive-bayes-text-classifier';
import { NONE, type ClassifierFactory } from '../src/understanding/classifier.ts';

/**
 * Binarized multinomial naive Bayes (smoothing 0.5, wink's suggested setting for short texts).
 * A phrase with several labels is learnt once under each. Scores are each label's posterior
 * against all others, from wink's log2 odds; a text with no known word is none.
 */
export const bayesClassifier: ClassifierFactory = (examples, featurizer) => {
  const nb = naiveBayes();
  nb.defineConfig({ considerOnlyPresence: true, smoothingFactor: 0.5 });
  const labels = new Set<string>([NONE]);
  for (const e of examples) {
    const features = featurizer.features(e.text);
    for (const l of e.labels) {
      nb.learn(features, l);
      labels.add(l);
    }
  }
  // wink needs two labels; a question with one button still has "none".
  nb.learn(['nonefeature'], NONE);
  nb.consolidate();
  return {
    scores(text) {
      const odds = nb.computeOdds(featurizer.features(text));
      const out = new Map([...labels].map((l) => [l, 0]));
      if (odds.length === 1 && odds[0]?.[1] === 0) return out.set(NONE, 1);
      for (const [l, o] of odds) out.set(l, 1 / (1 + 2 ** -o));
      return out;
    },
  };
};
