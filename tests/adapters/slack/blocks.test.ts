// Slack rendering: what a customer sees in Slack for each kind of message, in both languages, within Block Kit's limits.
import type { AnyBlock } from '@slack/types';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTION, PIN_COMMANDS, PIN_INPUT, VIEW, answered, commandSentModal, escapeMrkdwn, pinModal, toSlackMessages, type SlackMessage, type SlackT } from '../../../src/adapters/slack/blocks.ts';
import { inspect } from '../../../src/certs/inspect.ts';
import type { CertReport } from '../../../src/certs/report.ts';
import type { Locale, Outbound } from '../../../src/conversation/messages.ts';
import type { Rendered } from '../../../src/conversation/render.ts';
import { daysFrom } from '../../certs/support.ts';
import { chileanCertificates, costaRicanSandboxReport, rendered, tr, transportT } from '../../support/reports.ts';

/** The transport's translator; a key missing from the locales fails the test instead of showing up as text. */
const slackT: (locale: Locale) => SlackT = transportT('slack');
const es = slackT('es');
const en = slackT('en');

// ---- Slack's basic constraints ----------------------------------------------------------------

type Json = Record<string, unknown>;
const KNOWN_BLOCKS = new Set(['section', 'actions', 'context', 'header', 'input', 'divider']);

function textObject(o: unknown, max: number, where: string): string {
  const x = o as Json;
  expect(['mrkdwn', 'plain_text'], `${where}: text type`).toContain(x.type);
  expect(typeof x.text, `${where}: text`).toBe('string');
  const text = x.text as string;
  expect(text.length, `${where}: empty text`).toBeGreaterThan(0);
  expect(text.length, `${where}: text longer than ${max}`).toBeLessThanOrEqual(max);
  if (x.type === 'mrkdwn') {
    // We never send links or mentions: every control character must be escaped.
    expect(text, `${where}: unescaped < or >`).not.toMatch(/[<>]/);
    expect(text.replace(/&(?:amp|lt|gt);/g, ''), `${where}: unescaped &`).not.toContain('&');
  }
  return text;
}

/** Block Kit's rules for what we build: known types, text lengths, unique block_ids and action_ids, element counts. */
function assertValidBlocks(blocks: readonly AnyBlock[], surface: 'message' | 'modal' = 'message'): void {
  expect(blocks.length, 'at least one block').toBeGreaterThan(0);
  expect(blocks.length, 'too many blocks').toBeLessThanOrEqual(surface === 'message' ? 50 : 100);
  const blockIds = new Set<string>();
  const actionIds = new Set<string>();
  const action = (id: unknown, where: string) => {
    expect(typeof id, `${where}: action_id`).toBe('string');
    expect((id as string).length).toBeLessThanOrEqual(255);
    expect(actionIds.has(id as string), `${where}: duplicate action_id ${String(id)}`).toBe(false);
    actionIds.add(id as string);
  };
  blocks.forEach((block, i) => {
    const b = block as unknown as Json;
    const where = `block ${i} (${String(b.type)})`;
    expect(KNOWN_BLOCKS.has(b.type as string), `${where}: unknown type`).toBe(true);
    if (b.block_id !== undefined) {
      expect(typeof b.block_id).toBe('string');
      expect((b.block_id as string).length).toBeLessThanOrEqual(255);
      expect(blockIds.has(b.block_id as string), `${where}: duplicate block_id ${String(b.block_id)}`).toBe(false);
      blockIds.add(b.block_id as string);
    }
    switch (b.type) {
      case 'section': {
        expect(b.text !== undefined || b.fields !== undefined, `${where}: text or fields`).toBe(true);
        if (b.text !== undefined) textObject(b.text, 3000, where);
        if (b.fields !== undefined) {
          const fields = b.fields as unknown[];
          expect(fields.length).toBeGreaterThan(0);
          expect(fields.length, `${where}: fields`).toBeLessThanOrEqual(10);
          fields.forEach((f, j) => textObject(f, 2000, `${where} field ${j}`));
        }
        break;
      }
      case 'actions': {
        const elements = b.elements as Json[];
        expect(elements.length, `${where}: empty`).toBeGreaterThan(0);
        expect(elements.length, `${where}: elements`).toBeLessThanOrEqual(25);
        elements.forEach((e, j) => {
          expect(e.type).toBe('button');
          expect((e.text as Json).type, `${where} button ${j}`).toBe('plain_text');
          textObject(e.text, 75, `${where} button ${j}`);
          if (e.value !== undefined) expect((e.value as string).length).toBeLessThanOrEqual(2000);
          if (e.style !== undefined) expect(['primary', 'danger']).toContain(e.style);
          action(e.action_id, `${where} button ${j}`);
        });
        break;
      }
      case 'context': {
        const elements = b.elements as unknown[];
        expect(elements.length).toBeGreaterThan(0);
        expect(elements.length, `${where}: elements`).toBeLessThanOrEqual(10);
        elements.forEach((e, j) => textObject(e, 3000, `${where} element ${j}`));
        break;
      }
      case 'header':
        expect((b.text as Json).type).toBe('plain_text');
        textObject(b.text, 150, where);
        break;
      case 'input': {
        expect(surface, 'input blocks belong in modals').toBe('modal');
        textObject(b.label, 2000, `${where} label`);
        if (b.hint !== undefined) textObject(b.hint, 2000, `${where} hint`);
        const el = b.element as Json;
        expect(el.type).toBe('plain_text_input');
        action(el.action_id, where);
        break;
      }
    }
  });
}

