/** Slack Block Kit rendering: a turn's rendered messages as Slack messages, the PIN modal, answered buttons; pure, no I/O. */
import type { ActionsBlock, AnyBlock, Button, ContextBlock, HeaderBlock, KnownBlock, ModalView, SectionBlock } from '@slack/types';
import type { Environment, IdType, Verdict } from '../../certs/report.ts';
import type { Rendered, RenderedCheck } from '../../conversation/render.ts';

/** Translate a key of the `slack` namespace (or any namespace with a 'ns:' prefix) in the conversation's language. */
export type SlackT = (key: string, params?: Record<string, string | number>) => string;

/** One Slack message: `text` is the plain fallback notifications and screen readers show; `blocks` is what the chat shows. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/**
 * Action ids our listeners match. Choice buttons: `${ACTION.choice}:${i}` (unique within a message), value = option id.
 * Command buttons: `${ACTION.command}:${command}`, value = the command.
 */
export const ACTION = { choice: 'llavero.choice', secret: 'llavero.secret', command: 'llavero.command' } as const;

/**
 * The ways out offered beside the PIN (on the message that opens the box, and in the box itself):
 * whatever is typed in the box is taken as a PIN, so asking for a person, for help or for the
 * previous step must never need typing there.
 */
export const PIN_COMMANDS = ['handoff', 'help', 'back'] as const;
export type PinCommand = (typeof PIN_COMMANDS)[number];
export const isPinCommand = (v: unknown): v is PinCommand => typeof v === 'string' && (PIN_COMMANDS as readonly string[]).includes(v);
/** Modal callback ids. */
export const VIEW = { secret: 'llavero.secret', commandSent: 'llavero.secret.command-sent' } as const;
/** Where the PIN modal's value is found in `view.state.values[block][action].value`. */
export const PIN_INPUT = { block: 'pin', action: 'pin' } as const;

/** Slack's limits (https://docs.slack.dev/reference/block-kit). Lengths are counted in UTF-16 units, never fewer than Slack counts. */
export const LIMITS = {
  messageBlocks: 50,
  actionsElements: 25,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  buttonText: 75,
  buttonValue: 2000,
  fallbackText: 3000,
  modalTitle: 24,
  modalButton: 24,
  inputLabel: 2000,
  privateMetadata: 3000,
} as const;

/** The longest PIN or password the modal takes (the engine's own cap on a message). */
const MAX_SECRET_LENGTH = 2000;

const VERDICT_EMOJI: Record<Verdict, string> = { ok: '✅', warning: '⚠️', fail: '❌' };
const CHECK_EMOJI = { fail: '❌', warn: '⚠️' } as const;
const ID_TYPES: readonly IdType[] = ['rut', 'cpf', 'cpj', 'dimex', 'nite'];
const ENVIRONMENTS: readonly Environment[] = ['production', 'staging', 'unknown'];

// ---- text ---------------------------------------------------------------------------------------

/**
 * Slack mrkdwn escaping of &, <, > for text that came from our locale strings or user data.
 * Idempotent: `&amp;`, `&lt;` and `&gt;` already there stay as they are, so text Slack hands back
 * escaped (button labels in an interaction payload) is not escaped twice.
 */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&(?!(?:amp|lt|gt);)/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Strict escaping for words a person typed to us (an agent's reply, a customer's message mirrored to
 * the desk): every &, < and > is escaped, so "&amp;" written on purpose shows as written and
 * nothing they type becomes a mention, a link or `<!channel>`.
 */
export function escapeTyped(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cut `s` to at most `max` UTF-16 units, ending in '…'; never splits a surrogate pair or an `&amp;`-style entity. */
export function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  const amp = s.lastIndexOf('&', end - 1);
  if (amp !== -1 && /^&(?:amp|lt|gt);/.test(s.slice(amp, amp + 5)) && s.indexOf(';', amp) >= end) end = amp;
  return `${s.slice(0, end).trimEnd()}…`;
}

