/**
 * The understanding model at start: the training data (`training/<lng>/*.json`,
 * `training/accepts.json`) and the weights `npm run train:understanding` saved from it
 * (`training/model.json`), read once. The saved weights are used when they were trained on
 * exactly this data; otherwise the model is trained here, which costs about half a second.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LOCALES } from '../conversation/messages.ts';
import { FLOWS } from '../flows/catalog.ts';
import { loadUnderstanding, trainUnderstanding, type Training, type TrainingData, type Understanding, type UnderstandingJSON } from '../understanding/model.ts';
import { choiceSets } from '../understanding/questions.ts';

export const TRAINING_DIR = fileURLToPath(new URL('../../training/', import.meta.url));
export const MODEL_FILE = 'model.json';

const read = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

/** Phrases one entry per file, Spanish first: the order the model is trained in, so training is deterministic. */
export function loadTraining(dir = TRAINING_DIR): Training {
  const phrases = LOCALES.flatMap((lng) =>
    readdirSync(`${dir}/${lng}`)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => read(`${dir}/${lng}/${f}`) as TrainingData),
  );
  const accepts = Object.fromEntries(Object.entries(read(`${dir}/accepts.json`) as Record<string, unknown>).filter(([, v]) => Array.isArray(v))) as Training['accepts'];
  return { phrases, accepts };
}

/** The questions of the catalog's flows: each step's set of buttons. */
export const catalogQuestions = (): string[][] => choiceSets(Object.values(FLOWS).map((f) => f.machine));

export function loadSavedModel(dir = TRAINING_DIR): UnderstandingJSON | undefined {
  const file = `${dir}/${MODEL_FILE}`;
  return existsSync(file) ? (read(file) as UnderstandingJSON) : undefined;
}

/** The saved model if it fits the data, else one trained now. */
export function createUnderstanding(training = loadTraining(), saved = loadSavedModel()): Understanding {
  const questions = catalogQuestions();
  return (saved && loadUnderstanding(training, saved, questions)) ?? trainUnderstanding(training, { questions });
}

let shared: Understanding | undefined;
/** The repository's model, built once per process: every bot over the default data shares it. */
export const defaultUnderstanding = (): Understanding => (shared ??= createUnderstanding());
