// The conversation engine as a customer meets it: greeting, routing, whole procedures, commands, bad input, restore.
import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { createBot } from '../../src/bot.ts';
import { createEngine } from '../../src/conversation/engine.ts';
import type { ConversationState } from '../../src/conversation/state.ts';
import { compileVocabulary, mergeVocabularies } from '../../src/conversation/understand.ts';
import { FLOWS, type FlowDefinition } from '../../src/flows/catalog.ts';
import type { FlowEvent, FlowId } from '../../src/flows/step.ts';
import { bot, driver, endedConversation } from '../support/bot.ts';

describe('greeting and routing', () => {
  it('greets in the customer language with the menu of procedures', async () => {
    const es = driver('es');
    await es.send({ type: 'command', command: 'start' });
    expect(es.said[0]?.text).toMatch(/Hola/);
    expect(es.options().map((o) => o.label)).toContain('Revocar mi llave criptográfica de Hacienda (Costa Rica)');
    const en = driver('en');
    await en.send({ type: 'command', command: 'start' });
    expect(en.said[0]?.text).toMatch(/^Hi!/);
  });

  it.each<[string, FlowId]>([
    ['no puedo subir mi firma al SII', 'sii.centralize-certificate'],
    ['Necesito centralisar el certificado', 'sii.centralize-certificate'],
    ['my cryptographic key expired', 'atv.generate-key'],
    ['revocar llave', 'atv.revoke-key'],
    ['quiero rebocar la llave de hacienda', 'atv.revoke-key'],
    ['se me venció la llave criptográfica', 'atv.generate-key'],
    ['olvidé el PIN de la llave', 'atv.generate-key'],
    ['no me llega el código provisorio del SII', 'sii.enable-certificate-login'],
    ['how do I log in to SII with my certificate', 'sii.enable-certificate-login'],
    ['REVOKE KEY', 'atv.revoke-key'],
  ])('"%s" starts %s', async (phrase, flow) => {
    const d = driver('es');
    await d.send(phrase);
    expect(d.where().flow).toBe(flow);
    expect(d.last?.events.map((e) => e.name)).toContain('routing.result');
  });

  it('asks which procedure when only the country is clear', async () => {
    const d = driver('es');
    await d.send('tengo un problema con hacienda');
    expect(d.where()).toEqual({ flow: 'triage', step: 'chooseCR' });
    expect(d.options().map((o) => o.label)).toEqual([
      'Revocar mi llave criptográfica de Hacienda (Costa Rica)',
      'Generar una llave criptográfica nueva en Hacienda (Costa Rica)',
    ]);
    // A typed answer that names one of the two procedures starts it.
    await d.send('generar');
    expect(d.where().flow).toBe('atv.generate-key');
  });

  it('takes part of a button label typed by hand, but not a word two buttons share', async () => {
    const d = driver('es');
    await d.send('revocar llave');
    expect(d.where()).toEqual({ flow: 'atv.revoke-key', step: 'portal' });
    await d.send('atv clasico');
    expect(d.where().step).toBe('login');
    await d.send('no');
    expect(d.where().step).toBe('loginTrouble');
    const e = driver('es');
    await e.send('revocar llave');
    // «TRIBU-CR (Tico Factura)» and «ATV clásico (Comprobantes Electrónicos)» share no word with this.
    await e.send('factura electrónica');
    expect(e.where().step).toBe('portal');
  });

  it('greets a first message that names no procedure, rather than saying it did not understand', async () => {
    const d = driver('en');
    await d.send('hello there');
    expect(d.where()).toEqual({ flow: 'triage', step: 'greeting' });
    expect(d.said.map((m) => m.text).join('\n')).toMatch(/Hi! I'm Llavero/);
    expect(d.said.map((m) => m.text).join('\n')).not.toMatch(/not sure I understood/i);
    expect(d.last?.events.find((e) => e.name === 'routing.result')?.data).toMatchObject({ result: 'none' });
  });

  it('asks back when it does not understand, and still offers the menu', async () => {
    const d = driver('en');
    await d.send('hello there');
    await d.send('what is this');
    expect(d.where()).toEqual({ flow: 'triage', step: 'notUnderstood' });
    expect(d.options()).toHaveLength(5);
    await d.press('Something else');
    await d.press('Chile');
    expect(d.where()).toEqual({ flow: 'triage', step: 'chooseCL' });
  });
});

describe('a whole procedure, typed as a customer would', () => {
  it('revokes a Hacienda key in Spanish, chains to generating, and can stop there with a rating', async () => {
    const d = driver('es');
    await d.send('revocar llave');
    expect(d.where()).toEqual({ flow: 'atv.revoke-key', step: 'portal' });
    await d.press('ATV clásico');
    await d.send('sí');
    expect(d.where().step).toBe('menu');
    await d.send('listo');
    await d.send('sí, funcionó');
    expect(d.where().step).toBe('revoked');
    await d.send('no');
    expect(d.where()).toEqual({ flow: 'wrap-up', step: 'solved' });
    await d.send('si');
    await d.send('5');
    expect(d.state?.status).toBe('ended');
    expect(d.said.at(-1)?.type).toBe('end');
    expect(d.last?.events.find((e) => e.name === 'csat.rated')?.data).toEqual({ rating: 5, solved: true });
  });

  it('walks the revoke procedure in English with buttons and offers the new key at the end', async () => {
    const d = driver('en');
    await d.send({ type: 'command', command: 'start' });
    await d.press('Revoke');
    await d.press('Classic ATV');
    await d.press('Yes, it worked');
    await d.press('Yes, it worked');
    await d.press('Yes, it worked');
    expect(d.said[0]?.text).toMatch(/previous key is revoked/);
    await d.press('Yes');
    expect(d.where().flow).toBe('atv.generate-key');
  });
});

describe('conversation commands', () => {
  it('help says the step again in more detail, without moving', async () => {
    const d = driver('es');
    await d.send('revocar llave');
    await d.press('ATV clásico');
    await d.press('Sí, funcionó');
    const before = d.state;
    await d.send('ayuda');
    expect(d.said[0]?.key).toBe('atv:revoke.menu.help');
    expect(d.state?.flow).toEqual(before?.flow);
  });

  it('back returns to the previous step, across flows too', async () => {
    const d = driver('es');
    await d.send('revocar llave');
    await d.press('ATV clásico');
    expect(d.where().step).toBe('login');
    await d.send('atrás');
    expect(d.where().step).toBe('portal');
    await d.send('atrás');
    expect(d.where()).toEqual({ flow: 'triage', step: 'greeting' });
    await d.send('volver');
    expect(d.keys()).toContain('common:back.at-start');
  });

  it('"menú" starts over from the greeting', async () => {
    const d = driver('es');
    await d.send('revocar llave');
    await d.send('menú');
    expect(d.where()).toEqual({ flow: 'triage', step: 'greeting' });
  });

  it('"talk to a person" queues the conversation once, and the customer can go back to the bot where they were', async () => {
    const d = driver('en');
    await d.send('revoke my key');
    await d.send('I want to talk to a person');
    expect(d.said[0]).toMatchObject({ type: 'handoff', reason: 'asked' });
    expect(d.state?.handoff?.reason).toBe('asked');
    expect(d.last?.events.map((e) => e.name)).toContain('handoff.requested');
    expect(d.where().step).toBe('portal');
    await d.send('talk to a human');
    expect(d.said[0]?.key).toBe('common:handoff.queued-unknown');
    expect(d.last?.events.map((e) => e.name)).not.toContain('handoff.requested');
    // Back to the bot, at the step they were on.
    await d.send('back to the assistant');
    expect(d.state?.handoff).toBeUndefined();
    expect(d.last?.events.map((e) => e.name)).toContain('handoff.cancelled');
    expect(d.where().step).toBe('portal');
    expect(d.keys()).toEqual(['common:handoff.cancelled', 'atv:revoke.portal.prompt']);
    expect(d.said.at(-1)?.text).toMatch(/revoke/i);
  });

  it('a step that fails twice brings in a person', async () => {
    const d = driver('es');
    await d.send('revocar llave');
    await d.press('ATV clásico');
    await d.press('No funcionó');
    await d.press('Lo intento');
    expect(d.state?.handoff).toBeUndefined();
    await d.press('Veo un error');
    expect(d.said.find((m) => m.type === 'handoff')).toMatchObject({ reason: 'step-failed-twice' });
  });

  it('switches language mid-conversation and keeps the step', async () => {
    const d = driver('es');
    await d.send('revocar llave');
    await d.send('english');
    expect(d.state?.locale).toBe('en');
    expect(d.where().step).toBe('portal');
    expect(d.said.at(-1)?.text).toMatch(/Let's revoke/);
    await d.send('español');
    expect(d.said.at(-1)?.text).toMatch(/Vamos a revocar/);
  });
});

describe('bad input: a helpful answer and no state change', () => {
  async function atRevokeLogin() {
    const d = driver('es');
    await d.send('revocar llave');
    await d.press('ATV clásico');
    return d;
  }
  const cases: Array<[string, Parameters<ReturnType<typeof driver>['send']>[0], string]> = [
    ['empty text', '   ', 'common:input.empty'],
    ['10,000 characters', 'a'.repeat(10_000), 'common:input.too-long'],
    ['emoji only', '🙂🔑🙏', 'common:input.no-words'],
    ['an unknown choice id', { type: 'choice', id: 'launch-rockets' }, 'common:input.unknown-choice'],
    ['a file where an answer was expected', { type: 'file', name: 'x.p12', bytes: new Uint8Array([1, 2]) }, 'common:input.unexpected-file'],
    ['a secret where none was asked', { type: 'secret', text: '1234' }, 'common:input.unexpected-secret'],
    ['gibberish', 'asdf qwer', 'common:input.not-understood'],
  ];
  it.each(cases)('%s', async (_name, input, key) => {
    const d = await atRevokeLogin();
    const before = structuredClone(d.state);
    await d.send(input);
    expect(d.said[0]?.key).toBe(key);
    expect(d.said.at(-1)?.key).toBe('atv:revoke.login.prompt');
    expect(d.last?.changed).toBe(false);
    expect(d.state).toEqual(before);
  });

  it('a button from an earlier step is refused and the current step shown again', async () => {
    const d = driver('es');
    await d.send('revocar llave');
    const stale = d.options().find((o) => o.label.startsWith('ATV'))?.id as string;
    await d.send({ type: 'choice', id: stale });
    const before = structuredClone(d.state);
    await d.send({ type: 'choice', id: stale });
    expect(d.said[0]?.key).toBe('common:input.stale-choice');
    expect(d.state).toEqual(before);
  });

  it('after the conversation ended, says so and changes nothing; "menú" starts again', async () => {
    const d = await endedConversation();
    expect(d.state?.status).toBe('ended');
    const before = structuredClone(d.state);
    await d.send('hola?');
    expect(d.keys()).toEqual(['common:end.already']);
    expect(d.state).toEqual(before);
    await d.send('menú');
    expect(d.where()).toEqual({ flow: 'triage', step: 'greeting' });
  });

  it('never throws: a corrupt saved state answers politely and keeps what was saved', async () => {
    const broken = { schema: 1, locale: 'es', flow: { id: 'atv.revoke-key', version: 1, value: 42 } } as unknown as ConversationState;
    const r = await bot.engine.turn(broken, { type: 'text', text: 'hola' }, { now: 0 });
    expect(r.outbound[0]).toMatchObject({ type: 'text' });
    expect(r.changed === false || r.state.flow.id === 'atv.revoke-key').toBe(true);
  });
});

describe('persistence', () => {
  it('a snapshot saved mid-flow, through JSON, carries on in a fresh engine', async () => {
    const d = driver('en');
    await d.send('revoke my key');
    await d.press('Classic ATV');
    await d.press('Yes, it worked');
    const saved = JSON.parse(JSON.stringify(d.state)) as ConversationState;
    const other = createBot();
    const r = await other.engine.turn(saved, { type: 'text', text: 'yes' }, { now: d.now + 1000 });
    expect(r.state.flow.value).toBe('confirm');
    expect(other.render(r.outbound, 'en').at(-1)?.text).toMatch(/Aceptar/);
    expect(other.engine.replay(r.state)[0]).toMatchObject({ type: 'choices', key: 'atv:revoke.confirm.prompt' });
  });

  describe('a conversation saved under an older flow version', () => {
    // Version 2 of a small flow: `b` was split into `b2.first`; `gone` was removed.
    const v2 = setup({ types: { events: {} as FlowEvent } }).createMachine({
      id: 'atv.revoke-key',
      initial: 'a',
      output: () => ({ result: 'completed' }),
      states: {
        a: { meta: { step: { prompt: 'atv:revoke.portal.prompt', expects: 'choice', choices: [{ id: 'yes', label: 'common:choice.yes' }] } }, on: { yes: 'b2' } },
        b2: {
          initial: 'first',
          states: {
            first: { meta: { step: { prompt: 'atv:revoke.login.prompt', expects: 'choice', choices: [{ id: 'yes', label: 'common:choice.yes' }] } }, on: { yes: '#done' } },
          },
        },
        done: { id: 'done', type: 'final' },
      },
    });
    const flows = { ...FLOWS, 'atv.revoke-key': { ...FLOWS['atv.revoke-key'], version: 2, machine: v2, migrations: { 1: { b: 'b2' } } } satisfies FlowDefinition };
    const translator = bot.translator;
    const engine = createEngine({
      flows,
      lexicon: compileVocabulary(mergeVocabularies(translator.vocabularies)),
      labels: translator.labels,
    });
    const old = (value: string): ConversationState => ({
      schema: 1,
      locale: 'es',
      status: 'active',
      flow: { id: 'atv.revoke-key', version: 1, value, context: {} },
      stack: [],
      trail: [],
      secretFailures: [],
      failures: {},
      stepSince: 0,
      startedAt: 0,
      updatedAt: 0,
    });

    it('resumes at the mapped step and says the procedure changed', async () => {
      const r = await engine.turn(old('b'), { type: 'command', command: 'start' }, { now: 1 });
      expect(r.state.flow).toMatchObject({ version: 2, value: { b2: 'first' } });
      expect(r.outbound.map((o) => ('key' in o ? o.key : o.type))).toEqual([
        'common:flow.updated',
        'common:resume',
        'atv:revoke.login.prompt',
      ]);
    });

    it('a removed step with no mapping resumes at the first step, not a crash', async () => {
      const r = await engine.turn(old('gone'), { type: 'text', text: 'sí' }, { now: 1 });
      expect(r.outbound[0]).toMatchObject({ key: 'common:flow.updated' });
      expect(r.state.flow.value).toEqual({ b2: 'first' });
    });
  });
});

describe('typed answers at the SII sign-in goal', () => {
  it('understands "enable certificate login" and "olvidé mi clave" as the two goals, in either language', async () => {
    const cases = [
      ['en', 'enable certificate login', 'centralized'],
      ['en', 'forgot my password', 'emailAccess'],
      ['es', 'ingresar con certificado', 'centralized'],
      ['es', 'olvidé mi clave', 'emailAccess'],
    ] as const;
    for (const [locale, text, step] of cases) {
      const d = driver(locale);
      await d.send(locale === 'en' ? "I can't get SII's provisional code" : 'no me llega el código provisorio del SII');
      expect(d.where()).toEqual({ flow: 'sii.enable-certificate-login', step: 'goal' });
      await d.send(text);
      expect(d.where().step).toBe(step);
    }
  });
});
