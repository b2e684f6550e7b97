/** What the store keeps of a conversation between turns: plain JSON, no secrets, no file bytes. */
import type { Country, Verdict } from '../certs/report.ts';
import type { FlowId } from '../flows/step.ts';
import type { Handoff } from '../flows/handoff.ts';
import type { Locale } from './messages.ts';

export type { AgentRef, Handoff } from '../flows/handoff.ts';

/** A flow's persisted snapshot (XState `value` + `context`) and the flow version it was saved under. */
export interface SavedFlow {
  id: FlowId;
  version: number;
  value: unknown;
  context: unknown;
}

export interface ConversationState {
  schema: 1;
  locale: Locale;
  country?: Country;
  status: 'active' | 'ended';
  /** Set while a person has (or is about to have) the conversation: the bot is paused until it is cleared. */
  handoff?: Handoff;
  /** The last certificate check's outcome (no secrets), for the agent who takes over. */
  lastCheck?: { verdict: Verdict; failed: string[] };
  flow: SavedFlow;
  /** Procedures waiting for a sub-flow they called (the certificate check), innermost last. */
  stack: SavedFlow[];
  /** Earlier steps, newest last, for "back". Bounded. */
  trail: Array<SavedFlow & { stack: SavedFlow[] }>;
  /** When wrong PINs/passwords were tried (ms), for the lock after five in fifteen minutes. */
  secretFailures: number[];
  /** "It didn't work" answers per step (`flow/step`), to bring in a person on the second. */
  failures: Record<string, number>;
  /** When the current step was entered (ms since epoch), for time-per-step. */
  stepSince: number;
  startedAt: number;
  updatedAt: number;
}

export const TRAIL_LIMIT = 30;
