/** Builds the bot every channel shares: the engine over the flow catalog, the translator and the certificate check. */
import type { VerifyCertificate } from './certs/report.ts';
import { createEngine, type Engine } from './conversation/engine.ts';
import type { Locale, Outbound } from './conversation/messages.ts';
import { render, type Rendered } from './conversation/render.ts';
import { compileVocabulary, mergeVocabularies } from './conversation/understand.ts';
import { loadResources, type Resources } from './i18n/resources.ts';
import { createTranslator, type Translator } from './i18n/translator.ts';

export interface Bot {
  engine: Engine;
  translator: Translator;
  render(messages: readonly Outbound[], locale: Locale): Rendered[];
}

export interface BotOptions {
  resources?: Resources;
  verify?: VerifyCertificate;
  maxFileBytes?: number;
}

export function createBot({ resources = loadResources(), verify, maxFileBytes }: BotOptions = {}): Bot {
  const translator = createTranslator(resources);
  const engine = createEngine({
    lexicon: compileVocabulary(mergeVocabularies(translator.vocabularies)),
    labels: translator.labels,
    verify,
    maxFileBytes,
  });
  return {
    engine,
    translator,
    render: (messages, locale) => messages.map((m) => render(m, translator.t, locale)),
  };
}
