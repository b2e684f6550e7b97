/**
 * inspect() on files made here: Chilean SII-style certificates with a RUT in subjectAltName, exported by
 * OpenSSL 3 (AES-256/PBKDF2) and with `-legacy` (RC2-40/3DES); Hacienda-style keys; mismatched and
 * multi-key containers; hostile and wrong files. Assertions are on codes and statuses, what a user notices.
 */
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inspect } from '../../src/certs/inspect.ts';
import { CHECK_IDS, type CertReport, type CheckId, type InspectOptions } from '../../src/certs/report.ts';
import { type Cert, type KeyPair, buildP12, daysFrom, fixture, makeCert, opensslP12, rsaKey, toBer } from './support.ts';

// "Before deriving anything" is asserted by counting derivations, not by a stopwatch that a busy machine can break.
const derivations = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (real) => (await import('../support/derivations.ts')).counting(await real(), derivations));

const NOW = new Date();
const PASSWORD = 'Sii-2024.firma';
const RUT = '12345678-5';

const check = (report: CertReport, id: CheckId) => {
  const c = report.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
};

/** Every report made here, with the secrets it was made with, for the no-secret-leak and locale checks. */
const seen: Array<{ report: CertReport; secret: string }> = [];
const run = (file: Uint8Array, secret: string, options: InspectOptions = {}): CertReport => {
  const report = inspect(file, secret, { now: NOW, ...options });
  seen.push({ report, secret });
  return report;
};

let key: KeyPair;
let other: KeyPair;
let third: KeyPair;
let weak: KeyPair;
let valid: Cert;

const chilean = (k: KeyPair, from: number, to: number, extra: Partial<Parameters<typeof makeCert>[0]> = {}): Cert =>
  makeCert({
    key: k,
    subject: { CN: 'María José Pérez Soto', C: 'CL' },
    issuer: { CN: 'Test Firma Electrónica Avanzada CA', O: 'Test CA', C: 'CL' },
    issuerKey: other,
    notBefore: daysFrom(NOW, from),
    notAfter: daysFrom(NOW, to),
    rut: RUT,
    ...extra,
  });

beforeAll(() => {
  key = rsaKey(2048);
  other = rsaKey(2048);
  third = rsaKey(2048);
  weak = rsaKey(1024);
  valid = chilean(key, -10, 365);
});

