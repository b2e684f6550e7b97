/**
 * Secret redaction over the phrasing corpus (tests/fixtures/redaction/corpus.json): every PIN or
 * password a customer types becomes •••• with the rest of the sentence as typed, and the look-alikes
 * agents need (RUTs, cédulas, invoice numbers, amounts, dates, e-mails) stay exactly as typed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MASK, looksSecret, redactText, secretSpans } from '../../src/conversation/redact.ts';

interface Corpus {
  secrets: Array<{ lang: 'es' | 'en'; say: string; shown: string }>;
  plain: Array<{ lang: 'es' | 'en'; say: string }>;
}

const corpus = JSON.parse(readFileSync(new URL('../fixtures/redaction/corpus.json', import.meta.url), 'utf8')) as Corpus;

describe('the redaction corpus', () => {
  it('has at least 80 phrasings, secrets and look-alikes, in both languages', () => {
    expect(corpus.secrets.length + corpus.plain.length).toBeGreaterThanOrEqual(80);
    for (const rows of [corpus.secrets, corpus.plain]) expect(new Set(rows.map((r) => r.lang))).toEqual(new Set(['es', 'en']));
  });

  it.each(corpus.secrets)('($lang) "$say" is kept as "$shown"', ({ say, shown }) => {
    expect(redactText(say)).toBe(shown);
    expect(looksSecret(say)).toBe(true);
  });

  it.each(corpus.plain)('($lang) "$say" stays readable', ({ say }) => {
    expect(redactText(say)).toBe(say);
    expect(looksSecret(say)).toBe(false);
  });
});

describe('redaction options', () => {
  it('masks the whole text at a step that asks for the PIN, whatever it says', () => {
    for (const text of ['factura 4821', 'no me acuerdo', 'Hola2024!']) {
      expect(redactText(text, true)).toBe(MASK);
      expect(redactText(text, { expectsSecret: true })).toBe(MASK);
    }
  });

  it('leaves a bare number readable where the step asks for one (a folio, a RUT without its digit)', () => {
    expect(redactText('4471', { bareNumberIsSecret: false })).toBe('4471');
    expect(looksSecret('76354771', { bareNumberIsSecret: false })).toBe(false);
    // A keyword still gives the secret away.
    expect(redactText('mi pin es 4471', { bareNumberIsSecret: false })).toBe('mi pin es ••••');
  });

  it('reports where each secret sits, so a caller can mask it in its own copy', () => {
    const text = 'mi RUT es 76.354.771-K y mi pin es 4 4 7 1, la clave Perro.2024';
    const found = secretSpans(text).map((s) => text.slice(s.start, s.end));
    expect(found).toEqual(expect.arrayContaining(['4 4 7 1', 'Perro.2024']));
    expect(found.join(' ')).not.toContain('76.354.771-K');
  });

  it('reads each line of a multi-line message on its own', () => {
    expect(redactText('Hola\nmi pin es 4471\nfactura 4821, folio 123456')).toBe('Hola\nmi pin es ••••\nfactura 4821, folio 123456');
  });
});