function assertValidMessages(messages: readonly SlackMessage[]): void {
  expect(messages.length).toBeGreaterThan(0);
  for (const m of messages) {
    expect(m.text.trim(), 'fallback text').not.toBe('');
    expect(m.text.length).toBeLessThanOrEqual(4000);
    expect(m.text, 'fallback is mrkdwn: escaped').not.toMatch(/[<>]/);
    assertValidBlocks(m.blocks);
  }
}

const slack = (items: Outbound[], locale: Locale = 'es'): SlackMessage[] => {
  const out = toSlackMessages(
    items.map((o) => rendered(o, locale)),
    slackT(locale),
  );
  assertValidMessages(out);
  return out;
};

const json = (x: unknown): Json => x as Json;
const buttonsOf = (blocks: readonly AnyBlock[]): Json[] => blocks.filter((b) => b.type === 'actions').flatMap((b) => json(b).elements as Json[]);
const textsOf = (blocks: readonly AnyBlock[], type: string): string[] =>
  blocks
    .filter((b) => b.type === type)
    .flatMap((b) => {
      const x = json(b);
      if (type === 'context') return (x.elements as Json[]).map((e) => e.text as string);
      return [((x.text as Json | undefined)?.text as string | undefined) ?? ''];
    });
/** What Slack shows for our escaped mrkdwn. */
const shown = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

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
    const [m, ...rest] = slack([failed]);
    expect(rest).toEqual([]);
    const prompt = tr('verify:failed.prompt_expired', 'es');
    expect(textsOf(m!.blocks, 'section')).toEqual([prompt]);
    const buttons = buttonsOf(m!.blocks);
    expect(buttons.map((b) => b.value)).toEqual(['verify-certificate/failed/another-file', 'verify-certificate/failed/continue-anyway', 'person']);
    expect(buttons.map((b) => json(b.text).text)).toEqual(failed.options.map((o) => tr(o.label, 'es')));
    expect(buttons[2]).toMatchObject({ text: { text: 'Hablar con una persona' } });
    expect(buttons.map((b) => b.action_id)).toEqual([`${ACTION.choice}:0`, `${ACTION.choice}:1`, `${ACTION.choice}:2`]);
    // The notification alone says what is asked and what can be answered.
    expect(m!.text).toContain(prompt);
    expect(m!.text).toContain('Hablar con una persona');
  });

  it('cuts labels longer than a button holds to 75 characters, ending in …', () => {
    const long = 'Generar una llave criptográfica de producción nueva en el portal de Hacienda (ATV) para facturar';
    const [m] = toSlackMessages([{ type: 'choices', key: 'x', text: '¿Qué hacemos?', options: [{ id: 'long', label: long }, { id: 'short', label: 'Sí' }] }], es);
    assertValidMessages([m!]);
    const [a, b] = buttonsOf(m!.blocks).map((x) => json(x.text).text as string);
    expect(a!.length).toBeLessThanOrEqual(75);
    expect(a!.endsWith('…')).toBe(true);
    expect(long.startsWith(a!.slice(0, -1))).toBe(true);
    expect(b).toBe('Sí');
    expect(buttonsOf(m!.blocks)[0]!.value).toBe('long');
  });

  it('splits more than 25 options across actions blocks', () => {
    const options = Array.from({ length: 60 }, (_, i) => ({ id: `opt-${i}`, label: `Opción ${i + 1}` }));
    const out = toSlackMessages([{ type: 'choices', key: 'x', text: 'Elija:', options }], es);
    assertValidMessages(out);
    expect(out).toHaveLength(1);
    const rows = out[0]!.blocks.filter((b) => b.type === 'actions').map((b) => (json(b).elements as Json[]).length);
    expect(rows).toEqual([25, 25, 10]);
    expect(buttonsOf(out[0]!.blocks).map((b) => b.value)).toEqual(options.map((o) => o.id));
  });

  it('never puts more than 50 blocks in a message: a huge list goes on in the next message, nothing lost', () => {
    const options = Array.from({ length: 1500 }, (_, i) => ({ id: `opt-${i}`, label: `Opción ${i + 1}` }));
    const out = toSlackMessages([{ type: 'choices', key: 'x', text: 'Elija:', options }], es);
    assertValidMessages(out);
    expect(out.length).toBeGreaterThan(1);
    for (const m of out) expect(m.blocks.length).toBeLessThanOrEqual(50);
    expect(out.flatMap((m) => buttonsOf(m.blocks).map((b) => b.value))).toEqual(options.map((o) => o.id));
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

  const reportMessage = (report: CertReport, locale: Locale = 'es'): SlackMessage => {
    const out = slack([{ type: 'report', report }], locale);
    expect(out).toHaveLength(1);
    return out[0]!;
  };

  it('a wrong PIN: ❌ header, then what failed and what to do, then how many checks passed', () => {
    const report = inspect(file, 'sii-2024.firma', { now: NOW, country: 'CL' });
    expect(report.verdict).toBe('fail');
    const m = reportMessage(report);
    const [header, first] = m.blocks;
    expect(header!.type).toBe('header');
    expect(json(json(header).text).text).toBe(`❌ ${tr('certs:verdict.fail', 'es')}`);
    expect(first!.type).toBe('section');
    expect(shown(json(json(first).text).text as string)).toBe(`❌ ${tr('certs:secret.incorrect-cl', 'es')}`);
    expect(textsOf(m.blocks, 'context')).toEqual(['2 de 3 revisiones salieron bien.']);
    // Nothing was read from the certificate, so there is nothing to show about it.
    expect(m.blocks.some((b) => json(b).fields !== undefined)).toBe(false);
    expect(m.text.startsWith('❌')).toBe(true);
    expect(m.text).toContain('La contraseña del certificado no es correcta');
  });

  it('failures come before warnings; the holder, RUT and validity dates are shown, escaped', () => {
    const report = inspect(expiring, PASSWORD, { now: NOW, expectedId: '11.111.111-1' });
    expect(report.checks.find((c) => c.id === 'certificate.validity')?.status).toBe('warn');
    expect(report.checks.find((c) => c.id === 'identity.matches')?.status).toBe('fail');
    const m = reportMessage(report);
    const problems = textsOf(m.blocks, 'section').filter((s) => s.startsWith('❌') || s.startsWith('⚠️'));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^❌ El certificado es de 12345678-5, no de 11111111-1/);
    expect(problems[1]).toMatch(/^⚠️ El certificado vence el /);
    expect(json(json(m.blocks[0]).text).text).toMatch(/^❌ /);

    const fields = m.blocks.flatMap((b) => (json(b).fields as Json[] | undefined) ?? []).map((f) => f.text as string);
    expect(fields).toContain('*Titular*\nPérez &amp; Soto Ltda.');
    expect(fields).toContain('*RUT*\n12345678-5');
    expect(fields.find((f) => f.startsWith('*Vigente desde*'))).toMatch(/\n\d{4}-\d{2}-\d{2}$/);
    expect(fields.find((f) => f.startsWith('*Vigente hasta*'))).toBe(`*Vigente hasta*\n${daysFrom(NOW, 10).toISOString().slice(0, 10)}`);
  });

  it('a good certificate: ✅ header, dates as YYYY-MM-DD, every check passed, in English too', () => {
    const report = inspect(file, PASSWORD, { now: NOW });
    expect(report.verdict).toBe('ok');
    const m = reportMessage(report, 'en');
    expect(json(json(m.blocks[0]).text).text).toBe(`✅ ${tr('certs:verdict.ok', 'en')}`);
    const fields = m.blocks.flatMap((b) => (json(b).fields as Json[] | undefined) ?? []).map((f) => f.text as string);
    expect(fields).toEqual(['*Holder*\nPérez &amp; Soto Ltda.', '*RUT*\n12345678-5', `*Valid from*\n${notBefore}`, `*Valid until*\n${notAfter}`]);
    const passed = report.checks.filter((c) => c.status === 'pass').length;
    expect(textsOf(m.blocks, 'context')).toEqual([`All ${passed} checks passed.`]);
    expect(m.blocks.filter((b) => b.type === 'section')).toHaveLength(1);
  });

  it('a Costa Rican sandbox key says which environment it is', () => {
    const report = costaRicanSandboxReport('ANA MORA <script> & SOLANO');
    for (const [locale, env, id] of [
      ['es', '*Ambiente*\nPruebas (sandbox)', '*Cédula física*\n0601230456'],
      ['en', '*Environment*\nTest (sandbox)', '*Cédula física*\n0601230456'],
    ] as const) {
      const m = reportMessage(report, locale);
      const fields = m.blocks.flatMap((b) => (json(b).fields as Json[] | undefined) ?? []).map((f) => f.text as string);
      expect(fields).toContain(env);
      expect(fields).toContain(id);
      expect(fields).toContain(`*${locale === 'es' ? 'Titular' : 'Holder'}*\nANA MORA &lt;script&gt; &amp; SOLANO`);
      expect(fields).toContain(locale === 'es' ? '*Vigente desde*\n2025-01-15' : '*Valid from*\n2025-01-15');
      const problems = textsOf(m.blocks, 'section').filter((s) => /^(❌|⚠️)/.test(s));
      expect(problems.map((s) => s.split(' ')[0])).toEqual(['❌', '⚠️']);
      // Skipped checks are not news for the customer.
      expect(m.blocks.map((b) => JSON.stringify(b)).join()).not.toContain(tr('certs:skip.no-file-name', locale));
    }
  });
});

