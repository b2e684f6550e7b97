/**
 * An agent's action on a conversation (console or Slack desk) as an event of the handoff machine:
 * claim, reply, transfer, return to the bot at a step, close. Refused as a coded value when it is
 * not theirs to take; otherwise mapped to state, what the customer reads, and analytics.
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { FlowDefinition } from '../flows/catalog.ts';
import { PROCEDURE_IDS } from '../flows/catalog.ts';
import { refusalOf, type HandoffEvent } from '../flows/handoff.ts';
import type { FlowId } from '../flows/step.ts';
import { dropCallers } from './calls.ts';
import type { StaffAction, StaffResult } from './contract.ts';
import { currentStep, restore, startFlow, valueOf } from './flow-snapshot.ts';
import { applyHandoff } from './handoff.ts';
import { moveTo } from './procedure.ts';
import type { Turn } from './turn.ts';

/** Flows an agent may send a customer into: the procedures and the main menu (not the sub-flows they call). */
const RETURNABLE = new Set<FlowId>(['triage', ...PROCEDURE_IDS]);

type Refused = Extract<StaffResult, { ok: false }>;

export function staffAction(t: Turn, action: StaffAction): StaffResult {
  if (t.state.status === 'ended') return { ok: false, code: 'conversation.ended' };
  const before = t.state.handoff;
  const checked = precheck(t, action);
  if (checked) return checked;
  const event = eventOf(action, t.now);
  const refusal = refusalOf(before, event);
  if (refusal) return { ok: false, code: refusal, ...(before?.agent ? { agent: before.agent } : {}) };
  if (!applyHandoff(t, event)) return unchanged(t);
  switch (action.type) {
    case 'claim':
      return claimed(t, action, before?.at);
    case 'reply':
      t.out.push({ type: 'agent', text: action.text.trim(), name: action.agent.name });
      t.emit('agent.replied');
      t.changed = true;
      return ok(t);
    case 'transfer':
      t.emit('handoff.transferred', { data: { to: action.to ? 'agent' : 'queue' } });
      if (action.to) t.say('common:handoff.transferred', { name: action.to.name });
      else t.say('common:handoff.requeued');
      return ok(t);
    case 'close':
      t.emit('handoff.closed', { data: { tag: action.tag, reason: before?.reason ?? 'agent', ms: Math.max(0, t.now - (before?.at ?? t.now)) } });
      t.emit('conversation.ended');
      t.update({ status: 'ended' });
      t.say('common:handoff.closed-by-agent', { name: action.agent.name });
      t.out.push({ type: 'end', key: 'common:end.goodbye' });
      return ok(t);
    case 'return':
      return returned(t, action, before?.at ?? t.now);
  }
}

const ok = (t: Turn): StaffResult => ({ ok: true, ...t.outcome() });
const unchanged = (t: Turn): StaffResult => ({ ok: true, ...t.outcome(), changed: false });

function eventOf(action: StaffAction, at: number): Extract<HandoffEvent, { agent: unknown }> {
  switch (action.type) {
    case 'claim':
      return { type: 'claim', agent: action.agent, at };
    case 'reply':
      return { type: 'reply', agent: action.agent };
    case 'transfer':
      return { type: 'transfer', agent: action.agent, ...(action.to ? { to: action.to } : {}), at };
    case 'return':
      return { type: 'return', agent: action.agent };
    case 'close':
      return { type: 'close', agent: action.agent };
  }
}

/** Refusals of the action's own content, checked once the agent is known to hold the conversation. */
function precheck(t: Turn, action: StaffAction): Refused | undefined {
  if (action.type === 'reply' && refusalOf(t.state.handoff, { type: 'reply', agent: action.agent }) === undefined) {
    const text = action.text.trim();
    if (text === '') return { ok: false, code: 'reply.empty' };
    if (text.length > t.cfg.maxTextLength) return { ok: false, code: 'reply.too-long' };
  }
  if (action.type === 'return' && refusalOf(t.state.handoff, { type: 'return', agent: action.agent }) === undefined && target(t, action) === 'unknown') {
    return { ok: false, code: 'return.unknown-step' };
  }
  return undefined;
}

function claimed(t: Turn, action: Extract<StaffAction, { type: 'claim' }>, since: number | undefined): StaffResult {
  // An agent picks up a conversation the bot is having: it enters the queue and leaves it at once.
  if (since === undefined) t.emit('handoff.requested', { data: { reason: 'agent' } });
  const h = t.state.handoff;
  t.emit('handoff.claimed', { data: { reason: h?.reason ?? 'agent', waitMs: Math.max(0, t.now - (since ?? t.now)) } });
  t.say('common:handoff.joined', { name: action.agent.name });
  return ok(t);
}

/** Where an agent's return sends the customer: a step, a procedure's start, or (undefined) where they were. */
function target(t: Turn, action: Extract<StaffAction, { type: 'return' }>): { def: FlowDefinition; snap: AnyMachineSnapshot } | 'unknown' | undefined {
  // A step without a procedure is a step of the procedure they are in.
  const flowId = action.flow ?? (action.step ? t.def.id : undefined);
  if (flowId === undefined) return undefined;
  const def = t.cfg.flows[flowId];
  if (!def || !RETURNABLE.has(flowId)) return 'unknown';
  if (action.step === undefined || action.step === '') return { def, snap: startFlow(def, { country: t.state.country }) };
  // A path the machine lacks comes back as migrated (to the first step): refused.
  const r = restore(def, { id: def.id, version: def.version, value: valueOf(action.step), context: {} }, { country: t.state.country });
  return r.migrated || !currentStep(r.snapshot) ? 'unknown' : { def, snap: r.snapshot };
}

function returned(t: Turn, action: Extract<StaffAction, { type: 'return' }>, since: number): StaffResult {
  const to = target(t, action);
  const dest = to === 'unknown' ? undefined : to;
  t.emit('handoff.returned', { data: { to: dest?.def.id ?? t.def.id, ms: Math.max(0, t.now - since) } });
  t.update({ failures: {} });
  t.say('common:handoff.returned', { name: action.agent.name });
  if (dest) {
    if (dest.def.id !== t.def.id) t.emit('flow.entered', { flow: dest.def.id, step: undefined });
    // The step left goes into "back" with the procedures around it; the new step stands alone.
    moveTo(t, dest.def, dest.snap);
    dropCallers(t);
  }
  t.prompt();
  return ok(t);
}
