/**
 * inspect() against real third-party files: the redhat-qe keyfile corpus (every PKCS#12 protection
 * OpenSSL can write), a real Hacienda sandbox key and public SII certificates. See the fixtures README.
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { inspect } from '../../src/certs/inspect.ts';
import { openPkcs12 } from '../../src/certs/pkcs12.ts';
import type { CertReport, CheckId } from '../../src/certs/report.ts';
import { fixture } from './support.ts';

// "Before deriving anything" is asserted by counting derivations, not by a stopwatch that a busy machine can break.
const derivations = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (real) => (await import('../support/derivations.ts')).counting(await real(), derivations));

const corpus = (name: string): Buffer => fixture(`pkcs12-corpus/${name}`);
const password = (name: 'ascii' | 'ascii2' | 'unicode' | 'empty'): string => corpus(`password-${name}.txt`).toString('utf8');
const ASCII = password('ascii');
const UNICODE = password('unicode');

const RSA_FINGERPRINT = new X509Certificate(corpus('rsa2048.crt')).fingerprint256;
const EC_FINGERPRINT = new X509Certificate(corpus('ecdsa-p256.crt')).fingerprint256;

const check = (report: CertReport, id: CheckId) => {
  const c = report.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
};

/** Files that open: name, password, key type, certificate fingerprint. */
const OPENS: Array<[string, string, string, string]> = [
  ['legacy-rc2-40-3des-sha1mac.p12', ASCII, 'rsa', RSA_FINGERPRINT],
  ['3des-only-sha1mac.p12', ASCII, 'rsa', RSA_FINGERPRINT],
  ['pbes2-aes128-hmacsha256.p12', ASCII, 'rsa', RSA_FINGERPRINT],
  ['pbes2-aes256-hmacsha1.p12', ASCII, 'rsa', RSA_FINGERPRINT],
  ['pbes2-aes128-hmacsha224.p12', ASCII, 'rsa', RSA_FINGERPRINT],
  ['pbes2-camellia256.p12', ASCII, 'rsa', RSA_FINGERPRINT],
  ['pbes2-aes128-unicode-password.p12', UNICODE, 'rsa', RSA_FINGERPRINT],
  ['legacy-rc2-40-3des-unicode-password.p12', UNICODE, 'rsa', RSA_FINGERPRINT],
  ['legacy-rc2-40-3des-empty-password.p12', password('empty'), 'rsa', RSA_FINGERPRINT],
  ['no-encryption-sha256mac.p12', ASCII, 'rsa', RSA_FINGERPRINT],
  ['ecdsa-p256-legacy.p12', ASCII, 'ec', EC_FINGERPRINT],
  ['rsa-pss-pbes2.p12', ASCII, 'rsa-pss', ''],
];