/** Our text (locale strings, labels, certificate data) as mrkdwn: escaped, then cut to `max`. */
const md = (s: string, max: number): string => cut(escapeMrkdwn(s), max);

const plain = (text: string, max: number): { type: 'plain_text'; text: string; emoji: true } => ({ type: 'plain_text', text: cut(text, max), emoji: true });

const section = (blockId: string, text: string): SectionBlock => ({ type: 'section', block_id: blockId, text: { type: 'mrkdwn', text: md(text, LIMITS.sectionText) } });

const context = (blockId: string, text: string): ContextBlock => ({ type: 'context', block_id: blockId, elements: [{ type: 'mrkdwn', text: md(text, LIMITS.contextText) }] });

const fallback = (...parts: Array<string | undefined>): string =>
  md(parts.filter((p): p is string => typeof p === 'string' && p.trim() !== '').join(' ').trim(), LIMITS.fallbackText);

const kb = (bytes: number): number => Math.max(1, Math.round(bytes / 1024));

/** An ISO-8601 instant as YYYY-MM-DD (the day it is in UTC); anything unreadable as it came. */
function day(iso: string): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(iso)) return iso.slice(0, 10);
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 10);
}

// ---- messages -----------------------------------------------------------------------------------

/** One turn's rendered messages → Slack messages, in order: one per Rendered, except that consecutive plain texts share one message. */
export function toSlackMessages(messages: readonly Rendered[], t: SlackT): SlackMessage[] {
  const out: SlackMessage[] = [];
  let texts: string[] = [];
  const flushTexts = () => {
    for (let i = 0; i < texts.length; i += LIMITS.messageBlocks) {
      const chunk = texts.slice(i, i + LIMITS.messageBlocks);
      out.push({ text: fallback(chunk.join('\n\n')), blocks: chunk.map((x, j) => section(`text.${j}`, x)) });
    }
    texts = [];
  };
  for (const m of messages) {
    if (m.type === 'text') {
      if (m.text.trim() !== '') texts.push(m.text);
      continue;
    }
    flushTexts();
    out.push(...messagesOf(m, t));
  }
  flushTexts();
  return out;
}

function messagesOf(m: Exclude<Rendered, { type: 'text' }>, t: SlackT): SlackMessage[] {
  switch (m.type) {
    case 'choices':
      return choices(m.text, m.options);
    case 'request-file': {
      const how = t('file.how', { types: m.accept.join(' / '), max: kb(m.maxBytes) });
      return [{ text: fallback(m.text, how), blocks: [section('file.prompt', m.text), context('file.how', how)] }];
    }
    case 'request-secret': {
      const button: Button = {
        type: 'button',
        action_id: ACTION.secret,
        value: 'secret',
        style: 'primary',
        text: plain(t('secret.button'), LIMITS.buttonText),
      };
      return [
        {
          text: fallback(m.text),
          blocks: [
            section('secret.prompt', m.text),
            { type: 'actions', block_id: 'secret.actions', elements: [button, ...commandButtons(t)] },
            context('secret.note', t('secret.private')),
          ],
        },
      ];
    }
    case 'report':
      return [report(m, t)];
    case 'handoff':
      return [{ text: fallback(`🙋 ${m.text}`), blocks: [section('handoff', `🙋 ${m.text}`)] }];
    case 'agent': {
      // The agent's words and name are theirs, not ours: escaped strictly (see escapeTyped); `md` then leaves those entities alone.
      const who = t('agent.from', { name: escapeTyped(m.name) });
      const said = escapeTyped(m.text);
      return [{ text: cut(`${escapeMrkdwn(who)}: ${said}`, LIMITS.fallbackText), blocks: [context('agent.from', `🧑‍💼 ${who}`), section('agent.text', said)] }];
    }
    case 'end':
      return [{ text: fallback(m.text), blocks: [section('end', m.text)] }];
  }
}

