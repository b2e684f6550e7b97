/**
 * The conversation engine: `turn(state, inbound, context) → { state, outbound, events }`.
 *
 * Pure apart from the injected certificate check: no clock, no storage, no channel. It restores
 * the current flow's snapshot, turns the customer's message into a flow event (or answers it
 * itself: help, back, start over, a person, language), applies XState's pure `transition()`,
 * chains flows when one finishes, and says what the new step says. It never throws on input:
 * anything unexpected leaves the state as it was and answers politely.
 */
import { transition, type AnyMachineSnapshot } from 'xstate';
import type { CertReport, Country, VerifyCertificate } from '../certs/report.ts';
import { FLOWS, PROCEDURE_IDS, type FlowDefinition } from '../flows/catalog.ts';
import {
  ENGINE_CHOICES,
  type ChoiceOption,
  type FlowEvent,
  type FlowId,
  type FlowInput,
  type FlowOutput,
  type Key,
  type Params,
  type Step,
} from '../flows/step.ts';
import type { AnalyticsEvent, AnalyticsName } from './events.ts';
import { currentCall, currentStep, pathOf, restore, save, startFlow, valueOf, type CurrentStep } from './flow-snapshot.ts';
import { CANCEL_HANDOFF, type Command, type FileRefusal, type HandoffReason, type Inbound, type Locale, type Outbound } from './messages.ts';
import { MASK, looksSecret, redactText } from './redact.ts';
import { TRAIL_LIMIT, type AgentRef, type ConversationState, type SavedFlow } from './state.ts';
import { matchChoice, matchCommand, routeIntent, type Lexicon } from './understand.ts';

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
  /** The certificate check. Absent: flows skip their offer to check the file. */
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

export interface TurnContext {
  /** Now, in ms since epoch (injected clock). */
  now: number;
  /** The customer's language when the conversation starts (browser, Slack or Teams locale). */
  locale?: Locale;
  /** Where this conversation's uploaded file waits for its PIN. Without one, uploads are refused. */
  hold?: FileHold;
  /** The queue as the customer joins it. Without one, the customer is told they are queued, without a place. */
  outlook?: (q: { country?: Country; since: number }) => Promise<QueueOutlook>;
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
}

export const FILE_TYPES = ['.p12', '.pfx'];
const SECRET_ATTEMPTS = 5;
const SECRET_WINDOW_MS = 15 * 60_000;
const SEP = '/';

export interface Engine {
  turn(state: ConversationState | undefined, inbound: Inbound, ctx: TurnContext): Promise<TurnResult>;
  /** The outbound messages that show the current step again (reconnecting clients). */
  replay(state: ConversationState): Outbound[];
  /** An agent's action; refused as a value when it is not theirs to take. */
  staff(state: ConversationState, action: StaffAction, ctx: { now: number }): StaffResult;
}

