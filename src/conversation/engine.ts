/**
 * The conversation engine, a façade over its concerns: `decide` is the pure turn (state, inbound
 * and the facts the edge read → new state, outbound, events, effects, or the fact it needs);
 * `turn` runs it to the end for edges without a store; `staff` applies an agent's action;
 * `replay` says the current step again. No clock, no storage, no channel, no catching: a bug
 * throws to the edge that runs the turn, which logs it once.
 */
import { FLOWS, type FlowDefinition } from '../flows/catalog.ts';
import type { FlowId } from '../flows/step.ts';
import type { Decision, EngineOptions, StaffAction, StaffResult, TranscriptEntry, TurnContext, TurnInput, TurnResult } from './contract.ts';
import { decide } from './decide.ts';
import { pathOf } from './flow-snapshot.ts';
import type { Inbound, Outbound } from './messages.ts';
import { withCancel } from './queue-wording.ts';
import { runTurn } from './runner.ts';
import { staffAction } from './staff.ts';
import type { ConversationState } from './state.ts';
import { transcriptOf } from './transcript.ts';
import { Turn, type EngineConfig } from './turn.ts';

export type * from './contract.ts';
export { FILE_TYPES, choicesOf } from './turn.ts';

export interface Engine {
  /** The pure turn: a result, or the one fact (check report, queue outlook) to come back with. */
  decide(state: ConversationState | undefined, inbound: Inbound, input: TurnInput): Decision;
  /** `decide` run to its end with the injected check and the context's hold and queue (terminal chat, tests, seed). */
  turn(state: ConversationState | undefined, inbound: Inbound, ctx: TurnContext): Promise<TurnResult>;
  /** The outbound messages that show the current step again (reconnecting clients). */
  replay(state: ConversationState): Outbound[];
  /** An agent's action; refused as a value when it is not theirs to take. */
  staff(state: ConversationState, action: StaffAction, ctx: { now: number }): StaffResult;
  /** The inbound as the transcript keeps it, for a turn that failed (secrets masked as in a turn). */
  transcript(state: ConversationState | undefined, inbound: Inbound): TranscriptEntry;
}

export function createEngine(options: EngineOptions): Engine {
  const cfg = configOf(options);
  const decideHere = (state: ConversationState | undefined, inbound: Inbound, input: TurnInput) => decide(cfg, state, inbound, input);
  return {
    decide: decideHere,
    turn: (state, inbound, ctx) => runTurn(decideHere, options.verify, state, inbound, ctx),
    replay: (state) => replay(cfg, state),
    staff: (state, action, ctx) => staffAction(new Turn(cfg, state, { now: ctx.now, canHold: false }), action),
    transcript: (state, inbound) => transcriptOf(inbound, state ? new Turn(cfg, state, { now: state.updatedAt, canHold: false }) : undefined, cfg.lexicon),
  };
}

function configOf(options: EngineOptions): EngineConfig {
  const canVerify = options.verify !== undefined;
  const flows = Object.fromEntries(
    Object.entries(options.flows ?? FLOWS).map(([id, def]) => [id, { ...def, machine: def.machine.provide({ guards: { canVerify: () => canVerify } }) }]),
  ) as Record<FlowId, FlowDefinition>;
  return {
    flows,
    lexicon: options.lexicon,
    labels: options.labels,
    maxTextLength: options.maxTextLength ?? 2000,
    maxFileBytes: options.maxFileBytes ?? 64 * 1024,
    defaultLocale: options.defaultLocale ?? 'es',
    canVerify,
  };
}

function replay(cfg: EngineConfig, state: ConversationState): Outbound[] {
  if (state.status === 'ended') return [{ type: 'end', key: 'common:end.goodbye' }];
  const h = state.handoff;
  if (h?.status === 'assigned') return [{ type: 'text', key: 'common:handoff.with-agent', params: { name: h.agent?.name ?? '' } }];
  if (h) return [withCancel(h.awaitingEmail ? 'common:handoff.closed-unknown' : 'common:handoff.queued-unknown')];
  const t = new Turn(cfg, state, { now: state.updatedAt, canHold: false });
  t.prompt();
  return t.out;
}

/** The state path the conversation stands at, e.g. `atv.generate-key` / `pin.create`. */
export const whereIs = (state: ConversationState): { flow: FlowId; step: string } => ({
  flow: state.flow.id,
  step: pathOf(state.flow.value as never),
});
