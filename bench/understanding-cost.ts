/** What understanding costs: start-up (loading or training the model) and the time a turn spends matching text, with and without the model. */
import { performance } from 'node:perf_hooks';
import { FLOWS } from '../src/flows/catalog.ts';
import type { FlowId } from '../src/flows/step.ts';
import { matchChoice, matchCommand, routeIntent, type Lexicon } from '../src/conversation/understand.ts';
import { catalogQuestions, createUnderstanding, loadSavedModel, loadTraining } from '../src/i18n/training.ts';
import { trainUnderstanding } from '../src/understanding/model.ts';

const countryOf = (f: FlowId) => FLOWS[f]?.country;
const OPTIONS = [
  { id: 'worked', labels: ['Sí, funcionó', 'Yes, it worked'] },
  { id: 'failed', labels: ['No funcionó', "It didn't work"] },
  { id: 'error', labels: ['Veo un error', 'I see an error'] },
];

const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** The matching one turn does at most: a command check, the step's buttons, and routing. */
function turnMs(text: string, lex: Lexicon): number {
  const t0 = performance.now();
  matchCommand(text, lex);
  matchChoice(text, OPTIONS, lex);
  routeIntent(text, lex, countryOf);
  return performance.now() - t0;
}

function perTurn(lex: Lexicon, texts: readonly string[], rounds: number): number[] {
  for (const t of texts) turnMs(t, lex);
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) for (const t of texts) out.push(turnMs(t, lex));
  return out.sort((a, b) => a - b);
}

/** Start-up (loading the saved model, and training for comparison) and per-turn matching time with and without the model. */
export function measureCost(withModel: Lexicon, without: Lexicon, texts: readonly string[], rounds = 5): void {
  const training = loadTraining();
  const saved = loadSavedModel();
  const time = (f: () => unknown) => {
    const s = performance.now();
    f();
    return performance.now() - s;
  };
  const loads = [0, 1, 2].map(() => time(() => createUnderstanding(training, saved)));
  const trains = [0, 1, 2].map(() => time(() => trainUnderstanding(training, { questions: catalogQuestions() })));
  const model = perTurn(withModel, texts, rounds);
  const rules = perTurn(without, texts, rounds);
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} ms`;
  console.log('\nCost (this machine, 3 runs each)');
  console.log(`  start-up: loading the saved model ${range(loads)}; training it instead ${range(trains)}`);
  console.log(`  per turn, model:   p50 ${quantile(model, 0.5).toFixed(3)} ms, p99 ${quantile(model, 0.99).toFixed(3)} ms (${model.length} turns)`);
  console.log(`  per turn, phrases: p50 ${quantile(rules, 0.5).toFixed(3)} ms, p99 ${quantile(rules, 0.99).toFixed(3)} ms`);
  console.log(`  added by the model: p99 ${(quantile(model, 0.99) - quantile(rules, 0.99)).toFixed(3)} ms`);
}
