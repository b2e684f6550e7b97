/**
 * One turn's scratchpad: the state as it evolves, what the bot says, the analytics events, the
 * effects for after the commit, and the fact the turn still needs. Every concern of the engine
 * writes into it; `outcome()` assembles the result.
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { FlowDefinition } from '../flows/catalog.ts';
import type { ChoiceOption, FlowId, FlowInput, Key, Params, Step } from '../flows/step.ts';
import type { Effect, Need, TurnInput, TurnResult } from './contract.ts';
import type { AnalyticsEvent, AnalyticsName } from './events.ts';
import { currentStep, restore, save, startFlow, type CurrentStep } from './flow-snapshot.ts';
import type { Locale, Outbound } from './messages.ts';
import type { ConversationState, SavedFlow } from './state.ts';
import type { Lexicon } from './understand.ts';

/** The engine's settings, resolved once in `createEngine`. */
export interface EngineConfig {
  flows: Record<FlowId, FlowDefinition>;
  lexicon: Lexicon;
  labels: (key: Key) => readonly string[];
  maxTextLength: number;
  maxFileBytes: number;
  defaultLocale: Locale;
  canVerify: boolean;
}

export const FILE_TYPES = ['.p12', '.pfx'];
/** Joins flow, step and choice ids in the option ids the bot sends. */
export const SEP = '/';

/** Mutable per-turn scratchpad; the result is assembled from it at the end. */
export class Turn {
  out: Outbound[] = [];
  events: AnalyticsEvent[] = [];
  effects: Effect[] = [];
  changed = false;
  /** The first fact this turn lacks: `decide` returns it instead of a result, and is run again with the answer. */
  needed: Need | undefined;
  /** A handoff began (or the customer asked again, or needs reminding) in this turn: say where they stand in the queue. */
  handoffNews: 'requested' | 'status' | undefined;
  def: FlowDefinition;
  snap: AnyMachineSnapshot;
  state: ConversationState;

  constructor(
    readonly cfg: EngineConfig,
    state: ConversationState,
    readonly input: TurnInput,
  ) {
    // States saved before a field existed get its empty value.
    this.state = { ...state, stack: state.stack ?? [], trail: state.trail ?? [], secretFailures: state.secretFailures ?? [], failures: state.failures ?? {} };
    const def = cfg.flows[state.flow.id];
    if (!def) {
      // The saved flow no longer exists: start over at triage, and say why.
      this.def = cfg.flows.triage;
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

  get now(): number {
    return this.input.now;
  }
  get step(): CurrentStep | undefined {
    return currentStep(this.snap);
  }
  update(patch: Partial<ConversationState>): void {
    this.state = { ...this.state, ...patch };
    this.changed = true;
  }
  say(key: Key, params?: Params): void {
    this.out.push(params ? { type: 'text', key, params } : { type: 'text', key });
  }
  emit(name: AnalyticsName, extra: Partial<AnalyticsEvent> = {}): void {
    const step = this.step?.id;
    this.events.push({ name, at: this.now, flow: this.def.id, ...(step ? { step } : {}), ...extra });
  }
  /** Record what the edge must supply; the caller returns at once, and the turn is run again from the start with it. */
  need(n: Need): void {
    this.needed ??= n;
  }
  /** Begin a flow here (no bookkeeping of the step left: the caller did it). */
  begin(id: FlowId, input: FlowInput = {}): void {
    this.def = this.cfg.flows[id];
    this.snap = startFlow(this.def, { country: this.state.country, ...input });
    this.emit('flow.entered', { step: undefined });
  }
  saved(): SavedFlow {
    return save(this.def, this.snap);
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
      this.out.push({ type: 'request-file', key: text, ...withParams, accept: FILE_TYPES, maxBytes: this.cfg.maxFileBytes });
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

  outcome(): Omit<TurnResult, 'transcript'> {
    const state: ConversationState = this.changed ? { ...this.state, flow: this.saved(), updatedAt: this.now } : this.state;
    return { state, outbound: this.out, events: this.events, changed: this.changed, effects: this.effects };
  }
}

export function choicesOf(step: Step<unknown>, context: unknown): readonly ChoiceOption[] {
  const c = step.choices;
  return typeof c === 'function' ? c(context) : (c ?? []);
}
