/**
 * The engine's public types: what a turn takes (the state, the inbound, the facts the edge read),
 * what it returns (the new state, what to say, what to record, the effects to run after the
 * commit), and the agents' actions with their coded refusals.
 */
import type { CertReport, Country, InspectOptions, VerifyCertificate } from '../certs/report.ts';
import type { FlowDefinition } from '../flows/catalog.ts';
import type { FlowId, Key } from '../flows/step.ts';
import type { AnalyticsEvent } from './events.ts';
import type { Command, FileRefusal, Locale, Outbound } from './messages.ts';
import type { MASK } from './redact.ts';
import type { AgentRef, ConversationState } from './state.ts';
import type { Lexicon } from './understand.ts';

/** A file waiting for its PIN. Lives in memory at the edge, scoped to one conversation, never in the store. */
export interface HeldFile {
  name: string;
  bytes: Uint8Array;
}
export interface FileHold {
  put(file: HeldFile): void;
  get(): HeldFile | undefined;
  clear(): void;
}

export interface EngineOptions {
  lexicon: Lexicon;
  /** A label key rendered in every language, so a typed "Sí, funcionó" answers the button. */
  labels: (key: Key) => readonly string[];
  /** The certificate check, for `engine.turn` (the chat service runs its own). Absent: flows skip their offer to check the file. */
  verify?: VerifyCertificate;
  flows?: Readonly<Record<FlowId, FlowDefinition>>;
  /** Longest text accepted, in characters. */
  maxTextLength?: number;
  /** Largest certificate file accepted, in bytes (the check has its own cap too). */
  maxFileBytes?: number;
  defaultLocale?: Locale;
}

/**
 * What the customer is told on joining the queue: how many are ahead, how long people waited
 * recently, and whether agents are working now. Read from the store by the edge.
 */
export interface QueueOutlook {
  /** Conversations waiting that asked before this one. */
  ahead: number;
  /** Median wait (request → an agent took it) over recent claims; absent with too little history. */
  typicalWaitMs?: number;
  /** Agents' business hours: open now, or when they are back (absent: no opening in the coming week). */
  open: boolean;
  reopensAt?: number;
  /** The time zone of those hours, for saying "back Monday 09:00". */
  timeZone?: string;
}

/**
 * The facts a pure turn works from. The edge reads them; a turn that needs one it was not given
 * (the check's report, the queue) says so with a `Need`, and is run again with the answer.
 */
export interface TurnInput {
  /** Now, in ms since epoch (injected clock). */
  now: number;
  /** The customer's language when the conversation starts (browser, Slack or Teams locale). */
  locale?: Locale;
  /** Whether this channel can keep an uploaded file for its PIN. Without it, uploads are refused. */
  canHold: boolean;
  /** The file this conversation holds now, if any. */
  held?: HeldFile;
  /** The report of the check this turn asked for (`Need` verify). */
  report?: CertReport;
  /** The queue as the customer joins it (`Need` outlook); null: it could not be read. */
  outlook?: QueueOutlook | null;
}

/** Something a turn must know before it can finish: run the check on the held file, read the queue. */
export type Need =
  | { type: 'verify'; file: HeldFile; secret: string; options: InspectOptions }
  | { type: 'outlook'; country?: Country; since: number };

/** What must happen once the turn is committed, exactly once. */
export type Effect = { type: 'hold.put'; file: HeldFile } | { type: 'hold.clear' };

/** How the customer's message goes into the transcript: secrets masked, files by name only. */
export type TranscriptEntry =
  | { type: 'text'; text: string }
  | { type: 'choice'; id: string; label?: Key }
  | { type: 'file'; name: string; size: number }
  | { type: 'file-refused'; name: string; reason: FileRefusal }
  | { type: 'secret'; text: typeof MASK }
  | { type: 'command'; command: Command };

export interface TurnResult {
  state: ConversationState;
  outbound: Outbound[];
  events: AnalyticsEvent[];
  /** The inbound message as it may be stored and shown to agents. */
  transcript: TranscriptEntry;
  /** False when the message changed nothing (bad input, stale button, help): the store may skip the write. */
  changed: boolean;
  /** To run after the commit (never before: a retried turn must not have cleared the file). */
  effects: Effect[];
}

/** A pure turn's answer: finished, or the one fact it needs first. */
export type Decision = { done: true; result: TurnResult } | { done: false; need: Need };

/** The edge of a run (`engine.turn`): where the file waits, how to read the queue, the check, when the effects run. */
export interface TurnContext {
  now: number;
  locale?: Locale;
  /** Where this conversation's uploaded file waits for its PIN. Without one, uploads are refused. */
  hold?: FileHold;
  /** The check to run instead of the engine's own (the chat service passes one that runs once per message). */
  verify?: VerifyCertificate;
  /** Leave the effects to the caller, which runs them after its commit (the chat service). Default: run them on `hold`. */
  deferEffects?: boolean;
  /** The queue as the customer joins it. Without one, the customer is told they are queued, without a place. */
  outlook?: (q: { country?: Country; since: number }) => Promise<QueueOutlook>;
  /** The queue could not be read (the customer is queued without a place): for the edge's log. */
  onOutlookError?: (err: unknown) => void;
}

/** What an agent does to a conversation from the console (or the Slack desk). */
export type StaffAction =
  | { type: 'claim'; agent: AgentRef }
  | { type: 'reply'; agent: AgentRef; text: string }
  /** Back to the bot: where the customer was, or at the start (or a chosen step) of a procedure. */
  | { type: 'return'; agent: AgentRef; flow?: FlowId; step?: string }
  /** To another agent, or (without `to`) back to the queue, keeping the customer's place. */
  | { type: 'transfer'; agent: AgentRef; to?: AgentRef }
  | { type: 'close'; agent: AgentRef; tag: string };

export type StaffError =
  | 'handoff.taken'
  | 'handoff.not-yours'
  | 'handoff.none'
  | 'conversation.ended'
  | 'return.unknown-step'
  | 'reply.empty'
  | 'reply.too-long';

export type StaffResult =
  | { ok: true; state: ConversationState; outbound: Outbound[]; events: AnalyticsEvent[]; changed: boolean }
  | { ok: false; code: StaffError; agent?: AgentRef };