describe('Chilean SII certificate', () => {
  it('OpenSSL 3 default export (AES-256-CBC, PBKDF2, HMAC-SHA256 MAC) passes every check', () => {
    const report = run(opensslP12({ key, certs: [valid], password: PASSWORD }), PASSWORD);
    expect(report.verdict).toBe('ok');
    expect(report.holder).toMatchObject({ country: 'CL', idType: 'rut', id: RUT, name: 'María José Pérez Soto' });
    expect(check(report, 'identity.valid').status).toBe('pass');
    expect(check(report, 'environment.production')).toMatchObject({ status: 'skip', code: 'skip.not-applicable' });
    expect(check(report, 'file.name').status).toBe('skip');
    expect(report.certificate).toMatchObject({ keyType: 'rsa', keyBits: 2048, chainLength: 1, fingerprintSha256: valid.x509.fingerprint256 });
  });

  it('Windows-style legacy export (RC2-40 certificates, 3DES key, SHA-1 MAC) opens too', () => {
    const report = run(opensslP12({ key, certs: [valid], password: PASSWORD, legacy: true }), PASSWORD);
    expect(report.verdict).toBe('ok');
    expect(report.holder?.id).toBe(RUT);
  });

  it('a wrong password fails secret.correct and skips what comes after', () => {
    const report = run(opensslP12({ key, certs: [valid], password: PASSWORD }), 'sii-2024.firma');
    expect(check(report, 'secret.correct')).toMatchObject({ status: 'fail', code: 'secret.incorrect' });
    expect(check(report, 'certificate.validity').status).toBe('skip');
  });

  it('matches the expected RUT however it is typed; another RUT is a mismatch', () => {
    const file = opensslP12({ key, certs: [valid], password: PASSWORD });
    for (const id of ['12.345.678-5', '12345678-5', '123456785']) {
      expect(check(run(file, PASSWORD, { expectedId: id }), 'identity.matches').status, id).toBe('pass');
    }
    const report = run(file, PASSWORD, { expectedId: '11.111.111-1' });
    expect(check(report, 'identity.matches')).toMatchObject({
      status: 'fail',
      code: 'identity.mismatch',
      messageKey: 'certs:identity.mismatch-cl',
      params: { expected: '11111111-1', found: RUT },
    });
  });

  it.each([
    ['expired', -400, -10, 'fail', 'certificate.expired'],
    ['not yet valid', 10, 400, 'fail', 'certificate.not-yet-valid'],
    ['expiring in 10 days', -300, 10, 'warn', 'certificate.expires-soon'],
  ] as const)('%s', (_label, from, to, status, code) => {
    const cert = chilean(key, from, to);
    const report = run(opensslP12({ key, certs: [cert], password: PASSWORD }), PASSWORD);
    expect(check(report, 'certificate.validity')).toMatchObject({ status, code, messageKey: `certs:${code}-cl` });
    expect(report.verdict).toBe(status === 'warn' ? 'warning' : 'fail');
    if (code === 'certificate.expires-soon') expect(check(report, 'certificate.validity').params?.days).toBeGreaterThanOrEqual(9);
  });

  it('a certificate that may not sign fails key.usage', () => {
    const cert = chilean(key, -10, 365, { keyUsage: { keyEncipherment: true, dataEncipherment: true } });
    const report = run(opensslP12({ key, certs: [cert], password: PASSWORD }), PASSWORD);
    expect(check(report, 'key.usage')).toMatchObject({ status: 'fail', code: 'key.usage-no-signing' });
  });

  it('an RSA 1024 key is a key.strength warning', () => {
    const cert = chilean(weak, -10, 365);
    const report = run(opensslP12({ key: weak, certs: [cert], password: PASSWORD }), PASSWORD);
    expect(check(report, 'key.strength')).toMatchObject({ status: 'warn', code: 'key.weak', params: { keyType: 'rsa', bits: 1024 } });
    expect(report.verdict).toBe('warning');
  });

  it.each([false, true])('a non-ASCII password opens (legacy: %s)', (legacy) => {
    const secret = 'Contraseña ñandú á';
    const file = opensslP12({ key, certs: [valid], password: secret, legacy });
    expect(run(file, secret).verdict).toBe('ok');
    expect(check(run(file, 'Contrasena nandu a'), 'secret.correct').code).toBe('secret.incorrect');
  });

  it('a BER-encoded file (indefinite lengths, constructed OCTET STRING) opens', () => {
    for (const legacy of [false, true]) {
      const der = opensslP12({ key, certs: [valid], password: PASSWORD, legacy });
      const ber = toBer(der);
      expect(ber.equals(der)).toBe(false);
      expect(run(ber, PASSWORD).verdict).toBe('ok');
      expect(check(run(ber, 'wrong'), 'secret.correct').code).toBe('secret.incorrect');
    }
  });

  it('an empty password opens with an empty secret', () => {
    const file = opensslP12({ key, certs: [valid], password: '', legacy: true });
    expect(run(file, '').verdict).toBe('ok');
  });

  it('a chain (leaf, intermediate, root) is counted and the leaf is picked', () => {
    const root = makeCert({ key: third, subject: { CN: 'Test Root' }, notBefore: daysFrom(NOW, -900), notAfter: daysFrom(NOW, 900), ca: true, keyUsage: { keyCertSign: true } });
    const mid = makeCert({ key: other, issuerKey: third, subject: { CN: 'Test Firma Electrónica Avanzada CA', O: 'Test CA', C: 'CL' }, issuer: { CN: 'Test Root' }, notBefore: daysFrom(NOW, -800), notAfter: daysFrom(NOW, 800), ca: true });
    const report = run(opensslP12({ key, certs: [valid, mid, root], password: PASSWORD }), PASSWORD);
    expect(report.certificate).toMatchObject({ chainLength: 3, fingerprintSha256: valid.x509.fingerprint256 });
  });
});

