/** Taxpayer ids: parsing Chilean RUTs and Costa Rican cédulas as customers type them, and finding the holder's id inside an X.509 certificate. */
import type { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import type { Country, IdType } from './report.ts';

export type ParsedId =
  | { ok: true; idType: IdType; id: string }
  | { ok: false; code: 'id.empty' | 'id.format' | 'id.check-digit' };

export interface CertificateIdentity {
  country?: Country;
  idType?: IdType;
  /** Normalised id, present whenever the value could be normalised (also when its check digit is wrong). */
  id?: string;
  /** The value exactly as found in the certificate. */
  raw?: string;
  source?: 'san-8321' | 'san-8658' | 'serialNumber' | 'ou';
  valid: boolean;
  code?: 'id.format' | 'id.check-digit';
}

// ---------------------------------------------------------------------------
// Chile: RUT (Rol Único Tributario)

/** Módulo 11 check digit of the RUT body: weights 2..7 from the right; 11 → '0', 10 → 'K'. */
export function rutCheckDigit(body: string): string {
  let sum = 0;
  let weight = 2;
  for (let i = body.length - 1; i >= 0; i--) {
    sum += Number(body[i]) * weight;
    weight = weight === 7 ? 2 : weight + 1;
  }
  const dv = 11 - (sum % 11);
  return dv === 11 ? '0' : dv === 10 ? 'K' : String(dv);
}

type RutAnalysis =
  | { kind: 'empty' }
  | { kind: 'format' }
  | { kind: 'ok' | 'check-digit'; id: string };

/** Shared by parseRut and identityOf: the latter also needs the normalised id when only the check digit is wrong. */
function analyseRut(text: string): RutAnalysis {
  // Customers paste with dots, spaces, a 'CL' or 'RUT:' prefix, lowercase k.
  let s = text.trim().toUpperCase();
  if (s === '') return { kind: 'empty' };
  s = s.replace(/^(?:CL|RUT|R\.U\.T\.?)\s*[:.]?\s*/, '');
  s = s.replace(/[\s.]/g, '');
  const m = /^(\d{1,12})-?([0-9K])$/.exec(s);
  if (!m) return { kind: 'format' };
  const body = (m[1] ?? '').replace(/^0+/, '');
  const dv = m[2] ?? '';
  // A RUT body has at most 8 significant digits (the highest in use are ~ 99 million).
  if (body === '' || body.length > 8) return { kind: 'format' };
  const id = `${body}-${dv}`;
  return { kind: rutCheckDigit(body) === dv ? 'ok' : 'check-digit', id };
}

/** Parses a Chilean RUT: '12.345.678-5', '12345678-5', '123456785', 'k' or 'K', leading zeros; id is '12345678-5'. */
export function parseRut(text: string): ParsedId {
  const a = analyseRut(text);
  switch (a.kind) {
    case 'empty':
      return { ok: false, code: 'id.empty' };
    case 'format':
      return { ok: false, code: 'id.format' };
    case 'check-digit':
      return { ok: false, code: 'id.check-digit' };
    case 'ok':
      return { ok: true, idType: 'rut', id: a.id };
  }
}

// ---------------------------------------------------------------------------
// Costa Rica: cédula física (cpf), jurídica (cpj), DIMEX, NITE. No check digits; structure only (python-stdnum rules).

const CR_PREFIX = /^(CPF|CPJ|DIMEX|NITE)(?:[\s:_-]+|(?=\d))/;

/** Class 3 juridical-person types per Registro Nacional (python-stdnum cr.cpj). */
const CPJ_CLASS_3_TYPES = new Set([
  '002', '003', '004', '005', '006', '007', '008', '009', '010', '011', '012', '013', '014',
  '101', '102', '103', '104', '105', '106', '107', '108', '109', '110',
]);

function isCpj(digits: string): boolean {
  if (digits.length !== 10) return false;
  const cls = digits[0];
  const type = digits.slice(1, 4);
  switch (cls) {
    case '2':
      return ['100', '200', '300', '400'].includes(type);
    case '3':
      return CPJ_CLASS_3_TYPES.has(type);
    case '4':
      return type === '000';
    case '5':
      return type === '001';
    default:
      return false;
  }
}

/** Cédula física as 10 digits '0P TTTT AAAA', or undefined. Groups typed without padding ('1-613-584') are padded. */
function asCpf(groups: string[]): string | undefined {
  let digits: string;
  const [p, t, a] = groups;
  if (groups.length === 3 && p !== undefined && t !== undefined && a !== undefined) {
    if (p.length > 2 || t.length > 4 || a.length > 4) return undefined;
    digits = p.padStart(2, '0') + t.padStart(4, '0') + a.padStart(4, '0');
  } else {
    digits = groups.join('');
    if (digits.length === 9) digits = `0${digits}`;
  }
  // Province digit 1-9 behind the leading zero.
  return /^0[1-9]\d{8}$/.test(digits) ? digits : undefined;
}

/** Parses a Costa Rican id as typed by customers or as found in a certificate serialNumber ('CPF-02-0586-0860'). */
export function parseCedula(text: string): ParsedId {
  let s = text.trim().toUpperCase();
  if (s === '') return { ok: false, code: 'id.empty' };
  let forced: IdType | undefined;
  const pm = CR_PREFIX.exec(s);
  if (pm) {
    forced = (pm[1] ?? '').toLowerCase() as IdType;
    s = s.slice(pm[0].length);
  }
  const groups = s.split(/[\s.-]+/).filter((g) => g !== '');
  if (groups.length === 0 || !groups.every((g) => /^\d+$/.test(g))) return { ok: false, code: 'id.format' };
  const digits = groups.join('');

  const cpf = (): ParsedId => {
    const id = asCpf(groups);
    return id ? { ok: true, idType: 'cpf', id } : { ok: false, code: 'id.format' };
  };
  const cpj = (): ParsedId => (isCpj(digits) ? { ok: true, idType: 'cpj', id: digits } : { ok: false, code: 'id.format' });
  const dimex = (): ParsedId =>
    /^1\d{10,11}$/.test(digits) ? { ok: true, idType: 'dimex', id: digits } : { ok: false, code: 'id.format' };
  // NITE has no published structure beyond 10 digits, so it is only accepted when labelled as such:
  // a bare 10-digit number that is neither a cpf nor a valid cpj is far more likely a typo.
  const nite = (): ParsedId => (/^\d{10}$/.test(digits) ? { ok: true, idType: 'nite', id: digits } : { ok: false, code: 'id.format' });

  switch (forced) {
    case 'cpf':
      return cpf();
    case 'cpj':
      return cpj();
    case 'dimex':
      return dimex();
    case 'nite':
      return nite();
    default:
      break;
  }
  // A grouping the customer typed says which kind they mean: 0P-TTTT-AAAA is physical, C-TTT-NNNNNN juridical.
  const lens = groups.map((g) => g.length);
  if (groups.length === 3 && (lens[0] ?? 0) <= 2 && (lens[1] ?? 0) <= 4 && (lens[2] ?? 0) <= 4) return cpf();
  if (groups.length === 3 && lens.join() === '1,3,6') return cpj();
  const asPhysical = asCpf(groups);
  if (asPhysical) return { ok: true, idType: 'cpf', id: asPhysical };
  if (digits.length === 10) return cpj();
  if (digits.length === 11 || digits.length === 12) return dimex();
  return { ok: false, code: 'id.format' };
}

// ---------------------------------------------------------------------------
// Certificates

const OID_SAN = '2.5.29.17';
const OID_RUT_SII = '1.3.6.1.4.1.8321.1';
const OID_RUT_ECERT_OLD = '1.3.6.1.4.1.8658.1';
const OID_SERIAL_NUMBER = '2.5.4.5';
const OID_OU = '2.5.4.11';

type Asn1 = forge.asn1.Asn1;

function children(node: Asn1 | undefined): Asn1[] {
  return node && Array.isArray(node.value) ? node.value : [];
}

function bytesOf(node: Asn1 | undefined): string | undefined {
  return node && typeof node.value === 'string' ? node.value : undefined;
}

function oidOf(node: Asn1 | undefined): string | undefined {
  if (!node || node.tagClass !== forge.asn1.Class.UNIVERSAL || node.type !== forge.asn1.Type.OID) return undefined;
  const b = bytesOf(node);
  return b === undefined ? undefined : forge.asn1.derToOid(b);
}

/** Text of a DirectoryString-like value; undefined for anything that is not a string type. */
function textOf(node: Asn1 | undefined): string | undefined {
  if (!node || node.tagClass !== forge.asn1.Class.UNIVERSAL) return undefined;
  const b = bytesOf(node);
  if (b === undefined) return undefined;
  const T = forge.asn1.Type;
  switch (node.type as number) {
    case T.UTF8:
      try {
        return forge.util.decodeUtf8(b);
      } catch {
        return undefined;
      }
    case T.PRINTABLESTRING:
    case T.IA5STRING:
    case 20: // TeletexString: treated as Latin-1, which is what issuers actually put in it
    case 26: // VisibleString
      return b;
    case T.BMPSTRING: {
      let out = '';
      for (let i = 0; i + 1 < b.length; i += 2) out += String.fromCharCode((b.charCodeAt(i) << 8) | b.charCodeAt(i + 1));
      return out;
    }
    default:
      return undefined;
  }
}

interface CertParts {
  subjectAttrs: { oid: string; value: string }[];
  otherNames: { oid: string; value: string | undefined }[];
}

/** Pulls subject attributes and SAN otherNames out of the DER; undefined when the structure is not a certificate. */
function certParts(der: Uint8Array): CertParts | undefined {
  let root: Asn1;
  try {
    root = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(der).toString('binary')));
  } catch {
    return undefined;
  }
  const tbs = children(root)[0];
  const fields = children(tbs);
  // Skip the optional explicit [0] version so the positional fields line up.
  const first = fields[0];
  const offset = first && first.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && first.type === 0 ? 1 : 0;
  const subject = fields[offset + 4];
  const parts: CertParts = { subjectAttrs: [], otherNames: [] };

  for (const rdn of children(subject)) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      const oid = oidOf(type);
      const text = textOf(value);
      if (oid && text !== undefined) parts.subjectAttrs.push({ oid, value: text });
    }
  }

  const extsWrapper = fields.find((f) => f.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && f.type === 3);
  for (const ext of children(children(extsWrapper)[0])) {
    const items = children(ext);
    if (oidOf(items[0]) !== OID_SAN) continue;
    const octets = bytesOf(items[items.length - 1]);
    if (octets === undefined) continue;
    let names: Asn1;
    try {
      names = forge.asn1.fromDer(forge.util.createBuffer(octets));
    } catch {
      continue;
    }
    for (const gn of children(names)) {
      // otherName is [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY }.
      if (gn.tagClass !== forge.asn1.Class.CONTEXT_SPECIFIC || gn.type !== 0) continue;
      const [typeId, wrapped] = children(gn);
      const oid = oidOf(typeId);
      if (!oid) continue;
      parts.otherNames.push({ oid, value: textOf(children(wrapped)[0]) });
    }
  }
  return parts;
}

