/**
 * The certificate checker's heart: open the file, pick the key and certificate that belong together,
 * and run every check in CHECK_IDS order. Synchronous and total: it never throws, a failure is a report.
 * The secret and private key material never reach the report.
 */
import type { X509Certificate } from 'node:crypto';
import { identityOf, parseCedula, parseRut, type CertificateIdentity } from './identity.ts';
import { openPkcs12, type KeyInfo, type OpenResult } from './pkcs12.ts';
import { CHECK_IDS, type CertReport, type CertificateInfo, type Check, type CheckId, type CheckStatus, type Country, type Environment, type Holder, type InspectOptions, type Verdict } from './report.ts';
import { describeKey, keyUsageOf, nameAttribute, oneLine, spkiOf, type KeyDescription } from './x509.ts';

const DAY_MS = 86_400_000;
/** Certificates looked at for pairing and chains; real files hold up to four or five. */
const MAX_CERTIFICATES = 32;
/** Warn when a certificate has fewer days than this left. */
export const EXPIRY_WARNING_DAYS = 30;

type Params = Record<string, string | number>;

/** Builds the list of checks; anything not set explicitly ends up skipped because something earlier failed. */
class Checks {
  private readonly map = new Map<CheckId, Check>();

  constructor(private readonly country: Country | undefined) {}

  pass(id: CheckId, params?: Params): void {
    this.set(id, 'pass', 'ok', `ok.${id}`, params);
  }

  problem(id: CheckId, status: 'warn' | 'fail', code: string, params?: Params): void {
    this.set(id, status, code, messageFor(code, this.country), params);
  }

  skip(id: CheckId, code = 'skip.earlier-failure'): void {
    this.set(id, 'skip', code, code);
  }

  private set(id: CheckId, status: CheckStatus, code: string, key: string, params?: Params): void {
    const check: Check = { id, status, code, messageKey: `certs:${key}` };
    if (params && Object.keys(params).length > 0) check.params = params;
    this.map.set(id, check);
  }

  list(): Check[] {
    return CHECK_IDS.map((id) => this.map.get(id) ?? { id, status: 'skip' as const, code: 'skip.earlier-failure', messageKey: 'certs:skip.earlier-failure' });
  }
}

/** Codes whose advice depends on the country (which procedure fixes it): `certs:<code>-cl` / `-cr`. */
const COUNTRY_MESSAGES = new Set([
  'secret.incorrect',
  'key.missing',
  'certificate.expired',
  'certificate.expires-soon',
  'certificate.not-yet-valid',
  'identity.mismatch',
]);

function messageFor(code: string, country: Country | undefined): string {
  return country && COUNTRY_MESSAGES.has(code) ? `${code}-${country.toLowerCase()}` : code;
}

export function verdictOf(checks: readonly Check[]): Verdict {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  if (checks.some((c) => c.status === 'warn')) return 'warning';
  return 'ok';
}

function report(checks: Checks, extra: Partial<Omit<CertReport, 'verdict' | 'checks'>> = {}): CertReport {
  const list = checks.list();
  const out: CertReport = { verdict: verdictOf(list), checks: list, environment: extra.environment ?? 'unknown' };
  if (extra.holder) out.holder = extra.holder;
  if (extra.certificate) out.certificate = extra.certificate;
  return out;
}

export function inspect(file: Uint8Array, secret: string, options: InspectOptions = {}): CertReport {
  try {
    // Defensive at the worker boundary: a structured-cloned ArrayBuffer or a missing secret still gets a report.
    const bytes = file instanceof Uint8Array ? file : new Uint8Array(file as ArrayBufferLike);
    return run(bytes, typeof secret === 'string' ? secret : '', options ?? {});
  } catch {
    // Nothing from the error: its text could quote file contents.
    const checks = new Checks(options.country);
    checks.problem('file.format', 'fail', 'file.unreadable');
    return report(checks);
  }
}

