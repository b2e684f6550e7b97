// Teams rendering: what a customer sees in Microsoft Teams for each kind of message, in both languages, as valid Adaptive Cards within Teams' limits.
import { beforeAll, describe, expect, it } from 'vitest';
import { answeredCard, parseSubmit, toTeamsMessages, type AdaptiveCard, type TeamsMessage, type TeamsT } from '../../../src/adapters/teams/cards.ts';
import { inspect } from '../../../src/certs/inspect.ts';
import type { CertReport } from '../../../src/certs/report.ts';
import type { Locale, Outbound } from '../../../src/conversation/messages.ts';
import { daysFrom } from '../../certs/support.ts';
import { chileanCertificates, costaRicanSandboxReport, rendered, tr, transportT } from '../../support/reports.ts';

/** The transport's translator; a key missing from the locales fails the test instead of showing up as text. */
const teamsT: (locale: Locale) => TeamsT = transportT('teams');
const es = teamsT('es');
const en = teamsT('en');

// ---- Adaptive Cards' rules, as Teams applies them ----------------------------------------------

type Json = Record<string, unknown>;
const json = (x: unknown): Json => x as Json;

/** Teams refuses a message over about 28 KB. */
const TEAMS_MAX_BYTES = 28 * 1024;
const bytes = (x: unknown) => Buffer.byteLength(JSON.stringify(x), 'utf8');

/** The schema version each element and action we may send needs. */
const ELEMENTS: Record<string, number> = { TextBlock: 1.0, RichTextBlock: 1.2, FactSet: 1.0, Container: 1.0, ColumnSet: 1.0, Image: 1.0, ActionSet: 1.2, 'Input.Text': 1.0 };
const ACTIONS: Record<string, number> = { 'Action.Submit': 1.0, 'Action.OpenUrl': 1.0 };