describe('keys and certificates that do not go together', () => {
  it('a key of one pair with the certificate of another fails key.matches-certificate', () => {
    const report = run(buildP12({ keys: [other], certs: [valid], password: PASSWORD }), PASSWORD);
    expect(check(report, 'key.present').status).toBe('pass');
    expect(check(report, 'key.matches-certificate')).toMatchObject({ status: 'fail', code: 'key.mismatch' });
  });

  it('with several keys and certificates, picks the second pair, the one that matches', () => {
    const stray = chilean(third, -10, 365);
    const file = buildP12({ keys: [weak, key], certs: [stray, valid], password: PASSWORD });
    const report = run(file, PASSWORD);
    expect(check(report, 'key.matches-certificate').status).toBe('pass');
    expect(report.certificate?.fingerprintSha256).toBe(valid.x509.fingerprint256);
    expect(report.verdict).toBe('ok');
  });

  it('a PBMAC1 (RFC 9579) file opens, and refuses a wrong password', () => {
    const file = buildP12({ keys: [key], certs: [valid], password: 'Contraseña', pbmac1: true });
    expect(run(file, 'Contraseña').verdict).toBe('ok');
    expect(check(run(file, 'Contrasena'), 'secret.correct').code).toBe('secret.incorrect');
  });

  it('with two matching pairs, picks the one valid now over an expired one', () => {
    const old = chilean(other, -800, -400);
    const file = buildP12({ keys: [other, key], certs: [old, valid], password: PASSWORD });
    const report = run(file, PASSWORD);
    expect(report.certificate?.fingerprintSha256).toBe(valid.x509.fingerprint256);
    expect(check(report, 'certificate.validity').status).toBe('pass');
  });

  it('a bad RUT check digit in a real test certificate fails identity.valid', () => {
    const cert = new X509Certificate(fixture('cl-sii-certs/TEST-DTE-13185095-K.der'));
    const pem = fixture('cl-sii-certs/TEST-DTE-13185095-K.pem');
    const privateKey = createPrivateKey(pem);
    const pair = { privateKey, publicKey: cert.publicKey };
    const file = opensslP12({ key: pair, certs: [{ der: cert.raw, pem: cert.toString(), x509: cert }], password: PASSWORD });
    const report = run(file, PASSWORD, { now: new Date('2025-01-15T00:00:00Z') });
    expect(check(report, 'key.matches-certificate').status).toBe('pass');
    expect(check(report, 'identity.valid')).toMatchObject({ status: 'fail', code: 'identity.check-digit' });
  });
});

describe('Costa Rica, Hacienda-style keys', () => {
  const hacienda = (k: KeyPair, sandbox: boolean, serial: string): Cert =>
    makeCert({
      key: k,
      issuerKey: other,
      subject: { CN: 'EMPRESA DE PRUEBA SOCIEDAD ANONIMA', O: 'PERSONA JURIDICA', C: 'CR', serialNumber: serial },
      issuer: sandbox
        ? { CN: 'CA PERSONA JURIDICA - SANDBOX', OU: 'DGT', O: 'MINISTERIO DE HACIENDA - SANDBOX', C: 'CR' }
        : { CN: 'CA PERSONA JURIDICA', OU: 'DGT', O: 'MINISTERIO DE HACIENDA', C: 'CR' },
      notBefore: daysFrom(NOW, -10),
      notAfter: daysFrom(NOW, 700),
    });

  it('a production key passes, file name included', () => {
    const file = opensslP12({ key, certs: [hacienda(key, false, 'CPJ-3-101-131140')], password: '1234', legacy: true });
    const report = run(file, '1234', { fileName: '310113114012.p12', expectedId: '3-101-131140' });
    expect(report.environment).toBe('production');
    expect(report.holder).toMatchObject({ country: 'CR', idType: 'cpj', id: '3101131140' });
    expect(check(report, 'environment.production').status).toBe('pass');
    expect(check(report, 'file.name').status).toBe('pass');
    expect(check(report, 'identity.matches').status).toBe('pass');
    expect(report.verdict).toBe('ok');
  });

  it('a sandbox key fails environment.production', () => {
    const file = opensslP12({ key, certs: [hacienda(key, true, 'CPJ-3-101-131140')], password: '1234', legacy: true });
    const report = run(file, '1234', { fileName: 'llave.p12' });
    expect(report.environment).toBe('staging');
    expect(check(report, 'environment.production')).toMatchObject({ status: 'fail', code: 'environment.staging', messageKey: 'certs:environment.staging' });
    expect(check(report, 'file.name')).toMatchObject({ status: 'warn', code: 'file.name-mismatch' });
  });

  it('a wrong PIN gets the Costa Rican message', () => {
    const file = opensslP12({ key, certs: [hacienda(key, false, 'CPJ-3-101-131140')], password: '1234', legacy: true });
    const report = run(file, '4321', { country: 'CR' });
    expect(check(report, 'secret.correct')).toMatchObject({ status: 'fail', code: 'secret.incorrect', messageKey: 'certs:secret.incorrect-cr' });
  });
});