describe('pkcs12 corpus', () => {
  it.each(OPENS)('%s opens and yields the key and its certificate', (name, secret, keyType, fingerprint) => {
    const report = inspect(corpus(name), secret, {});
    for (const id of ['file.format', 'file.limits', 'secret.correct', 'key.present', 'key.matches-certificate'] as const) {
      expect(check(report, id).status, id).toBe('pass');
    }
    expect(check(report, 'key.present').params).toEqual({ keyType });
    expect(report.certificate?.keyType).toBe(keyType);
    if (fingerprint) {
      expect(report.certificate?.fingerprintSha256).toBe(fingerprint);
      // The corpus RSA and EC certificates expired in 2017.
      expect(check(report, 'certificate.validity').code).toBe('certificate.expired');
    } else {
      // forge cannot read an RSA-PSS certificate; Node can.
      expect(report.certificate?.subject).toContain('CN=');
    }
    expect(check(report, 'key.strength').status).toBe('pass');
    expect(check(report, 'key.strength').params).toMatchObject({ keyType, bits: keyType === 'ec' ? 256 : 2048 });
  });

  it.each(OPENS.filter(([name]) => !name.includes('empty')))('%s refuses a wrong password', (name) => {
    const report = inspect(corpus(name), 'not the password', {});
    expect(check(report, 'file.format').status).toBe('pass');
    expect(check(report, 'secret.correct')).toMatchObject({ status: 'fail', code: 'secret.incorrect' });
    expect(check(report, 'key.present').status).toBe('skip');
    expect(report.verdict).toBe('fail');
  });

  it('opens the certificate-only file and says the key is missing', () => {
    const report = inspect(corpus('cert-only-no-key.p12'), ASCII, {});
    expect(check(report, 'secret.correct').status).toBe('pass');
    expect(check(report, 'key.present')).toMatchObject({ status: 'fail', code: 'key.missing' });
    expect(report.certificate?.fingerprintSha256).toBe(RSA_FINGERPRINT);
  });

  it.each(['rc4-40.p12', 'legacy-md4mac.p12', 'legacy-different-mac-and-cipher-passwords.p12'])(
    '%s is an unsupported protection',
    (name) => {
      const report = inspect(corpus(name), ASCII, {});
      expect(check(report, 'file.format')).toMatchObject({ status: 'fail', code: 'file.unsupported-protection', messageKey: 'certs:file.unsupported-protection' });
      expect(report.verdict).toBe('fail');
    },
  );

  it('no-encryption-no-mac opens with any secret and is reported unprotected', () => {
    for (const secret of ['', 'whatever', ASCII]) {
      const report = inspect(corpus('no-encryption-no-mac.p12'), secret, {});
      expect(check(report, 'secret.correct')).toMatchObject({ status: 'warn', code: 'file.unprotected' });
      expect(check(report, 'key.matches-certificate').status).toBe('pass');
      expect(report.certificate?.fingerprintSha256).toBe(RSA_FINGERPRINT);
    }
  });

  describe.each(['3des-1M-iterations.p12', 'pbes2-aes256-sha512-1M-iterations.p12', 'pbes2-scrypt-aes256.p12'])('%s (1,000,000 iterations)', (name) => {
    it('is refused with the default cap, before deriving anything', () => {
      derivations.count = 0;
      const report = inspect(corpus(name), ASCII, {});
      expect(check(report, 'file.format').status).toBe('pass');
      expect(check(report, 'file.limits')).toMatchObject({ status: 'fail', code: 'limits.iterations', params: { iterations: 1_000_000, limit: 600_000 } });
      expect(derivations.count).toBe(0);
    });

    // A million rounds of the PKCS#12 KDF in JavaScript take seconds idle and several times that on a loaded machine.
    it('opens when the cap is raised to 1,000,000', { timeout: 180_000 }, () => {
      derivations.count = 0;
      const report = inspect(corpus(name), ASCII, { maxIterations: 1_000_000 });
      expect(derivations.count).toBeGreaterThan(0);
      expect(check(report, 'file.limits').status).toBe('pass');
      expect(check(report, 'key.matches-certificate').status).toBe('pass');
      expect(report.certificate?.fingerprintSha256).toBe(RSA_FINGERPRINT);
    });
  });
});

describe('openPkcs12 (module boundary)', () => {
  it('returns native keys and certificates and names the protection', () => {
    const aes = openPkcs12(corpus('pbes2-aes128-hmacsha256.p12'), ASCII);
    if (!aes.ok) throw new Error(aes.code);
    expect(aes.keys).toHaveLength(1);
    expect(aes.keys[0]?.key?.type).toBe('private');
    expect(aes.keys[0]?.type).toBe('rsa');
    expect(aes.certificates[0]).toBeInstanceOf(X509Certificate);
    expect(aes.protection.ciphers).toEqual(['pbes2-pbkdf2-hmac-sha256-aes-128-cbc', 'pbes2-pbkdf2-hmac-sha256-aes-128-cbc']);
    expect(aes.protection.mac).toEqual({ algorithm: 'hmac-sha1', iterations: 2048, kind: 'pkcs12' });
    expect(aes.unprotected).toBe(false);

    const legacy = openPkcs12(fixture('cr-hacienda/johann04-sandbox-cpf-0205860860.p12'), '5678');
    if (!legacy.ok) throw new Error(legacy.code);
    expect(legacy.certificates).toHaveLength(3);
    expect(legacy.protection.ciphers).toEqual(['pbeWithSHA1-rc2-40-cbc', 'pbeWithSHA1-des-ede3-cbc']);
  });

  it('gives distinct codes instead of throwing', () => {
    expect(openPkcs12(corpus('rc4-40.p12'), ASCII)).toMatchObject({ ok: false, code: 'file.unsupported-protection', params: { algorithm: 'pbeWithSHAAnd40BitRC4' }, secretVerified: true });
    expect(openPkcs12(corpus('legacy-md4mac.p12'), ASCII)).toMatchObject({ ok: false, code: 'file.unsupported-protection', params: { algorithm: 'md4' } });
    expect(openPkcs12(corpus('3des-only-sha1mac.p12'), 'nope')).toEqual({ ok: false, code: 'secret.incorrect' });
    expect(openPkcs12(corpus('rsa2048.crt'), ASCII)).toMatchObject({ ok: false, code: 'file.certificate-only' });
    expect(openPkcs12(corpus('rsa2048-pkcs8-none.key'), ASCII)).toMatchObject({ ok: false, code: 'file.pem' });
    expect(openPkcs12(corpus('3des-only-sha1mac.p12'), ASCII, { maxBytes: 100 })).toMatchObject({ ok: false, code: 'file.too-large' });
  });

  it('does not modify the caller’s buffer', () => {
    const file = fixture('cr-hacienda/johann04-sandbox-cpf-0205860860.p12');
    const copy = Buffer.from(file);
    openPkcs12(file, '5678');
    expect(file.equals(copy)).toBe(true);
  });
});

