/**
 * Password-based encryption and MAC for PKCS#12: the PKCS#12 KDF (RFC 7292 appendix B), PKCS#12 PBE
 * ciphers, PBES2 (PBKDF2 or scrypt with AES, 3DES or Camellia), the legacy MAC and PBMAC1 (RFC 9579).
 * Native crypto does the work; node-forge only supplies RC2, which OpenSSL 3 no longer has by default.
 * Every iteration count (and scrypt cost) is checked against the cap before any derivation starts.
 */
import { createDecipheriv, createHmac, hash as nativeHash, pbkdf2Sync, scryptSync, timingSafeEqual } from 'node:crypto';
import forge from 'node-forge';
import { DerError, type DerNode, TAG, algorithm, octets, seq, uint } from './der.ts';

/** An algorithm the checker knows but refuses (RC4, MD4…) or does not know at all. */
export class UnsupportedError extends Error {
  constructor(readonly algorithm: string) {
    super(`unsupported algorithm ${algorithm}`);
    this.name = 'UnsupportedError';
  }
}

/** An iteration count (or scrypt cost) above the cap. */
export class LimitError extends Error {
  constructor(
    readonly iterations: number,
    readonly limit: number,
  ) {
    super(`iteration count ${iterations} above ${limit}`);
    this.name = 'LimitError';
  }
}

/** Decryption failed: bad padding or a plaintext that is not the expected structure (wrong password). */
export class DecryptError extends Error {
  constructor(message = 'decryption failed') {
    super(message);
    this.name = 'DecryptError';
  }
}

/** The password in the encodings PKCS#12 uses. */
export interface Password {
  /** BMPString candidates (UTF-16BE plus two zero bytes; for "" also zero-length), most likely first. */
  bmp: Buffer[];
  /** UTF-8 bytes, what PBKDF2/scrypt/PBMAC1 take. */
  utf8: Buffer;
}

export function passwordOf(secret: string): Password {
  const utf8 = Buffer.from(secret, 'utf8');
  if (secret === '') return { bmp: [Buffer.alloc(2), Buffer.alloc(0)], utf8 };
  const bmp = Buffer.alloc(secret.length * 2 + 2);
  for (let i = 0; i < secret.length; i++) bmp.writeUInt16BE(secret.charCodeAt(i), i * 2);
  const candidates = [bmp];
  // Some old OpenSSL builds widened each UTF-8 byte instead of converting: accept that too, as OpenSSL does.
  if (utf8.length !== secret.length) {
    const widened = Buffer.alloc(utf8.length * 2 + 2);
    for (let i = 0; i < utf8.length; i++) widened[i * 2 + 1] = utf8[i] as number;
    candidates.push(widened);
  }
  return { bmp: candidates, utf8 };
}

interface Digest {
  name: string;
  /** Output length (u) and block length (v) in bytes. */
  u: number;
  v: number;
}

const DIGESTS: Record<string, Digest> = {
  '1.3.14.3.2.26': { name: 'sha1', u: 20, v: 64 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', u: 28, v: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', u: 32, v: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', u: 48, v: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', u: 64, v: 128 },
  '2.16.840.1.101.3.4.2.5': { name: 'sha512-224', u: 28, v: 128 },
  '2.16.840.1.101.3.4.2.6': { name: 'sha512-256', u: 32, v: 128 },
  '1.2.840.113549.2.5': { name: 'md5', u: 16, v: 64 },
};

const REFUSED: Record<string, string> = {
  '1.2.840.113549.2.2': 'md2',
  '1.2.840.113549.2.4': 'md4',
  '1.2.840.113549.1.12.1.1': 'pbeWithSHAAnd128BitRC4',
  '1.2.840.113549.1.12.1.2': 'pbeWithSHAAnd40BitRC4',
  '1.2.840.113549.1.5.1': 'pbeWithMD2AndDES-CBC',
  '1.2.840.113549.1.5.3': 'pbeWithMD5AndDES-CBC',
  '1.2.840.113549.1.5.4': 'pbeWithMD2AndRC2-CBC',
  '1.2.840.113549.1.5.6': 'pbeWithMD5AndRC2-CBC',
  '1.2.840.113549.1.5.10': 'pbeWithSHA1AndDES-CBC',
  '1.2.840.113549.1.5.11': 'pbeWithSHA1AndRC2-CBC',
};