function rutIdentity(raw: string, source: CertificateIdentity['source']): CertificateIdentity {
  const a = analyseRut(raw);
  const base: CertificateIdentity = { country: 'CL', idType: 'rut', raw, source, valid: false };
  if (a.kind === 'ok') return { ...base, id: a.id, valid: true };
  if (a.kind === 'check-digit') return { ...base, id: a.id, code: 'id.check-digit' };
  return { ...base, code: 'id.format' };
}

function cedulaIdentity(raw: string, source: CertificateIdentity['source']): CertificateIdentity {
  const p = parseCedula(raw);
  const typed = CR_PREFIX.exec(raw.trim().toUpperCase())?.[1]?.toLowerCase() as IdType | undefined;
  if (p.ok) return { country: 'CR', idType: p.idType, id: p.id, raw, source, valid: true };
  return { country: 'CR', ...(typed ? { idType: typed } : {}), raw, source, valid: false, code: 'id.format' };
}

// A RUT written with its hyphen, as Chilean CAs put it in serialNumber or OU ('12345678-5', '12.345.678-K', 'RUT: …').
const RUT_IN_TEXT = /(?:^|[^\d.])(\d{1,2}\.?\d{3}\.?\d{3}-[\dkK])(?![\dA-Za-z])/;

/** The holder's taxpayer id as the certificate states it; undefined when the certificate carries none. */
export function identityOf(cert: X509Certificate): CertificateIdentity | undefined {
  const parts = certParts(cert.raw);
  if (!parts) return undefined;

  // The SII's own OID is authoritative for Chile; the old E-Certchile OID predates it.
  for (const [oid, source] of [
    [OID_RUT_SII, 'san-8321'],
    [OID_RUT_ECERT_OLD, 'san-8658'],
  ] as const) {
    const on = parts.otherNames.find((n) => n.oid === oid);
    if (on) {
      if (on.value === undefined) return { country: 'CL', idType: 'rut', source, valid: false, code: 'id.format' };
      return rutIdentity(on.value, source);
    }
  }

  for (const attr of parts.subjectAttrs.filter((a) => a.oid === OID_SERIAL_NUMBER)) {
    const v = attr.value.trim();
    // Hacienda and BCCR SINPE: 'CPF-02-0586-0860', 'CPJ-3-101-131140'.
    if (CR_PREFIX.test(v.toUpperCase())) return cedulaIdentity(attr.value, 'serialNumber');
    const m = RUT_IN_TEXT.exec(v);
    if (m?.[1]) return rutIdentity(m[1], 'serialNumber');
  }

  for (const attr of parts.subjectAttrs.filter((a) => a.oid === OID_OU)) {
    const m = RUT_IN_TEXT.exec(attr.value);
    if (m?.[1]) return rutIdentity(m[1], 'ou');
  }
  return undefined;
}
