/** The channel-neutral message model: what a customer sends in, what the bot sends out. Text is always a locale key. */
import type { CertReport } from '../certs/report.ts';
import type { HandoffReason } from '../flows/handoff.ts';
import type { Key, Params } from '../flows/step.ts';

export type Locale = 'es' | 'en';
export const LOCALES: readonly Locale[] = ['es', 'en'];

export type Command = 'start' | 'help' | 'back' | 'restart' | 'handoff' | 'cancel' | 'language';

export type Inbound =
  | { type: 'text'; text: string }
  /** A button press. `id` is the option id the bot sent (qualified by step), or a bare choice id. */
  | { type: 'choice'; id: string }
  /** A file the customer attached. The bytes stay in memory for one check; they never reach the store. */
  | { type: 'file'; name: string; bytes: Uint8Array }
  /** A file the channel would not or could not fetch for us (too large, expired link, a web page instead). */
  | { type: 'file-refused'; name: string; reason: FileRefusal; size?: number }
  /** A PIN or password typed in a masked field. Never stored, never echoed. */
  | { type: 'secret'; text: string }
  | { type: 'command'; command: Command; value?: string };

export type FileRefusal = 'too-large' | 'not-a-file' | 'download-failed';

export interface OptionOut {
  id: string;
  label: Key;
}

export type Outbound =
  | { type: 'text'; key: Key; params?: Params }
  | { type: 'choices'; key: Key; params?: Params; options: OptionOut[] }
  | { type: 'request-file'; key: Key; params?: Params; accept: string[]; maxBytes: number }
  | { type: 'request-secret'; key: Key; params?: Params }
  | { type: 'report'; report: CertReport }
  | { type: 'handoff'; key: Key; reason: HandoffReason }
  /** A support agent's own words (not a locale key): shown with their name. */
  | { type: 'agent'; text: string; name: string }
  | { type: 'end'; key: Key };

export type { HandoffReason } from '../flows/handoff.ts';

/** Choice id of the "go back to the assistant" button shown while waiting for a person. */
export const CANCEL_HANDOFF = 'handoff/cancel';