const unsupported = (oidText: string): UnsupportedError => new UnsupportedError(REFUSED[oidText] ?? oidText);

/** HMAC PRFs for PBKDF2 / PBMAC1. */
const HMACS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
  '1.2.840.113549.2.12': 'sha512-224',
  '1.2.840.113549.2.13': 'sha512-256',
};

/** PBES2 encryption schemes Node can run natively: cipher name, key length. */
const PBES2_CIPHERS: Record<string, { name: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
  '1.2.392.200011.61.1.1.1.2': { name: 'camellia-128-cbc', keyLength: 16 },
  '1.2.392.200011.61.1.1.1.3': { name: 'camellia-192-cbc', keyLength: 24 },
  '1.2.392.200011.61.1.1.1.4': { name: 'camellia-256-cbc', keyLength: 32 },
};

/** PKCS#12 PBE schemes (SHA-1 KDF): key and IV lengths and the cipher. */
const PKCS12_PBE: Record<string, { name: string; keyLength: number; ivLength: number; rc2Bits?: number }> = {
  '1.2.840.113549.1.12.1.3': { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
  '1.2.840.113549.1.12.1.4': { name: 'des-ede-cbc', keyLength: 16, ivLength: 8 },
  '1.2.840.113549.1.12.1.5': { name: 'rc2-128-cbc', keyLength: 16, ivLength: 8, rc2Bits: 128 },
  '1.2.840.113549.1.12.1.6': { name: 'rc2-40-cbc', keyLength: 5, ivLength: 8, rc2Bits: 40 },
};

const OID_PBES2 = '1.2.840.113549.1.5.13';
const OID_PBKDF2 = '1.2.840.113549.1.5.12';
const OID_SCRYPT = '1.3.6.1.4.1.11591.4.11';
export const OID_PBMAC1 = '1.2.840.113549.1.5.14';

/** Largest scrypt memory (128·N·r bytes) we agree to spend. */
const SCRYPT_MAX_MEMORY = 256 * 1024 * 1024;

/** How many derivations a legitimate file needs at most, in units of its largest count (MAC, two bags, two password encodings). */
const WORK_FACTOR = 12;

/** The iteration cap for each count, and a budget for all derivations of one file together. */
export class Limits {
  private spent = 0;
  readonly budget: number;

  constructor(readonly maxIterations: number) {
    this.budget = maxIterations * WORK_FACTOR;
  }

  /** Refuse a count above the cap; call before deriving anything with it. */
  check(iterations: number): void {
    if (!(iterations >= 1)) throw new DerError('malformed', 'iteration count below 1');
    if (iterations > this.maxIterations) throw new LimitError(iterations, this.maxIterations);
  }

  /** Account for `iterations` × `blocks` hash or PRF rounds about to be spent; refuse past the budget. */
  spend(iterations: number, blocks = 1): void {
    this.check(iterations);
    this.spent += iterations * blocks;
    if (this.spent > this.budget) throw new LimitError(this.spent, this.budget);
  }
}

/** RFC 7292 appendix B.2: derive `n` bytes for purpose `id` (1 key, 2 IV, 3 MAC). */
export function pkcs12Kdf(digest: Digest, password: Buffer, salt: Buffer, id: 1 | 2 | 3, iterations: number, n: number): Buffer {
  const { u, v } = digest;
  const fill = (src: Buffer): Buffer => {
    if (src.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length] as number;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(password)]);
  const blocks = Math.ceil(n / u);
  const out: Buffer[] = [];
  for (let i = 1; i <= blocks; i++) {
    let A = nativeHash(digest.name, Buffer.concat([D, I]), 'buffer');
    for (let j = 1; j < iterations; j++) A = nativeHash(digest.name, A, 'buffer');
    out.push(A);
    if (i < blocks) {
      const B = Buffer.alloc(v);
      for (let k = 0; k < v; k++) B[k] = A[k % u] as number;
      for (let off = 0; off < I.length; off += v) {
        // I_j = (I_j + B + 1) mod 2^(8v)
        let carry = 1;
        for (let k = v - 1; k >= 0; k--) {
          const sum = (I[off + k] as number) + (B[k] as number) + carry;
          I[off + k] = sum & 0xff;
          carry = sum >> 8;
        }
      }
    }
  }
  return Buffer.concat(out).subarray(0, n);
}