/**
 * The prompt and its buttons, 25 to an actions block. Options beyond what one message holds (50 blocks)
 * continue in further messages. An option whose id is longer than a button value may be is left out:
 * Slack would refuse the whole message, and the customer can still type the answer.
 */
function choices(prompt: string, options: ReadonlyArray<{ id: string; label: string }>): SlackMessage[] {
  const buttons = options.flatMap((o, i): Button[] =>
    o.id.length > LIMITS.buttonValue || o.id === ''
      ? []
      : [{ type: 'button', action_id: `${ACTION.choice}:${i}`, value: o.id, text: plain(o.label.trim() || o.id, LIMITS.buttonText) }],
  );
  const text = fallback(prompt, options.length > 0 ? options.map((o) => o.label).join(' · ') : undefined);
  const head: KnownBlock[] = prompt.trim() === '' ? [] : [section('choices.prompt', prompt)];
  const rows: ActionsBlock[] = [];
  for (let i = 0; i < buttons.length; i += LIMITS.actionsElements) {
    rows.push({ type: 'actions', block_id: `choices.${rows.length}`, elements: buttons.slice(i, i + LIMITS.actionsElements) });
  }
  const out: SlackMessage[] = [];
  let blocks: KnownBlock[] = [...head];
  for (const row of rows) {
    if (blocks.length === LIMITS.messageBlocks) {
      out.push({ text, blocks });
      blocks = [];
    }
    blocks.push(row);
  }
  if (blocks.length > 0) out.push({ text, blocks });
  return out;
}

function report(m: Extract<Rendered, { type: 'report' }>, t: SlackT): SlackMessage {
  const emoji = VERDICT_EMOJI[m.verdict];
  const heading = `${emoji} ${m.text}`;
  const blocks: KnownBlock[] = [];
  const header: HeaderBlock = { type: 'header', block_id: 'report.header', text: plain(heading, LIMITS.headerText) };
  blocks.push(header);
  // A verdict too long for a header is said in full right below it.
  if (header.text.text !== heading) blocks.push(section('report.verdict', m.text));

  const fields = facts(m, t);
  if (fields.length > 0) {
    blocks.push({
      type: 'section',
      block_id: 'report.facts',
      fields: fields.slice(0, LIMITS.sectionFields).map(([label, value]) => ({ type: 'mrkdwn', text: cut(`*${escapeMrkdwn(label)}*\n${escapeMrkdwn(value)}`, LIMITS.fieldText) })),
    });
  }

  const problems = [...m.checks.filter((c) => c.status === 'fail'), ...m.checks.filter((c) => c.status === 'warn')];
  const passed = m.checks.filter((c) => c.status === 'pass').length;
  const total = m.checks.filter((c) => c.status !== 'skip').length;
  const tail = total > 0 ? [context('report.passed', passed === total ? t('report.passed-all', { total }) : t('report.passed', { passed, total }))] : [];

  const room = LIMITS.messageBlocks - blocks.length - tail.length;
  const line = (c: RenderedCheck) => `${c.status === 'fail' ? CHECK_EMOJI.fail : CHECK_EMOJI.warn} ${c.message}`;
  problems.slice(0, room - 1).forEach((c, i) => blocks.push(section(`report.check.${i}`, line(c))));
  // Never more than a message holds: whatever does not fit shares the last section.
  const rest = problems.slice(Math.max(0, room - 1));
  if (rest.length > 0) blocks.push(section(`report.check.${room - 1}`, rest.map(line).join('\n')));
  blocks.push(...tail);

  return { text: fallback(heading, problems[0]?.message), blocks };
}

