/**
 * The handoff lifecycle as a machine: with the bot → queued → with an agent → back to the bot |
 * closed. The customer's cancel, an agent's claim, reply, transfer, return and close, business
 * hours and the e-mail left outside them are its events. Its context is the persisted handoff
 * record (`ConversationState.handoff`), so a saved conversation resumes with `snapshotOf()`.
 */
import { assign, setup, type SnapshotFrom } from 'xstate';

/** Why a conversation went to a person: the customer asked, a step failed twice, "not solved" at the end, PIN locked, or an agent took it. */
export type HandoffReason = 'asked' | 'step-failed-twice' | 'not-solved' | 'secret-locked' | 'agent';

export interface AgentRef {
  id: string;
  name: string;
}

export interface Handoff {
  reason: HandoffReason;
  /** When the customer asked (ms); the queue is ordered by it, and a transfer back to the queue keeps it. */
  at: number;
  /** queued: waiting for an agent; assigned: an agent has it. States saved before this field are queued. */
  status?: 'queued' | 'assigned';
  agent?: AgentRef;
  claimedAt?: number;
  /** Asked outside business hours: the next e-mail-looking message is their address. */
  awaitingEmail?: boolean;
  /** Left by the customer for the agents to write to. */
  email?: string;
  /** "Your message is passed on" was said (once per wait). */
  noted?: boolean;
}

export interface HandoffContext {
  handoff?: Handoff;
}

export type HandoffEvent =
  | { type: 'request'; reason: HandoffReason; at: number }
  | { type: 'cancel' }
  | { type: 'claim'; agent: AgentRef; at: number }
  | { type: 'reply'; agent: AgentRef }
  | { type: 'transfer'; agent: AgentRef; to?: AgentRef; at: number }
  | { type: 'return'; agent: AgentRef }
  | { type: 'close'; agent: AgentRef }
  /** Asked outside agents' hours: the next e-mail-looking message is taken as their address. */
  | { type: 'hours.closed' }
  | { type: 'email'; email: string }
  /** The customer was told their message is passed on (once per wait). */
  | { type: 'noted' };

type AgentEvent = Extract<HandoffEvent, { agent: AgentRef }>;

const agentOf = (e: HandoffEvent): AgentRef | undefined => ('agent' in e ? e.agent : undefined);
const isMine = (c: HandoffContext, e: HandoffEvent): boolean => c.handoff?.agent?.id !== undefined && c.handoff.agent.id === agentOf(e)?.id;
/** The optional fields that survive a change of hands. */
const kept = (h: Handoff | undefined): Partial<Handoff> => ({
  ...(h?.email ? { email: h.email } : {}),
  ...(h?.awaitingEmail ? { awaitingEmail: true } : {}),
});

export const machine = setup({
  types: { context: {} as HandoffContext, events: {} as HandoffEvent, input: {} as HandoffContext },
  guards: {
    mine: ({ context, event }) => isMine(context, event),
    toAnother: ({ context, event }) => isMine(context, event) && event.type === 'transfer' && event.to !== undefined && event.to.id !== agentOf(event)?.id,
    toQueue: ({ context, event }) => isMine(context, event) && event.type === 'transfer' && event.to === undefined,
    noEmailYet: ({ context }) => !context.handoff?.email && !context.handoff?.awaitingEmail,
    awaitingEmail: ({ context }) => context.handoff?.awaitingEmail === true,
    notNoted: ({ context }) => context.handoff?.noted !== true,
  },
  actions: {
    queue: assign(({ event }) => (event.type === 'request' ? { handoff: { reason: event.reason, at: event.at, status: 'queued' as const } } : {})),
    claim: assign(({ context, event }) => {
      if (event.type !== 'claim') return {};
      const h = context.handoff;
      return { handoff: { reason: h?.reason ?? 'agent', at: h?.at ?? event.at, status: 'assigned' as const, agent: event.agent, claimedAt: event.at, ...(h?.email ? { email: h.email } : {}) } };
    }),
    handOver: assign(({ context, event }) =>
      event.type === 'transfer' && event.to && context.handoff ? { handoff: { ...context.handoff, agent: event.to, claimedAt: event.at } } : {},
    ),
    requeue: assign(({ context }) =>
      context.handoff ? { handoff: { reason: context.handoff.reason, at: context.handoff.at, status: 'queued' as const, noted: true, ...kept(context.handoff) } } : {},
    ),
    clear: assign({ handoff: undefined }),
    awaitEmail: assign(({ context }) => (context.handoff ? { handoff: { ...context.handoff, awaitingEmail: true } } : {})),
    keepEmail: assign(({ context, event }) =>
      event.type === 'email' && context.handoff ? { handoff: { ...context.handoff, awaitingEmail: false, email: event.email } } : {},
    ),
    note: assign(({ context }) => (context.handoff ? { handoff: { ...context.handoff, noted: true } } : {})),
  },
}).createMachine({
  id: 'handoff',
  context: ({ input }) => ({ handoff: input?.handoff }),
  initial: 'bot',
  states: {
    bot: {
      on: {
        request: { target: 'queued', actions: 'queue' },
        // An agent picks up a conversation the bot is having: it enters the queue and leaves it at once.
        claim: { target: 'assigned', actions: 'claim' },
      },
    },
    queued: {
      on: {
        cancel: { target: 'bot', actions: 'clear' },
        claim: { target: 'assigned', actions: 'claim' },
        'hours.closed': { guard: 'noEmailYet', actions: 'awaitEmail' },
        email: { guard: 'awaitingEmail', actions: 'keepEmail' },
        noted: { guard: 'notNoted', actions: 'note' },
      },
    },
    assigned: {
      on: {
        cancel: { target: 'bot', actions: 'clear' },
        // Stays with the agent (a target, so the machine counts it as taken: `can()` says yes).
        reply: { guard: 'mine', target: 'assigned' },
        transfer: [
          { guard: 'toAnother', actions: 'handOver' },
          { guard: 'toQueue', target: 'queued', actions: 'requeue' },
        ],
        return: { guard: 'mine', target: 'bot', actions: 'clear' },
        close: { guard: 'mine', target: 'closed', actions: 'clear' },
        // Left by the customer while waiting, kept once an agent has them.
        email: { guard: 'awaitingEmail', actions: 'keepEmail' },
      },
    },
    closed: { type: 'final' },
  },
});

export type HandoffSnapshot = SnapshotFrom<typeof machine>;
export type HandoffState = 'bot' | 'queued' | 'assigned' | 'closed';

/** The machine's snapshot for a persisted handoff record (none: the bot has the conversation). */
export function snapshotOf(handoff: Handoff | undefined): HandoffSnapshot {
  const value: HandoffState = !handoff ? 'bot' : handoff.status === 'assigned' ? 'assigned' : 'queued';
  return machine.resolveState({ value, context: { handoff } });
}

/** Why an agent's action is refused here (undefined: it is theirs, but changes nothing, e.g. claiming twice). */
export type HandoffRefusal = 'handoff.taken' | 'handoff.not-yours' | 'handoff.none';

export function refusalOf(handoff: Handoff | undefined, event: AgentEvent): HandoffRefusal | undefined {
  const mine = handoff?.agent?.id === event.agent.id;
  if (event.type === 'claim') return handoff?.status === 'assigned' && handoff.agent && !mine ? 'handoff.taken' : undefined;
  if (!handoff) return 'handoff.none';
  if (handoff.status !== 'assigned' || !mine) return 'handoff.not-yours';
  return undefined;
}