// ---- the other kinds ----------------------------------------------------------------------------

describe('file, PIN, handoff, end and plain text', () => {
  it('asking for the file says how to attach it in Slack and the size limit', () => {
    const [m] = slack([{ type: 'request-file', key: 'verify:askFile.prompt', accept: ['.p12', '.pfx'], maxBytes: 64 * 1024 }]);
    expect(textsOf(m!.blocks, 'section')).toEqual([tr('verify:askFile.prompt', 'es')]);
    const [how] = textsOf(m!.blocks, 'context');
    expect(how).toContain('botón +');
    expect(how).toContain('.p12 / .pfx');
    expect(how).toContain('64 KB');
    expect(m!.text).toContain(tr('verify:askFile.prompt', 'es'));
  });

  it('asking for the PIN shows a primary button that opens the private box, the ways out beside it, and says why', () => {
    const [m] = slack([{ type: 'request-secret', key: 'verify:wrongSecret.prompt', params: { attemptsLeft: 3 } }], 'en');
    expect(textsOf(m!.blocks, 'section')[0]).toContain('You have 3 attempts left');
    const [button, ...others] = buttonsOf(m!.blocks);
    expect(button).toMatchObject({ action_id: ACTION.secret, style: 'primary', text: { type: 'plain_text', text: 'Enter PIN or password' } });
    // Pressing one of these sends the command: it never goes through the PIN box, so it can never count as a wrong PIN.
    expect(others.map((b) => [b.action_id, b.value, json(b.text).text])).toEqual([
      [`${ACTION.command}:handoff`, 'handoff', 'Talk to a person'],
      [`${ACTION.command}:help`, 'help', 'Help'],
      [`${ACTION.command}:back`, 'back', 'Back'],
    ]);
    expect(others.every((b) => b.style === undefined)).toBe(true);
    expect(textsOf(m!.blocks, 'context')[0]).toContain('never stays in the chat history');
  });

  it('the attempts left agree with their number: one attempt, several, in each language', () => {
    const prompt = (n: number, l: 'es' | 'en') => textsOf(slack([{ type: 'request-secret', key: 'verify:wrongSecret.prompt', params: { attemptsLeft: n } }], l)[0]!.blocks, 'section')[0];
    expect(prompt(1, 'es')).toMatch(/Le queda 1 intento\.$/);
    expect(prompt(3, 'es')).toMatch(/Le quedan 3 intentos\.$/);
    expect(prompt(1, 'en')).toMatch(/You have 1 attempt left\.$/);
    expect(prompt(2, 'en')).toMatch(/You have 2 attempts left\.$/);
  });

  it('handoff gets 🙋; end and consecutive texts are sections; texts share a message and order is kept', () => {
    const out = slack([
      { type: 'text', key: 'common:back.done' },
      { type: 'text', key: 'common:resume' },
      { type: 'choices', key: 'common:input.or-choose', options: [{ id: 'yes', label: 'common:choice.yes' }] },
      { type: 'handoff', key: 'common:handoff.requested.asked', reason: 'asked' },
      { type: 'end', key: 'common:end.goodbye' },
    ]);
    expect(out).toHaveLength(4);
    expect(textsOf(out[0]!.blocks, 'section')).toEqual([tr('common:back.done', 'es'), tr('common:resume', 'es')]);
    expect(out[0]!.text).toContain(tr('common:back.done', 'es'));
    expect(out[0]!.text).toContain(tr('common:resume', 'es'));
    expect(buttonsOf(out[1]!.blocks).map((b) => b.value)).toEqual(['yes']);
    expect(out[1]!.text).toBe(`${tr('common:input.or-choose', 'es')} Sí`);
    expect(textsOf(out[2]!.blocks, 'section')).toEqual([`🙋 ${tr('common:handoff.requested.asked', 'es')}`]);
    expect(out[2]!.text.startsWith('🙋')).toBe(true);
    expect(textsOf(out[3]!.blocks, 'section')).toEqual([shown(tr('common:end.goodbye', 'es'))]);
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
    const a = slack(turn, 'es');
    const b = slack(turn, 'en');
    expect(a.map((m) => m.blocks.map((x) => x.type))).toEqual(b.map((m) => m.blocks.map((x) => x.type)));
    a.forEach((m, i) => {
      expect(m.text).not.toBe(b[i]!.text);
      expect(JSON.stringify(m.blocks)).not.toBe(JSON.stringify(b[i]!.blocks));
    });
    expect(buttonsOf(a[1]!.blocks)[0]!.value).toBe(buttonsOf(b[1]!.blocks)[0]!.value);
  });
});