describe('hostile and wrong files', () => {
  let real: Buffer;
  beforeAll(() => {
    real = opensslP12({ key, certs: [valid], password: PASSWORD });
  });

  it('refuses a 10,000,000-iteration MAC before deriving anything', () => {
    const file = buildP12({ keys: [key], certs: [valid], password: PASSWORD, macIterations: 10_000_000, fakeMac: true });
    // How fast the refusal is, is a figure for `npm run bench:certs`.
    derivations.count = 0;
    const report = run(file, PASSWORD);
    expect(check(report, 'file.limits')).toMatchObject({ status: 'fail', code: 'limits.iterations', params: { iterations: 10_000_000, limit: 600_000 } });
    expect(derivations.count).toBe(0);
    // The counter does see derivations: the same container within the cap is derived (and its fake MAC then refused).
    run(buildP12({ keys: [key], certs: [valid], password: PASSWORD, macIterations: 2048, fakeMac: true }), PASSWORD);
    expect(derivations.count).toBeGreaterThan(0);
  });

  it('refuses a file whose derivations together exceed the budget (many keys)', () => {
    const file = buildP12({ keys: Array.from({ length: 30 }, () => key), certs: [valid], password: PASSWORD });
    const report = run(file, PASSWORD, { maxIterations: 4096 });
    expect(check(report, 'file.limits')).toMatchObject({ status: 'fail', code: 'limits.iterations' });
    expect(run(file, PASSWORD).verdict).toBe('ok');
  });

  it('refuses a file above the size cap before parsing it', () => {
    const report = run(Buffer.concat([real, Buffer.alloc(70 * 1024 - real.length, 1)]), PASSWORD);
    expect(check(report, 'file.limits')).toMatchObject({ status: 'fail', code: 'file.too-large' });
    expect(check(report, 'file.format').status).toBe('skip');
    expect(check(report, 'file.format').code).not.toBe('ok');
  });

  it.each([
    ['empty', () => new Uint8Array(0), 'file.empty'],
    ['garbage', () => Buffer.concat([Buffer.from('GIF89a'), randomBytes(500)]), 'file.not-pkcs12'],
    ['plain text', () => Buffer.from('mi contraseña es 1234\n'), 'file.not-pkcs12'],
    ['truncated', () => real.subarray(0, Math.floor(real.length / 2)), 'file.truncated'],
    ['zip', () => Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), randomBytes(300)]), 'file.zip'],
    ['PEM key and certificate', () => Buffer.from(key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() + valid.pem), 'file.pem'],
    ['PEM certificate', () => Buffer.from(valid.pem), 'file.certificate-only'],
    ['DER certificate', () => valid.der, 'file.certificate-only'],
  ] as const)('%s', (_label, make, code) => {
    const report = run(make(), PASSWORD);
    expect(check(report, 'file.format')).toMatchObject({ status: 'fail', code, messageKey: `certs:${code}` });
    expect(report.verdict).toBe('fail');
  });

  it('never throws on damaged files', () => {
    for (let i = 0; i < 150; i++) {
      const damaged = Buffer.from(real);
      const at = 4 + Math.floor(Math.random() * (damaged.length - 4));
      damaged[at] = (damaged[at] as number) ^ (1 << (i % 8));
      const report = inspect(damaged.subarray(0, i % 3 === 0 ? at + 1 : damaged.length), PASSWORD, { now: NOW });
      expect(report.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
      // A flipped bit outside what the MAC covers (the version number, say) may leave a file that
      // still opens and verifies completely; anything less must be refused.
      if (report.verdict !== 'fail') {
        expect(report.checks.find((c) => c.id === 'secret.correct')?.status).toBe('pass');
        expect(report.checks.find((c) => c.id === 'key.matches-certificate')?.status).toBe('pass');
      }
    }
  });
});

describe('every report', () => {
  const locale = (lng: string) => JSON.parse(readFileSync(new URL(`../../locales/${lng}/certs.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
  const lookup = (tree: Record<string, unknown>, key: string): unknown =>
    key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), tree);

  afterAll(() => {
    expect(seen.length).toBeGreaterThan(20);
  });

  it('lists every check once, in order, with a code and a message in both languages', () => {
    const es = locale('es');
    const en = locale('en');
    for (const { report } of seen) {
      expect(report.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
      for (const c of report.checks) {
        expect(c.code).not.toBe('');
        expect(c.messageKey.startsWith('certs:')).toBe(true);
        const key = c.messageKey.slice('certs:'.length);
        expect(typeof lookup(es, key), `es ${key}`).toBe('string');
        expect(typeof lookup(en, key), `en ${key}`).toBe('string');
      }
    }
    for (const verdict of ['ok', 'warning', 'fail']) expect(typeof lookup(es, `verdict.${verdict}`)).toBe('string');
  });

  it('never contains the secret or key material', () => {
    for (const { report, secret } of seen) {
      const json = JSON.stringify(report);
      // Short numeric PINs of generated files could appear by chance inside a random serial number.
      if (secret !== '' && !/^\d{1,5}$/.test(secret)) expect(json).not.toContain(secret);
      expect(json).not.toContain('PRIVATE KEY');
    }
  });
});
