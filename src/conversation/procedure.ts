/**
 * Moving through procedures: send an event to the current flow, move to a new step (remembering
 * the one left for "back"), and settle: enter called sub-flows, return to callers, and hand over
 * when a flow ends (triage routes, a procedure redirects or chains, the wrap-up ends it all).
 */
import { transition, type AnyMachineSnapshot } from 'xstate';
import type { FlowDefinition } from '../flows/catalog.ts';
import type { FlowEvent, FlowOutput } from '../flows/step.ts';
import { callers, dropCallers, enterCallee, returnToCaller } from './calls.ts';
import { requestHandoff } from './handoff.ts';
import { TRAIL_LIMIT } from './state.ts';
import { SEP, type Turn } from './turn.ts';

/** Flows are finite graphs; more hops than this in one settle is a bug in a flow. */
const MAX_HOPS = 32;

/** Send an event to the flow. Returns false (and says why) when the step does not take it. */
export function sendToFlow(t: Turn, event: FlowEvent): boolean {
  const cur = t.step;
  if (!t.snap.can(event)) {
    t.say(cur?.step.invalid ?? 'common:input.not-accepted', cur?.step.params?.(t.snap.context));
    t.prompt();
    return false;
  }
  const [next] = transition(t.def.machine, t.snap, event);
  if (cur?.step.canFail && (event.type === 'failed' || event.type === 'error')) countFailure(t, cur.id);
  moveTo(t, t.def, next as AnyMachineSnapshot);
  t.prompt();
  return true;
}

/** A second "it didn't work" at the same step brings in a person. */
function countFailure(t: Turn, stepId: string): void {
  const key = `${t.def.id}${SEP}${stepId}`;
  const n = (t.state.failures[key] ?? 0) + 1;
  t.state = { ...t.state, failures: { ...t.state.failures, [key]: n } };
  if (n === 2) requestHandoff(t, 'step-failed-twice');
}

/** Move to a new snapshot (same or another flow), remembering where we were for "back". */
export function moveTo(t: Turn, def: FlowDefinition, snap: AnyMachineSnapshot, { remember = true } = {}): void {
  const left = t.step;
  if (left) t.emit('step.left', { data: { ms: Math.max(0, t.now - t.state.stepSince) } });
  if (remember && left) {
    const entry = { ...t.saved(), stack: callers(t) };
    t.state = { ...t.state, trail: [...t.state.trail, entry].slice(-TRAIL_LIMIT) };
  }
  t.def = def;
  t.snap = snap;
  t.update({ stepSince: t.now });
  settle(t);
  const entered = t.step;
  if (entered) t.emit('step.entered');
  if (entered?.step.handoff) requestHandoff(t, entered.step.handoff);
}

/** Until the conversation rests on a step: enter called sub-flows, return to callers, hand over when a flow ends. */
function settle(t: Turn): void {
  for (let hops = 0; hops < MAX_HOPS; hops++) {
    if (enterCallee(t)) continue;
    if (t.snap.status !== 'done') return;
    const output = (t.snap.output ?? { result: 'ended' }) as FlowOutput;
    if (!finished(t, output)) return;
  }
  throw new Error(`flow ${t.def.id} does not settle`);
}

/** A flow finished with this output: start what comes next. False when the conversation rests (it ended). */
function finished(t: Turn, output: FlowOutput): boolean {
  if (output.country) t.state = { ...t.state, country: output.country };
  if (t.def.id === 'triage') {
    t.emit('flow.routed', { data: { to: output.next ?? '' } });
    t.begin(output.next ?? 'triage');
    return true;
  }
  t.emit('flow.completed', { data: { result: output.result } });
  if (output.result === 'redirected' && output.next) {
    dropCallers(t);
    t.begin(output.next);
    return true;
  }
  if (returnToCaller(t, output)) return true;
  if (t.def.id === 'wrap-up') return wrapUp(t, output);
  if (output.result === 'handoff') requestHandoff(t, 'asked');
  t.begin(output.next ?? 'wrap-up');
  return true;
}

/** The wrap-up finished: the rating, then another procedure or goodbye. */
function wrapUp(t: Turn, output: FlowOutput): boolean {
  if (output.rating !== undefined) {
    t.emit('csat.rated', { data: { rating: output.rating, solved: output.solved ?? false } });
  }
  if (output.next) {
    t.emit('conversation.restarted');
    t.state = { ...t.state, trail: [] };
    t.begin(output.next);
    return true;
  }
  t.emit('conversation.ended');
  t.state = { ...t.state, status: 'ended' };
  t.out.push({ type: 'end', key: 'common:end.goodbye' });
  return false;
}