// ---- escaping -----------------------------------------------------------------------------------

describe('escaping', () => {
  it('escapes &, < and > and nothing else', () => {
    expect(escapeMrkdwn('<script>alert("hi")</script> & <!channel> *bold*')).toBe('&lt;script&gt;alert("hi")&lt;/script&gt; &amp; &lt;!channel&gt; *bold*');
  });

  it('does not escape twice what is already escaped', () => {
    expect(escapeMrkdwn('A &amp; B &lt;x&gt; &copy;')).toBe('A &amp; B &lt;x&gt; &amp;copy;');
    expect(escapeMrkdwn(escapeMrkdwn('Tom & <Jerry>'))).toBe(escapeMrkdwn('Tom & <Jerry>'));
  });

  it('text and labels with markup reach Slack as text, never as links or mentions', () => {
    const out = toSlackMessages(
      [
        { type: 'text', key: 'x', text: '<script>alert(1)</script> & <@U123>' },
        { type: 'choices', key: 'y', text: 'Pick <one>', options: [{ id: 'a&b', label: 'A & <B>' }] },
      ],
      es,
    );
    assertValidMessages(out);
    expect(textsOf(out[0]!.blocks, 'section')).toEqual(['&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;@U123&gt;']);
    expect(out[0]!.text).toBe('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;@U123&gt;');
    expect(textsOf(out[1]!.blocks, 'section')).toEqual(['Pick &lt;one&gt;']);
    // Buttons are plain_text: shown as written, the id goes back untouched.
    expect(buttonsOf(out[1]!.blocks)[0]).toMatchObject({ value: 'a&b', text: { type: 'plain_text', text: 'A & <B>' } });
  });

  it('a long text is cut to the 3000 characters a section holds without breaking an escape', () => {
    const [m] = toSlackMessages([{ type: 'text', key: 'x', text: '&'.repeat(2000) }], es);
    assertValidMessages([m!]);
    const text = textsOf(m!.blocks, 'section')[0]!;
    expect(text.endsWith('&amp;…')).toBe(true);
  });
});