function run(file: Uint8Array, secret: string, options: InspectOptions): CertReport {
  const now = options.now ?? new Date();
  const opened: OpenResult = openPkcs12(file, secret, { maxBytes: options.maxBytes, maxIterations: options.maxIterations });

  if (!opened.ok) {
    const checks = new Checks(options.country);
    const { code, params } = opened;
    if (code === 'file.too-large') {
      checks.skip('file.format', 'skip.not-read');
      checks.problem('file.limits', 'fail', code, params);
      return report(checks);
    }
    if (code === 'limits.iterations') {
      checks.pass('file.format');
      checks.problem('file.limits', 'fail', code, params);
      return report(checks);
    }
    if (code === 'secret.incorrect') {
      checks.pass('file.format');
      checks.pass('file.limits');
      checks.problem('secret.correct', 'fail', code, params);
      return report(checks);
    }
    checks.problem('file.format', 'fail', code, params);
    if (opened.secretVerified) {
      checks.pass('file.limits');
      checks.pass('secret.correct');
    }
    // A certificate without its key: still say whose it is and until when, it helps the conversation.
    const cert = opened.certificates?.[0];
    if (cert) {
      const identity = identityOf(cert);
      const country = options.country ?? guessCountry(cert, identity);
      const certificate = certificateInfo(cert, describeKey(cert.publicKey), chainLength(cert, opened.certificates?.slice(0, MAX_CERTIFICATES) ?? []));
      return report(checks, { certificate, holder: holderOf(cert, identity, country), environment: environmentOf(cert, country) });
    }
    return report(checks);
  }

  const { keys } = opened;
  // Chain and pairing work is quadratic: a real file holds a handful of certificates, a hostile one hundreds.
  const certificates = opened.certificates.slice(0, MAX_CERTIFICATES);
  const picked = pick(keys, certificates, now);
  const cert = picked.cert;
  const identity = cert ? identityOf(cert) : undefined;
  const country = options.country ?? (cert ? guessCountry(cert, identity) : undefined);
  const checks = new Checks(country);

  checks.pass('file.format');
  checks.pass('file.limits', { iterations: opened.protection.maxIterations });
  if (opened.unprotected) checks.problem('secret.correct', 'warn', 'file.unprotected');
  else checks.pass('secret.correct');

  if (keys.length === 0) checks.problem('key.present', 'fail', 'key.missing');
  else checks.pass('key.present', { keyType: (picked.key ?? keys[0] ?? { type: 'unknown' }).type });

  if (!cert) {
    checks.problem('key.matches-certificate', 'fail', 'certificate.missing');
    return report(checks);
  }

  const keyDescription: KeyDescription = picked.key ? { type: picked.key.type, ...(picked.key.bits ? { bits: picked.key.bits } : {}) } : describeKey(cert.publicKey);
  const certificate = certificateInfo(cert, keyDescription, chainLength(cert, certificates));
  const holder = holderOf(cert, identity, country);
  const environment = environmentOf(cert, country);

  if (keys.length === 0) checks.skip('key.matches-certificate');
  else if (picked.key) checks.pass('key.matches-certificate');
  else if (keys.every((k) => !k.spki)) checks.skip('key.matches-certificate', 'skip.not-comparable');
  else checks.problem('key.matches-certificate', 'fail', 'key.mismatch', { keys: keys.length, certificates: certificates.length });

  validity(checks, cert, now);
  identityChecks(checks, identity, options.expectedId, country);
  environmentCheck(checks, cert, country);
  usage(checks, cert);
  strength(checks, keyDescription);
  fileName(checks, options.fileName, country, holder);

  return report(checks, { holder, certificate, environment });
}

interface Picked {
  key?: KeyInfo;
  cert?: X509Certificate;
}

const validAt = (cert: X509Certificate, now: Date) => new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);