const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Known element and action types for the card's version, non-empty text, Action.Submit with a title and object data, unique ids, within Teams' size. */
function assertValidCard(card: AdaptiveCard): void {
  expect(card.type).toBe('AdaptiveCard');
  expect(card.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
  expect(['1.4', '1.5'], 'Teams renders up to 1.5').toContain(card.version);
  const version = Number(card.version);
  expect(bytes(card), 'card size').toBeLessThan(TEAMS_MAX_BYTES);
  const ids = new Set<string>();
  const id = (x: Json, where: string) => {
    if (x.id === undefined) return;
    expect(typeof x.id, `${where}: id`).toBe('string');
    expect(ids.has(x.id as string), `${where}: duplicate id ${String(x.id)}`).toBe(false);
    ids.add(x.id as string);
  };
  const nonEmpty = (s: unknown, where: string) => {
    expect(typeof s, `${where}: text`).toBe('string');
    expect((s as string).trim(), `${where}: empty text`).not.toBe('');
  };
  const action = (a: unknown, where: string) => {
    expect(isObject(a), where).toBe(true);
    const x = json(a);
    expect(ACTIONS[x.type as string], `${where}: unknown action ${String(x.type)}`).toBeDefined();
    expect(ACTIONS[x.type as string]!, `${where}: needs a newer schema`).toBeLessThanOrEqual(version);
    nonEmpty(x.title, `${where} title`);
    if (x.type === 'Action.Submit') expect(isObject(x.data), `${where}: data is an object`).toBe(true);
    id(x, where);
  };
  const element = (e: unknown, where: string) => {
    expect(isObject(e), where).toBe(true);
    const x = json(e);
    expect(ELEMENTS[x.type as string], `${where}: unknown element ${String(x.type)}`).toBeDefined();
    expect(ELEMENTS[x.type as string]!, `${where}: needs a newer schema`).toBeLessThanOrEqual(version);
    id(x, where);
    if (x.selectAction !== undefined) action(x.selectAction, `${where} selectAction`);
    switch (x.type) {
      case 'TextBlock':
        nonEmpty(x.text, where);
        break;
      case 'RichTextBlock': {
        const inlines = x.inlines as unknown[];
        expect(inlines.length, `${where}: inlines`).toBeGreaterThan(0);
        inlines.forEach((r, i) => {
          expect(json(r).type, `${where} inline ${i}`).toBe('TextRun');
          nonEmpty(json(r).text, `${where} inline ${i}`);
        });
        break;
      }
      case 'FactSet': {
        const facts = x.facts as Json[];
        expect(facts.length, `${where}: facts`).toBeGreaterThan(0);
        facts.forEach((f, i) => {
          nonEmpty(f.title, `${where} fact ${i} title`);
          nonEmpty(f.value, `${where} fact ${i} value`);
        });
        break;
      }
      case 'ActionSet': {
        const actions = x.actions as unknown[];
        expect(actions.length, `${where}: actions`).toBeGreaterThan(0);
        expect(actions.length, `${where}: Teams shows at most 6 actions in a row`).toBeLessThanOrEqual(6);
        actions.forEach((a, i) => action(a, `${where} action ${i}`));
        break;
      }
      case 'Input.Text':
        expect(typeof x.id, `${where}: inputs need an id`).toBe('string');
        nonEmpty(x.label, `${where} label`);
        if (x.style === 'password') expect(version, `${where}: masking is Adaptive Cards 1.5`).toBeGreaterThanOrEqual(1.5);
        if (x.isRequired === true) nonEmpty(x.errorMessage, `${where} errorMessage`);
        break;
      case 'Container':
        (x.items as unknown[]).forEach((c, i) => element(c, `${where} item ${i}`));
        break;
      case 'ColumnSet':
        (x.columns as Json[]).forEach((col, i) => ((col.items as unknown[] | undefined) ?? []).forEach((c, j) => element(c, `${where} column ${i} item ${j}`)));
        break;
    }
  };
  expect(Array.isArray(card.body)).toBe(true);
  expect(card.body.length + (card.actions?.length ?? 0), 'an empty card').toBeGreaterThan(0);
  card.body.forEach((e, i) => element(e, `body ${i}`));
  (card.actions ?? []).forEach((a, i) => action(a, `action ${i}`));
  expect(card.actions?.length ?? 0, 'Teams shows at most 6 actions in a row').toBeLessThanOrEqual(6);
}

function assertValidMessages(messages: readonly TeamsMessage[]): void {
  expect(messages.length).toBeGreaterThan(0);
  for (const m of messages) {
    expect(m.type).toBe('message');
    expect(bytes(m), 'message size').toBeLessThan(TEAMS_MAX_BYTES);
    if (m.attachments === undefined) {
      expect(m.textFormat, 'our text is never markdown').toBe('plain');
      expect(m.text?.trim(), 'a text message without text').toBeTruthy();
      continue;
    }
    expect(m.text, 'a card needs no text above it').toBeUndefined();
    expect(m.summary?.trim(), 'notifications say what the card is').toBeTruthy();
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    assertValidCard(m.attachments[0]!.content);
  }
}

const teams = (items: Outbound[], locale: Locale = 'es'): TeamsMessage[] => {
  const out = toTeamsMessages(
    items.map((o) => rendered(o, locale)),
    teamsT(locale),
  );
  assertValidMessages(out);
  return out;
};

const cardOf = (m: TeamsMessage | undefined): AdaptiveCard => {
  const card = m?.attachments?.[0]?.content;
  expect(card, 'a card').toBeDefined();
  return card!;
};
/** Every element of a card, depth first, in reading order. */
const elementsOf = (card: AdaptiveCard): Json[] => {
  const walk = (e: unknown): Json[] => {
    const x = json(e);
    const inner = [...((x.items as unknown[] | undefined) ?? []), ...((x.columns as Json[] | undefined) ?? []).flatMap((c) => (c.items as unknown[] | undefined) ?? [])];
    return [x, ...inner.flatMap(walk)];
  };
  return card.body.flatMap(walk);
};
/** The text of every paragraph, in reading order. */
const textsOf = (card: AdaptiveCard): string[] =>
  elementsOf(card).flatMap((x) => {
    if (x.type === 'TextBlock') return [x.text as string];
    if (x.type === 'RichTextBlock') return [(x.inlines as Json[]).map((r) => r.text as string).join('')];
    return [];
  });
/** Every button, in the order they are shown: rows in the body, then the card's own actions. */
const buttonsOf = (card: AdaptiveCard): Json[] => [
  ...elementsOf(card).flatMap((x) => (x.type === 'ActionSet' ? (x.actions as Json[]) : [])),
  ...((card.actions as Json[] | undefined) ?? []),
];
const factsOf = (card: AdaptiveCard): Array<[string, string]> =>
  elementsOf(card)
    .filter((x) => x.type === 'FactSet')
    .flatMap((x) => (x.facts as Json[]).map((f): [string, string] => [f.title as string, f.value as string]));
const byId = (card: AdaptiveCard, id: string): Json | undefined => elementsOf(card).find((x) => x.id === id);

// ---- choices ------------------------------------------------------------------------------------

describe('choices', () => {
  const failed = {
    type: 'choices',
    key: 'verify:failed.prompt_expired',
    options: [
      { id: 'verify-certificate/failed/another-file', label: 'verify:choice.another-file' },
      { id: 'verify-certificate/failed/continue-anyway', label: 'verify:choice.continue-anyway' },
      { id: 'person', label: 'common:choice.person' },
    ],
  } satisfies Outbound;

  it('shows the prompt and one button per option, in order, carrying the option id and its label', () => {
    const [m, ...rest] = teams([failed]);
    expect(rest).toEqual([]);
    const card = cardOf(m);
    const prompt = tr('verify:failed.prompt_expired', 'es');
    expect(textsOf(card)).toEqual([prompt]);
    const labels = failed.options.map((o) => tr(o.label, 'es'));
    const buttons = buttonsOf(card);
    expect(buttons.map((b) => b.type)).toEqual(['Action.Submit', 'Action.Submit', 'Action.Submit']);
    expect(buttons.map((b) => b.title)).toEqual(labels);
    expect(buttons.map((b) => b.data)).toEqual(failed.options.map((o, i) => ({ llavero: 'choice', id: o.id, label: labels[i] })));
    expect(buttons[2]).toMatchObject({ title: 'Hablar con una persona' });
    // The notification alone says what is asked.
    expect(m!.summary).toContain(prompt.slice(0, 40));
  });

  it('a few short options are one row of buttons; long titles get a row each so Teams does not cut them', () => {
    const [yesNo] = teams([
      {
        type: 'choices',
        key: 'common:input.or-choose',
        options: [
          { id: 'yes', label: 'common:choice.yes' },
          { id: 'no', label: 'common:choice.no' },
        ],
      },
    ]);
    const row = cardOf(yesNo);
    expect(row.actions?.map((a) => json(json(a).data).id)).toEqual(['yes', 'no']);
    expect(row.body.some((e) => json(e).type === 'ActionSet')).toBe(false);

    const stacked = cardOf(teams([failed])[0]);
    expect(stacked.actions).toBeUndefined();
    const sets = stacked.body.filter((e) => json(e).type === 'ActionSet').map((e) => (json(e).actions as unknown[]).length);
    expect(sets).toEqual([1, 1, 1]);
  });

  it('more than five options: one button per row, all of them, in order', () => {
    const options = Array.from({ length: 8 }, (_, i) => ({ id: `opt-${i}`, label: `${i + 1}` }));
    const [m] = toTeamsMessages([{ type: 'choices', key: 'x', text: 'Elija:', options }], es);
    assertValidMessages([m!]);
    const card = cardOf(m);
    expect(card.actions).toBeUndefined();
    expect(buttonsOf(card).map((b) => json(b.data).id)).toEqual(options.map((o) => o.id));
    expect(textsOf(card)).toEqual(['Elija:']);
  });

  it('never goes over Teams message size: a huge list goes on in the next card, nothing lost', () => {
    const options = Array.from({ length: 1500 }, (_, i) => ({ id: `procedure/option-${i}`, label: `Opción número ${i + 1}` }));
    const out = toTeamsMessages([{ type: 'choices', key: 'x', text: 'Elija:', options }], es);
    assertValidMessages(out);
    expect(out.length).toBeGreaterThan(1);
    expect(out.flatMap((m) => buttonsOf(cardOf(m)).map((b) => json(b.data).id))).toEqual(options.map((o) => o.id));
    expect(textsOf(cardOf(out[0]))).toEqual(['Elija:']);
  });

  it('cuts very long titles, keeps the label for the answer, and leaves out ids it could not take back', () => {
    const long = 'Generar una llave criptográfica de producción nueva en el portal de Hacienda (ATV) para facturar electrónicamente sin problemas';
    const [m] = toTeamsMessages(
      [
        {
          type: 'choices',
          key: 'x',
          text: '¿Qué hacemos?',
          options: [
            { id: 'long', label: long },
            { id: '', label: 'Sin id' },
            { id: 'x'.repeat(301), label: 'Id enorme' },
            { id: 'short', label: '  ' },
          ],
        },
      ],
      es,
    );
    assertValidMessages([m!]);
    const buttons = buttonsOf(cardOf(m));
    expect(buttons.map((b) => json(b.data).id)).toEqual(['long', 'short']);
    const title = buttons[0]!.title as string;
    expect(title.length).toBeLessThanOrEqual(100);
    expect(title.endsWith('…')).toBe(true);
    expect(long.startsWith(title.slice(0, -1))).toBe(true);
    expect(json(buttons[0]!.data).label).toBe(long);
    // A blank label shows the id rather than an empty button.
    expect(buttons[1]!.title).toBe('short');
  });
});

// ---- parseSubmit --------------------------------------------------------------------------------

describe('parseSubmit()', () => {
  it('takes back what a pressed button sends, and the PIN', () => {
    const [m] = teams([
      {
        type: 'choices',
        key: 'common:input.or-choose',
        options: [
          { id: 'verify-certificate/failed/another-file', label: 'verify:choice.another-file' },
          { id: 'person', label: 'common:choice.person' },
        ],
      },
    ]);
    // Teams sends the Action.Submit data back as activity.value, through JSON.
    const values = buttonsOf(cardOf(m)).map((b) => JSON.parse(JSON.stringify(b.data)) as unknown);
    expect(values.map(parseSubmit)).toEqual([
      { kind: 'choice', id: 'verify-certificate/failed/another-file', label: tr('verify:choice.another-file', 'es') },
      { kind: 'choice', id: 'person', label: 'Hablar con una persona' },
    ]);

    const [pin] = teams([{ type: 'request-secret', key: 'verify:askSecret.prompt' }]);
    const submit = buttonsOf(cardOf(pin))[0]!;
    // The PIN card's submit: its data plus the input's value under the input's id.
    expect(parseSubmit({ ...json(submit.data), pin: ' 12 34 ' })).toEqual({ kind: 'secret', text: ' 12 34 ' });
    expect(parseSubmit({ llavero: 'choice', id: 'yes' })).toEqual({ kind: 'choice', id: 'yes' });
    expect(parseSubmit({ llavero: 'secret', pin: 'ñ'.repeat(1000) })).toEqual({ kind: 'secret', text: 'ñ'.repeat(1000) });

    // The PIN card's command buttons; a client that sends the field along anyway gets the command, the field dropped.
    const commands = buttonsOf(cardOf(pin)).slice(1).map((b) => JSON.parse(JSON.stringify(b.data)) as Record<string, unknown>);
    expect(commands.map(parseSubmit)).toEqual([
      { kind: 'command', command: 'handoff' },
      { kind: 'command', command: 'help' },
      { kind: 'command', command: 'back' },
    ]);
    expect(parseSubmit({ ...commands[0], pin: '1234' })).toEqual({ kind: 'command', command: 'handoff' });
  });

  it('refuses anything that is not exactly what we send', () => {
    const junk: unknown[] = [
      undefined,
      null,
      'yes',
      42,
      [],
      [{ llavero: 'choice', id: 'yes' }],
      {},
      { id: 'yes' },
      { llavero: 'CHOICE', id: 'yes' },
      { llavero: 'other', id: 'yes' },
      { llavero: 'choice' },
      { llavero: 'choice', id: '' },
      { llavero: 'choice', id: 7 },
      { llavero: 'choice', id: ['yes'] },
      { llavero: 'choice', id: 'x'.repeat(301) },
      { llavero: 'choice', id: 'yes', label: 3 },
      { llavero: 'choice', id: 'yes', label: 'x'.repeat(301) },
      { llavero: 'choice', id: 'yes', extra: 'junk' },
      { llavero: 'choice', id: 'yes', pin: '1234' },
      { llavero: 'secret' },
      { llavero: 'secret', pin: '' },
      { llavero: 'secret', pin: 1234 },
      { llavero: 'secret', pin: ['1234'] },
      { llavero: 'secret', pin: 'x'.repeat(1001) },
      { llavero: 'secret', text: '1234' },
      { llavero: 'secret', pin: '1234', id: 'yes' },
      { llavero: 'command' },
      { llavero: 'command', command: 'restart' },
      { llavero: 'command', command: 'HANDOFF' },
      { llavero: 'command', command: ['handoff'] },
      { llavero: 'command', command: 'handoff', id: 'yes' },
      new Map([['llavero', 'choice']]),
      Object.assign(Object.create({ llavero: 'choice', id: 'yes' }) as object, {}),
    ];
    for (const value of junk) expect(parseSubmit(value), JSON.stringify(value) ?? String(value)).toBeUndefined();
  });
});

// ---- certificate report -------------------------------------------------------------------------

describe('certificate report', () => {
  const PASSWORD = 'Sii-2024.firma';
  const NOW = new Date();
  let file: Buffer;
  let expiring: Buffer;
  let notBefore: string;
  let notAfter: string;

  beforeAll(() => {
    ({ file, expiring, notBefore, notAfter } = chileanCertificates(NOW, PASSWORD));
  });

  const reportCard = (report: CertReport, locale: Locale = 'es'): { m: TeamsMessage; card: AdaptiveCard } => {
    const out = teams([{ type: 'report', report }], locale);
    expect(out).toHaveLength(1);
    const card = cardOf(out[0]);
    expect(card.msteams).toEqual({ width: 'Full' });
    expect(buttonsOf(card)).toEqual([]);
    return { m: out[0]!, card };
  };

  it('a wrong PIN: ❌ header, then what failed and what to do, then how many checks passed', () => {
    const report = inspect(file, 'sii-2024.firma', { now: NOW, country: 'CL' });
    expect(report.verdict).toBe('fail');
    const { m, card } = reportCard(report);
    const [header, first, ...rest] = textsOf(card);
    expect(header).toBe(`❌ ${tr('certs:verdict.fail', 'es')}`);
    expect(byId(card, 'report.header')).toMatchObject({ inlines: [{ weight: 'bolder', size: 'medium' }] });
    expect(first).toBe(`❌ ${tr('certs:secret.incorrect-cl', 'es')}`);
    expect(rest).toEqual(['2 de 3 revisiones salieron bien.']);
    expect(byId(card, 'report.passed')).toMatchObject({ inlines: [{ isSubtle: true }] });
    // Nothing was read from the certificate, so there is nothing to show about it.
    expect(factsOf(card)).toEqual([]);
    expect(m.summary!.startsWith('❌')).toBe(true);
    expect(m.summary).toContain(tr('certs:verdict.fail', 'es'));
  });

  it('failures come before warnings; the holder, RUT and validity dates are shown', () => {
    const report = inspect(expiring, PASSWORD, { now: NOW, expectedId: '11.111.111-1' });
    expect(report.checks.find((c) => c.id === 'certificate.validity')?.status).toBe('warn');
    expect(report.checks.find((c) => c.id === 'identity.matches')?.status).toBe('fail');
    const { card } = reportCard(report);
    const problems = textsOf(card).filter((s) => s.startsWith('❌ ') || s.startsWith('⚠️ '));
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe(`❌ ${tr('certs:verdict.fail', 'es')}`);
    expect(problems[1]).toMatch(/^❌ El certificado es de 12345678-5, no de 11111111-1/);
    expect(problems[2]).toMatch(/^⚠️ El certificado vence el /);
    const facts = factsOf(card);
    expect(facts).toContainEqual(['Titular', 'Pérez & Soto Ltda.']);
    expect(facts).toContainEqual(['RUT', '12345678-5']);
    expect(facts.find(([k]) => k === 'Vigente desde')?.[1]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(facts).toContainEqual(['Vigente hasta', daysFrom(NOW, 10).toISOString().slice(0, 10)]);
  });

  it('a good certificate: ✅ header, dates as YYYY-MM-DD, every check passed, in English too', () => {
    const report = inspect(file, PASSWORD, { now: NOW });
    expect(report.verdict).toBe('ok');
    const { card } = reportCard(report, 'en');
    const passed = report.checks.filter((c) => c.status === 'pass').length;
    expect(textsOf(card)).toEqual([`✅ ${tr('certs:verdict.ok', 'en')}`, `All ${passed} checks passed.`]);
    expect(factsOf(card)).toEqual([
      ['Holder', 'Pérez & Soto Ltda.'],
      ['RUT', '12345678-5'],
      ['Valid from', notBefore],
      ['Valid until', notAfter],
    ]);
  });

  it('a Costa Rican sandbox key says which environment it is; skipped checks are not news', () => {
    const report = costaRicanSandboxReport('ANA MORA SOLANO');
    for (const [locale, environment, holder, from, passed] of [
      ['es', ['Ambiente', 'Pruebas (sandbox)'], 'Titular', 'Vigente desde', '1 de 3 revisiones salieron bien.'],
      ['en', ['Environment', 'Test (sandbox)'], 'Holder', 'Valid from', '1 of 3 checks passed.'],
    ] as const) {
      const { card } = reportCard(report, locale);
      expect(factsOf(card)).toEqual([[holder, 'ANA MORA SOLANO'], ['Cédula física', '0601230456'], [from, '2025-01-15'], expect.any(Array), environment]);
      const texts = textsOf(card);
      expect(texts.slice(1).map((s) => s.split(' ')[0])).toEqual(['❌', '⚠️', passed.split(' ')[0]]);
      expect(texts[1]).toBe(`❌ ${tr('certs:environment.staging', locale)}`);
      expect(texts.at(-1)).toBe(passed);
      expect(JSON.stringify(card)).not.toContain(tr('certs:skip.no-file-name', locale));
    }
    // An environment we could not tell is not shown at all.
    const { card } = reportCard({ ...report, environment: 'unknown' });
    expect(factsOf(card).map(([k]) => k)).not.toContain('Ambiente');
  });
});

// ---- markdown -----------------------------------------------------------------------------------

describe('customer data is shown as written, never as markdown', () => {
  it('plain texts are sent as plain text, verbatim', () => {
    const text = '**Hola** _mi_llave_2024.p12_ [clic](https://evil.example) <at>x</at>';
    const [m] = toTeamsMessages([{ type: 'text', key: 'x', text }], es);
    expect(m).toEqual({ type: 'message', textFormat: 'plain', text });
  });

  it('card paragraphs are TextRuns (never markdown); facts have their markdown characters escaped', () => {
    const report: CertReport = {
      verdict: 'warning',
      environment: 'production',
      holder: { name: 'ANA_MORA *SOLANO* [x](https://evil.example)', country: 'CR', idType: 'cpf', id: '0601230456' },
      checks: [
        { id: 'file.name', status: 'warn', code: 'file.name-mismatch', messageKey: 'certs:file.name-mismatch', params: { found: 'mi_llave_2024.p12', expected: '0601230456' } },
      ],
    };
    const [m] = teams([{ type: 'report', report }]);
    const card = cardOf(m);
    expect(elementsOf(card).some((x) => x.type === 'TextBlock')).toBe(false);
    expect(textsOf(card)[1]).toBe(`⚠️ ${tr('certs:file.name-mismatch', 'es', { found: 'mi_llave_2024.p12', expected: '0601230456' })}`);
    expect(textsOf(card)[1]).toContain('(mi_llave_2024.p12)');
    expect(factsOf(card)).toContainEqual(['Titular', 'ANA\\_MORA \\*SOLANO\\* \\[x\\](https://evil.example)']);
    expect(factsOf(card)).toContainEqual(['Ambiente', 'Producción']);
    expect(factsOf(card)).toContainEqual(['Cédula física', '0601230456']);
  });
});

// ---- the other kinds ----------------------------------------------------------------------------

describe('file, PIN, handoff, end and plain text', () => {
  it('asking for the file says how to attach it in Teams and the size limit, as plain text', () => {
    for (const [locale, attach] of [
      ['es', '«Cargar desde mi equipo»'],
      ['en', '"Upload from my computer"'],
    ] as const) {
      const [m, ...rest] = teams([{ type: 'request-file', key: 'verify:askFile.prompt', accept: ['.p12', '.pfx'], maxBytes: 64 * 1024 }], locale);
      expect(rest).toEqual([]);
      expect(m!.attachments).toBeUndefined();
      const [prompt, how] = m!.text!.split('\n\n');
      expect(prompt).toBe(tr('verify:askFile.prompt', locale));
      expect(how).toContain('📎');
      expect(how).toContain(attach);
      expect(how).toContain('.p12 / .pfx');
      expect(how).toContain('64 KB');
    }
  });

  it('asking for the PIN shows a masked, required field and a Check button, and says it is hidden and not kept', () => {
    for (const [locale, check, hidden] of [
      ['es', 'Revisar', 'queda oculto'],
      ['en', 'Check', 'stays hidden'],
    ] as const) {
      const [m] = teams([{ type: 'request-secret', key: 'verify:wrongSecret.prompt', params: { attemptsLeft: 3 } }], locale);
      const card = cardOf(m);
      expect(card.version).toBe('1.5');
      const prompt = tr('verify:wrongSecret.prompt', locale, { attemptsLeft: 3 });
      expect(textsOf(card)[0]).toBe(prompt);
      expect(m!.summary).toBe(prompt);
      const inputs = elementsOf(card).filter((x) => String(x.type).startsWith('Input.'));
      expect(inputs).toEqual([
        {
          type: 'Input.Text',
          id: 'pin',
          style: 'password',
          label: teamsT(locale)('secret.label'),
          isRequired: true,
          errorMessage: teamsT(locale)('secret.required'),
          maxLength: 1000,
        },
      ]);
      const [button, ...others] = buttonsOf(card);
      expect(button).toMatchObject({ type: 'Action.Submit', title: check, data: { llavero: 'secret' } });
      // Beside "Check", the ways out: they send the command, never the field (not even when it holds a half-typed PIN).
      expect(others.map((b) => [b.title, b.associatedInputs, b.data])).toEqual(
        (['handoff', 'help', 'back'] as const).map((command) => [teamsT(locale)(`secret.commands.${command}`), 'none', { llavero: 'command', command }]),
      );
      const note = byId(card, 'secret.note');
      expect(note).toMatchObject({ inlines: [{ isSubtle: true }] });
      expect(textsOf(card).at(-1)).toContain(hidden);
    }
  });

  it('consecutive texts share a message; handoff gets 🙋; end is plain text; order is kept', () => {
    const out = teams([
      { type: 'text', key: 'common:back.done' },
      { type: 'text', key: 'common:resume' },
      { type: 'choices', key: 'common:input.or-choose', options: [{ id: 'yes', label: 'common:choice.yes' }] },
      { type: 'handoff', key: 'common:handoff.requested.asked', reason: 'asked' },
      { type: 'end', key: 'common:end.goodbye' },
    ]);
    expect(out).toHaveLength(4);
    expect(out[0]).toEqual({ type: 'message', textFormat: 'plain', text: `${tr('common:back.done', 'es')}\n\n${tr('common:resume', 'es')}` });
    expect(buttonsOf(cardOf(out[1])).map((b) => json(b.data).id)).toEqual(['yes']);
    expect(out[1]!.summary).toBe(`${tr('common:input.or-choose', 'es')} Sí`);
    expect(out[2]).toEqual({ type: 'message', textFormat: 'plain', text: `🙋 ${tr('common:handoff.requested.asked', 'es')}` });
    expect(out[3]).toEqual({ type: 'message', textFormat: 'plain', text: tr('common:end.goodbye', 'es') });
  });

  it('a text too long for one Teams message is cut, and many texts are split, under the size limit', () => {
    const [one] = toTeamsMessages([{ type: 'text', key: 'x', text: 'ñ'.repeat(20_000) }], es);
    assertValidMessages([one!]);
    expect(one!.text!.endsWith('…')).toBe(true);
    const many = toTeamsMessages(
      Array.from({ length: 10 }, (_, i) => ({ type: 'text' as const, key: 'x', text: `${i}`.repeat(5000) })),
      es,
    );
    assertValidMessages(many);
    expect(many.length).toBeGreaterThan(1);
    expect(many.map((m) => m.text).join('\n\n')).toBe(Array.from({ length: 10 }, (_, i) => `${i}`.repeat(5000)).join('\n\n'));
  });

  it('both languages say the same things in different words', () => {
    const turn: Outbound[] = [
      { type: 'text', key: 'verify:offer.prompt' },
      { type: 'choices', key: 'common:input.or-choose', options: [{ id: 'skip', label: 'verify:choice.skip' }] },
      { type: 'request-file', key: 'verify:askFile.prompt', accept: ['.p12', '.pfx'], maxBytes: 64 * 1024 },
      { type: 'request-secret', key: 'verify:askSecret.prompt' },
      { type: 'handoff', key: 'common:handoff.requested.step-failed-twice', reason: 'step-failed-twice' },
      { type: 'end', key: 'common:end.goodbye' },
    ];
    const a = teams(turn, 'es');
    const b = teams(turn, 'en');
    const shape = (ms: TeamsMessage[]) => ms.map((m) => (m.attachments ? elementsOf(cardOf(m)).map((x) => x.type) : 'text'));
    expect(shape(a)).toEqual(shape(b));
    a.forEach((m, i) => expect(JSON.stringify(m)).not.toBe(JSON.stringify(b[i])));
    expect(buttonsOf(cardOf(a[1])).map((x) => json(x.data).id)).toEqual(buttonsOf(cardOf(b[1])).map((x) => json(x.data).id));
  });
});

// ---- answered cards -----------------------------------------------------------------------------

describe('answeredCard()', () => {
  it('removes every button and says what was chosen; the rest of the card is untouched', () => {
    const options = Array.from({ length: 8 }, (_, i) => ({ id: `o${i}`, label: `Opción ${i}` }));
    const [m] = toTeamsMessages([{ type: 'choices', key: 'x', text: '¿Qué desea hacer?', options }], es);
    const card = cardOf(m);
    const after = answeredCard(card, 'Opción 3', es);
    assertValidCard(after);
    expect(buttonsOf(after)).toEqual([]);
    expect(textsOf(after)).toEqual(['¿Qué desea hacer?', '✓ Opción 3']);
    expect(after.body.slice(0, -1)).toEqual(card.body.filter((e) => json(e).type !== 'ActionSet'));
    expect({ ...after, body: [] }).toEqual({ ...card, body: [], actions: undefined });
    // The card it was given is left as it was.
    expect(buttonsOf(card)).toHaveLength(8);

    const [row] = teams([{ type: 'choices', key: 'common:input.or-choose', options: [{ id: 'yes', label: 'common:choice.yes' }] }], 'en');
    const rowAfter = answeredCard(cardOf(row), 'Yes', en);
    expect(rowAfter.actions).toBeUndefined();
    expect(textsOf(rowAfter).at(-1)).toBe('✓ Yes');
  });

  it('the PIN card keeps no field; pressing twice leaves one line; the label is shown as written', () => {
    const [m] = teams([{ type: 'request-secret', key: 'verify:askSecret.prompt' }]);
    const once = answeredCard(cardOf(m), 'Tom & *Jerry*', es);
    const twice = answeredCard(once, 'Tom & *Jerry*', es);
    assertValidCard(twice);
    expect(elementsOf(twice).some((x) => String(x.type).startsWith('Input.'))).toBe(false);
    expect(buttonsOf(twice)).toEqual([]);
    expect(textsOf(twice).filter((s) => s.startsWith('✓'))).toEqual(['✓ Tom & *Jerry*']);
    // The note about the hidden PIN stays; only the field and the button went.
    expect(textsOf(twice)).toContain(es('secret.private'));
    expect(twice.version).toBe('1.5');
  });

  it('also disarms buttons inside containers and clickable elements', () => {
    const card: AdaptiveCard = {
      type: 'AdaptiveCard',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      version: '1.4',
      body: [
        {
          type: 'Container',
          id: 'box',
          selectAction: { type: 'Action.Submit', title: 'Box', data: { llavero: 'choice', id: 'box' } },
          items: [
            { type: 'TextBlock', text: 'Inside', wrap: true },
            { type: 'ActionSet', actions: [{ type: 'Action.Submit', title: 'A', data: { llavero: 'choice', id: 'a' } }] },
          ],
        },
        { type: 'ColumnSet', columns: [{ type: 'Column', items: [{ type: 'Input.Text', id: 'note', label: 'Note' }] }] },
      ],
      actions: [{ type: 'Action.Submit', title: 'B', data: { llavero: 'choice', id: 'b' } }],
    };
    const after = answeredCard(card, 'A', en);
    assertValidCard(after);
    expect(JSON.stringify(after)).not.toContain('Action.Submit');
    expect(JSON.stringify(after)).not.toContain('Input.Text');
    expect(textsOf(after)).toEqual(['Inside', '✓ A']);
  });
});
