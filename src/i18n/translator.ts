/** The translator: an i18next instance over the loaded resources, plus the views the engine needs (labels, vocabulary). */
import i18next, { type i18n } from 'i18next';
import { LOCALES } from '../conversation/messages.ts';
import type { Vocabulary } from '../conversation/understand.ts';
import type { Translate } from '../conversation/render.ts';
import type { Resources } from './resources.ts';

export type { Translate };

export interface Translator {
  t: Translate;
  /** A key rendered in every language. */
  labels: (key: string) => string[];
  /** Routing words of every language (`routing` namespace). */
  vocabularies: Vocabulary[];
  i18n: i18n;
}

export function createTranslator(resources: Resources): Translator {
  const instance = i18next.createInstance();
  void instance.init({
    resources,
    lng: 'es',
    fallbackLng: false,
    ns: Object.keys(resources.es),
    defaultNS: 'common',
    interpolation: { escapeValue: false },
    returnNull: false,
    initAsync: false,
    showSupportNotice: false,
  });
  const t: Translate = (key, locale, params) => instance.t(key, { ...params, lng: locale });
  return {
    t,
    labels: (key) => LOCALES.map((l) => t(key, l)),
    vocabularies: LOCALES.map((l) => resources[l].routing as unknown as Vocabulary),
    i18n: instance,
  };
}