// ---- answered buttons and the PIN modal ---------------------------------------------------------

describe('answered()', () => {
  it('removes every button and says what was chosen; the rest of the message is untouched', () => {
    const options = Array.from({ length: 30 }, (_, i) => ({ id: `o${i}`, label: `Opción ${i}` }));
    const [m] = toSlackMessages([{ type: 'choices', key: 'x', text: '¿Qué desea hacer?', options }], es);
    const after = answered(m!.blocks, 'Opción 3', es);
    assertValidBlocks(after);
    expect(after.some((b) => b.type === 'actions')).toBe(false);
    expect(after.slice(0, -1)).toEqual(m!.blocks.filter((b) => b.type !== 'actions'));
    expect(textsOf(after, 'context')).toEqual(['✓ Opción 3']);
  });

  it('escapes the label, once, and pressing twice leaves one line', () => {
    const [m] = slack([{ type: 'request-secret', key: 'verify:askSecret.prompt' }]);
    const once = answered(m!.blocks, 'Tom & <Jerry>', en);
    const twice = answered(once, 'Tom &amp; &lt;Jerry&gt;', en);
    assertValidBlocks(twice);
    expect(textsOf(twice, 'context').filter((s) => s.startsWith('✓'))).toEqual(['✓ Tom &amp; &lt;Jerry&gt;']);
    expect(twice.filter((b) => b.block_id === 'answered')).toHaveLength(1);
    // The note about the private box stays; only the button went.
    expect(textsOf(twice, 'context')[0]).toBe(es('secret.private'));
  });
});

