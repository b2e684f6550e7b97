/**
 * The engine's side of the handoff machine (`src/flows/handoff.ts`): feed it an event from the
 * persisted `state.handoff`, keep what it decides, and say so in analytics. The machine decides
 * which moves are allowed; this module maps its output onto the turn.
 */
import { transition } from 'xstate';
import { machine, snapshotOf, type HandoffEvent, type HandoffSnapshot } from '../flows/handoff.ts';
import type { HandoffReason } from './messages.ts';
import type { Turn } from './turn.ts';

/** Apply a handoff event. Returns the machine's new snapshot, or undefined when it does not take the event here. */
export function applyHandoff(t: Turn, event: HandoffEvent): HandoffSnapshot | undefined {
  const before = snapshotOf(t.state.handoff);
  if (!before.can(event)) return undefined;
  const [after] = transition(machine, before, event);
  if (after.context.handoff !== t.state.handoff) t.update({ handoff: after.context.handoff });
  return after;
}

/** Into the queue: the bot pauses where it is, and the customer's messages go to the agent. */
export function requestHandoff(t: Turn, reason: HandoffReason): void {
  if (!applyHandoff(t, { type: 'request', reason, at: t.now })) {
    // Already with a person (or waiting for one): remind them where they stand.
    t.handoffNews ??= 'status';
    return;
  }
  t.emit('handoff.requested', { data: { reason } });
  t.handoffNews = 'requested';
}

/** Out of the queue (or away from the agent), back to the bot at the step they were on. */
export function cancelHandoff(t: Turn): void {
  const h = t.state.handoff;
  if (!h || !applyHandoff(t, { type: 'cancel' })) return;
  t.emit('handoff.cancelled', { data: { status: h.status ?? 'queued', waitMs: Math.max(0, t.now - h.at) } });
  t.handoffNews = undefined;
}
