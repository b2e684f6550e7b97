/**
 * The pure turn: `(state | none, inbound, facts) → result | the fact it needs`. No I/O, no clock,
 * no throwing on input; a bug throws, and the edge that runs the turn catches it once.
 */
import type { Decision, TranscriptEntry, TurnInput, TurnResult } from './contract.ts';
import { command } from './commands.ts';
import { save, startFlow } from './flow-snapshot.ts';
import type { Inbound } from './messages.ts';
import { announce } from './queue-wording.ts';
import { read } from './read.ts';
import type { ConversationState } from './state.ts';
import { transcriptOf } from './transcript.ts';
import { Turn, type EngineConfig } from './turn.ts';
import { commandIn } from './typed-commands.ts';
import { routeIntent } from './understand.ts';

export function decide(cfg: EngineConfig, prev: ConversationState | undefined, inbound: Inbound, input: TurnInput): Decision {
  const t = new Turn(cfg, prev ?? newConversation(cfg, input), input);
  const transcript = transcriptOf(inbound, t, cfg.lexicon);
  if (prev === undefined) {
    if (firstMessage(t, inbound) === 'answered') return finish(t, transcript);
  }
  read(t, inbound);
  if (!t.needed) announce(t);
  return t.needed ? { done: false, need: t.needed } : finish(t, transcript);
}

const finish = (t: Turn, transcript: TranscriptEntry): Decision => ({ done: true, result: { ...t.outcome(), transcript } satisfies TurnResult });

function newConversation(cfg: EngineConfig, input: TurnInput): ConversationState {
  const def = cfg.flows.triage;
  return {
    schema: 1,
    locale: input.locale ?? cfg.defaultLocale,
    status: 'active',
    flow: save(def, startFlow(def, {})),
    stack: [],
    trail: [],
    secretFailures: [],
    failures: {},
    stepSince: input.now,
    startedAt: input.now,
    updatedAt: input.now,
  };
}

/**
 * A new conversation: record its start and greet, once. "menú" or "start" is answered by the
 * greeting alone; "ayuda", "atrás" or "english" by what they say and then the greeting; a first
 * message that names no procedure ("hola") by the greeting, which already asks what they need.
 */
function firstMessage(t: Turn, inbound: Inbound): 'answered' | 'read' {
  t.changed = true;
  t.emit('conversation.started', { data: { locale: t.state.locale } });
  t.emit('flow.entered');
  t.emit('step.entered');
  const cmd = inbound.type === 'command' ? inbound : inbound.type === 'text' ? commandIn(inbound.text, t.cfg.lexicon) : undefined;
  if (cmd?.command === 'start' || cmd?.command === 'restart' || cmd?.command === 'cancel') {
    t.prompt();
    return 'answered';
  }
  if (cmd?.command === 'help' || cmd?.command === 'back' || cmd?.command === 'language') {
    // The command's own answer ends with the greeting (the step's prompt): say it only there.
    command(t, cmd);
    return 'answered';
  }
  t.prompt();
  if (inbound.type === 'text' && !cmd) {
    const r = routeIntent(inbound.text, t.cfg.lexicon, (f) => t.cfg.flows[f]?.country);
    if (r.flows.length === 0 && !r.country) {
      t.emit('routing.result', { data: { result: 'none', flows: [] } });
      return 'answered';
    }
  }
  return 'read';
}