/** The report's facts as [label, value]: holder, id, validity dates, environment. */
function facts(m: Extract<Rendered, { type: 'report' }>, t: SlackT): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const { holder, certificate, environment } = m;
  if (holder?.name) out.push([t('report.holder'), holder.name]);
  if (holder?.id) {
    const idType = holder.idType && ID_TYPES.includes(holder.idType) ? holder.idType : undefined;
    out.push([idType ? t(`report.id-type.${idType}`) : t('report.id'), holder.id]);
  }
  if (certificate) {
    out.push([t('report.valid-from'), day(certificate.notBefore)]);
    out.push([t('report.valid-until'), day(certificate.notAfter)]);
  }
  // "Unknown" is what every certificate not from Hacienda gets: only worth saying when it is known.
  if (ENVIRONMENTS.includes(environment) && environment !== 'unknown') out.push([t('report.environment'), t(`environment.${environment}`)]);
  return out;
}

// ---- modal and answered buttons -----------------------------------------------------------------

/** "Talk to a person", "Help", "Back": buttons that send the conversation command, labelled in the conversation's language. */
function commandButtons(t: SlackT): Button[] {
  return PIN_COMMANDS.map((c) => ({ type: 'button', action_id: `${ACTION.command}:${c}`, value: c, text: plain(t(`secret.commands.${c}`), LIMITS.buttonText) }));
}

/** The modal asking for the PIN/password: title, the prompt text, one plain_text_input, submit/close labels; `privateMetadata` passed through (max 3000 chars). */
export function pinModal(opts: { prompt: string; privateMetadata: string; t: SlackT }): ModalView {
  const { prompt, privateMetadata, t } = opts;
  if (privateMetadata.length > LIMITS.privateMetadata) {
    throw new RangeError(`private_metadata is ${privateMetadata.length} characters; Slack takes at most ${LIMITS.privateMetadata}`);
  }
  const blocks: KnownBlock[] = [];
  if (prompt.trim() !== '') blocks.push(section('prompt', prompt));
  blocks.push({
    type: 'input',
    block_id: PIN_INPUT.block,
    label: plain(t('secret.label'), LIMITS.inputLabel),
    hint: plain(t('secret.hint'), LIMITS.inputLabel),
    element: { type: 'plain_text_input', action_id: PIN_INPUT.action, focus_on_load: true, min_length: 1, max_length: MAX_SECRET_LENGTH },
  });
  // Below the field, so a customer who opened the box and finds they need something else has a way out without typing it as a PIN.
  blocks.push(context('pin.commands.note', t('secret.commands.note')), { type: 'actions', block_id: 'pin.commands', elements: commandButtons(t) });
  return {
    type: 'modal',
    callback_id: VIEW.secret,
    private_metadata: privateMetadata,
    title: plain(t('secret.modal-title'), LIMITS.modalTitle),
    submit: plain(t('secret.submit'), LIMITS.modalButton),
    close: plain(t('secret.close'), LIMITS.modalButton),
    blocks,
  };
}

/**
 * What the PIN box turns into when one of its command buttons is pressed: Slack lets an app close a
 * modal only in answer to its submission, so the box says the request went to the conversation and
 * offers only "Close"; the same `private_metadata`, no field.
 */
export function commandSentModal(opts: { label: string; privateMetadata: string; t: SlackT }): ModalView {
  const { label, privateMetadata, t } = opts;
  return {
    type: 'modal',
    callback_id: VIEW.commandSent,
    private_metadata: privateMetadata,
    title: plain(t('secret.modal-title'), LIMITS.modalTitle),
    close: plain(t('secret.commands.close'), LIMITS.modalButton),
    blocks: [section('pin.command-sent', t('secret.commands.sent', { label }))],
  };
}

/**
 * The blocks of a message whose button was just pressed: every `actions` block removed and a context line
 * "✓ <label>" (localized) appended; other blocks untouched. Pressing twice before the update lands replaces
 * the line instead of adding a second one. Used with chat.update so past buttons cannot be pressed again.
 */
export function answered(blocks: readonly AnyBlock[], label: string, t: SlackT): AnyBlock[] {
  const kept = blocks.filter((b) => b.type !== 'actions' && b.block_id !== 'answered');
  const line: ContextBlock = context('answered', t('answered', { label }));
  return [...kept.slice(0, LIMITS.messageBlocks - 1), line];
}
