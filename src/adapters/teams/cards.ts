/** Microsoft Teams rendering: a turn's rendered messages as Bot Framework activities with Adaptive Cards, button payloads parsed back, answered cards; pure, no I/O. */
import type { Environment, IdType, Verdict } from '../../certs/report.ts';
import type { Rendered, RenderedCheck } from '../../conversation/render.ts';

/** Translate a key of the `teams` namespace (or any namespace with a 'ns:' prefix) in the conversation's language. */
export type TeamsT = (key: string, params?: Record<string, string | number>) => string;

/** An outgoing Bot Framework message activity (the fields we set). */
export interface TeamsMessage {
  type: 'message';
  text?: string;
  textFormat?: 'plain' | 'markdown';
  attachments?: Array<{ contentType: 'application/vnd.microsoft.card.adaptive'; content: AdaptiveCard }>;
  summary?: string;
}

export type AdaptiveCard = { type: 'AdaptiveCard'; version: string; body: unknown[]; actions?: unknown[]; $schema?: string; msteams?: unknown };

/** What `parseSubmit` makes of an `activity.value`. */
export type Submitted = { kind: 'choice'; id: string; label?: string } | { kind: 'secret'; text: string } | { kind: 'command'; command: PinCommand };

export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive' as const;
const SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
/** Teams renders 1.5 on every client; we stay on 1.4 except where a 1.5 feature is the point. */
const VERSION = '1.4';
/** `Input.Text` `style: 'password'` (masking) is an Adaptive Cards 1.5 feature: a card declared 1.4 may show the PIN in clear. */
const SECRET_VERSION = '1.5';

/** The discriminator of every Action.Submit `data` we send; `activity.value` without it is not ours. */
export const SUBMIT = { choice: 'choice', secret: 'secret', command: 'command' } as const;

/**
 * The ways out offered beside the PIN field: whatever is typed in the field is taken as a PIN, so
 * asking for a person, for help or for the previous step must never need typing there.
 */
export const PIN_COMMANDS = ['handoff', 'help', 'back'] as const;
export type PinCommand = (typeof PIN_COMMANDS)[number];
/** The id of the PIN input: its value comes back as `activity.value.pin`. */
export const PIN_INPUT_ID = 'pin';

const LIMITS = {
  /** Teams refuses messages over about 28 KB; the activity's envelope (ids, service URL, channel data) needs the rest. */
  activityBytes: 24 * 1024,
  /** What parseSubmit takes back; options whose id is longer get no button (the customer can still type the answer). */
  choiceId: 300,
  choiceLabel: 300,
  secret: 1000,
  /** A button title: Teams cuts long titles itself, this only bounds the card's size. */
  buttonTitle: 100,
  /** One paragraph of a card; locale strings are far shorter. */
  cardText: 4000,
  factTitle: 100,
  factValue: 500,
  summary: 300,
} as const;

/**
 * Buttons in one row (the card's own `actions`): at most this many and this many title characters in all;
 * otherwise one button per row, so long titles are not cut and more than Teams' six actions in a row still show.
 */
const ROW = { actions: 5, chars: 45 } as const;

const VERDICT_EMOJI: Record<Verdict, string> = { ok: '✅', warning: '⚠️', fail: '❌' };
const CHECK_EMOJI = { fail: '❌', warn: '⚠️' } as const;
const ID_TYPES: readonly IdType[] = ['rut', 'cpf', 'cpj', 'dimex', 'nite'];
const KNOWN_ENVIRONMENTS: readonly Environment[] = ['production', 'staging'];

// ---- text ---------------------------------------------------------------------------------------

/** Bytes of `x` as JSON in UTF-8: what counts against Teams' message size. */
const jsonBytes = (x: unknown): number => Buffer.byteLength(JSON.stringify(x), 'utf8');

/** Cut `s` to at most `max` UTF-16 units, ending in '…'; never splits a surrogate pair. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${s.slice(0, end).trimEnd()}…`;
}

/** Cut `s` so that it takes at most `max` bytes as a JSON string. */
function cutBytes(s: string, max: number): string {
  if (jsonBytes(s) <= max) return s;
  let lo = 1;
  let hi = s.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (jsonBytes(cut(s, mid)) <= max) lo = mid;
    else hi = mid - 1;
  }
  return cut(s, lo);
}

/**
 * Fact values are read as markdown by Teams: backslash-escape what would turn a certificate's text into
 * emphasis, a link or a list. Only those characters, so ordinary names and numbers reach the card as they are.
 */