/** Iteration counts an AlgorithmIdentifier will spend, read without deriving anything (0 when none). */
export function iterationsOf(buf: Buffer, algNode: DerNode): number {
  const alg = algorithm(buf, algNode, 'encryption algorithm');
  if (PKCS12_PBE[alg.oid]) return uint(buf, seq(buf, alg.params, 'PBE parameters')[1], 'PBE iterations');
  if (alg.oid === OID_PBES2) {
    const [kdfNode] = seq(buf, alg.params, 'PBES2 parameters');
    const kdf = algorithm(buf, kdfNode, 'PBES2 KDF');
    const p = seq(buf, kdf.params, 'KDF parameters');
    if (kdf.oid === OID_PBKDF2) return uint(buf, p[1], 'PBKDF2 iterations');
    if (kdf.oid === OID_SCRYPT) return uint(buf, p[1], 'scrypt cost');
  }
  return 0;
}

/** A short, non-secret name for the protection an AlgorithmIdentifier describes (for the report). */
export function describe(buf: Buffer, algNode: DerNode): string {
  try {
    const alg = algorithm(buf, algNode, 'encryption algorithm');
    const pbe = PKCS12_PBE[alg.oid];
    if (pbe) return `pbeWithSHA1-${pbe.name}`;
    if (alg.oid === OID_PBES2) {
      const [kdfNode, encNode] = seq(buf, alg.params, 'PBES2 parameters');
      const kdf = algorithm(buf, kdfNode, 'PBES2 KDF');
      const enc = algorithm(buf, encNode, 'PBES2 cipher');
      const cipher = PBES2_CIPHERS[enc.oid]?.name ?? enc.oid;
      if (kdf.oid === OID_SCRYPT) return `pbes2-scrypt-${cipher}`;
      const prfNode = seq(buf, kdf.params, 'PBKDF2 parameters').find((n) => n.tag === TAG.SEQUENCE);
      const prf = prfNode ? (HMACS[algorithm(buf, prfNode, 'PRF').oid] ?? 'unknown') : 'sha1';
      return `pbes2-pbkdf2-hmac-${prf}-${cipher}`;
    }
    return REFUSED[alg.oid] ?? alg.oid;
  } catch {
    return 'unknown';
  }
}

function runDecipher(name: string, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  let decipher;
  try {
    decipher = createDecipheriv(name, key, iv);
  } catch {
    throw new UnsupportedError(name);
  }
  try {
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new DecryptError('bad padding');
  }
}

function rc2Decrypt(key: Buffer, iv: Buffer, bits: number, data: Buffer): Buffer {
  const cipher = forge.rc2.createDecryptionCipher(key.toString('binary'), bits);
  cipher.start(iv.toString('binary'));
  cipher.update(forge.util.createBuffer(data.toString('binary')));
  if (!cipher.finish()) throw new DecryptError('bad padding');
  return Buffer.from(cipher.output.getBytes(), 'binary');
}

/**
 * Decrypt `data` encrypted with the AlgorithmIdentifier at `algNode`. `bmp` is the BMPString password the
 * MAC accepted (or the candidate under trial). Throws LimitError, UnsupportedError, DecryptError or DerError.
 */
