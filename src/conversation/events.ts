/** Analytics events a turn produces: facts about steps and outcomes, never personal data or secrets. */
import type { FlowId } from '../flows/step.ts';

export type AnalyticsName =
  | 'conversation.started'
  | 'flow.entered'
  | 'flow.completed'
  | 'flow.routed'
  | 'step.entered'
  | 'step.left'
  | 'choice.taken'
  | 'routing.result'
  | 'handoff.requested'
  | 'handoff.claimed'
  | 'handoff.cancelled'
  | 'handoff.transferred'
  | 'handoff.returned'
  | 'handoff.closed'
  | 'handoff.email-left'
  | 'agent.replied'
  | 'verification.result'
  | 'csat.rated'
  | 'conversation.restarted'
  | 'conversation.ended'
  | 'language.switched'
  | 'flow.migrated'
  /** Written by the abandonment job (not a turn): no message for ABANDON_AFTER_MINUTES. */
  | 'flow.abandoned';

export interface AnalyticsEvent {
  name: AnalyticsName;
  /** ms since epoch, from the injected clock. */
  at: number;
  flow?: FlowId;
  step?: string;
  data?: Record<string, string | number | boolean | string[]>;
}
