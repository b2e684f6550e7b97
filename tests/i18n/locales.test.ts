// Locale parity: every text exists in Spanish and English with the same interpolation variables.
import { describe, expect, it } from 'vitest';
import { loadResources } from '../../src/i18n/resources.ts';

const resources = loadResources();

/** key → value for every leaf string; arrays (routing vocabularies) count as one leaf. */
function flatten(o: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    out.set(prefix, o);
    return out;
  }
  for (const [k, v] of Object.entries(o)) for (const [kk, vv] of flatten(v, prefix ? `${prefix}.${k}` : k)) out.set(kk, vv);
  return out;
}

const vars = (s: unknown) => (typeof s === 'string' ? [...s.matchAll(/\{\{\s*([\w.-]+)\s*\}\}/g)].map((m) => m[1]).sort() : []);

describe('locales', () => {
  it('have the same namespaces in es and en', () => {
    expect(Object.keys(resources.en).sort()).toEqual(Object.keys(resources.es).sort());
  });

  describe.each(Object.keys(resources.es))('namespace %s', (ns) => {
    const es = flatten(resources.es[ns]);
    const en = flatten(resources.en[ns] ?? {});

    it('has the same keys in both languages', () => {
      expect([...en.keys()].sort()).toEqual([...es.keys()].sort());
    });

    it('has no empty text and the same interpolation variables in both languages', () => {
      for (const [key, v] of es) {
        if (Array.isArray(v)) continue;
        expect(typeof v, `${ns}:${key}`).toBe('string');
        expect(String(v).trim(), `${ns}:${key} (es) is empty`).not.toBe('');
        expect(String(en.get(key) ?? '').trim(), `${ns}:${key} (en) is empty`).not.toBe('');
        expect(vars(en.get(key)), `${ns}:${key} variables`).toEqual(vars(v));
      }
    });
  });
});
