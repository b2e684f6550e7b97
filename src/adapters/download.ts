/**
 * Fetching a file a customer shared on a channel (Slack, Teams), into memory only: the declared
 * size is checked before the download and the real size while reading, and an HTML page (Slack's
 * sign-in page, a SharePoint error) is told apart from a file.
 */
import type { FileRefusal } from '../conversation/messages.ts';

export type Download = { ok: true; bytes: Uint8Array } | { ok: false; reason: FileRefusal; size?: number };

export interface DownloadOptions {
  url: string;
  /** Bearer token for the file host (Slack); absent for pre-authorised links (Teams). */
  token?: string;
  maxBytes: number;
  /** The size Slack says the file has; refused at once when over the limit. */
  declaredSize?: number;
  timeoutMs?: number;
  fetchFn?: typeof fetch;
}

const looksLikeHtml = (head: Uint8Array): boolean => /^\s*<(!doctype|html|head|body)/i.test(Buffer.from(head.subarray(0, 64)).toString('latin1'));

export async function downloadFile({ url, token, maxBytes, declaredSize, timeoutMs = 10_000, fetchFn = fetch }: DownloadOptions): Promise<Download> {
  if (declaredSize !== undefined && declaredSize > maxBytes) return { ok: false, reason: 'too-large', size: declaredSize };
  let res: Response;
  try {
    res = await fetchFn(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return { ok: false, reason: 'download-failed' };
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    return { ok: false, reason: 'download-failed' };
  }
  const length = Number(res.headers.get('content-length'));
  if (Number.isFinite(length) && length > maxBytes) {
    await res.body.cancel().catch(() => undefined);
    return { ok: false, reason: 'too-large', size: length };
  }
  if ((res.headers.get('content-type') ?? '').startsWith('text/html')) {
    await res.body.cancel().catch(() => undefined);
    return { ok: false, reason: 'not-a-file' };
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, reason: 'too-large', size: total };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, reason: 'download-failed' };
  }
  const bytes = new Uint8Array(Buffer.concat(chunks));
  if (looksLikeHtml(bytes)) return { ok: false, reason: 'not-a-file' };
  return { ok: true, bytes };
}
