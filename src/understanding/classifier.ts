/** A text classifier over labelled phrases: NLP.js's neural network (one perceptron per label), run synchronously, saved and loaded as JSON. */
import { NeuralNetwork, type NetworkJSON, type Weights } from '@nlpjs/neural';
import type { Featurizer } from './features.ts';

/** A training phrase; one phrase may stand for several labels ("sí" answers "yes" and "it worked"). */
export interface Example {
  text: string;
  labels: readonly string[];
}

export interface Classifier {
  /** Every label's score for the text, about 0 (not this) to 1 (this); labels are independent. */
  scores(text: string): Map<string, number>;
  /** What `loadClassifier` needs to give the same scores without training; absent for classifiers that cannot be saved. */
  toJSON?(): ClassifierJSON;
}

export interface ClassifierJSON {
  net: NetworkJSON;
  /** Each label's training features: a label none of whose features occur in a text scores 0. */
  labels: Record<string, string[]>;
}

export type ClassifierFactory = (examples: readonly Example[], featurizer: Featurizer) => Classifier;

/** The label of texts the classifier has no reason to place (NLP.js's "None"); not a valid choice id. */
export const NONE = '(none)';
const NONE_FEATURE = 'nonefeature';
/** NLP.js's defaults but the number of passes: 20 reach the accuracy of a full run (about 100) in a fifth of the time. */
const SETTINGS = { log: false, iterations: 20 } as const;

const weightsOf = (features: readonly string[]): Weights => Object.fromEntries(features.map((f) => [f, 1]));

/**
 * NLP.js `NeuralNetwork`, as its `NluNeural` uses it, minus the async pipeline (a turn is a
 * synchronous function). Training starts from zero weights, so the same phrases always give
 * the same model.
 */
export const neuralClassifier: ClassifierFactory = (examples, featurizer) => {
  const labelFeatures = new Map<string, Set<string>>();
  const corpus = examples.map((e) => {
    const features = featurizer.features(e.text);
    for (const l of e.labels) {
      const set = labelFeatures.get(l) ?? new Set<string>();
      for (const f of features) set.add(f);
      labelFeatures.set(l, set);
    }
    return { input: weightsOf(features), output: Object.fromEntries(e.labels.map((l) => [l, 1])) };
  });
  // Last, as NLP.js expects it: the network then learns that unknown words mean no label.
  corpus.push({ input: { [NONE_FEATURE]: 1 }, output: { [NONE]: 1 } });
  const net = new NeuralNetwork(SETTINGS);
  net.train(corpus);
  return scorer(net, labelFeatures, featurizer);
};

/** A classifier saved with `toJSON`, ready without training. */
export function loadClassifier(json: ClassifierJSON, featurizer: Featurizer): Classifier {
  const net = new NeuralNetwork(SETTINGS);
  net.fromJSON(json.net);
  return scorer(net, new Map(Object.entries(json.labels).map(([l, fs]) => [l, new Set(fs)])), featurizer);
}

/**
 * Scores as NLP.js's NLU computes them: words unknown to training add up into the none
 * feature (each a little more than the last), and a label none of whose training words
 * occur in the text scores 0.
 */
function scorer(net: NeuralNetwork, labelFeatures: ReadonlyMap<string, ReadonlySet<string>>, featurizer: Featurizer): Classifier {
  const known = new Set([...labelFeatures.values()].flatMap((s) => [...s]));
  const noneStep = labelFeatures.size / Math.max(1, known.size);
  return {
    scores(text) {
      const features = featurizer.features(text);
      const input = weightsOf(features.filter((f) => known.has(f)));
      let unknown = features.length - Object.keys(input).length;
      let none = 0;
      for (let step = noneStep; unknown > 0; unknown--, step *= 1.2) none += step;
      if (none > 0) input[NONE_FEATURE] = none;
      const result = new Map<string, number>();
      for (const [label, score] of Object.entries(net.run(input) ?? {})) {
        const active = label === NONE || features.some((f) => labelFeatures.get(label)?.has(f));
        result.set(label, active ? score : 0);
      }
      return result;
    },
    toJSON: () => ({ net: net.toJSON(), labels: Object.fromEntries([...labelFeatures].map(([l, fs]) => [l, [...fs].sort()])) }),
  };
}
