/** identity.ts against real certificates and python-stdnum's published id lists. */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { identityOf, parseCedula, parseRut } from '../../src/certs/identity.ts';

const FIXTURES = new URL('../fixtures/public/', import.meta.url);
const fixture = (path: string): Buffer => readFileSync(new URL(path, FIXTURES));
const cert = (name: string): X509Certificate => new X509Certificate(fixture(`cl-sii-certs/${name}`));

interface StdnumFile {
  valid: string[];
  examples: { input: string; compact?: string; error?: string }[];
}
const stdnum = (name: string): StdnumFile => JSON.parse(fixture(`id-numbers/${name}`).toString('utf8')) as StdnumFile;

describe('parseRut', () => {
  it.each([
    ['12.345.678-5', '12345678-5'],
    ['12345678-5', '12345678-5'],
    ['123456785', '12345678-5'],
    [' 12 345 678 - 5 ', '12345678-5'],
    ['0012345678-5', '12345678-5'],
    ['07880442-4', '7880442-4'],
    ['10626628-k', '10626628-K'],
    ['CL 12531909-2', '12531909-2'],
  ])('accepts %j as %s', (text, id) => {
    expect(parseRut(text)).toEqual({ ok: true, idType: 'rut', id });
  });

  it('rejects empty, malformed and wrong check digits with codes', () => {
    expect(parseRut('  ')).toEqual({ ok: false, code: 'id.empty' });
    expect(parseRut('76086A28-5')).toEqual({ ok: false, code: 'id.format' });
    expect(parseRut('any-string')).toEqual({ ok: false, code: 'id.format' });
    expect(parseRut('0-0')).toEqual({ ok: false, code: 'id.format' });
    expect(parseRut('12531909-3')).toEqual({ ok: false, code: 'id.check-digit' });
    expect(parseRut('13185095-K')).toEqual({ ok: false, code: 'id.check-digit' });
  });

  it('accepts every valid RUT in stdnum-cl-rut.json and rejects its invalid examples', () => {
    const data = stdnum('stdnum-cl-rut.json');
    expect(data.valid.length).toBeGreaterThan(100);
    for (const v of data.valid) {
      const p = parseRut(v);
      expect(p, v).toMatchObject({ ok: true, idType: 'rut' });
      if (p.ok) expect(p.id.replace('-', '')).toBe(v.replace('-', '').toUpperCase());
    }
    for (const ex of data.examples) {
      const p = parseRut(ex.input);
      if (ex.error) {
        expect(p.ok, ex.input).toBe(false);
        expect(p).toEqual({ ok: false, code: ex.error === 'InvalidChecksum' ? 'id.check-digit' : 'id.format' });
      } else {
        expect(p.ok && p.id.replace('-', ''), ex.input).toBe(ex.compact);
      }
    }
  });
});

describe('parseCedula', () => {
  it.each([
    ['2-0586-0860', 'cpf', '0205860860'],
    ['02-0586-0860', 'cpf', '0205860860'],
    ['205860860', 'cpf', '0205860860'],
    ['0205860860', 'cpf', '0205860860'],
    ['1-613-584', 'cpf', '0106130584'],
    ['CPF-02-0586-0860', 'cpf', '0205860860'],
    ['3-101-131140', 'cpj', '3101131140'],
    ['CPJ-3-101-131140', 'cpj', '3101131140'],
    ['3 010 179406', 'cpj', '3010179406'],
    ['155812994816', 'dimex', '155812994816'],
    ['DIMEX-155812994816', 'dimex', '155812994816'],
    ['NITE-4000123456', 'nite', '4000123456'],
  ])('accepts %j as %s %s', (text, idType, id) => {
    expect(parseCedula(text)).toEqual({ ok: true, idType, id });
  });

  it('rejects empty and malformed input', () => {
    expect(parseCedula('')).toEqual({ ok: false, code: 'id.empty' });
    expect(parseCedula('00-0586-0860')).toEqual({ ok: false, code: 'id.format' });
    expect(parseCedula('CPJ-02-0586-0860')).toEqual({ ok: false, code: 'id.format' });
    expect(parseCedula('CPF-3-101-131140')).toEqual({ ok: false, code: 'id.format' });
    expect(parseCedula('12345')).toEqual({ ok: false, code: 'id.format' });
    expect(parseCedula('30-1234-1234')).toEqual({ ok: false, code: 'id.format' });
    expect(parseCedula('1-101-079297')).toEqual({ ok: false, code: 'id.format' });
  });

  for (const [file, idType] of [
    ['stdnum-cr-cpf.json', 'cpf'],
    ['stdnum-cr-cpj.json', 'cpj'],
    ['stdnum-cr-cr.json', 'dimex'],
  ] as const) {
    it(`accepts every valid number in ${file} and rejects its invalid examples`, () => {
      const data = stdnum(file);
      expect(data.valid.length).toBeGreaterThan(10);
      for (const v of data.valid) expect(parseCedula(v), v).toMatchObject({ ok: true, idType });
      for (const ex of data.examples) {
        // Invalid as this type; a bare '310132541' is still a valid cédula física, so the generic parse may accept it as another type.
        if (ex.error) {
          expect(parseCedula(`${idType.toUpperCase()}-${ex.input}`), ex.input).toEqual({ ok: false, code: 'id.format' });
          expect(parseCedula(ex.input), ex.input).not.toMatchObject({ idType });
        }
        else expect(parseCedula(ex.input), ex.input).toEqual({ ok: true, idType, id: ex.compact });
      }
    });
  }
});

