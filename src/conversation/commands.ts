/** The conversation commands the engine answers itself at any step: resume, help, back, start over, a person, cancel, language. */
import { restoreCallers, dropCallers } from './calls.ts';
import { restore, startFlow } from './flow-snapshot.ts';
import { requestHandoff } from './handoff.ts';
import type { Command, Locale } from './messages.ts';
import { moveTo } from './procedure.ts';
import type { Turn } from './turn.ts';

export interface CommandMessage {
  command: Command;
  value?: string;
}

export function command(t: Turn, c: CommandMessage): void {
  const cur = t.step;
  switch (c.command) {
    case 'start':
      t.say('common:resume');
      return t.prompt();
    case 'help':
      t.say(cur?.step.help ?? 'common:help.none', cur?.step.params?.(t.snap.context));
      return t.prompt();
    case 'back':
      return back(t);
    case 'restart':
      return restart(t);
    case 'handoff':
      // No prompt after it: the bot is paused, and the queue wording says where they stand.
      return requestHandoff(t, 'asked');
    case 'cancel':
      // Nothing to cancel outside a handoff: treat it as "where was I?".
      return t.prompt();
    case 'language':
      return switchLanguage(t, c.value);
  }
}

function back(t: Turn): void {
  const prev = t.state.trail.at(-1);
  const def = prev && t.cfg.flows[prev.id];
  if (!prev || !def) {
    t.say('common:back.at-start');
    return t.prompt();
  }
  t.state = { ...t.state, trail: t.state.trail.slice(0, -1) };
  restoreCallers(t, prev.stack);
  moveTo(t, def, restore(def, prev, { country: t.state.country }).snapshot, { remember: false });
  t.say('common:back.done');
  t.prompt();
}

/** Start over at the main menu, keeping only the language, the country and the wrong-PIN count. */
export function restart(t: Turn): void {
  t.emit('conversation.restarted');
  dropCallers(t);
  t.update({ status: 'active', trail: [], failures: {}, stepSince: t.now });
  t.def = t.cfg.flows.triage;
  t.snap = startFlow(t.def, {});
  t.emit('flow.entered');
  t.emit('step.entered');
  t.prompt();
}

function switchLanguage(t: Turn, value: string | undefined): void {
  const next: Locale = value === 'es' || value === 'en' ? value : t.state.locale === 'es' ? 'en' : 'es';
  if (next !== t.state.locale) {
    t.update({ locale: next });
    t.emit('language.switched', { data: { to: next } });
  }
  t.say('common:language.switched');
  t.prompt();
}
