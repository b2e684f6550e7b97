/**
 * What the transport rendering tests (Slack blocks, Teams cards) share: the real translator, a strict transport
 * translator, rendering an Outbound, and real certificate files and reports to render.
 */
import type { CertReport } from '../../src/certs/report.ts';
import type { Locale, Outbound } from '../../src/conversation/messages.ts';
import { render, type Rendered } from '../../src/conversation/render.ts';
import { loadResources } from '../../src/i18n/resources.ts';
import { createTranslator } from '../../src/i18n/translator.ts';
import { daysFrom, makeCert, opensslP12, rsaKey } from '../certs/support.ts';

export const translator = createTranslator(loadResources());
export const tr = (key: string, locale: Locale, params?: Record<string, string | number>): string => translator.t(key, locale, params);

/** A transport's translator (`slack`, `teams`: bare keys are in its namespace); a key missing from the locales fails the test instead of showing up as text. */
export const transportT =
  (namespace: string) =>
  (locale: Locale) =>
  (key: string, params?: Record<string, string | number>): string => {
    const full = key.includes(':') ? key : `${namespace}:${key}`;
    if (!translator.i18n.exists(full, { lng: locale })) throw new Error(`missing locale key ${full} (${locale})`);
    return translator.t(full, locale, params);
  };

export const rendered = (o: Outbound, locale: Locale = 'es'): Rendered => render(o, tr, locale);

/** Real PKCS#12 files of one Chilean holder (Pérez & Soto Ltda., RUT 12345678-5), all protected by `password`. */
export interface ChileanCertificates {
  /** Valid from 10 days before `now` to 365 days after. */
  file: Buffer;
  /** The same key, expiring 10 days after `now`. */
  expiring: Buffer;
  /** `file`'s validity dates as YYYY-MM-DD. */
  notBefore: string;
  notAfter: string;
}

export function chileanCertificates(now: Date, password: string): ChileanCertificates {
  const key = rsaKey(2048);
  const issuerKey = rsaKey(2048);
  const chilean = (from: number, to: number) =>
    makeCert({
      key,
      issuerKey,
      subject: { CN: 'Pérez & Soto Ltda.', C: 'CL' },
      issuer: { CN: 'Test Firma Electrónica Avanzada CA', O: 'Test CA', C: 'CL' },
      notBefore: daysFrom(now, from),
      notAfter: daysFrom(now, to),
      rut: '12345678-5',
    });
  const valid = chilean(-10, 365);
  return {
    notBefore: daysFrom(now, -10).toISOString().slice(0, 10),
    notAfter: daysFrom(now, 365).toISOString().slice(0, 10),
    file: opensslP12({ key, certs: [valid], password }),
    expiring: opensslP12({ key, certs: [chilean(-300, 10)], password }),
  };
}

/**
 * The report on a Costa Rican physical person's key from the SINPE sandbox CA (cédula física 0601230456, valid from
 * 2025-01-15): checks file.format passed, key.strength warned (RSA 1024), environment.production failed (staging),
 * file.name skipped.
 */
export function costaRicanSandboxReport(holderName: string): CertReport {
  return {
    verdict: 'fail',
    environment: 'staging',
    holder: { name: holderName, country: 'CR', idType: 'cpf', id: '0601230456' },
    certificate: {
      subject: 'CN=ANA MORA SOLANO',
      issuer: 'CN=CA SINPE - PERSONA FISICA SANDBOX',
      serial: '01',
      notBefore: '2025-01-15T10:00:00.000Z',
      notAfter: '2027-01-15T10:00:00.000Z',
      fingerprintSha256: 'AA',
      chainLength: 1,
    },
    checks: [
      { id: 'file.format', status: 'pass', code: 'ok', messageKey: 'certs:ok.file.format' },
      { id: 'key.strength', status: 'warn', code: 'key.weak', messageKey: 'certs:key.weak', params: { keyType: 'rsa', bits: 1024 } },
      { id: 'environment.production', status: 'fail', code: 'environment.staging', messageKey: 'certs:environment.staging' },
      { id: 'file.name', status: 'skip', code: 'skip.no-file-name', messageKey: 'certs:skip.no-file-name' },
    ],
  };
}