describe('identityOf', () => {
  it.each([
    ['DTE--60910000-1--33--2336600-cert.der', '8480437-1', '8480437-1', 'san-8321'],
    ['AEC--76399752-9--33--25568--SEQ-1-cert.der', '16477752-9', '16477752-9', 'san-8321'],
    ['DTE--76354771-K--33--170-cert.der', '13185095-6', '13185095-6', 'san-8321'],
    ['DTE--96670340-7--61--110616-cert.der', '23099536-2', '23099536-2', 'san-8321'],
    ['AEC--76354771-K--33--170--SEQ-2-cert.der', '16360379-9', '16360379-9', 'san-8321'],
    ['prueba-sii-cert.der', '7880442-4', '07880442-4', 'san-8658'],
  ])('%s holds RUT %s', (file, id, raw, source) => {
    expect(identityOf(cert(file))).toEqual({ country: 'CL', idType: 'rut', id, raw, source, valid: true });
  });

  it('flags a RUT with a wrong check digit, keeping id and raw', () => {
    expect(identityOf(cert('TEST-DTE-13185095-K.der'))).toEqual({
      country: 'CL',
      idType: 'rut',
      id: '13185095-K',
      raw: '13185095-K',
      source: 'san-8321',
      valid: false,
      code: 'id.check-digit',
    });
  });

  it('flags a RUT field that holds no RUT', () => {
    expect(identityOf(cert('TEST-DTE-WITH-ID-BUT-NO-RUT.der'))).toMatchObject({
      country: 'CL',
      raw: 'any-string',
      source: 'san-8321',
      valid: false,
      code: 'id.format',
    });
  });

  it('returns undefined for a certificate without any id', () => {
    expect(identityOf(new X509Certificate(fixture('pkcs12-corpus/rsa2048.crt')))).toBeUndefined();
  });

  it('reads the cédula from the serialNumber of the Hacienda sandbox certificate', () => {
    const p12 = forge.pkcs12.pkcs12FromAsn1(
      forge.asn1.fromDer(forge.util.createBuffer(fixture('cr-hacienda/johann04-sandbox-cpf-0205860860.p12').toString('binary'))),
      '5678',
    );
    const certBag = forge.pki.oids.certBag ?? '1.2.840.113549.1.12.10.1.3';
    const bags = p12.getBags({ bagType: certBag })[certBag] ?? [];
    const identities = bags.flatMap((bag) => {
      if (!bag.cert) return [];
      const der = forge.asn1.toDer(forge.pki.certificateToAsn1(bag.cert)).getBytes();
      return [identityOf(new X509Certificate(Buffer.from(der, 'binary')))];
    });
    expect(identities).toContainEqual({
      country: 'CR',
      idType: 'cpf',
      id: '0205860860',
      raw: 'CPF-02-0586-0860',
      source: 'serialNumber',
      valid: true,
    });
    // CA certificates carry no holder id.
    expect(identities.filter((i) => i !== undefined)).toHaveLength(1);
  });
});
