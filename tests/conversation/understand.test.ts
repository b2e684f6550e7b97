// What customers type, as they would notice it: procedures reached through routeIntent, typed answers through matchChoice, commands, switches.
import { describe, expect, it } from 'vitest';
import { FLOWS } from '../../src/flows/catalog.ts';
import type { FlowId } from '../../src/flows/step.ts';
import { compileVocabulary, detectSwitch, matchChoice, matchCommand, mergeVocabularies, routeIntent } from '../../src/conversation/understand.ts';
import { wordMatches } from '../../src/conversation/text.ts';
import { loadResources } from '../../src/i18n/resources.ts';
import { catalogQuestions, defaultUnderstanding, loadTraining } from '../../src/i18n/training.ts';
import { createTranslator } from '../../src/i18n/translator.ts';
import { trainUnderstanding } from '../../src/understanding/model.ts';

const translator = createTranslator(loadResources());
const lex = compileVocabulary(mergeVocabularies(translator.vocabularies), defaultUnderstanding());
const countryOf = (f: FlowId) => FLOWS[f]?.country;
const opts = (...pairs: Array<[string, string]>) => pairs.map(([id, key]) => ({ id, labels: translator.labels(key) }));
const WORKED = opts(['worked', 'common:choice.worked'], ['failed', 'common:choice.failed'], ['error', 'common:choice.error']);

describe('routing what customers type to a procedure', () => {
  it.each([
    ['quiero recuperar mi clave', 'sii.enable-certificate-login'],
    ['Recuperar clave', 'sii.enable-certificate-login'],
    ['necesito subir la firma al sii', 'sii.centralize-certificate'],
    ['se me vencio la llave de hacienda', 'atv.generate-key'],
    ['tengo otra consulta, se me venció la llave', 'atv.generate-key'],
    ['revoke my cryptographic key', 'atv.revoke-key'],
  ])('«%s» goes to %s', (text, flow) => {
    expect(matchCommand(text, lex)).toBeUndefined();
    expect(routeIntent(text, lex, countryOf).flows).toEqual([flow]);
  });

  it('does not force off-topic questions into a procedure', () => {
    for (const text of ['cuánto cuesta el plan', 'hola', 'how do I void an invoice']) expect(routeIntent(text, lex, countryOf).flows).toEqual([]);
  });

  it('reads "clave" as a word of its own, not a typo of "llave", and "tributaria" not as "tribu"', () => {
    expect(wordMatches('clave', 'llave', lex.known)).toBe(false);
    expect(wordMatches('tributaria', 'tribu', lex.known)).toBe(false);
    expect(routeIntent('olvidé la clave tributaria', lex, countryOf).country).toBe('CL');
  });
});

describe('answers typed at a step', () => {
  it.each([
    ['ya entré', 'worked'],
    ['me salió un error', 'error'],
    ['no pude', 'failed'],
  ])('«%s» at "did it work?" is %s', (text, id) => {
    expect(matchChoice(text, WORKED, lex)).toBe(id);
  });

  it('takes "la clásica" as the classic ATV portal', () => {
    const portal = opts(['atv', 'atv:portal.atv'], ['tribu', 'atv:portal.tribu']);
    expect(matchChoice('la clásica', portal, lex)).toBe('atv');
  });

  it('takes nothing for a question about something else', () => {
    expect(matchChoice('cuánto cuesta la firma?', WORKED, lex)).toBeUndefined();
  });

  it('notices another procedure named mid-way, and not the current one', () => {
    const text = 'ah, y también necesito revocar la llave';
    expect(matchChoice(text, WORKED, lex)).toBeUndefined();
    expect(detectSwitch(text, 'atv.generate-key', lex)).toBe('atv.revoke-key');
    expect(detectSwitch(text, 'atv.revoke-key', lex)).toBeUndefined();
  });
});

describe('the saved model', () => {
  it('is the one the training data gives (run `npm run train:understanding` after changing training/)', () => {
    const fresh = trainUnderstanding(loadTraining(), { questions: catalogQuestions() });
    const saved = defaultUnderstanding();
    expect(saved.toJSON().fingerprint).toBe(fresh.toJSON().fingerprint);
    for (const text of ['no me llega el código', 'quiero generar la llave', 'listo']) {
      expect(saved.route(text)[0]?.label).toBe(fresh.route(text)[0]?.label);
    }
  });
});
