/** What the checks need from an X.509 certificate beyond node:crypto's X509Certificate: keyUsage bits, names, key size. */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { TAG, children, content, contextTag, expectTag, oid, parseWhole, seq } from './der.ts';
import { CURVE_BITS } from './curves.ts';

export interface KeyUsage {
  digitalSignature: boolean;
  nonRepudiation: boolean;
  keyEncipherment: boolean;
  keyCertSign: boolean;
}

const OID_KEY_USAGE = '2.5.29.15';

/** The keyUsage extension, or undefined when the certificate has none (or it cannot be read). */
export function keyUsageOf(cert: X509Certificate): KeyUsage | undefined {
  try {
    const der = cert.raw;
    const [tbs] = seq(der, parseWhole(der), 'Certificate');
    const extsWrap = seq(der, tbs, 'TBSCertificate').find((n) => contextTag(n) === 3);
    if (!extsWrap) return undefined;
    const [exts] = children(der, extsWrap);
    for (const ext of seq(der, exts, 'Extensions')) {
      const parts = seq(der, ext, 'Extension');
      if (oid(der, parts[0], 'extension id') !== OID_KEY_USAGE) continue;
      const value = parts.find((n, i) => i > 0 && n.tag === TAG.OCTET_STRING);
      if (!value) return undefined;
      const inner = content(der, value);
      const bits = content(inner, expectTag(parseWhole(inner), TAG.BIT_STRING, 'keyUsage'));
      const b1 = bits[1] ?? 0;
      return {
        digitalSignature: (b1 & 0x80) !== 0,
        nonRepudiation: (b1 & 0x40) !== 0,
        keyEncipherment: (b1 & 0x20) !== 0,
        keyCertSign: (b1 & 0x04) !== 0,
      };
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** The values of one attribute (CN, O, C…) in an X509Certificate subject or issuer string. */
export function nameAttribute(name: string, attr: string): string[] {
  return name
    .split('\n')
    .filter((line) => line.startsWith(`${attr}=`))
    .map((line) => line.slice(attr.length + 1).replace(/^"|"$/g, ''));
}

/** One line for people: `CN=…, O=…, C=…` (most specific first, as certificates are usually shown). */
export function oneLine(name: string): string {
  return name.split('\n').reverse().join(', ');
}

export interface KeyDescription {
  type: string;
  bits?: number;
  curve?: string;
}

export function describeKey(key: KeyObject): KeyDescription {
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  const out: KeyDescription = { type };
  if (details.modulusLength) out.bits = details.modulusLength;
  if (details.namedCurve) {
    out.curve = details.namedCurve;
    const bits = CURVE_BITS[details.namedCurve];
    if (bits) out.bits = bits;
  }
  if (type === 'ed25519' || type === 'x25519') out.bits = 256;
  if (type === 'ed448' || type === 'x448') out.bits = 448;
  return out;
}

export function spkiOf(key: KeyObject): Buffer | undefined {
  try {
    return key.export({ type: 'spki', format: 'der' });
  } catch {
    return undefined;
  }
}