describe('Hacienda sandbox key (real file)', () => {
  const NAME = 'johann04-sandbox-cpf-0205860860.p12';
  const file = fixture(`cr-hacienda/${NAME}`);
  const INSIDE = new Date('2018-06-01T12:00:00Z');

  it('opens with its PIN and reports the holder, the chain and the staging environment', () => {
    const report = inspect(file, '5678', { fileName: NAME });
    expect(report.holder).toMatchObject({ country: 'CR', idType: 'cpf', id: '0205860860' });
    expect(report.certificate?.subject).toContain('serialNumber=CPF-02-0586-0860');
    expect(report.certificate).toMatchObject({ chainLength: 3, keyType: 'rsa', keyBits: 2048 });
    expect(report.environment).toBe('staging');
    expect(check(report, 'environment.production')).toMatchObject({ status: 'fail', code: 'environment.staging' });
    expect(check(report, 'certificate.validity')).toMatchObject({ status: 'fail', code: 'certificate.expired', messageKey: 'certs:certificate.expired-cr' });
    expect(check(report, 'certificate.validity').params?.date).toBe('2019-12-18');
    expect(check(report, 'identity.present').status).toBe('pass');
    expect(check(report, 'identity.valid').status).toBe('pass');
    expect(check(report, 'key.usage').status).toBe('pass');
    expect(check(report, 'key.strength').status).toBe('pass');
    expect(check(report, 'file.name').status).toBe('pass');
    expect(report.verdict).toBe('fail');
  });

  it('is valid inside its validity window', () => {
    const report = inspect(file, '5678', { now: INSIDE });
    expect(check(report, 'certificate.validity')).toMatchObject({ status: 'pass' });
    expect(check(report, 'file.name')).toMatchObject({ status: 'skip', code: 'skip.no-file-name' });
  });

  it('warns when the file name is not the holder’s', () => {
    const report = inspect(file, '5678', { now: INSIDE, fileName: '310112345601.p12' });
    expect(check(report, 'file.name')).toMatchObject({ status: 'warn', code: 'file.name-mismatch', params: { expected: '0205860860' } });
  });

  it('matches the holder’s cédula however it is typed, and fails another one', () => {
    for (const id of ['0205860860', '2-0586-0860', '02-0586-0860']) {
      expect(check(inspect(file, '5678', { now: INSIDE, expectedId: id }), 'identity.matches').status, id).toBe('pass');
    }
    const other = inspect(file, '5678', { now: INSIDE, expectedId: '1-0913-0259' });
    expect(check(other, 'identity.matches')).toMatchObject({ status: 'fail', code: 'identity.mismatch', params: { found: '0205860860' } });
  });

  it('refuses a wrong PIN', () => {
    const report = inspect(file, '1234', {});
    expect(check(report, 'secret.correct')).toMatchObject({ status: 'fail', code: 'secret.incorrect' });
    expect(JSON.stringify(report)).not.toContain('1234');
  });

  it('never puts the PIN or key material in the report', () => {
    const json = JSON.stringify(inspect(file, '5678', { fileName: NAME }));
    expect(json).not.toContain('5678');
    expect(json).not.toContain('PRIVATE KEY');
  });
});

describe('SII certificates without a key (real DER files)', () => {
  it.each(['DTE--60910000-1--33--2336600-cert.der', 'AEC--76399752-9--33--25568--SEQ-1-cert.der', 'prueba-sii-cert.der'])(
    '%s is a certificate only',
    (name) => {
      const report = inspect(fixture(`cl-sii-certs/${name}`), 'x', {});
      expect(check(report, 'file.format')).toMatchObject({ status: 'fail', code: 'file.certificate-only' });
      expect(report.holder?.idType).toBe('rut');
    },
  );
});