export function decrypt(buf: Buffer, algNode: DerNode, data: Buffer, password: { bmp: Buffer; utf8: Buffer }, limits: Limits): Buffer {
  const alg = algorithm(buf, algNode, 'encryption algorithm');
  const pbe = PKCS12_PBE[alg.oid];
  if (pbe) {
    const p = seq(buf, alg.params, 'PBE parameters');
    const salt = octets(buf, p[0] ?? missing('PBE salt'));
    const iterations = uint(buf, p[1], 'PBE iterations');
    const sha1 = DIGESTS['1.3.14.3.2.26'] as Digest;
    limits.spend(iterations, Math.ceil(pbe.keyLength / sha1.u) + Math.ceil(pbe.ivLength / sha1.u));
    const key = pkcs12Kdf(sha1, password.bmp, salt, 1, iterations, pbe.keyLength);
    const iv = pkcs12Kdf(sha1, password.bmp, salt, 2, iterations, pbe.ivLength);
    return pbe.rc2Bits ? rc2Decrypt(key, iv, pbe.rc2Bits, data) : runDecipher(pbe.name, key, iv, data);
  }
  if (alg.oid !== OID_PBES2) throw unsupported(alg.oid);
  const [kdfNode, encNode] = seq(buf, alg.params, 'PBES2 parameters');
  const kdf = algorithm(buf, kdfNode, 'PBES2 KDF');
  const enc = algorithm(buf, encNode, 'PBES2 cipher');
  const cipher = PBES2_CIPHERS[enc.oid];
  if (!cipher) throw unsupported(enc.oid);
  const iv = octets(buf, enc.params ?? missing('PBES2 IV'));
  const key = deriveKey(buf, kdf, cipher.keyLength, password.utf8, limits);
  return runDecipher(cipher.name, key, iv, data);
}

function missing(what: string): never {
  throw new DerError('malformed', `${what} missing`);
}

/** PBKDF2 or scrypt from PBES2/PBMAC1 parameters, password as UTF-8. */
function deriveKey(buf: Buffer, kdf: { oid: string; params?: DerNode }, defaultLength: number, utf8: Buffer, limits: Limits): Buffer {
  const p = seq(buf, kdf.params, 'KDF parameters');
  const saltNode = p[0] ?? missing('KDF salt');
  if (saltNode.tag !== TAG.OCTET_STRING && saltNode.tag !== 0x24) throw new UnsupportedError('pbkdf2-other-source-salt');
  const salt = octets(buf, saltNode);
  if (kdf.oid === OID_PBKDF2) {
    const iterations = uint(buf, p[1], 'PBKDF2 iterations');
    limits.check(iterations);
    let keyLength = defaultLength;
    let prf = 'sha1';
    for (const n of p.slice(2)) {
      if (n.tag === TAG.INTEGER) keyLength = uint(buf, n, 'PBKDF2 key length');
      else if (n.tag === TAG.SEQUENCE) {
        const prfOid = algorithm(buf, n, 'PBKDF2 PRF').oid;
        const name = HMACS[prfOid];
        if (!name) throw unsupported(prfOid);
        prf = name;
      }
    }
    if (keyLength !== defaultLength) throw new DerError('malformed', 'PBKDF2 key length does not fit the cipher');
    limits.spend(iterations, Math.ceil(keyLength / 32));
    return pbkdf2Sync(utf8, salt, iterations, keyLength, prf);
  }
  if (kdf.oid === OID_SCRYPT) {
    const N = uint(buf, p[1], 'scrypt cost');
    const r = uint(buf, p[2], 'scrypt block size');
    const parallel = uint(buf, p[3], 'scrypt parallelization');
    limits.check(N);
    const memory = 128 * N * r;
    if (memory > SCRYPT_MAX_MEMORY || N * r * parallel > limits.maxIterations * 16) throw new LimitError(N, limits.maxIterations);
    limits.spend(N, r * parallel);
    const lengthNode = p[4];
    const keyLength = lengthNode ? uint(buf, lengthNode, 'scrypt key length') : defaultLength;
    if (keyLength !== defaultLength) throw new DerError('malformed', 'scrypt key length does not fit');
    try {
      return scryptSync(utf8, salt, keyLength, { N, r, p: parallel, maxmem: memory * 2 + 1024 * 1024 });
    } catch {
      throw new UnsupportedError('scrypt parameters');
    }
  }
  throw unsupported(kdf.oid);
}

export interface MacInfo {
  algorithm: string;
  iterations: number;
  kind: 'pkcs12' | 'pbmac1';
}

