/**
 * Test certificates and PKCS#12 files made on the fly: keys from node:crypto (fast), certificates from
 * node-forge (any dates, any extensions, a RUT in subjectAltName), containers from the `openssl` CLI
 * (OpenSSL 3 defaults and `-legacy`) or from a small builder here (several keys, mismatched pairs,
 * hostile iteration counts), whose MAC uses forge's own PKCS#12 KDF as an independent implementation.
 */
import { execFileSync } from 'node:child_process';
import { type KeyObject, X509Certificate, createHmac, generateKeyPairSync, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';

export const FIXTURES = new URL('../fixtures/public/', import.meta.url);
export const fixture = (path: string): Buffer => readFileSync(new URL(path, FIXTURES));

export const DAY = 86_400_000;
export const daysFrom = (base: Date, days: number): Date => new Date(base.getTime() + days * DAY);

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function rsaKey(bits = 2048): KeyPair {
  return generateKeyPairSync('rsa', { modulusLength: bits });
}

export function ecKey(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

export interface CertSpec {
  key: KeyPair;
  /** Signs the certificate; self-signed when absent. */
  issuerKey?: KeyPair;
  subject?: Record<string, string>;
  issuer?: Record<string, string>;
  notBefore: Date;
  notAfter: Date;
  /** Chilean RUT in subjectAltName otherName 1.3.6.1.4.1.8321.1 (IA5String). */
  rut?: string;
  /** keyUsage bits; defaults to digitalSignature + nonRepudiation. */
  keyUsage?: { digitalSignature?: boolean; nonRepudiation?: boolean; keyEncipherment?: boolean; dataEncipherment?: boolean; keyCertSign?: boolean };
  ca?: boolean;
}

export interface Cert {
  der: Buffer;
  pem: string;
  x509: X509Certificate;
}

const attrs = (o: Record<string, string>): forge.pki.CertificateField[] =>
  Object.entries(o).map(([shortName, value]) =>
    shortName === 'serialNumber' ? { type: '2.5.4.5', value } : shortName.includes('.') ? { type: shortName, value } : { shortName, value },
  );

export function makeCert(spec: CertSpec): Cert {
  const { asn1, pki } = forge;
  const cert = pki.createCertificate();
  cert.publicKey = pki.publicKeyFromPem(spec.key.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  const subject = attrs(spec.subject ?? { CN: 'Test Holder', C: 'CL' });
  cert.setSubject(subject);
  cert.setIssuer(spec.issuer ? attrs(spec.issuer) : subject);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: spec.ca ?? false },
    { name: 'keyUsage', ...(spec.keyUsage ?? { digitalSignature: true, nonRepudiation: true }) },
  ];
  if (spec.rut) {
    // GeneralNames { [0] otherName { type-id 1.3.6.1.4.1.8321.1, [0] EXPLICIT IA5String } }
    const otherName = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer('1.3.6.1.4.1.8321.1').getBytes()),
      asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.IA5STRING, false, spec.rut)]),
    ]);
    extensions.push({ id: '2.5.29.17', value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [otherName]) });
  }
  cert.setExtensions(extensions);
  const signer = spec.issuerKey ?? spec.key;
  cert.sign(pki.privateKeyFromPem(signer.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()), forge.md.sha256.create());
  const der = Buffer.from(asn1.toDer(pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { der, pem: pki.certificateToPem(cert), x509: new X509Certificate(der) };
}

/** `openssl pkcs12 -export` with OpenSSL 3 defaults (AES-256/PBKDF2, HMAC-SHA256 MAC) or `-legacy` (RC2-40 + 3DES, SHA-1 MAC). */
export function opensslP12(opts: { key: KeyPair; certs: Cert[]; password: string; legacy?: boolean; args?: string[] }): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'certs-test-'));
  try {
    writeFileSync(join(dir, 'key.pem'), opts.key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'certs.pem'), opts.certs.map((c) => c.pem).join(''));
    const out = join(dir, 'out.p12');
    const args = ['pkcs12', '-export', '-inkey', join(dir, 'key.pem'), '-in', join(dir, 'certs.pem'), '-passout', 'env:P12_PASSWORD', '-out', out];
    if (opts.legacy) args.push('-legacy');
    args.push(...(opts.args ?? []));
    execFileSync('openssl', args, { env: { ...process.env, P12_PASSWORD: opts.password }, stdio: ['ignore', 'ignore', 'pipe'] });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const derOf = (a: forge.asn1.Asn1): string => forge.asn1.toDer(a).getBytes();

/**
 * A PKCS#12 built by hand: every key as a pkcs8ShroudedKeyBag (node:crypto PBES2 AES-256, 2048 iterations),
 * every certificate as a certBag, all in one unencrypted `data` ContentInfo; SHA-1 MAC with `macIterations`.
 * `fakeMac` writes the iteration count without computing the MAC (for counts too large to compute).
 */
