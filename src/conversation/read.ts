/**
 * Reading the customer's message at the current step: a command, a button (it must belong to this
 * step), typed text (a command, a button's words, the step's answer, or a procedure by its words),
 * a file (kept after the commit for its PIN), or a PIN.
 */
import { ENGINE_CHOICES } from '../flows/step.ts';
import { secret } from './check.ts';
import { command } from './commands.ts';
import type { CurrentStep } from './flow-snapshot.ts';
import type { FileRefusal, Inbound } from './messages.ts';
import { sendToFlow } from './procedure.ts';
import { looksSecret } from './redact.ts';
import { FILE_TYPES, SEP, choicesOf, type Turn } from './turn.ts';
import { commandIn, commandInSecret } from './typed-commands.ts';
import { matchChoice, routeIntent } from './understand.ts';
import { waiting } from './waiting.ts';

export function read(t: Turn, inbound: Inbound): void {
  if (t.state.status === 'ended') return afterTheEnd(t, inbound);
  if (t.state.handoff) return waiting(t, inbound);
  switch (inbound.type) {
    case 'command':
      return command(t, inbound);
    case 'choice':
      return choice(t, inbound.id);
    case 'text':
      return text(t, inbound.text);
    case 'file':
      return file(t, inbound.name, inbound.bytes);
    case 'file-refused':
      return fileRefused(t, inbound);
    case 'secret': {
      // A command typed in the PIN field ("hablar con una persona", "menú") is that command, and costs no attempt.
      const cmd = commandInSecret(inbound.text, t.cfg.lexicon);
      return cmd ? command(t, cmd) : secret(t, inbound.text, false);
    }
  }
}

/** The conversation ended: only "start over" does anything. */
function afterTheEnd(t: Turn, inbound: Inbound): void {
  const restart =
    (inbound.type === 'command' && inbound.command === 'restart') ||
    (inbound.type === 'text' && commandIn(inbound.text, t.cfg.lexicon)?.command === 'restart') ||
    (inbound.type === 'choice' && inbound.id === 'restart');
  if (restart) return command(t, { command: 'restart' });
  t.say('common:end.already');
}

function choice(t: Turn, id: string): void {
  const cur = t.step;
  if (!cur) return;
  const parts = id.split(SEP);
  const bare = parts.at(-1) ?? '';
  const stepKey = parts.slice(0, -1).join(SEP);
  const offered = choicesOf(cur.step, t.snap.context).some((c) => c.id === bare);
  if ((stepKey !== '' && stepKey !== `${t.def.id}${SEP}${cur.id}`) || !offered) {
    t.say(stepKey !== '' ? 'common:input.stale-choice' : 'common:input.unknown-choice');
    return t.prompt();
  }
  answer(t, bare);
}

function answer(t: Turn, id: string): void {
  if ((ENGINE_CHOICES as readonly string[]).includes(id)) return command(t, { command: 'handoff' });
  t.emit('choice.taken', { data: { choice: id } });
  sendToFlow(t, { type: id });
}

function text(t: Turn, raw: string): void {
  const cur = t.step;
  if (!cur) return;
  const trimmed = raw.trim();
  if (trimmed === '') {
    t.say('common:input.empty');
    return t.prompt();
  }
  if (trimmed.length > t.cfg.maxTextLength) {
    t.say('common:input.too-long', { max: t.cfg.maxTextLength });
    return t.prompt();
  }
  const cmd = commandIn(trimmed, t.cfg.lexicon);
  if (cmd) {
    // "Talk to a person, my PIN is 6620": the command is taken (and costs no attempt); the PIN now sits in the chat history.
    if (looksSecret(trimmed)) t.say('common:secret.typed-in-clear');
    return command(t, cmd);
  }
  // Anything else at the PIN step is the PIN typed where the step asks for it: taken, with a warning.
  if (cur.step.expects === 'secret') return secret(t, trimmed, true);
  if (!/[\p{L}\p{N}]/u.test(trimmed)) {
    t.say('common:input.no-words');
    return t.prompt();
  }
  answerText(t, cur, trimmed);
}

/** Typed text at a step that is not the PIN step: a button's words, the step's text answer, or a procedure by its words. */
function answerText(t: Turn, cur: CurrentStep, trimmed: string): void {
  const offered = choicesOf(cur.step, t.snap.context).map((c) => ({ id: c.id, labels: t.cfg.labels(c.label) }));
  // Where free text is routed (the menus), routing understands more than a label's words would.
  const picked = matchChoice(trimmed, offered, t.cfg.lexicon, { partial: !cur.step.routesText && cur.step.expects === 'choice' });
  if (picked) return answer(t, picked);
  if (looksSecret(trimmed)) t.say('common:secret.typed-in-clear');
  if (cur.step.expects === 'text') {
    sendToFlow(t, { type: 'text', text: trimmed });
    return;
  }
  if (cur.step.routesText) {
    const r = routeIntent(trimmed, t.cfg.lexicon, (f) => t.cfg.flows[f]?.country);
    const result = r.flows.length === 1 ? 'matched' : r.flows.length > 1 ? 'ambiguous' : r.country ? 'country' : 'none';
    t.emit('routing.result', { data: { result, flows: r.flows, ...(r.country ? { country: r.country } : {}) } });
    sendToFlow(t, { type: 'intent', flows: r.flows, ...(r.country ? { country: r.country } : {}) });
    return;
  }
  if (cur.step.expects === 'file') t.say('common:input.expected-file');
  else t.say('common:input.not-understood');
  t.prompt();
}

function file(t: Turn, name: string, bytes: Uint8Array): void {
  const cur = t.step;
  if (!cur) return;
  if (cur.step.expects !== 'file') {
    t.say('common:input.unexpected-file');
    return t.prompt();
  }
  const { maxFileBytes } = t.cfg;
  const lower = name.toLowerCase();
  const problem =
    bytes.byteLength === 0
      ? 'common:file.empty'
      : bytes.byteLength > maxFileBytes
        ? 'common:file.too-large'
        : !FILE_TYPES.some((ext) => lower.endsWith(ext))
          ? 'common:file.wrong-type'
          : !t.input.canHold
            ? 'common:file.unavailable'
            : undefined;
  if (problem) {
    t.say(problem, { max: Math.round(maxFileBytes / 1024), name });
    return t.prompt();
  }
  t.effects.push({ type: 'hold.put', file: { name, bytes } });
  sendToFlow(t, { type: 'file', name, size: bytes.byteLength });
}

/** The channel could not hand us the file: say why and ask for it again, as for a bad file. */
function fileRefused(t: Turn, f: { name: string; reason: FileRefusal; size?: number }): void {
  const cur = t.step;
  if (!cur) return;
  if (cur.step.expects !== 'file') {
    t.say('common:input.unexpected-file');
    return t.prompt();
  }
  t.say(`common:file.${f.reason}`, { max: Math.round(t.cfg.maxFileBytes / 1024), name: f.name, size: Math.ceil((f.size ?? 0) / 1024) });
  t.prompt();
}
