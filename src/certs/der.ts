/**
 * A small, bounded DER/BER reader for PKCS#12 and X.509 structures: tag-length-value nodes over a Buffer,
 * with indefinite lengths (BER, as some Windows/Java exports use), constructed OCTET STRINGs, a depth cap,
 * and typed errors that tell a truncated file from a malformed one.
 */

export type DerErrorKind = 'truncated' | 'malformed';

export class DerError extends Error {
  constructor(
    readonly kind: DerErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DerError';
  }
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export interface DerNode {
  /** The identifier octet as read (class, constructed bit and tag number together). */
  tag: number;
  constructed: boolean;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the last content octet (before an end-of-contents marker, for indefinite lengths). */
  contentEnd: number;
  /** Offset just past the whole element. */
  end: number;
}

const MAX_DEPTH = 40;

/** Read the element at `offset`; `limit` is the end of the enclosing element. */
export function readNode(buf: Buffer, offset: number, limit = buf.length, depth = 0): DerNode {
  if (depth > MAX_DEPTH) throw new DerError('malformed', 'nesting too deep');
  if (offset >= limit) throw new DerError(limit >= buf.length ? 'truncated' : 'malformed', 'element expected');
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('malformed', 'high tag numbers are not used here');
  const constructed = (tag & 0x20) !== 0;
  let p = offset + 1;
  if (p >= limit) throw new DerError(limit >= buf.length ? 'truncated' : 'malformed', 'length expected');
  const first = buf[p++] as number;
  if (first === 0x80) {
    if (!constructed) throw new DerError('malformed', 'indefinite length on a primitive element');
    // Indefinite length: children until an end-of-contents marker (00 00).
    let q = p;
    for (;;) {
      if (q + 2 > limit) throw new DerError(limit >= buf.length ? 'truncated' : 'malformed', 'end-of-contents expected');
      if (buf[q] === 0 && buf[q + 1] === 0) return { tag, constructed, start: offset, contentStart: p, contentEnd: q, end: q + 2 };
      q = readNode(buf, q, limit, depth + 1).end;
    }
  }
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n > 4) throw new DerError('malformed', 'length too long');
    if (p + n > limit) throw new DerError(limit >= buf.length ? 'truncated' : 'malformed', 'length octets missing');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (buf[p++] as number);
  }
  const end = p + length;
  if (end > limit) throw new DerError(end > buf.length ? 'truncated' : 'malformed', 'element longer than its container');
  return { tag, constructed, start: offset, contentStart: p, contentEnd: end, end };
}

/** The elements inside a constructed element. */
export function children(buf: Buffer, node: DerNode, depth = 0): DerNode[] {
  if (!node.constructed) throw new DerError('malformed', 'constructed element expected');
  const out: DerNode[] = [];
  let p = node.contentStart;
  while (p < node.contentEnd) {
    const child = readNode(buf, p, node.contentEnd, depth + 1);
    out.push(child);
    p = child.end;
  }
  return out;
}

/** Parse a whole buffer that must hold exactly one element (trailing bytes make it malformed). */
export function parseWhole(buf: Buffer): DerNode {
  const node = readNode(buf, 0);
  if (node.end !== buf.length) throw new DerError('malformed', 'bytes after the element');
  return node;
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node) throw new DerError('malformed', `${what} missing`);
  // A constructed OCTET STRING (BER) is still an OCTET STRING.
  const ok = node.tag === tag || (tag === TAG.OCTET_STRING && node.tag === 0x24);
  if (!ok) throw new DerError('malformed', `${what}: unexpected tag 0x${node.tag.toString(16)}`);
  return node;
}

export function seq(buf: Buffer, node: DerNode | undefined, what: string): DerNode[] {
  return children(buf, expectTag(node, TAG.SEQUENCE, what));
}

export function content(buf: Buffer, node: DerNode): Buffer {
  return buf.subarray(node.contentStart, node.contentEnd);
}

/** The octets of an OCTET STRING (or an implicitly tagged one), concatenating BER constructed pieces. */
export function octets(buf: Buffer, node: DerNode, depth = 0): Buffer {
  if (!node.constructed) return content(buf, node);
  if (depth > 8) throw new DerError('malformed', 'octet string nesting too deep');
  return Buffer.concat(children(buf, node).map((c) => octets(buf, c, depth + 1)));
}

export function oid(buf: Buffer, node: DerNode | undefined, what = 'OID'): string {
  const n = expectTag(node, TAG.OID, what);
  const bytes = content(buf, n);
  if (bytes.length === 0 || bytes.length > 64) throw new DerError('malformed', `${what}: bad length`);
  const parts: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 256) throw new DerError('malformed', `${what}: arc too large`);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  if ((bytes[bytes.length - 1] as number) & 0x80) throw new DerError('malformed', `${what}: unterminated`);
  return parts.join('.');
}

/** A non-negative INTEGER as a number; values beyond 2^48 come back as Infinity (callers cap them). */
export function uint(buf: Buffer, node: DerNode | undefined, what: string): number {
  const n = expectTag(node, TAG.INTEGER, what);
  const bytes = content(buf, n);
  if (bytes.length === 0) throw new DerError('malformed', `${what}: empty integer`);
  if ((bytes[0] as number) & 0x80) throw new DerError('malformed', `${what}: negative`);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  if (bytes.length - start > 6) return Infinity;
  let v = 0;
  for (let i = start; i < bytes.length; i++) v = v * 256 + (bytes[i] as number);
  return v;
}

/** Context-specific tag number of a node ([0] → 0), or -1 when the node is not context-specific. */
export function contextTag(node: DerNode): number {
  return (node.tag & 0xc0) === 0x80 ? node.tag & 0x1f : -1;
}

/** An AlgorithmIdentifier: its OID and the parameters node, if any (NULL counts as none). */
export function algorithm(buf: Buffer, node: DerNode | undefined, what: string): { oid: string; params?: DerNode } {
  const parts = seq(buf, node, what);
  const id = oid(buf, parts[0], what);
  const params = parts[1];
  return params && params.tag !== TAG.NULL ? { oid: id, params } : { oid: id };
}
