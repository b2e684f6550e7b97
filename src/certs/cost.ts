/**
 * What a certificate check will cost, read from the file before any key is derived, in "rounds":
 * one round is one iteration of the PKCS#12 SHA-1 KDF for one output block (a JavaScript-driven
 * hash, the slowest thing a check does). PBKDF2 iterations run inside OpenSSL and cost about a
 * quarter of that. The pool turns rounds into CPU milliseconds with a rate it learns from the
 * checks it runs, so its budget is in CPU time, not in iteration counts: a legacy 3DES file at
 * 600,000 iterations costs about twelve times a PBES2 one at the same count.
 */
import { TAG, type DerNode, children, contextTag, expectTag, octets, oid, parseWhole, readNode, seq } from './der.ts';
import { describe, iterationsOf, macInfo } from './pbe.ts';

export interface CostEstimate {
  /** Rounds of key derivation the check would spend at most (a wrong PIN stops after the MAC). */
  rounds: number;
  /** The largest iteration count in the file (above the iteration cap inspect() refuses it without deriving). */
  maxIterations: number;
}

const DATA = '1.2.840.113549.1.7.1';
const ENCRYPTED_DATA = '1.2.840.113549.1.7.6';
const SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';
/** A PBKDF2 iteration (native) against a PKCS#12 KDF round (a hash call from JavaScript), measured on x86-64. */
const PBKDF2_WEIGHT = 0.25;
/** BMPString password encodings verifyMac may try for one secret. */
const MAC_CANDIDATES = 2;

/** Output blocks of the PKCS#12 KDF (SHA-1, 20 bytes) for each PKCS#12 PBE cipher: key plus IV. */
const PKCS12_BLOCKS: Record<string, number> = {
  'des-ede3-cbc': 3,
  'des-ede-cbc': 2,
  'rc2-128-cbc': 2,
  'rc2-40-cbc': 2,
};

/** Rounds one encryption AlgorithmIdentifier spends on one decryption. */
function roundsOf(buf: Buffer, algNode: DerNode): { rounds: number; iterations: number } {
  const iterations = iterationsOf(buf, algNode);
  const name = describe(buf, algNode);
  if (name.startsWith('pbeWithSHA1-')) return { rounds: iterations * (PKCS12_BLOCKS[name.slice('pbeWithSHA1-'.length)] ?? 3), iterations };
  if (name.startsWith('pbes2-scrypt-')) return { rounds: iterations * 4, iterations };
  if (name.startsWith('pbes2-')) return { rounds: Math.ceil(iterations * PBKDF2_WEIGHT), iterations };
  return { rounds: 0, iterations };
}

/** The DER of a PFX as inspect() would read it: raw, or pasted as base64 text. Anything else costs nothing (it is refused unread). */
function derOf(file: Uint8Array): Buffer | undefined {
  const raw = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (raw[0] === TAG.SEQUENCE) return raw;
  const text = raw.toString('latin1').replace(/\s+/g, '');
  if (text.length >= 64 && /^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    const der = Buffer.from(text, 'base64');
    if (der[0] === TAG.SEQUENCE) return der;
  }
  return undefined;
}

/**
 * The cost of checking `file`, or zero rounds when it is not a PFX we can read ahead (inspect()
 * then refuses it before deriving anything). Never throws. Encrypted bags inside encrypted
 * contents are unknown before decryption; legitimate exporters do not nest them, and the
 * worker's own budget (pbe.ts `Limits`) and the hard timeout still stop a file that does.
 */
export function estimateCost(file: Uint8Array): CostEstimate {
  try {
    const buf = derOf(file);
    if (!buf) return { rounds: 0, maxIterations: 0 };
    const top = readNode(buf, 0);
    const [, authSafeNode, macNode] = children(buf, top);
    if (!authSafeNode || authSafeNode.tag !== TAG.SEQUENCE) return { rounds: 0, maxIterations: 0 };
    const [typeNode, explicitNode] = seq(buf, authSafeNode, 'authSafe');
    if (oid(buf, typeNode, 'authSafe content type') !== DATA || !explicitNode) return { rounds: 0, maxIterations: 0 };
    const [dataNode] = children(buf, explicitNode);
    const authSafe = octets(buf, expectTag(dataNode, TAG.OCTET_STRING, 'authSafe data'));
    let rounds = 0;
    let maxIterations = 0;
    const add = (r: { rounds: number; iterations: number }) => {
      rounds += r.rounds;
      maxIterations = Math.max(maxIterations, r.iterations);
    };
    if (macNode) {
      const mac = macInfo(buf, macNode);
      add({ rounds: mac.kind === 'pbmac1' ? Math.ceil(mac.iterations * PBKDF2_WEIGHT) : mac.iterations * MAC_CANDIDATES, iterations: mac.iterations });
    }
    for (const ci of children(authSafe, expectTag(parseWhole(authSafe), TAG.SEQUENCE, 'AuthenticatedSafe'))) {
      const [t, body] = seq(authSafe, ci, 'ContentInfo');
      const type = oid(authSafe, t, 'ContentInfo type');
      if (!body || contextTag(body) !== 0) continue;
      if (type === ENCRYPTED_DATA) {
        const [encryptedData] = children(authSafe, body);
        const [, eci] = seq(authSafe, encryptedData, 'EncryptedData');
        const [, algNode] = seq(authSafe, eci, 'EncryptedContentInfo');
        if (algNode) add(roundsOf(authSafe, algNode));
      } else if (type === DATA) {
        const [octetNode] = children(authSafe, body);
        const safeContents = octets(authSafe, expectTag(octetNode, TAG.OCTET_STRING, 'data'));
        for (const bag of children(safeContents, expectTag(parseWhole(safeContents), TAG.SEQUENCE, 'SafeContents'))) {
          const [idNode, valueWrap] = seq(safeContents, bag, 'SafeBag');
          if (oid(safeContents, idNode, 'bag type') !== SHROUDED_KEY_BAG || !valueWrap || contextTag(valueWrap) !== 0) continue;
          const [value] = children(safeContents, valueWrap);
          const [algNode] = seq(safeContents, value, 'EncryptedPrivateKeyInfo');
          if (algNode) add(roundsOf(safeContents, algNode));
        }
      }
    }
    return { rounds, maxIterations };
  } catch {
    // Malformed or unsupported (DerError, UnsupportedError): inspect() says so before deriving anything.
    return { rounds: 0, maxIterations: 0 };
  }
}
