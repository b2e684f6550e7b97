/**
 * The one mechanism for a procedure calling another (the certificate check inside a procedure):
 * a state with `meta.call` pushes its flow onto `state.stack` and starts the callee; when the
 * callee finishes, the caller is restored and gets `subflow.done` with the callee's output.
 * A plain stack of saved snapshots (rather than XState child actors) keeps the persisted state
 * plain JSON that older saved conversations still load, and lets "back" restore it from the trail.
 */
import { transition, type AnyMachineSnapshot } from 'xstate';
import type { FlowOutput } from '../flows/step.ts';
import { currentCall, restore } from './flow-snapshot.ts';
import type { SavedFlow } from './state.ts';
import type { Turn } from './turn.ts';

/** If the current state calls a sub-flow: remember the caller and start the callee. */
export function enterCallee(t: Turn): boolean {
  const call = currentCall(t.snap);
  if (!call) return false;
  t.state = { ...t.state, stack: [...t.state.stack, t.saved()] };
  t.begin(call.flow, { ...call.input?.(t.snap.context), caller: t.def.id });
  return true;
}

/** If a caller waits for the flow that just finished: restore it and hand it the output. */
export function returnToCaller(t: Turn, output: FlowOutput): boolean {
  const caller = t.state.stack.at(-1);
  const def = caller && t.cfg.flows[caller.id];
  if (!caller || !def) return false;
  t.state = { ...t.state, stack: t.state.stack.slice(0, -1) };
  const back = restore(def, caller, { country: t.state.country }).snapshot;
  t.def = def;
  t.snap = transition(def.machine, back, { type: 'subflow.done', output })[0] as AnyMachineSnapshot;
  return true;
}

/** No caller waits any more (a redirect to another procedure, starting over, an agent's return). */
export function dropCallers(t: Turn): void {
  t.state = { ...t.state, stack: [] };
}

/** The callers waiting now, to keep with a "back" entry. */
export const callers = (t: Turn): SavedFlow[] => t.state.stack;

/** Go back to an earlier step with the callers that waited then. */
export function restoreCallers(t: Turn, stack: SavedFlow[] | undefined): void {
  t.state = { ...t.state, stack: stack ?? [] };
}