export function createEngine(options: EngineOptions): Engine {
  const {
    lexicon,
    labels,
    verify,
    maxTextLength = 2000,
    maxFileBytes = 64 * 1024,
    defaultLocale = 'es',
  } = options;
  const canVerify = verify !== undefined;
  const flows = Object.fromEntries(
    Object.entries(options.flows ?? FLOWS).map(([id, def]) => [
      id,
      { ...def, machine: def.machine.provide({ guards: { canVerify: () => canVerify } }) },
    ]),
  ) as Record<FlowId, FlowDefinition>;
  const countryOf = (f: FlowId) => flows[f]?.country;

  /** Mutable per-turn scratchpad; the result is assembled from it at the end. */
  class Turn {
    out: Outbound[] = [];
    events: AnalyticsEvent[] = [];
    changed = false;
    /** A handoff began (or the customer asked again, or needs reminding) in this turn: say where they stand in the queue. */
    handoffNews: 'requested' | 'status' | undefined;
    def: FlowDefinition;
    snap: AnyMachineSnapshot;
    constructor(
      public state: ConversationState,
      public readonly ctx: TurnContext,
    ) {
      // States saved before a field existed get its empty value.
      this.state = { ...state, stack: state.stack ?? [], trail: state.trail ?? [], secretFailures: state.secretFailures ?? [], failures: state.failures ?? {} };
      const def = flows[state.flow.id];
      if (!def) {
        // The saved flow no longer exists: start over at triage, and say why.
        this.def = flows.triage;
        this.snap = startFlow(this.def, { country: state.country });
        this.say('common:flow.updated');
        this.changed = true;
        return;
      }
      this.def = def;
      const r = restore(def, state.flow, { country: state.country });
      this.snap = r.snapshot;
      if (r.migrated) {
        this.say('common:flow.updated');
        this.emit('flow.migrated', { data: { from: state.flow.version, to: def.version } });
        this.state = { ...this.state, trail: [] };
        this.changed = true;
      }
    }

    get step(): CurrentStep | undefined {
      return currentStep(this.snap);
    }
    say(key: Key, params?: Params): void {
      this.out.push(params ? { type: 'text', key, params } : { type: 'text', key });
    }
    emit(name: AnalyticsName, extra: Partial<AnalyticsEvent> = {}): void {
      const step = this.step?.id;
      this.events.push({ name, at: this.ctx.now, flow: this.def.id, ...(step ? { step } : {}), ...extra });
    }
    saved(): SavedFlow {
      return save(this.def, this.snap);
    }

    /** Move to a new snapshot (same or another flow), remembering where we were for "back". */
    moveTo(def: FlowDefinition, snap: AnyMachineSnapshot, { remember = true } = {}): void {
      const left = this.step;
      if (left) this.emit('step.left', { data: { ms: Math.max(0, this.ctx.now - this.state.stepSince) } });
      if (remember && left) {
        const entry = { ...this.saved(), stack: this.state.stack };
        this.state = { ...this.state, trail: [...this.state.trail, entry].slice(-TRAIL_LIMIT) };
      }
      this.def = def;
      this.snap = snap;
      this.state = { ...this.state, stepSince: this.ctx.now };
      this.changed = true;
      this.settle();
      const entered = this.step;
      if (entered) this.emit('step.entered');
      if (entered?.step.handoff) this.requestHandoff(entered.step.handoff);
    }

    /** Begin a flow here (no bookkeeping of the step left: the caller did it). */
    begin(id: FlowId, input: FlowInput = {}): void {
      this.def = flows[id];
      this.snap = startFlow(this.def, { country: this.state.country, ...input });
      this.emit('flow.entered', { step: undefined });
    }

    /**
     * Until the conversation rests on a step: enter sub-flows that a state calls, return to the
     * caller when they finish, and hand over when a flow ends (route, chain, redirect, wrap up).
     */
    settle(): void {
      // Flows are finite graphs; a loop here is a bug in a flow, caught by turn() as an internal error.
      for (let hops = 0; hops < 32; hops++) {
        const call = currentCall(this.snap);
        if (call) {
          this.state = { ...this.state, stack: [...this.state.stack, this.saved()] };
          this.begin(call.flow, { ...call.input?.(this.snap.context), caller: this.def.id });
          continue;
        }
        if (this.snap.status !== 'done') return;
        const output = (this.snap.output ?? { result: 'ended' }) as FlowOutput;
        if (output.country) this.state = { ...this.state, country: output.country };
        if (this.def.id === 'triage') {
          this.emit('flow.routed', { data: { to: output.next ?? '' } });
          this.begin(output.next ?? 'triage');
          continue;
        }
        this.emit('flow.completed', { data: { result: output.result } });
        if (output.result === 'redirected' && output.next) {
          this.state = { ...this.state, stack: [] };
          this.begin(output.next);
          continue;
        }
        const caller = this.state.stack.at(-1);
        if (caller && flows[caller.id]) {
          const def = flows[caller.id];
          this.state = { ...this.state, stack: this.state.stack.slice(0, -1) };
          const back = restore(def, caller, { country: this.state.country }).snapshot;
          this.def = def;
          this.snap = transition(def.machine, back, { type: 'subflow.done', output })[0] as AnyMachineSnapshot;
          continue;
        }
        if (this.def.id === 'wrap-up') return this.wrapUp(output);
        if (output.result === 'handoff') this.requestHandoff('asked');
        this.begin(output.next ?? 'wrap-up');
      }
      throw new Error(`flow ${this.def.id} does not settle`);
    }

    wrapUp(output: FlowOutput): void {
      if (output.rating !== undefined) {
        this.emit('csat.rated', { data: { rating: output.rating, solved: output.solved ?? false } });
      }
      if (output.next) {
        this.emit('conversation.restarted');
        this.state = { ...this.state, trail: [] };
        this.begin(output.next);
        return;
      }
      this.emit('conversation.ended');
      this.state = { ...this.state, status: 'ended' };
      this.out.push({ type: 'end', key: 'common:end.goodbye' });
    }

    /** Into the queue: the bot pauses where it is, and the customer's messages go to the agent. */
    requestHandoff(reason: HandoffReason): void {
      if (this.state.handoff) {
        this.handoffNews ??= 'status';
        return;
      }
      this.state = { ...this.state, handoff: { reason, at: this.ctx.now, status: 'queued' } };
      this.changed = true;
      this.emit('handoff.requested', { data: { reason } });
      this.handoffNews = 'requested';
    }

    /** Out of the queue (or away from the agent), back to the bot at the step they were on. */
    cancelHandoff(): void {
      const h = this.state.handoff;
      if (!h) return;
      this.emit('handoff.cancelled', { data: { status: h.status ?? 'queued', waitMs: Math.max(0, this.ctx.now - h.at) } });
      this.state = { ...this.state, handoff: undefined };
      this.handoffNews = undefined;
      this.changed = true;
    }

    /** Say what the current step says: its prompt with its buttons, or the request for a file or secret. */
    prompt(key?: Key): void {
      // While a person has the conversation the bot says nothing of its own.
      if (this.state.handoff) return;
      const cur = this.step;
      if (!cur) return;
      const { step } = cur;
      const params = step.params?.(this.snap.context);
      const options = this.options(cur);
      const text = key ?? step.prompt;
      const withParams = params ? { params } : {};
      if (step.expects === 'choice') {
        this.out.push({ type: 'choices', key: text, ...withParams, options });
        return;
      }
      if (step.expects === 'file') {
        this.out.push({ type: 'request-file', key: text, ...withParams, accept: FILE_TYPES, maxBytes: maxFileBytes });
      } else if (step.expects === 'secret') {
        this.out.push({ type: 'request-secret', key: text, ...withParams });
      } else {
        this.out.push({ type: 'text', key: text, ...withParams });
      }
      if (options.length > 0) this.out.push({ type: 'choices', key: 'common:input.or-choose', options });
    }

    options(cur: CurrentStep): Array<{ id: string; label: Key }> {
      return choicesOf(cur.step, this.snap.context).map((c) => ({
        id: [this.def.id, cur.id, c.id].join(SEP),
        label: c.label,
      }));
    }

    /** Send an event to the flow. Returns false (and says why) when the step does not take it. */
    send(event: FlowEvent): boolean {
      const cur = this.step;
      if (!this.snap.can(event)) {
        this.say(cur?.step.invalid ?? 'common:input.not-accepted', cur?.step.params?.(this.snap.context));
        this.prompt();
        return false;
      }
      const [next] = transition(this.def.machine, this.snap, event);
      if (cur?.step.canFail && (event.type === 'failed' || event.type === 'error')) this.countFailure(cur.id);
      this.moveTo(this.def, next as AnyMachineSnapshot);
      this.prompt();
      return true;
    }

    countFailure(stepId: string): void {
      const key = `${this.def.id}${SEP}${stepId}`;
      const n = (this.state.failures[key] ?? 0) + 1;
      this.state = { ...this.state, failures: { ...this.state.failures, [key]: n } };
      if (n === 2) this.requestHandoff('step-failed-twice');
    }

    result(transcript: TranscriptEntry): TurnResult {
      return { ...this.outcome(), transcript };
    }
    outcome(): Omit<TurnResult, 'transcript'> {
      const state: ConversationState = this.changed
        ? { ...this.state, flow: this.saved(), updatedAt: this.ctx.now }
        : this.state;
      return { state, outbound: this.out, events: this.events, changed: this.changed };
    }
  }

  function newConversation(ctx: TurnContext): ConversationState {
    const def = flows.triage;
    return {
      schema: 1,
      locale: ctx.locale ?? defaultLocale,
      status: 'active',
      flow: save(def, startFlow(def, {})),
      stack: [],
      trail: [],
      secretFailures: [],
      failures: {},
      stepSince: ctx.now,
      startedAt: ctx.now,
      updatedAt: ctx.now,
    };
  }

  function transcriptOf(inbound: Inbound, t: Turn | undefined): TranscriptEntry {
    const cur = t?.step;
    switch (inbound.type) {
      case 'text':
        return { type: 'text', text: redactText(inbound.text, cur?.step.expects === 'secret') };
      case 'secret':
        return { type: 'secret', text: MASK };
      case 'file':
        return { type: 'file', name: inbound.name, size: inbound.bytes.byteLength };
      case 'file-refused':
        return { type: 'file-refused', name: inbound.name, reason: inbound.reason };
      case 'choice': {
        const bare = inbound.id.split(SEP).at(-1);
        const label = cur && t ? choicesOf(cur.step, t.snap.context).find((c) => c.id === bare)?.label : undefined;
        return label ? { type: 'choice', id: inbound.id, label } : { type: 'choice', id: inbound.id };
      }
      case 'command':
        return { type: 'command', command: inbound.command };
    }
  }

  async function turn(prev: ConversationState | undefined, inbound: Inbound, ctx: TurnContext): Promise<TurnResult> {
    const fresh = prev === undefined;
    const state = prev ?? newConversation(ctx);
    let t: Turn | undefined;
    try {
      t = new Turn(state, ctx);
      if (fresh) {
        t.changed = true;
        t.emit('conversation.started', { data: { locale: state.locale } });
        t.emit('flow.entered');
        t.emit('step.entered');
        t.prompt();
      }
      const transcript = transcriptOf(inbound, t);
      if (fresh && inbound.type === 'command' && inbound.command === 'start') return t.result(transcript);
      // A first message that names no procedure ("hola", "I need help") gets the greeting, which
      // already asks what they need, rather than "I did not understand" right after it.
      if (fresh && inbound.type === 'text' && !matchCommand(inbound.text, lexicon)) {
        const r = routeIntent(inbound.text, lexicon, countryOf);
        if (r.flows.length === 0 && !r.country) {
          t.emit('routing.result', { data: { result: 'none', flows: [] } });
          return t.result(transcript);
        }
      }
      await handle(t, inbound);
      await announce(t);
      return t.result(transcript);
    } catch {
      // A bug, not bad input: keep the conversation exactly as it was. The edge logs it.
      return {
        state,
        outbound: [{ type: 'text', key: 'common:error.internal' }],
        events: [],
        transcript: inbound.type === 'text' ? { type: 'text', text: MASK } : transcriptOf(inbound, undefined),
        changed: false,
      };
    }
  }

  /** Tell the customer where they stand: queued (place, typical wait), outside hours (when agents are back), or with an agent. */
  async function announce(t: Turn): Promise<void> {
    const news = t.handoffNews;
    const h = t.state.handoff;
    if (!news || !h) return;
    if (news === 'requested') t.out.push({ type: 'handoff', key: `common:handoff.requested.${h.reason}`, reason: h.reason });
    if (h.status === 'assigned') {
      t.say('common:handoff.with-agent', { name: h.agent?.name ?? '' });
      return;
    }
    let o: QueueOutlook | undefined;
    try {
      o = await t.ctx.outlook?.({ country: t.state.country, since: h.at });
    } catch {
      // The queue could not be read: they are queued all the same, only without a place.
      o = undefined;
    }
    if (!o) {
      t.out.push(withCancel('common:handoff.queued-unknown'));
      return;
    }
    if (!o.open) {
      if (news === 'requested' && !h.email) {
        t.state = { ...t.state, handoff: { ...h, awaitingEmail: true } };
        t.changed = true;
      }
      t.out.push(
        o.reopensAt === undefined
          ? withCancel('common:handoff.closed-unknown')
          : withCancel('common:handoff.closed', { when: formatWhen(o.reopensAt, t.state.locale, o.timeZone) }),
      );
      return;
    }
    const position = o.ahead + 1;
    t.out.push(
      o.typicalWaitMs === undefined
        ? withCancel('common:handoff.queued', { position })
        : withCancel('common:handoff.queued-estimate', { position, minutes: Math.max(1, Math.round(o.typicalWaitMs / 60_000)) }),
    );
  }

  /** While a person has the conversation: messages are for them; "cancel" goes back to the bot; files and PINs are not taken. */
  function waiting(t: Turn, inbound: Inbound): void {
    const h = t.state.handoff;
    if (!h) return;
    const agent = h.status === 'assigned' ? h.agent : undefined;
    const paused = (): void => {
      t.out.push(agent ? withCancel('common:handoff.paused-agent', { name: agent.name }) : withCancel('common:handoff.paused'));
    };
    const onCommand = (c: { command: Command; value?: string }): void => {
      switch (c.command) {
        case 'cancel':
          t.cancelHandoff();
          if (agent) t.say('common:handoff.left-agent', { name: agent.name });
          else t.say('common:handoff.cancelled');
          return t.prompt();
        case 'restart':
          t.cancelHandoff();
          return command(t, c);
        case 'language':
          command(t, c);
          t.handoffNews = 'status';
          return;
        case 'handoff':
        case 'start':
          t.handoffNews = 'status';
          return;
        case 'help':
        case 'back':
          return paused();
      }
    };
    switch (inbound.type) {
      case 'command':
        return onCommand(inbound);
      case 'choice':
        return inbound.id === CANCEL_HANDOFF ? onCommand({ command: 'cancel' }) : paused();
      case 'file':
      case 'file-refused':
        t.out.push(withCancel('common:handoff.no-files'));
        return;
      case 'secret':
        t.say('common:input.unexpected-secret');
        return;
      case 'text': {
        const trimmed = inbound.text.trim();
        if (trimmed === '') return t.say('common:input.empty');
        if (trimmed.length > maxTextLength) return t.say('common:input.too-long', { max: maxTextLength });
        const cmd = matchCommand(trimmed, lexicon);
        if (cmd && !looksSecret(trimmed)) return onCommand(cmd);
        if (h.awaitingEmail) {
          const email = EMAIL.exec(trimmed)?.[0];
          if (email) {
            t.state = { ...t.state, handoff: { ...h, awaitingEmail: false, email } };
            t.changed = true;
            t.emit('handoff.email-left');
            return t.say('common:handoff.email-saved', { email });
          }
        }
        // Anything else is for the agent: it is in the transcript they read.
        if (looksSecret(trimmed)) t.say('common:secret.typed-in-clear');
        t.changed = true;
        if (h.status !== 'assigned' && !h.noted) {
          t.state = { ...t.state, handoff: { ...h, noted: true } };
          t.say(h.awaitingEmail ? 'common:handoff.noted-closed' : 'common:handoff.noted');
        }
        return;
      }
    }
  }

  async function handle(t: Turn, inbound: Inbound): Promise<void> {
    if (t.state.handoff && t.state.status !== 'ended') return waiting(t, inbound);
    if (t.state.status === 'ended') {
      const restart =
        (inbound.type === 'command' && inbound.command === 'restart') ||
        (inbound.type === 'text' && matchCommand(inbound.text, lexicon)?.command === 'restart') ||
        (inbound.type === 'choice' && inbound.id === 'restart');
      if (restart) return command(t, { command: 'restart' });
      t.say('common:end.already');
      return;
    }
    switch (inbound.type) {
      case 'command':
        return command(t, inbound);
      case 'choice':
        return choice(t, inbound.id);
      case 'text':
        return text(t, inbound.text);
      case 'file':
        return file(t, inbound.name, inbound.bytes);
      case 'file-refused':
        return fileRefused(t, inbound);
      case 'secret':
        return secret(t, inbound.text, false);
    }
  }

  function command(t: Turn, c: { command: Command; value?: string }): void {
    const cur = t.step;
    switch (c.command) {
      case 'start':
        t.say('common:resume');
        return t.prompt();
      case 'help':
        t.say(cur?.step.help ?? 'common:help.none', cur?.step.params?.(t.snap.context));
        return t.prompt();
      case 'back': {
        const prev = t.state.trail.at(-1);
        const def = prev && flows[prev.id];
        if (!prev || !def) {
          t.say('common:back.at-start');
          return t.prompt();
        }
        t.state = { ...t.state, trail: t.state.trail.slice(0, -1), stack: prev.stack ?? [] };
        t.moveTo(def, restore(def, prev, { country: t.state.country }).snapshot, { remember: false });
        t.say('common:back.done');
        return t.prompt();
      }
      case 'restart':
        t.emit('conversation.restarted');
        t.state = { ...t.state, status: 'active', stack: [], trail: [], failures: {} };
        t.def = flows.triage;
        t.snap = startFlow(t.def, {});
        t.state = { ...t.state, stepSince: t.ctx.now };
        t.changed = true;
        t.emit('flow.entered');
        t.emit('step.entered');
        return t.prompt();
      case 'handoff':
        // No prompt after it: the bot is paused, and announce() says where they stand.
        return t.requestHandoff('asked');
      case 'cancel':
        // Nothing to cancel outside a handoff: treat it as "where was I?".
        return t.prompt();
      case 'language': {
        const next: Locale = c.value === 'es' || c.value === 'en' ? c.value : t.state.locale === 'es' ? 'en' : 'es';
        if (next !== t.state.locale) {
          t.state = { ...t.state, locale: next };
          t.changed = true;
          t.emit('language.switched', { data: { to: next } });
        }
        t.say('common:language.switched');
        return t.prompt();
      }
    }
  }

  function choice(t: Turn, id: string): void {
    const cur = t.step;
    if (!cur) return;
    const parts = id.split(SEP);
    const bare = parts.at(-1) ?? '';
    const stepKey = parts.slice(0, -1).join(SEP);
    const offered = choicesOf(cur.step, t.snap.context).some((c) => c.id === bare);
    if ((stepKey !== '' && stepKey !== `${t.def.id}${SEP}${cur.id}`) || !offered) {
      t.say(stepKey !== '' ? 'common:input.stale-choice' : 'common:input.unknown-choice');
      return t.prompt();
    }
    answer(t, cur, bare);
  }

  function answer(t: Turn, cur: CurrentStep, id: string): void {
    if ((ENGINE_CHOICES as readonly string[]).includes(id)) return command(t, { command: 'handoff' });
    t.emit('choice.taken', { data: { choice: id } });
    t.send({ type: id });
  }

  async function text(t: Turn, raw: string): Promise<void> {
    const cur = t.step;
    if (!cur) return;
    const trimmed = raw.trim();
    if (trimmed === '') {
      t.say('common:input.empty');
      return t.prompt();
    }
    if (trimmed.length > maxTextLength) {
      t.say('common:input.too-long', { max: maxTextLength });
      return t.prompt();
    }
    if (cur.step.expects === 'secret') {
      // "Talk to a person", "help", "back" still work at the PIN step (and cost no attempt);
      // anything else is the PIN typed where the step asks for it: taken, with a warning that it
      // now sits in the chat history. The transcript masks the text either way.
      const cmd = matchCommand(trimmed, lexicon);
      if (cmd && !looksSecret(trimmed)) return command(t, cmd);
      return secret(t, trimmed, true);
    }
    if (!/[\p{L}\p{N}]/u.test(trimmed)) {
      t.say('common:input.no-words');
      return t.prompt();
    }
    const cmd = matchCommand(trimmed, lexicon);
    if (cmd) return command(t, cmd);
    const offered = choicesOf(cur.step, t.snap.context).map((c) => ({ id: c.id, labels: labels(c.label) }));
    // Where free text is routed (the menus), routing understands more than a label's words would.
    const picked = matchChoice(trimmed, offered, lexicon, { partial: !cur.step.routesText && cur.step.expects === 'choice' });
    if (picked) return answer(t, cur, picked);
    if (looksSecret(trimmed)) t.say('common:secret.typed-in-clear');
    if (cur.step.expects === 'text') {
      t.send({ type: 'text', text: trimmed });
      return;
    }
    if (cur.step.routesText) {
      const r = routeIntent(trimmed, lexicon, countryOf);
      const result = r.flows.length === 1 ? 'matched' : r.flows.length > 1 ? 'ambiguous' : r.country ? 'country' : 'none';
      t.emit('routing.result', { data: { result, flows: r.flows, ...(r.country ? { country: r.country } : {}) } });
      t.send({ type: 'intent', flows: r.flows, ...(r.country ? { country: r.country } : {}) });
      return;
    }
    if (cur.step.expects === 'file') t.say('common:input.expected-file');
    else t.say('common:input.not-understood');
    t.prompt();
  }

  function file(t: Turn, name: string, bytes: Uint8Array): void {
    const cur = t.step;
    if (!cur) return;
    if (cur.step.expects !== 'file') {
      t.say('common:input.unexpected-file');
      return t.prompt();
    }
    const lower = name.toLowerCase();
    const problem =
      bytes.byteLength === 0
        ? 'common:file.empty'
        : bytes.byteLength > maxFileBytes
          ? 'common:file.too-large'
          : !FILE_TYPES.some((ext) => lower.endsWith(ext))
            ? 'common:file.wrong-type'
            : !t.ctx.hold
              ? 'common:file.unavailable'
              : undefined;
    if (problem) {
      t.say(problem, { max: Math.round(maxFileBytes / 1024), name });
      return t.prompt();
    }
    t.ctx.hold?.put({ name, bytes });
    t.send({ type: 'file', name, size: bytes.byteLength });
  }

  /** The channel could not hand us the file: say why and ask for it again, as for a bad file. */
  function fileRefused(t: Turn, f: { name: string; reason: FileRefusal; size?: number }): void {
    const cur = t.step;
    if (!cur) return;
    if (cur.step.expects !== 'file') {
      t.say('common:input.unexpected-file');
      return t.prompt();
    }
    t.say(`common:file.${f.reason}`, { max: Math.round(maxFileBytes / 1024), name: f.name, size: Math.ceil((f.size ?? 0) / 1024) });
    t.prompt();
  }

  async function secret(t: Turn, value: string, typedInClear: boolean): Promise<void> {
    const cur = t.step;
    if (!cur) return;
    if (cur.step.expects !== 'secret') {
      // Never echoed, never kept: just say this step does not need it.
      t.say('common:input.unexpected-secret');
      return t.prompt();
    }
    if (typedInClear) t.say('common:secret.typed-in-clear');
    if (cur.step.effect !== 'verify-certificate' || !verify) {
      t.send({ type: 'text', text: MASK });
      return;
    }
    const held = t.ctx.hold?.get();
    if (!held) {
      t.say('common:file.lost');
      t.send({ type: 'file-lost' });
      return;
    }
    // Five wrong secrets in fifteen minutes lock the check for this conversation. The count lives in
    // the conversation, not the flow, so "back" or starting the check again does not reset it.
    const recent = t.state.secretFailures.filter((at) => t.ctx.now - at < SECRET_WINDOW_MS);
    if (recent.length >= SECRET_ATTEMPTS) {
      t.send({ type: 'secret-locked' });
      return;
    }
    const ask = cur.step.verifyWith?.(t.snap.context) ?? {};
    let report: CertReport = await verify(held.bytes, value, {
      ...ask,
      country: ask.country ?? t.state.country,
      fileName: held.name,
      now: new Date(t.ctx.now),
    });
    const failed = report.checks.filter((c) => c.status === 'fail');
    const warned = report.checks.filter((c) => c.status === 'warn');
    const wrongSecret = failed.some((c) => c.id === 'secret.correct');
    let attemptsLeft: number | undefined;
    if (wrongSecret) {
      const failures = [...recent, t.ctx.now];
      attemptsLeft = Math.max(0, SECRET_ATTEMPTS - failures.length);
      t.state = { ...t.state, secretFailures: failures };
      t.changed = true;
      const left = attemptsLeft;
      report = {
        ...report,
        checks: report.checks.map((c) => (c.id === 'secret.correct' ? { ...c, params: { ...c.params, attemptsLeft: left } } : c)),
      };
    } else {
      // Any other outcome is final for this file; a wrong PIN keeps it for the next try.
      t.ctx.hold?.clear();
    }
    const failedIds = failed.map((c) => c.id);
    t.emit('verification.result', { data: { verdict: report.verdict, failed: failedIds } });
    t.state = { ...t.state, lastCheck: { verdict: report.verdict, failed: failedIds } };
    t.changed = true;
    t.out.push({ type: 'report', report });
    if (attemptsLeft === 0) {
      t.ctx.hold?.clear();
      t.send({ type: 'secret-locked' });
      return;
    }
    t.send({
      type: 'verified',
      verdict: report.verdict,
      failed: failedIds,
      warned: warned.map((c) => c.id),
      codes: failed.map((c) => c.code),
      ...(report.holder?.id ? { holderId: report.holder.id } : {}),
      ...(attemptsLeft !== undefined ? { attemptsLeft } : {}),
      at: t.ctx.now,
    });
  }

  function replay(state: ConversationState): Outbound[] {
    try {
      const t = new Turn(state, { now: state.updatedAt });
      if (state.status === 'ended') return [{ type: 'end', key: 'common:end.goodbye' }];
      const h = state.handoff;
      if (h?.status === 'assigned') return [{ type: 'text', key: 'common:handoff.with-agent', params: { name: h.agent?.name ?? '' } }];
      if (h) return [withCancel(h.awaitingEmail ? 'common:handoff.closed-unknown' : 'common:handoff.queued-unknown')];
      t.prompt();
      return t.out;
    } catch {
      return [{ type: 'text', key: 'common:error.internal' }];
    }
  }

  function staff(state: ConversationState, action: StaffAction, ctx: { now: number }): StaffResult {
    const t = new Turn(state, { now: ctx.now });
    const h = t.state.handoff;
    const me = action.agent;
    const ok = (): StaffResult => ({ ok: true, ...t.outcome() });
    if (t.state.status === 'ended') return { ok: false, code: 'conversation.ended' };
    if (action.type === 'claim') {
      if (h?.status === 'assigned' && h.agent) {
        return h.agent.id === me.id ? { ok: true, state, outbound: [], events: [], changed: false } : { ok: false, code: 'handoff.taken', agent: h.agent };
      }
      if (!h) {
        // An agent picks up a conversation the bot is having: it enters the queue and leaves it at once.
        t.emit('handoff.requested', { data: { reason: 'agent' } });
      }
      const since = h?.at ?? ctx.now;
      t.state = { ...t.state, handoff: { reason: h?.reason ?? 'agent', at: since, status: 'assigned', agent: me, claimedAt: ctx.now, ...(h?.email ? { email: h.email } : {}) } };
      t.changed = true;
      t.emit('handoff.claimed', { data: { reason: h?.reason ?? 'agent', waitMs: Math.max(0, ctx.now - since) } });
      t.say('common:handoff.joined', { name: me.name });
      return ok();
    }
    if (!h) return { ok: false, code: 'handoff.none' };
    if (h.status !== 'assigned' || h.agent?.id !== me.id) return { ok: false, code: 'handoff.not-yours', ...(h.agent ? { agent: h.agent } : {}) };
    switch (action.type) {
      case 'reply': {
        const text = action.text.trim();
        if (text === '') return { ok: false, code: 'reply.empty' };
        if (text.length > maxTextLength) return { ok: false, code: 'reply.too-long' };
        t.out.push({ type: 'agent', text, name: me.name });
        t.emit('agent.replied');
        t.changed = true;
        return ok();
      }
      case 'transfer': {
        if (action.to?.id === me.id) return ok();
        t.state = {
          ...t.state,
          handoff: action.to
            ? { ...h, agent: action.to, claimedAt: ctx.now }
            : { reason: h.reason, at: h.at, status: 'queued', noted: true, ...(h.email ? { email: h.email } : {}), ...(h.awaitingEmail ? { awaitingEmail: true } : {}) },
        };
        t.changed = true;
        t.emit('handoff.transferred', { data: { to: action.to ? 'agent' : 'queue' } });
        if (action.to) t.say('common:handoff.transferred', { name: action.to.name });
        else t.say('common:handoff.requeued');
        return ok();
      }
      case 'close': {
        t.emit('handoff.closed', { data: { tag: action.tag, reason: h.reason, ms: Math.max(0, ctx.now - h.at) } });
        t.emit('conversation.ended');
        t.state = { ...t.state, handoff: undefined, status: 'ended' };
        t.changed = true;
        t.say('common:handoff.closed-by-agent', { name: me.name });
        t.out.push({ type: 'end', key: 'common:end.goodbye' });
        return ok();
      }
      case 'return': {
        let target: { def: FlowDefinition; snap: AnyMachineSnapshot } | undefined;
        // A step without a procedure is a step of the procedure they are in.
        const flowId = action.flow ?? (action.step ? t.def.id : undefined);
        if (flowId !== undefined) {
          const def = flows[flowId];
          if (!def || !RETURNABLE.has(flowId)) return { ok: false, code: 'return.unknown-step' };
          if (action.step !== undefined && action.step !== '') {
            // A path the machine lacks comes back as migrated (to the first step): refused below.
            const r = restore(def, { id: def.id, version: def.version, value: valueOf(action.step), context: {} }, { country: t.state.country });
            if (r.migrated || !currentStep(r.snapshot)) return { ok: false, code: 'return.unknown-step' };
            target = { def, snap: r.snapshot };
          } else {
            target = { def, snap: startFlow(def, { country: t.state.country }) };
          }
        }
        t.emit('handoff.returned', { data: { to: flowId ?? t.def.id, ms: Math.max(0, ctx.now - h.at) } });
        t.state = { ...t.state, handoff: undefined, failures: {} };
        t.changed = true;
        t.say('common:handoff.returned', { name: me.name });
        if (target) {
          if (target.def.id !== t.def.id) t.emit('flow.entered', { flow: target.def.id, step: undefined });
          // The step left goes into "back" with the procedures around it; the new step stands alone.
          t.moveTo(target.def, target.snap);
          t.state = { ...t.state, stack: [] };
        }
        t.prompt();
        return ok();
      }
    }
  }

  return { turn, replay, staff };
}

