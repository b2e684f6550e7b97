// Types for the parts of NLP.js we use: the packages ship JavaScript only.
declare module '@nlpjs/lang-es' {
  export class StemmerEs {
    stemWord(word: string): string;
  }
}
declare module '@nlpjs/lang-en-min' {
  export class StemmerEn {
    stemWord(word: string): string;
  }
}
declare module '@nlpjs/neural' {
  /** Features (or intents) with their values, as NLP.js passes them around. */
  export type Weights = Record<string, number>;
  /** A trained network: its settings, feature and intent names, and per intent the weights then the bias. */
  export interface NetworkJSON {
    settings: Record<string, unknown>;
    features?: string[];
    intents?: string[];
    perceptrons?: number[][];
  }
  export class NeuralNetwork {
    constructor(settings?: { iterations?: number; errorThresh?: number; deltaErrorThresh?: number; learningRate?: number; momentum?: number; alpha?: number; log?: boolean });
    train(corpus: Array<{ input: Weights; output: Weights }>): { error: number; iterations: number };
    run(input: Weights): Weights | undefined;
    toJSON(): NetworkJSON;
    fromJSON(json: NetworkJSON): void;
  }
}