describe('pinModal()', () => {
  it('asks for the PIN in a modal our listener recognizes, in each language', () => {
    for (const [t, title, submit, close] of [
      [es, 'PIN o contraseña', 'Revisar', 'Cancelar'],
      [en, 'PIN or password', 'Check', 'Cancel'],
    ] as const) {
      const view = pinModal({ prompt: 'Escriba el PIN <de 4 dígitos>', privateMetadata: '{"c":"C1","ts":"1.2"}', t });
      expect(view).toMatchObject({ type: 'modal', callback_id: VIEW.secret, private_metadata: '{"c":"C1","ts":"1.2"}' });
      expect(view.title).toEqual({ type: 'plain_text', text: title, emoji: true });
      expect(view.submit?.text).toBe(submit);
      expect(view.close?.text).toBe(close);
      for (const x of [view.title, view.submit, view.close]) expect(x!.text.length).toBeLessThanOrEqual(24);
      assertValidBlocks(view.blocks, 'modal');
      expect(textsOf(view.blocks, 'section')).toEqual(['Escriba el PIN &lt;de 4 dígitos&gt;']);
      const input = view.blocks.find((b) => b.type === 'input');
      expect(input).toMatchObject({ block_id: PIN_INPUT.block, element: { type: 'plain_text_input', action_id: PIN_INPUT.action } });
      expect(json(input).optional).toBeUndefined();
      // Under the field, the ways out, as buttons: the box itself never has to be used for them.
      const row = view.blocks.find((b) => b.type === 'actions');
      expect(view.blocks.indexOf(row!)).toBeGreaterThan(view.blocks.indexOf(input!));
      expect(buttonsOf([row!]).map((b) => b.action_id)).toEqual(PIN_COMMANDS.map((c) => `${ACTION.command}:${c}`));
    }
  });

  it('after a command button in the box, the box says where the answer is and keeps only "Close"', () => {
    const view = commandSentModal({ label: 'Ayuda', privateMetadata: '{"k":"T:D1","c":"D1"}', t: es });
    assertValidBlocks(view.blocks, 'modal');
    expect(view).toMatchObject({ type: 'modal', callback_id: VIEW.commandSent, private_metadata: '{"k":"T:D1","c":"D1"}', close: { text: 'Cerrar' } });
    expect(view.submit).toBeUndefined();
    expect(view.blocks.some((b) => b.type === 'input' || b.type === 'actions')).toBe(false);
    expect(textsOf(view.blocks, 'section')[0]).toMatch(/«Ayuda».*conversación/);
  });

  it('refuses private metadata longer than Slack keeps', () => {
    expect(() => pinModal({ prompt: 'x', privateMetadata: 'x'.repeat(3001), t: es })).toThrow(RangeError);
  });
});

describe("an agent's reply", () => {
  it('shows their name and exactly what they wrote: every &, < and > escaped once, nothing turned into markup', () => {
    const m: Rendered = { type: 'agent', key: 'common:agent.says', text: 'Revise <https://x.example|esto> & "aquello" &amp; <!channel>', name: 'Ana <Rojas> & Co' };
    const [msg] = toSlackMessages([m], es);
    assertValidBlocks(msg?.blocks ?? []);
    const section = msg?.blocks.find((b) => b.block_id === 'agent.text') as { text: { text: string } };
    expect(section.text.text).toBe('Revise &lt;https://x.example|esto&gt; &amp; "aquello" &amp;amp; &lt;!channel&gt;');
    expect(JSON.stringify(msg?.blocks.find((b) => b.block_id === 'agent.from'))).toContain('Ana &lt;Rojas&gt; &amp; Co');
    expect(msg?.text).toContain('&amp;amp;');
  });
});