function escapeFact(s: string): string {
  return s.replace(/[\\*_[\]`~]/g, '\\$&').replace(/^(\s*)([-+#>]|\d+\.)(?=\s)/gm, (_m, sp: string, mark: string) => `${sp}\\${mark}`);
}

const nonBlank = (s: string | undefined): s is string => typeof s === 'string' && s.trim() !== '';

const summary = (...parts: Array<string | undefined>): string => cut(parts.filter(nonBlank).join(' ').replace(/\s+/g, ' ').trim(), LIMITS.summary);

const kb = (bytes: number): number => Math.max(1, Math.round(bytes / 1024));

/** An ISO-8601 instant as YYYY-MM-DD (the day it is in UTC); anything unreadable as it came. */
function day(iso: string): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(iso)) return iso.slice(0, 10);
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 10);
}

// ---- card elements ------------------------------------------------------------------------------

interface TextStyle {
  id?: string;
  weight?: 'bolder';
  size?: 'small' | 'medium';
  isSubtle?: boolean;
  spacing?: 'none' | 'small' | 'medium';
}

/**
 * A paragraph. A RichTextBlock of one TextRun rather than a TextBlock: TextBlock text is markdown in Teams
 * (a file named `mi_llave_2024.p12` would lose its underscores to italics, `[x](url)` in a certificate would
 * become a link), and escapes behave differently on desktop and mobile; a TextRun is never markdown. It wraps.
 */
function paragraph(text: string, style: TextStyle = {}): Record<string, unknown> {
  const { id, spacing, ...run } = style;
  return {
    type: 'RichTextBlock',
    ...(id ? { id } : {}),
    ...(spacing ? { spacing } : {}),
    inlines: [{ type: 'TextRun', text: cut(text, LIMITS.cardText), ...run }],
  };
}

const adaptiveCard = (body: unknown[], extra: Partial<AdaptiveCard> = {}): AdaptiveCard => ({ type: 'AdaptiveCard', $schema: SCHEMA, version: VERSION, body, ...extra });

const withCard = (content: AdaptiveCard, text: string): TeamsMessage => ({
  type: 'message',
  summary: summary(text),
  attachments: [{ contentType: CARD_CONTENT_TYPE, content }],
});

const plainMessage = (text: string): TeamsMessage => ({ type: 'message', textFormat: 'plain', text: cutBytes(text, LIMITS.activityBytes) });

// ---- messages -----------------------------------------------------------------------------------

/** One turn's rendered messages → Teams activities, in order: one per Rendered, except that consecutive plain texts share one message. */
export function toTeamsMessages(messages: readonly Rendered[], t: TeamsT): TeamsMessage[] {
  const out: TeamsMessage[] = [];
  let texts: string[] = [];
  const flushTexts = () => {
    let current = '';
    for (const x of texts) {
      const joined = current === '' ? x : `${current}\n\n${x}`;
      if (current !== '' && jsonBytes(joined) > LIMITS.activityBytes) {
        out.push(plainMessage(current));
        current = x;
      } else current = joined;
    }
    if (current !== '') out.push(plainMessage(current));
    texts = [];
  };
  for (const m of messages) {
    if (m.type === 'text') {
      if (nonBlank(m.text)) texts.push(m.text);
      continue;
    }
    flushTexts();
    out.push(...messagesOf(m, t));
  }
  flushTexts();
  return out;
}

function messagesOf(m: Exclude<Rendered, { type: 'text' }>, t: TeamsT): TeamsMessage[] {
  switch (m.type) {
    case 'choices':
      return choices(m.text, m.options);
    case 'request-file': {
      const how = t('file.how', { types: m.accept.join(' / '), max: kb(m.maxBytes) });
      return [plainMessage([m.text, how].filter(nonBlank).join('\n\n'))];
    }
    case 'request-secret':
      return [secret(m.text, t)];
    case 'report':
      return [report(m, t)];
    case 'handoff':
      return [plainMessage(`🙋 ${m.text}`)];
    case 'agent': {
      const who = t('agent.from', { name: m.name });
      return [withCard(adaptiveCard([paragraph(`🧑‍💼 ${who}`, { isSubtle: true, id: 'agent.from' }), paragraph(m.text, { id: 'agent.text' })]), `${who}: ${m.text}`)];
    }
    case 'end':
      return nonBlank(m.text) ? [plainMessage(m.text)] : [];
  }
}

/**
 * The prompt and one Action.Submit per option, in order. A few short options are one row of buttons (the
 * card's actions); more, or longer titles, are one button per row (an ActionSet each). Options beyond what one
 * card holds within Teams' size limit continue in further cards. An option whose id parseSubmit would not take
 * back gets no button: the customer can still type the answer.
 */
function choices(prompt: string, options: ReadonlyArray<{ id: string; label: string }>): TeamsMessage[] {
  const buttons = options
    .filter((o) => o.id !== '' && o.id.length <= LIMITS.choiceId)
    .map((o, i) => {
      const label = cut(o.label.trim() || o.id, LIMITS.choiceLabel);
      return { type: 'Action.Submit', id: `choice.${i}`, title: cut(label, LIMITS.buttonTitle), data: { llavero: SUBMIT.choice, id: o.id, label } };
    });
  const note = summary(prompt, options.map((o) => o.label).join(' · '));
  const head = nonBlank(prompt) ? [paragraph(prompt, { id: 'prompt' })] : [];

  const oneRow = buttons.length <= ROW.actions && buttons.reduce((n, b) => n + b.title.length, 0) <= ROW.chars;
  if (oneRow && (head.length > 0 || buttons.length > 0)) {
    const c = adaptiveCard(head, buttons.length > 0 ? { actions: buttons } : {});
    if (jsonBytes(c) <= LIMITS.activityBytes) return [withCard(c, note)];
  }
  if (buttons.length === 0) return head.length > 0 ? [withCard(adaptiveCard(head), note)] : [];

  // One button per row, as many rows as fit in a card.
  const out: TeamsMessage[] = [];
  let body: unknown[] = [...head];
  let size = jsonBytes(adaptiveCard(body));
  for (const [i, b] of buttons.entries()) {
    const row = { type: 'ActionSet', id: `choices.${i}`, spacing: 'small', actions: [b] };
    const rowSize = jsonBytes(row) + 1;
    if (body.length > 0 && size + rowSize > LIMITS.activityBytes) {
      out.push(withCard(adaptiveCard(body), note));
      body = [];
      size = jsonBytes(adaptiveCard(body));
    }
    body.push(row);
    size += rowSize;
  }
  out.push(withCard(adaptiveCard(body), note));
  return out;
}

/** The prompt, the masked PIN field and its button, and a note that it is hidden and not kept. */
function secret(prompt: string, t: TeamsT): TeamsMessage {
  const body: unknown[] = [];
  if (nonBlank(prompt)) body.push(paragraph(prompt, { id: 'prompt' }));
  body.push({
    type: 'Input.Text',
    id: PIN_INPUT_ID,
    style: 'password',
    label: t('secret.label'),
    isRequired: true,
    errorMessage: t('secret.required'),
    maxLength: LIMITS.secret,
  });
  body.push(paragraph(t('secret.private'), { id: 'secret.note', size: 'small', isSubtle: true }));
  // `associatedInputs: 'none'`: the command buttons neither send what is in the field nor are held back by its
  // "required" check, so "talk to a person" works with the field empty and never carries a half-typed PIN.
  const commands = PIN_COMMANDS.map((command) => ({
    type: 'Action.Submit',
    id: `secret.${command}`,
    title: t(`secret.commands.${command}`),
    associatedInputs: 'none',
    data: { llavero: SUBMIT.command, command },
  }));
  const content = adaptiveCard(body, {
    version: SECRET_VERSION,
    actions: [{ type: 'Action.Submit', id: 'secret.submit', title: t('secret.submit'), style: 'positive', data: { llavero: SUBMIT.secret } }, ...commands],
  });
  return withCard(content, prompt || t('secret.label'));
}

function report(m: Extract<Rendered, { type: 'report' }>, t: TeamsT): TeamsMessage {
  const heading = `${VERDICT_EMOJI[m.verdict]} ${m.text}`;
  const body: unknown[] = [paragraph(heading, { id: 'report.header', weight: 'bolder', size: 'medium' })];

  const rows = facts(m, t);
  if (rows.length > 0) {
    body.push({
      type: 'FactSet',
      id: 'report.facts',
      facts: rows.map(([title, value]) => ({ title: escapeFact(cut(title, LIMITS.factTitle)), value: escapeFact(cut(value, LIMITS.factValue)) })),
    });
  }

  const problems = [...m.checks.filter((c) => c.status === 'fail'), ...m.checks.filter((c) => c.status === 'warn')];
  const line = (c: RenderedCheck) => `${c.status === 'fail' ? CHECK_EMOJI.fail : CHECK_EMOJI.warn} ${c.message}`;
  problems.forEach((c, i) => body.push(paragraph(line(c), { id: `report.check.${i}`, spacing: 'medium' })));

  const passed = m.checks.filter((c) => c.status === 'pass').length;
  const total = m.checks.filter((c) => c.status !== 'skip').length;
  if (total > 0) {
    const text = passed === total ? t('report.passed-all', { total }) : t('report.passed', { passed, total });
    body.push(paragraph(text, { id: 'report.passed', size: 'small', isSubtle: true, spacing: 'medium' }));
  }

  return withCard(adaptiveCard(body, { msteams: { width: 'Full' } }), summary(heading, problems[0]?.message));
}

/** The report's facts as [title, value]: holder, id, validity dates, environment. */
function facts(m: Extract<Rendered, { type: 'report' }>, t: TeamsT): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const { holder, certificate, environment } = m;
  if (nonBlank(holder?.name)) out.push([t('report.holder'), holder.name]);
  if (nonBlank(holder?.id)) {
    const idType = holder.idType && ID_TYPES.includes(holder.idType) ? holder.idType : undefined;
    out.push([idType ? t(`report.id-type.${idType}`) : t('report.id'), holder.id]);
  }
  if (certificate) {
    out.push([t('report.valid-from'), day(certificate.notBefore)]);
    out.push([t('report.valid-until'), day(certificate.notAfter)]);
  }
  // "Unknown" is what every certificate not from Hacienda gets: only worth saying when it is known.
  if (KNOWN_ENVIRONMENTS.includes(environment)) out.push([t('report.environment'), t(`environment.${environment}`)]);
  return out;
}

// ---- what comes back ----------------------------------------------------------------------------

const isPlainObject = (x: unknown): x is Record<string, unknown> => {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
};

const onlyKeys = (o: Record<string, unknown>, allowed: readonly string[]): boolean => Object.keys(o).every((k) => allowed.includes(k));

/**
 * What a card button press or the PIN card sends back in `activity.value` (the Action.Submit `data`, plus the
 * PIN input's value), parsed. Strict: only our discriminator, only the fields we send, within our limits;
 * anything else → undefined.
 */
export function parseSubmit(value: unknown): Submitted | undefined {
  if (!isPlainObject(value)) return undefined;
  switch (value.llavero) {
    case SUBMIT.choice: {
      if (!onlyKeys(value, ['llavero', 'id', 'label'])) return undefined;
      const { id, label } = value;
      if (typeof id !== 'string' || id === '' || id.length > LIMITS.choiceId) return undefined;
      if (label === undefined) return { kind: 'choice', id };
      if (typeof label !== 'string' || label.length > LIMITS.choiceLabel) return undefined;
      return { kind: 'choice', id, label };
    }
    case SUBMIT.secret: {
      if (!onlyKeys(value, ['llavero', PIN_INPUT_ID])) return undefined;
      const text = value[PIN_INPUT_ID];
      if (typeof text !== 'string' || text === '' || text.length > LIMITS.secret) return undefined;
      return { kind: 'secret', text };
    }
    case SUBMIT.command: {
      // A client that ignores `associatedInputs` may send the field along: accepted, and dropped here (never passed on).
      if (!onlyKeys(value, ['llavero', 'command', PIN_INPUT_ID])) return undefined;
      const { command } = value;
      if (typeof command !== 'string' || !(PIN_COMMANDS as readonly string[]).includes(command)) return undefined;
      return { kind: 'command', command: command as PinCommand };
    }
    default:
      return undefined;
  }
}

// ---- answered cards -----------------------------------------------------------------------------

const ANSWERED_ID = 'answered';
const INTERACTIVE = /^(ActionSet|Input\.)/;

/** An element without anything that can be pressed or typed into, or undefined when it is nothing but that. */
function inert(x: unknown): unknown {
  if (!isPlainObject(x)) return x;
  if (typeof x.type === 'string' && INTERACTIVE.test(x.type)) return undefined;
  if (x.id === ANSWERED_ID) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    if (k === 'selectAction') continue;
    if ((k === 'items' || k === 'columns') && Array.isArray(v)) out[k] = v.map(inert).filter((e) => e !== undefined);
    else out[k] = v;
  }
  return out;
}

/**
 * The card of a pressed button's message, for updateActivity: every action, ActionSet, input and selectAction
 * removed (the PIN card keeps no field, not even masked), and a line "✓ <label>" (localized) appended. Pressing
 * twice before the update lands replaces the line instead of adding a second one. Past buttons cannot be pressed again.
 */
export function answeredCard(card: AdaptiveCard, label: string, t: TeamsT): AdaptiveCard {
  const { actions: _actions, body, ...rest } = card;
  const kept = body.map(inert).filter((e) => e !== undefined);
  const line = paragraph(t('answered', { label: cut(label, LIMITS.choiceLabel) }), { id: ANSWERED_ID, spacing: 'medium', isSubtle: true });
  return { ...rest, body: [...kept, line] };
}