/** The pair that belongs together and is valid now; else any pair; else the most likely end-entity certificate. */
function pick(keys: readonly KeyInfo[], certs: readonly X509Certificate[], now: Date): Picked {
  const certSpki = certs.map((c) => spkiOf(c.publicKey));
  const pairs: Array<Required<Picked>> = [];
  for (const key of keys) {
    if (!key.spki) continue;
    certs.forEach((cert, i) => {
      const spki = certSpki[i];
      if (spki && key.spki && spki.equals(key.spki)) pairs.push({ key, cert });
    });
  }
  const best = pairs.find((p) => validAt(p.cert, now)) ?? pairs[0];
  if (best) return best;
  const leaves = certs.filter((c) => !c.ca && !certs.some((other) => other !== c && safeIssued(other, c)));
  const pool = leaves.length > 0 ? leaves : certs;
  const cert = pool.find((c) => validAt(c, now)) ?? pool[0];
  return cert ? { cert } : {};
}

/** True when `child` was issued by `parent`: names match and the signature checks out (keyUsage of the parent is not judged here). */
function safeIssued(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.issuer === parent.subject && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

function chainLength(leaf: X509Certificate, certs: readonly X509Certificate[]): number {
  const seen = new Set<X509Certificate>([leaf]);
  let current = leaf;
  for (;;) {
    if (current.issuer === current.subject) break; // self-signed root
    const parent = certs.find((c) => !seen.has(c) && safeIssued(current, c));
    if (!parent) break;
    seen.add(parent);
    current = parent;
  }
  return seen.size;
}

function certificateInfo(cert: X509Certificate, key: KeyDescription, chain: number): CertificateInfo {
  const info: CertificateInfo = {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    serial: cert.serialNumber.toUpperCase(),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprintSha256: cert.fingerprint256,
    keyType: key.type,
    chainLength: chain,
  };
  if (key.bits) info.keyBits = key.bits;
  return info;
}

const CR_ISSUER = /HACIENDA|SINPE|CA PERSONA (FISICA|JURIDICA)|BCCR|BANCO CENTRAL DE COSTA RICA/i;

function guessCountry(cert: X509Certificate, identity: CertificateIdentity | undefined): Country | undefined {
  if (CR_ISSUER.test(cert.issuer)) return 'CR';
  if (identity?.country) return identity.country;
  if (identity?.idType === 'rut') return 'CL';
  if (identity?.idType) return 'CR';
  const c = nameAttribute(cert.subject, 'C')[0] ?? nameAttribute(cert.issuer, 'C')[0];
  return c === 'CL' || c === 'CR' ? c : undefined;
}

function holderOf(cert: X509Certificate, identity: CertificateIdentity | undefined, country: Country | undefined): Holder {
  const holder: Holder = {};
  const name = nameAttribute(cert.subject, 'CN')[0];
  if (name) holder.name = name;
  const c = identity?.country ?? country;
  if (c) holder.country = c;
  if (identity?.idType) holder.idType = identity.idType;
  if (identity?.id) holder.id = identity.id;
  return holder;
}

const isStaging = (cert: X509Certificate) =>
  [...nameAttribute(cert.issuer, 'CN'), ...nameAttribute(cert.issuer, 'O')].some((v) => /SANDBOX|PRUEBAS?\b|STAGING/i.test(v));

function environmentOf(cert: X509Certificate, country: Country | undefined): Environment {
  if (isStaging(cert)) return 'staging';
  if (country === 'CR') return 'production';
  return 'unknown';
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

function validity(checks: Checks, cert: X509Certificate, now: Date): void {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now < from) {
    checks.problem('certificate.validity', 'fail', 'certificate.not-yet-valid', { date: isoDate(from), days: Math.ceil((from.getTime() - now.getTime()) / DAY_MS) });
  } else if (now > to) {
    checks.problem('certificate.validity', 'fail', 'certificate.expired', { date: isoDate(to), days: Math.floor((now.getTime() - to.getTime()) / DAY_MS) });
  } else {
    const days = Math.floor((to.getTime() - now.getTime()) / DAY_MS);
    if (days < EXPIRY_WARNING_DAYS) checks.problem('certificate.validity', 'warn', 'certificate.expires-soon', { date: isoDate(to), days });
    else checks.pass('certificate.validity', { date: isoDate(to), days });
  }
}

function identityChecks(checks: Checks, identity: CertificateIdentity | undefined, expectedId: string | undefined, country: Country | undefined): void {
  if (!identity) {
    checks.problem('identity.present', 'fail', 'identity.missing');
    checks.skip('identity.valid');
    checks.skip('identity.matches');
    return;
  }
  checks.pass('identity.present', identity.idType ? { idType: identity.idType } : undefined);
  const found = identity.id ?? identity.raw ?? '';
  if (identity.valid) checks.pass('identity.valid');
  else checks.problem('identity.valid', 'fail', identity.code === 'id.check-digit' ? 'identity.check-digit' : 'identity.format', { found });

  if (expectedId === undefined || expectedId.trim() === '') {
    checks.skip('identity.matches', 'skip.not-requested');
    return;
  }
  const useRut = identity.idType ? identity.idType === 'rut' : country === 'CL';
  const parsed = useRut ? parseRut(expectedId) : parseCedula(expectedId);
  const expected = parsed.ok ? parsed.id : expectedId.trim();
  const plain = (s: string) => s.replace(/[^0-9A-Za-z]/g, '').replace(/^0+/, '').toUpperCase();
  if (identity.id !== undefined && (identity.id === expected || plain(identity.id) === plain(expected))) checks.pass('identity.matches', { expected });
  else checks.problem('identity.matches', 'fail', 'identity.mismatch', { expected, found });
}

function environmentCheck(checks: Checks, cert: X509Certificate, country: Country | undefined): void {
  if (isStaging(cert)) checks.problem('environment.production', 'fail', 'environment.staging');
  else if (country === 'CR') checks.pass('environment.production');
  else checks.skip('environment.production', 'skip.not-applicable');
}

function usage(checks: Checks, cert: X509Certificate): void {
  const ku = keyUsageOf(cert);
  if (!ku || ku.digitalSignature || ku.nonRepudiation) checks.pass('key.usage');
  else checks.problem('key.usage', 'fail', 'key.usage-no-signing');
}

function strength(checks: Checks, key: KeyDescription): void {
  const params: Params = { keyType: key.type, ...(key.bits ? { bits: key.bits } : {}) };
  const bits = key.bits ?? 0;
  let status: 'pass' | 'warn' | 'fail';
  switch (key.type) {
    case 'rsa':
    case 'rsa-pss':
      status = bits >= 2048 ? 'pass' : bits >= 1024 ? 'warn' : 'fail';
      break;
    case 'ec':
      status = bits >= 256 ? 'pass' : bits >= 224 ? 'warn' : 'fail';
      break;
    case 'ed25519':
    case 'ed448':
      status = 'pass';
      break;
    case 'dsa':
      status = 'warn';
      break;
    default:
      checks.skip('key.strength', 'skip.not-comparable');
      return;
  }
  if (status === 'pass') checks.pass('key.strength', params);
  else checks.problem('key.strength', status, 'key.weak', params);
}

function fileName(checks: Checks, name: string | undefined, country: Country | undefined, holder: Holder): void {
  if (!name) return checks.skip('file.name', 'skip.no-file-name');
  if (country !== 'CR' || !holder.id) return checks.skip('file.name', 'skip.not-applicable');
  const base = name.split(/[\\/]/).pop() ?? name;
  const id = holder.id.replace(/\D/g, '');
  const runs = base.match(/\d+/g) ?? [];
  if (id !== '' && runs.some((r) => r.startsWith(id))) checks.pass('file.name', { expected: id });
  else checks.problem('file.name', 'warn', 'file.name-mismatch', { expected: id, found: base });
}