/** Flows an agent may send a customer into: the procedures and the main menu (not the sub-flows they call). */
const RETURNABLE = new Set<FlowId>(['triage', ...PROCEDURE_IDS]);

const CANCEL_OPTION = [{ id: CANCEL_HANDOFF, label: 'common:handoff.cancel' }];

/** A message shown while waiting for a person, with the "back to the assistant" button. */
const withCancel = (key: Key, params?: Params): Outbound => ({ type: 'choices', key, ...(params ? { params } : {}), options: CANCEL_OPTION });

const EMAIL = /[\p{L}\p{N}._%+-]{1,64}@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.[A-Za-z]{2,24}/u;

const whenFormats = new Map<string, Intl.DateTimeFormat>();

/** "lunes, 09:00 (GMT-3)": when agents are back, in the customer's language and the hours' time zone. */
function formatWhen(at: number, locale: Locale, timeZone = 'UTC'): string {
  // One formatter per language and zone: building one costs far more than using it.
  const id = `${locale} ${timeZone}`;
  let format = whenFormats.get(id);
  if (!format) {
    format = new Intl.DateTimeFormat(locale === 'es' ? 'es-CL' : 'en-US', {
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      hour: '2-digit',
      minute: '2-digit',
      timeZone,
      timeZoneName: 'short',
    });
    whenFormats.set(id, format);
  }
  return format.format(at);
}

export function choicesOf(step: Step<unknown>, context: unknown): readonly ChoiceOption[] {
  const c = step.choices;
  return typeof c === 'function' ? c(context) : (c ?? []);
}

/** The state path the conversation stands at, e.g. `atv.generate-key` / `pin.create`. */
export const whereIs = (state: ConversationState): { flow: FlowId; step: string } => ({
  flow: state.flow.id,
  step: pathOf(state.flow.value as never),
});
