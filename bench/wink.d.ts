// Types for wink-naive-bayes-text-classifier (it ships JavaScript only), as far as the comparison uses it.
declare module 'wink-naive-bayes-text-classifier' {
  interface NaiveBayesTextClassifier {
    defineConfig(cfg: { considerOnlyPresence?: boolean; smoothingFactor?: number }): boolean;
    learn(tokens: string[], label: string): boolean;
    consolidate(): boolean;
    /** Label and log2 odds (label vs every other label), best first; `[['unknown', 0]]` when no word is known. */
    computeOdds(tokens: string[]): Array<[string, number]>;
  }
  export default function naiveBayesTextClassifier(): NaiveBayesTextClassifier;
}
