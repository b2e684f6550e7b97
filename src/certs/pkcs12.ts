/**
 * Open a PKCS#12 (.p12/.pfx) container: sniff what the file is, check sizes and iteration counts before any
 * key derivation, verify the MAC, decrypt the bags and hand back native KeyObjects and X509Certificates.
 * Never throws: every outcome is a value with a stable code. The password and key material stay inside.
 */
import { type KeyObject, X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { describeKey, spkiOf } from './x509.ts';
import { DerError, type DerNode, TAG, algorithm, children, contextTag, expectTag, octets, oid, parseWhole, readNode, seq, uint } from './der.ts';
import { DecryptError, LimitError, Limits, UnsupportedError, decrypt, describe, iterationsOf, macInfo, passwordOf, verifyMac, type MacInfo } from './pbe.ts';

export const DEFAULT_MAX_BYTES = 64 * 1024;
export const DEFAULT_MAX_ITERATIONS = 600_000;

export interface OpenOptions {
  maxBytes?: number;
  maxIterations?: number;
}

export type OpenFailureCode =
  | 'file.empty'
  | 'file.too-large'
  | 'file.truncated'
  | 'file.zip'
  | 'file.pem'
  | 'file.certificate-only'
  | 'file.not-pkcs12'
  | 'file.unsupported-protection'
  | 'limits.iterations'
  | 'secret.incorrect';

export interface KeyInfo {
  /** The private key, when Node can load it; undefined for key types it does not know. */
  key?: KeyObject;
  /** 'rsa' | 'rsa-pss' | 'ec' | 'ed25519' | 'ed448' | 'dsa' | 'x25519' … or the algorithm OID when unknown. */
  type: string;
  bits?: number;
  curve?: string;
  /** SubjectPublicKeyInfo DER of the matching public key, for pairing with certificates. */
  spki?: Buffer;
  localKeyId?: string;
  friendlyName?: string;
}

export interface Protection {
  mac?: MacInfo;
  /** One entry per encrypted part: e.g. `pbeWithSHA1-rc2-40-cbc`, `pbes2-pbkdf2-hmac-sha256-aes-256-cbc`. */
  ciphers: string[];
  /** Highest iteration count seen. */
  maxIterations: number;
}

export type OpenResult =
  | { ok: true; keys: KeyInfo[]; certificates: X509Certificate[]; protection: Protection; unprotected: boolean }
  | {
      ok: false;
      code: OpenFailureCode;
      params?: Record<string, string | number>;
      /** True when the MAC proved the secret right before something else failed. */
      secretVerified?: boolean;
      /** Certificates found when the file holds certificates but no PKCS#12 (PEM or DER certificate). */
      certificates?: X509Certificate[];
    };

type Failure = Extract<OpenResult, { ok: false }>;

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
} as const;

/** Private key algorithm OIDs, to name a key type Node cannot load. */
const KEY_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'rsa',
  '1.2.840.113549.1.1.10': 'rsa-pss',
  '1.2.840.10045.2.1': 'ec',
  '1.2.840.10040.4.1': 'dsa',
  '1.3.101.112': 'ed25519',
  '1.3.101.113': 'ed448',
  '1.3.101.110': 'x25519',
  '1.3.101.111': 'x448',
  '1.2.643.2.2.19': 'gost2001',
};

const fail = (code: OpenFailureCode, extra: Omit<Failure, 'ok' | 'code'> = {}): Failure => ({ ok: false, code, ...extra });

export function openPkcs12(file: Uint8Array, secret: string, options: OpenOptions = {}): OpenResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  try {
    if (file.length > maxBytes) return fail('file.too-large', { params: { size: file.length, limit: maxBytes } });
    const raw = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
    const sniffed = sniff(raw);
    if (!Buffer.isBuffer(sniffed)) return sniffed;
    return openDer(sniffed, secret, maxIterations);
  } catch (e) {
    return failureOf(e);
  }
}

function failureOf(e: unknown, secretVerified?: boolean): Failure {
  const extra = secretVerified ? { secretVerified } : {};
  if (e instanceof LimitError) return fail('limits.iterations', { params: { iterations: e.iterations, limit: e.limit }, ...extra });
  if (e instanceof UnsupportedError) return fail('file.unsupported-protection', { params: { algorithm: e.algorithm }, ...extra });
  if (e instanceof DerError && e.kind === 'truncated') return fail('file.truncated', extra);
  return fail('file.not-pkcs12', extra);
}