export function buildP12(opts: {
  keys: KeyPair[];
  certs: Cert[];
  password: string;
  macIterations?: number;
  fakeMac?: boolean;
  /** RFC 9579 PBMAC1 (PBKDF2-HMAC-SHA256, HMAC-SHA256) instead of the PKCS#12 KDF MAC. */
  pbmac1?: boolean;
}): Buffer {
  const { asn1 } = forge;
  const C = asn1.Class;
  const T = asn1.Type;
  const oid = (id: string) => asn1.create(C.UNIVERSAL, T.OID, false, asn1.oidToDer(id).getBytes());
  const octets = (bytes: string) => asn1.create(C.UNIVERSAL, T.OCTETSTRING, false, bytes);
  const explicit0 = (inner: forge.asn1.Asn1) => asn1.create(C.CONTEXT_SPECIFIC, 0, true, [inner]);
  const seq = (items: forge.asn1.Asn1[]) => asn1.create(C.UNIVERSAL, T.SEQUENCE, true, items);
  const int = (n: number) => asn1.create(C.UNIVERSAL, T.INTEGER, false, asn1.integerToDer(n).getBytes());

  const bags: forge.asn1.Asn1[] = [];
  for (const key of opts.keys) {
    const encrypted = key.privateKey.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: opts.password });
    bags.push(seq([oid('1.2.840.113549.1.12.10.1.2'), explicit0(asn1.fromDer(encrypted.toString('binary')))]));
  }
  for (const cert of opts.certs) {
    const certBag = seq([oid('1.2.840.113549.1.9.22.1'), explicit0(octets(cert.der.toString('binary')))]);
    bags.push(seq([oid('1.2.840.113549.1.12.10.1.3'), explicit0(certBag)]));
  }
  const safeContents = derOf(seq(bags));
  const authSafe = derOf(seq([seq([oid('1.2.840.113549.1.7.1'), explicit0(octets(safeContents))])]));

  const iterations = opts.macIterations ?? 2048;
  const salt = randomBytes(8).toString('binary');
  let mac: Buffer;
  if (opts.fakeMac) {
    mac = randomBytes(20);
  } else {
    const macKey = forge.pkcs12.generateKey(opts.password, forge.util.createBuffer(salt), 3, iterations, 20, forge.md.sha1.create());
    mac = createHmac('sha1', Buffer.from(macKey.getBytes(), 'binary')).update(Buffer.from(authSafe, 'binary')).digest();
  }
  let macAlgorithm = seq([oid('1.3.14.3.2.26'), asn1.create(C.UNIVERSAL, T.NULL, false, '')]);
  if (opts.pbmac1) {
    const pbkdf2Salt = randomBytes(16);
    const hmacSha256 = seq([oid('1.2.840.113549.2.9'), asn1.create(C.UNIVERSAL, T.NULL, false, '')]);
    const kdf = seq([oid('1.2.840.113549.1.5.12'), seq([octets(pbkdf2Salt.toString('binary')), int(iterations), int(32), hmacSha256])]);
    macAlgorithm = seq([oid('1.2.840.113549.1.5.14'), seq([kdf, hmacSha256])]);
    const macKey = pbkdf2Sync(Buffer.from(opts.password, 'utf8'), pbkdf2Salt, iterations, 32, 'sha256');
    mac = createHmac('sha256', macKey).update(Buffer.from(authSafe, 'binary')).digest();
  }
  const macData = seq([
    seq([macAlgorithm, octets(mac.toString('binary'))]),
    octets(salt),
    int(iterations),
  ]);
  const pfx = seq([int(3), seq([oid('1.2.840.113549.1.7.1'), explicit0(octets(authSafe))]), macData]);
  return Buffer.from(derOf(pfx), 'binary');
}

const derLength = (n: number): Buffer => (n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]));

/**
 * Re-encode a DER PKCS#12 the way some Java and old Windows tools write it: BER indefinite lengths for the PFX
 * and the authSafe ContentInfo, and the authSafe data as a constructed OCTET STRING in 512-byte pieces.
 */
export function toBer(der: Buffer): Buffer {
  const header = (at: number) => {
    const first = der[at + 1] as number;
    const n = first < 0x80 ? 0 : first & 0x7f;
    let len = first < 0x80 ? first : 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[at + 2 + i] as number);
    return { content: at + 2 + n, end: at + 2 + n + len };
  };
  const pfx = header(0);
  const version = header(pfx.content);
  const contentInfo = header(version.end);
  const oid = header(contentInfo.content);
  const explicit = header(oid.end);
  const data = header(explicit.content);
  const octets = der.subarray(data.content, data.end);
  const pieces: Buffer[] = [];
  for (let i = 0; i < octets.length; i += 512) {
    const piece = octets.subarray(i, i + 512);
    pieces.push(Buffer.from([0x04]), derLength(piece.length), piece);
  }
  const EOC = Buffer.alloc(2);
  return Buffer.concat([
    Buffer.from([0x30, 0x80]),
    der.subarray(pfx.content, version.end),
    Buffer.from([0x30, 0x80]),
    der.subarray(contentInfo.content, oid.end),
    Buffer.from([0xa0, 0x80, 0x24, 0x80]),
    ...pieces,
    EOC,
    EOC,
    EOC,
    der.subarray(contentInfo.end, pfx.end),
    EOC,
  ]);
}

/** A real file whose MAC iteration count is rewritten to `iterations` (re-encoded, so lengths stay right). */
export function withMacIterations(file: Uint8Array, iterations: number): Uint8Array {
  const pfx = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(file).toString('binary')));
  const macData = Array.isArray(pfx.value) ? pfx.value[2] : undefined;
  const iterNode = macData && Array.isArray(macData.value) ? macData.value[2] : undefined;
  if (!iterNode) throw new Error('no MacData iterations in the sample file');
  iterNode.value = forge.asn1.integerToDer(iterations).getBytes();
  return new Uint8Array(Buffer.from(forge.asn1.toDer(pfx).getBytes(), 'binary'));
}
