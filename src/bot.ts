/** Builds the bot every channel shares: the engine over the flow catalog, the translator and the certificate check. */
import type { VerifyCertificate } from './certs/report.ts';
import { createEngine, type Engine } from './conversation/engine.ts';
import type { Locale, Outbound } from './conversation/messages.ts';
import { render, type Rendered } from './conversation/render.ts';
import { compileVocabulary, mergeVocabularies } from './conversation/understand.ts';
import { loadResources, type Resources } from './i18n/resources.ts';
import { createTranslator, type Translator } from './i18n/translator.ts';
import { defaultUnderstanding } from './i18n/training.ts';
import type { Understanding } from './understanding/model.ts';

export interface Bot {
  engine: Engine;
  /** The certificate check the engine's turns ask for (absent: procedures skip the offer to check). */
  verify?: VerifyCertificate;
  translator: Translator;
  render(messages: readonly Outbound[], locale: Locale): Rendered[];
}

export interface BotOptions {
  resources?: Resources;
  verify?: VerifyCertificate;
  maxFileBytes?: number;
  /** The model that reads free text (default: the repository's, loaded once per process). */
  understanding?: Understanding;
}

export function createBot({ resources = loadResources(), verify, maxFileBytes, understanding = defaultUnderstanding() }: BotOptions = {}): Bot {
  const translator = createTranslator(resources);
  const engine = createEngine({
    lexicon: compileVocabulary(mergeVocabularies(translator.vocabularies), understanding),
    labels: translator.labels,
    verify,
    maxFileBytes,
  });
  return {
    engine,
    ...(verify ? { verify } : {}),
    translator,
    render: (messages, locale) => messages.map((m) => render(m, translator.t, locale)),
  };
}