const isWhitespace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/** Tell apart what people upload instead of a .p12. Returns the DER to open, or a failure. */
function sniff(raw: Buffer): Buffer | Failure {
  if (raw.length === 0 || raw.every(isWhitespace)) return fail('file.empty');
  // Zip local file header, empty archive, spanned archive (an .p12 inside a .zip, or an .xlsx…).
  if (raw[0] === 0x50 && raw[1] === 0x4b && (raw[2] === 3 || raw[2] === 5 || raw[2] === 7)) return fail('file.zip');
  const head = raw.subarray(0, 4096).toString('latin1');
  if (head.includes('-----BEGIN')) return fromPem(raw.toString('latin1'));
  if (raw[0] !== TAG.SEQUENCE) {
    // A .p12 pasted as base64 text.
    const text = raw.toString('latin1').replace(/\s+/g, '');
    if (text.length >= 64 && /^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
      const der = Buffer.from(text, 'base64');
      if (der[0] === TAG.SEQUENCE) return der;
    }
    return fail('file.not-pkcs12');
  }
  return raw;
}

function fromPem(text: string): Failure {
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) return fail('file.pem');
  const certs: X509Certificate[] = [];
  for (const m of text.matchAll(/-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END/g)) {
    try {
      certs.push(new X509Certificate(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')));
    } catch {
      // A damaged block: still a PEM file.
    }
  }
  if (certs.length > 0) return fail('file.certificate-only', { certificates: certs });
  return fail('file.pem');
}

interface Parsed {
  keys: KeyInfo[];
  certificates: X509Certificate[];
  ciphers: string[];
  encrypted: boolean;
}

function openDer(buf: Buffer, secret: string, maxIterations: number): OpenResult {
  const top = readNode(buf, 0); // truncation shows here
  const parts = children(buf, top);
  const [versionNode, authSafeNode, macNode] = parts;
  if (!versionNode || versionNode.tag !== TAG.INTEGER || !authSafeNode || authSafeNode.tag !== TAG.SEQUENCE) {
    return looksLikeCertificate(buf, top);
  }
  if (uint(buf, versionNode, 'PFX version') !== 3) return fail('file.not-pkcs12');

  // authSafe ContentInfo: data (password integrity) or signedData (public-key integrity, unsupported here).
  const [typeNode, explicitNode] = seq(buf, authSafeNode, 'authSafe');
  const contentType = oid(buf, typeNode, 'authSafe content type');
  if (contentType !== OID.data) throw new UnsupportedError(`authSafe ${contentType}`);
  if (!explicitNode || contextTag(explicitNode) !== 0) throw new DerError('malformed', 'authSafe content missing');
  const [dataNode] = children(buf, explicitNode);
  const authSafe = octets(buf, expectTag(dataNode, TAG.OCTET_STRING, 'authSafe data'));
  const asBuf = authSafe;
  const contentInfos = children(asBuf, expectTag(parseWhole(asBuf), TAG.SEQUENCE, 'AuthenticatedSafe'));

  // Every count readable before derivation: the MAC's and each encryptedData's.
  const mac = macNode ? macInfo(buf, macNode) : undefined;
  let highest = mac?.iterations ?? 0;
  const encryptedAlgs: DerNode[] = [];
  for (const ci of contentInfos) {
    const [t, body] = seq(asBuf, ci, 'ContentInfo');
    const type = oid(asBuf, t, 'ContentInfo type');
    if (type === OID.encryptedData) {
      const alg = encryptedContentInfo(asBuf, body).alg;
      encryptedAlgs.push(alg);
      highest = Math.max(highest, iterationsOf(asBuf, alg));
    } else if (type === OID.data) {
      highest = Math.max(highest, plainBagIterations(asBuf, body));
    } else {
      throw new UnsupportedError(`content ${type}`);
    }
  }
  if (highest > maxIterations) throw new LimitError(highest, maxIterations);

  const limits = new Limits(maxIterations);
  const password = passwordOf(secret);
  let verifiedBmp: Buffer | undefined;
  if (macNode) {
    verifiedBmp = verifyMac(buf, macNode, authSafe, password, limits);
    if (!verifiedBmp) return fail('secret.incorrect');
  }

  const bmpCandidates = verifiedBmp ? [verifiedBmp] : password.bmp;
  let lastError: unknown;
  for (const bmp of bmpCandidates) {
    try {
      const parsed = readContents(asBuf, contentInfos, { bmp, utf8: password.utf8 }, limits);
      const ciphers = [...encryptedAlgs.map((a) => describe(asBuf, a)), ...parsed.ciphers];
      const protection: Protection = { ciphers, maxIterations: highest };
      if (mac) protection.mac = mac;
      return {
        ok: true,
        keys: parsed.keys,
        certificates: parsed.certificates,
        protection,
        unprotected: !macNode && !parsed.encrypted,
      };
    } catch (e) {
      lastError = e;
      if (!(e instanceof DecryptError || (e instanceof DerError && e.kind === 'malformed'))) break;
    }
  }
  if (lastError instanceof DecryptError || (lastError instanceof DerError && lastError.kind === 'malformed')) {
    // The MAC took the secret but the contents do not decrypt: a second password or a broken export.
    if (macNode) return fail('file.unsupported-protection', { params: { algorithm: 'cipher-password' }, secretVerified: true });
    return fail('secret.incorrect');
  }
  return failureOf(lastError, macNode !== undefined);
}

/** The highest iteration count of the shrouded key bags in an unencrypted `data` ContentInfo (readable before any derivation). */
function plainBagIterations(buf: Buffer, body: DerNode | undefined): number {
  if (!body || contextTag(body) !== 0) throw new DerError('malformed', 'data content missing');
  const [octetNode] = children(buf, body);
  const safeContents = octets(buf, expectTag(octetNode, TAG.OCTET_STRING, 'data'));
  let highest = 0;
  for (const bag of children(safeContents, expectTag(parseWhole(safeContents), TAG.SEQUENCE, 'SafeContents'))) {
    const [idNode, valueWrap] = seq(safeContents, bag, 'SafeBag');
    if (oid(safeContents, idNode, 'bag type') !== OID.shroudedKeyBag || !valueWrap || contextTag(valueWrap) !== 0) continue;
    const [value] = children(safeContents, valueWrap);
    const [algNode] = seq(safeContents, value, 'EncryptedPrivateKeyInfo');
    if (algNode) highest = Math.max(highest, iterationsOf(safeContents, algNode));
  }
  return highest;
}

/** Not a PFX: a bare X.509 certificate gets its own code; anything else is not a PKCS#12. */
function looksLikeCertificate(buf: Buffer, top: DerNode): Failure {
  try {
    const cert = new X509Certificate(buf.subarray(top.start, top.end));
    return fail('file.certificate-only', { certificates: [cert] });
  } catch {
    return fail('file.not-pkcs12');
  }
}

function encryptedContentInfo(buf: Buffer, body: DerNode | undefined): { alg: DerNode; data: Buffer } {
  if (!body || contextTag(body) !== 0) throw new DerError('malformed', 'encryptedData content missing');
  const [encryptedData] = children(buf, body);
  const [, eci] = seq(buf, encryptedData, 'EncryptedData');
  const [, algNode, contentNode] = seq(buf, eci, 'EncryptedContentInfo');
  if (!algNode) throw new DerError('malformed', 'content encryption algorithm missing');
  if (!contentNode || contextTag(contentNode) !== 0) return { alg: algNode, data: Buffer.alloc(0) };
  return { alg: algNode, data: octets(buf, contentNode) };
}

function readContents(buf: Buffer, contentInfos: DerNode[], password: { bmp: Buffer; utf8: Buffer }, limits: Limits): Parsed {
  const out: Parsed = { keys: [], certificates: [], ciphers: [], encrypted: false };
  for (const ci of contentInfos) {
    const [t, body] = seq(buf, ci, 'ContentInfo');
    const type = oid(buf, t, 'ContentInfo type');
    let safeContents: Buffer;
    if (type === OID.data) {
      if (!body || contextTag(body) !== 0) throw new DerError('malformed', 'data content missing');
      const [octetNode] = children(buf, body);
      safeContents = octets(buf, expectTag(octetNode, TAG.OCTET_STRING, 'data'));
    } else {
      out.encrypted = true;
      const { alg, data } = encryptedContentInfo(buf, body);
      safeContents = decrypt(buf, alg, data, password, limits);
      try {
        parseWhole(safeContents);
      } catch {
        throw new DecryptError('not SafeContents after decryption');
      }
    }
    readBags(safeContents, out, password, limits, 0);
  }
  return out;
}

function readBags(buf: Buffer, out: Parsed, password: { bmp: Buffer; utf8: Buffer }, limits: Limits, depth: number): void {
  if (depth > 4) throw new DerError('malformed', 'SafeContents nested too deep');
  for (const bag of children(buf, expectTag(parseWhole(buf), TAG.SEQUENCE, 'SafeContents'))) {
    const [idNode, valueWrap, attrs] = seq(buf, bag, 'SafeBag');
    const bagId = oid(buf, idNode, 'bag type');
    if (!valueWrap || contextTag(valueWrap) !== 0) throw new DerError('malformed', 'bag value missing');
    const [value] = children(buf, valueWrap);
    if (!value) throw new DerError('malformed', 'bag value empty');
    const attributes = readAttributes(buf, attrs);
    if (bagId === OID.keyBag) {
      out.keys.push({ ...keyInfo(buf.subarray(value.start, value.end)), ...attributes });
    } else if (bagId === OID.shroudedKeyBag) {
      out.encrypted = true;
      const [algNode, dataNode] = seq(buf, value, 'EncryptedPrivateKeyInfo');
      if (!algNode || !dataNode) throw new DerError('malformed', 'EncryptedPrivateKeyInfo incomplete');
      out.ciphers.push(describe(buf, algNode));
      const der = decrypt(buf, algNode, octets(buf, dataNode), password, limits);
      try {
        parseWhole(der);
      } catch {
        throw new DecryptError('not a PrivateKeyInfo after decryption');
      }
      out.keys.push({ ...keyInfo(der), ...attributes });
    } else if (bagId === OID.certBag) {
      const [certId, certWrap] = seq(buf, value, 'CertBag');
      if (oid(buf, certId, 'cert type') !== OID.x509Certificate) continue;
      if (!certWrap || contextTag(certWrap) !== 0) throw new DerError('malformed', 'certificate missing');
      const [certOctets] = children(buf, certWrap);
      const der = octets(buf, expectTag(certOctets, TAG.OCTET_STRING, 'certificate'));
      try {
        out.certificates.push(new X509Certificate(der));
      } catch {
        // A certificate Node cannot read is left out; the checks will say what is missing.
      }
    } else if (bagId === OID.safeContentsBag) {
      readBags(buf.subarray(value.start, value.end), out, password, limits, depth + 1);
    }
  }
}

function readAttributes(buf: Buffer, attrs: DerNode | undefined): Pick<KeyInfo, 'localKeyId' | 'friendlyName'> {
  const out: Pick<KeyInfo, 'localKeyId' | 'friendlyName'> = {};
  if (!attrs || attrs.tag !== TAG.SET) return out;
  for (const attr of children(buf, attrs)) {
    try {
      const [t, values] = seq(buf, attr, 'attribute');
      const type = oid(buf, t, 'attribute type');
      const [first] = values ? children(buf, values) : [];
      if (!first) continue;
      if (type === OID.localKeyId) out.localKeyId = octets(buf, first).toString('hex');
      else if (type === OID.friendlyName) out.friendlyName = Buffer.from(octets(buf, first)).swap16().toString('utf16le');
    } catch {
      // Attributes are informative only.
    }
  }
  return out;
}

/** Load a PKCS#8 PrivateKeyInfo natively; when Node cannot, still name the key type from its OID. */
function keyInfo(der: Buffer): KeyInfo {
  try {
    const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const info: KeyInfo = { key, ...describeKey(key) };
    const spki = spkiOf(createPublicKey(key));
    if (spki) info.spki = spki;
    return info;
  } catch {
    try {
      const [, algNode] = seq(der, parseWhole(der), 'PrivateKeyInfo');
      const keyOid = algorithm(der, algNode, 'key algorithm').oid;
      return { type: KEY_ALGORITHMS[keyOid] ?? keyOid };
    } catch {
      throw new DecryptError('not a PrivateKeyInfo');
    }
  }
}
