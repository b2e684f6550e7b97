// `npm run train:understanding`: trains the understanding model on training/ and saves its weights to training/model.json, so start-up loads rather than trains.
import { writeFileSync } from 'node:fs';
import { catalogQuestions, loadTraining, MODEL_FILE, TRAINING_DIR } from '../i18n/training.ts';
import { trainUnderstanding } from '../understanding/model.ts';

const t0 = performance.now();
const model = trainUnderstanding(loadTraining(), { questions: catalogQuestions() });
const ms = performance.now() - t0;
// Six decimals are far below what changes a decision, and keep the file and its diffs small.
const json = JSON.stringify(model.toJSON(), (_, v: unknown) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v));
writeFileSync(`${TRAINING_DIR}/${MODEL_FILE}`, `${json}\n`);
console.log(`trained in ${ms.toFixed(0)} ms; wrote ${TRAINING_DIR}${MODEL_FILE} (${(json.length / 1024).toFixed(0)} KiB)`);
