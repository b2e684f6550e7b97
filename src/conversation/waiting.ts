/**
 * While a person has (or is about to have) the conversation: messages are for them; "cancel"
 * goes back to the bot at the step the customer was on; an e-mail is kept outside agents' hours;
 * files and PINs are not taken. The bot says only what the queue needs.
 */
import { command, restart, type CommandMessage } from './commands.ts';
import { applyHandoff, cancelHandoff } from './handoff.ts';
import { CANCEL_HANDOFF, type Inbound } from './messages.ts';
import { withCancel } from './queue-wording.ts';
import { looksSecret } from './redact.ts';
import type { Turn } from './turn.ts';
import { commandIn, commandInSecret } from './typed-commands.ts';

const EMAIL = /[\p{L}\p{N}._%+-]{1,64}@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.[A-Za-z]{2,24}/u;

export function waiting(t: Turn, inbound: Inbound): void {
  switch (inbound.type) {
    case 'command':
      return onCommand(t, inbound);
    case 'choice':
      return inbound.id === CANCEL_HANDOFF ? onCommand(t, { command: 'cancel' }) : paused(t);
    case 'file':
    case 'file-refused':
      t.out.push(withCancel('common:handoff.no-files'));
      return;
    case 'secret': {
      const cmd = commandInSecret(inbound.text, t.cfg.lexicon);
      return cmd ? onCommand(t, cmd) : t.say('common:input.unexpected-secret');
    }
    case 'text':
      return forTheAgent(t, inbound.text);
  }
}

/** "Your agent/the queue has this; the bot is paused": the answer to help, back and stray buttons. */
function paused(t: Turn): void {
  const h = t.state.handoff;
  const agent = h?.status === 'assigned' ? h.agent : undefined;
  t.out.push(agent ? withCancel('common:handoff.paused-agent', { name: agent.name }) : withCancel('common:handoff.paused'));
}

function onCommand(t: Turn, c: CommandMessage): void {
  const h = t.state.handoff;
  const agent = h?.status === 'assigned' ? h.agent : undefined;
  switch (c.command) {
    case 'cancel':
      cancelHandoff(t);
      if (agent) t.say('common:handoff.left-agent', { name: agent.name });
      else t.say('common:handoff.cancelled');
      return t.prompt();
    case 'restart':
      cancelHandoff(t);
      return restart(t);
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
      return paused(t);
  }
}

function forTheAgent(t: Turn, raw: string): void {
  const h = t.state.handoff;
  if (!h) return;
  const trimmed = raw.trim();
  if (trimmed === '') return t.say('common:input.empty');
  if (trimmed.length > t.cfg.maxTextLength) return t.say('common:input.too-long', { max: t.cfg.maxTextLength });
  const cmd = commandIn(trimmed, t.cfg.lexicon);
  if (cmd && !looksSecret(trimmed)) return onCommand(t, cmd);
  const email = h.awaitingEmail ? EMAIL.exec(trimmed)?.[0] : undefined;
  if (email && applyHandoff(t, { type: 'email', email })) {
    t.emit('handoff.email-left');
    return t.say('common:handoff.email-saved', { email });
  }
  // Anything else is for the agent: it is in the transcript they read.
  if (looksSecret(trimmed)) t.say('common:secret.typed-in-clear');
  t.changed = true;
  if (h.status !== 'assigned' && applyHandoff(t, { type: 'noted' })) {
    t.say(h.awaitingEmail ? 'common:handoff.noted-closed' : 'common:handoff.noted');
  }
}
