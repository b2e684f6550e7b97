/**
 * A file the customer attached in Teams arrives as a `file.download.info` attachment whose
 * `downloadUrl` is a short-lived, pre-authorised link: fetched at once, into memory only.
 */
import type { FileRefusal } from '../../conversation/messages.ts';
import { downloadFile } from '../download.ts';

export const FILE_DOWNLOAD_INFO = 'application/vnd.microsoft.teams.file.download.info';

export type AttachmentDownload = { ok: true; name: string; bytes: Uint8Array } | { ok: false; name: string; reason: FileRefusal; size?: number };

interface Attachment {
  name?: string;
  content?: unknown;
}

/**
 * Only HTTPS links (SharePoint/OneDrive in production) or the connector's own host (the Emulator,
 * tests): the URL comes from the activity, and the server must not fetch arbitrary addresses.
 */
function allowed(url: string, serviceUrl: string | undefined): boolean {
  try {
    const u = new URL(url);
    if (serviceUrl && u.origin === new URL(serviceUrl).origin) return true;
    return u.protocol === 'https:';
  } catch {
    return false;
  }
}

export async function downloadAttachment(
  attachment: Attachment,
  { maxBytes, serviceUrl, fetchFn }: { maxBytes: number; serviceUrl?: string; fetchFn?: typeof fetch },
): Promise<AttachmentDownload> {
  const name = typeof attachment.name === 'string' && attachment.name !== '' ? attachment.name.slice(0, 255) : 'file';
  const content = attachment.content as { downloadUrl?: unknown } | undefined;
  const url = typeof content?.downloadUrl === 'string' ? content.downloadUrl : undefined;
  if (!url || !allowed(url, serviceUrl)) return { ok: false, name, reason: 'download-failed' };
  const got = await downloadFile({ url, maxBytes, ...(fetchFn ? { fetchFn } : {}) });
  return got.ok ? { ok: true, name, bytes: got.bytes } : { ok: false, name, reason: got.reason, ...(got.size !== undefined ? { size: got.size } : {}) };
}