/** What a MacData will cost and use, read without deriving anything. Throws UnsupportedError for MD4 and the like. */
export function macInfo(buf: Buffer, macNode: DerNode): MacInfo {
  const [digestInfo, , itNode] = seq(buf, macNode, 'MacData');
  const [algNode] = seq(buf, digestInfo, 'MAC DigestInfo');
  const alg = algorithm(buf, algNode, 'MAC algorithm');
  if (alg.oid === OID_PBMAC1) {
    const [kdfNode, schemeNode] = seq(buf, alg.params, 'PBMAC1 parameters');
    const kdf = algorithm(buf, kdfNode, 'PBMAC1 KDF');
    const scheme = algorithm(buf, schemeNode, 'PBMAC1 scheme');
    const hmac = HMACS[scheme.oid];
    if (kdf.oid !== OID_PBKDF2 || !hmac) throw unsupported(kdf.oid !== OID_PBKDF2 ? kdf.oid : scheme.oid);
    const p = seq(buf, kdf.params, 'PBKDF2 parameters');
    return { algorithm: `pbmac1-hmac-${hmac}`, iterations: uint(buf, p[1], 'PBKDF2 iterations'), kind: 'pbmac1' };
  }
  const digest = DIGESTS[alg.oid];
  if (!digest) throw unsupported(alg.oid);
  return { algorithm: `hmac-${digest.name}`, iterations: itNode ? uint(buf, itNode, 'MAC iterations') : 1, kind: 'pkcs12' };
}

/**
 * Verify the MAC over `authSafe` (the content octets of the authSafe data). Returns the BMPString candidate
 * that verified (the one the PKCS#12 PBE ciphers use), or undefined when no candidate does.
 */
export function verifyMac(buf: Buffer, macNode: DerNode, authSafe: Buffer, password: Password, limits: Limits): Buffer | undefined {
  const info = macInfo(buf, macNode);
  limits.check(info.iterations);
  const [digestInfo, saltNode] = seq(buf, macNode, 'MacData');
  const [algNode, valueNode] = seq(buf, digestInfo, 'MAC DigestInfo');
  const expected = octets(buf, valueNode ?? missing('MAC value'));
  const salt = octets(buf, saltNode ?? missing('MAC salt'));
  const same = (mac: Buffer) => mac.length === expected.length && timingSafeEqual(mac, expected);
  const alg = algorithm(buf, algNode, 'MAC algorithm');
  if (info.kind === 'pbmac1') {
    const [kdfNode, schemeNode] = seq(buf, alg.params, 'PBMAC1 parameters');
    const scheme = HMACS[algorithm(buf, schemeNode, 'PBMAC1 scheme').oid] as string;
    const kdf = algorithm(buf, kdfNode, 'PBMAC1 KDF');
    const p = seq(buf, kdf.params, 'PBKDF2 parameters');
    const lengthNode = p.find((n, i) => i >= 2 && n.tag === TAG.INTEGER);
    const keyLength = lengthNode ? uint(buf, lengthNode, 'PBMAC1 key length') : 32;
    if (keyLength < 1 || keyLength > 256) throw new DerError('malformed', 'PBMAC1 key length');
    const prfNode = p.find((n, i) => i >= 2 && n.tag === TAG.SEQUENCE);
    const prf = prfNode ? HMACS[algorithm(buf, prfNode, 'PRF').oid] : 'sha1';
    if (!prf) throw new UnsupportedError('pbmac1-prf');
    limits.spend(info.iterations, Math.ceil(keyLength / 32));
    const key = pbkdf2Sync(password.utf8, octets(buf, p[0] ?? missing('PBMAC1 salt')), info.iterations, keyLength, prf);
    return same(createHmac(scheme, key).update(authSafe).digest()) ? (password.bmp[0] as Buffer) : undefined;
  }
  const digest = DIGESTS[alg.oid] as Digest;
  for (const bmp of password.bmp) {
    limits.spend(info.iterations);
    const key = pkcs12Kdf(digest, bmp, salt, 3, info.iterations, digest.u);
    if (same(createHmac(digest.name, key).update(authSafe).digest())) return bmp;
  }
  return undefined;
}
