/**
 * Builders for inbound activities shaped like the ones Microsoft Teams posts to a bot's /api/messages in a personal
 * (1:1) chat. Each starts from a recorded-format fixture in tests/fixtures/teams/ (deep-copied) and overrides ids,
 * timestamps, serviceUrl, people and locale. See tests/fixtures/teams/README.md for where the shapes come from.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { nextActivityId } from './fake-teams.ts';

export interface TeamsUser {
  /** `29:1...` in Teams. */
  id: string;
  aadObjectId?: string;
  name?: string;
}

export interface TeamsChat {
  /** `a:1...` for a personal chat. */
  conversationId: string;
  user: TeamsUser;
  /** BCP-47, as the Teams client reports it (default 'es-ES'). */
  locale?: string;
  /** The fake connector's URL (Teams': `https://smba.trafficmanager.net/amer/<tenant>/`). */
  serviceUrl: string;
  tenantId?: string;
  /** The bot's app id; the recipient is `28:<botId>` (default 'llavero-test-bot'). */
  botId?: string;
  botName?: string;
  /** IANA zone of the client (default derived from the locale: es-ES → Europe/Madrid, es-CL → America/Santiago, ...). */
  timezone?: string;
  /** clientInfo platform: 'Web', 'Windows', 'Mac', 'iOS', 'Android' (default 'Web'). */
  platform?: string;
}

type Json = Record<string, unknown>;

/** The placeholder ids the fixtures use. */
export const TEST_TENANT_ID = '00000000-0000-4000-8000-00000000c0de';
export const TEST_BOT_ID = 'llavero-test-bot';
export const TEST_USER: Readonly<Required<TeamsUser>> = {
  id: '29:1LlaveroTestUser-aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345',
  aadObjectId: '00000000-0000-4000-8000-0000000000a1',
  name: 'Usuaria de Prueba',
};
export const TEST_CONVERSATION_ID =
  'a:1LlaveroTestChat-aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-aBcDeFgHiJkLmNoPqRsTuVwXyZ01234';

export const FILE_DOWNLOAD_INFO_TYPE = 'application/vnd.microsoft.teams.file.download.info';

export type TeamsFixtureName = 'message' | 'card_submit' | 'file_download_info' | 'conversation_update_members_added';

const fixtureCache = new Map<TeamsFixtureName, Json>();

/** A deep copy of a recorded-format fixture, untouched (placeholder ids, fixed timestamps). */
export function teamsFixture(name: TeamsFixtureName): Json {
  let parsed = fixtureCache.get(name);
  if (!parsed) {
    parsed = JSON.parse(readFileSync(new URL(`../fixtures/teams/${name}.json`, import.meta.url), 'utf8')) as Json;
    fixtureCache.set(name, parsed);
  }
  return structuredClone(parsed);
}

/** A chat with the fixtures' placeholder people, pointed at `serviceUrl`. */
export function teamsChat(serviceUrl: string, overrides: Partial<TeamsChat> = {}): TeamsChat {
  return { conversationId: TEST_CONVERSATION_ID, user: { ...TEST_USER }, serviceUrl, tenantId: TEST_TENANT_ID, botId: TEST_BOT_ID, ...overrides };
}

/** A fresh personal-chat id (`a:1` + base64url, like Teams'), for tests that need chats not to collide. */
export function newConversationId(): string {
  return `a:1${randomBytes(60).toString('base64url')}`;
}

/** A fresh user (`29:1...` id and an AAD object id). */
export function newTeamsUser(name = 'Usuaria de Prueba'): TeamsUser {
  return { id: `29:1${randomBytes(64).toString('base64url')}`, aadObjectId: randomUUID(), name };
}

const ZONE_BY_LOCALE: Record<string, string> = {
  'es-ES': 'Europe/Madrid',
  'es-CL': 'America/Santiago',
  'es-CR': 'America/Costa_Rica',
  'es-MX': 'America/Mexico_City',
  'en-US': 'America/Los_Angeles',
  'en-GB': 'Europe/London',
  'pt-BR': 'America/Sao_Paulo',
};

function offsetOf(zone: string, at: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')?.value;
  // 'GMT+02:00', or plain 'GMT' for UTC.
  const m = /^GMT([+-]\d{2}:\d{2})$/.exec(part ?? '');
  return m?.[1] ?? '+00:00';
}

/** Teams' timestamps: UTC with 7 fractional digits, and the client's local time with its offset. */
function timestamps(zone: string, at: Date): { timestamp: string; localTimestamp: string } {
  const offset = offsetOf(zone, at);
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number);
  const shifted = new Date(at.getTime() + sign * ((h ?? 0) * 60 + (m ?? 0)) * 60_000);
  return {
    timestamp: at.toISOString().replace('Z', '0000Z'),
    localTimestamp: shifted.toISOString().replace('Z', `0000${offset}`),
  };
}

interface Resolved {
  locale: string;
  zone: string;
  tenantId: string;
  botId: string;
  botName: string;
  platform: string;
}

function resolve(chat: TeamsChat): Resolved {
  const locale = chat.locale ?? 'es-ES';
  return {
    locale,
    zone: chat.timezone ?? ZONE_BY_LOCALE[locale] ?? 'UTC',
    tenantId: chat.tenantId ?? TEST_TENANT_ID,
    botId: chat.botId ?? TEST_BOT_ID,
    botName: chat.botName ?? 'Llavero',
    platform: chat.platform ?? 'Web',
  };
}

function account(user: TeamsUser, withName: boolean): Json {
  return {
    id: user.id,
    ...(withName && user.name !== undefined ? { name: user.name } : {}),
    ...(user.aadObjectId !== undefined ? { aadObjectId: user.aadObjectId } : {}),
  };
}

/** Overwrite what every Teams activity carries; keeps the fixture's key order. */
function stamp(activity: Json, chat: TeamsChat, r: Resolved, id: string, opts: { fromName: boolean; clientInfo: boolean }): Json {
  const at = new Date();
  activity.id = id;
  activity.channelId = 'msteams';
  activity.serviceUrl = chat.serviceUrl;
  activity.from = account(chat.user, opts.fromName);
  activity.recipient = { id: `28:${r.botId}`, name: r.botName };
  activity.conversation = { conversationType: 'personal', tenantId: r.tenantId, id: chat.conversationId };
  const channelData = (activity.channelData ?? {}) as Json;
  channelData.tenant = { id: r.tenantId };
  activity.channelData = channelData;
  if (opts.clientInfo) {
    const country = r.locale.split('-')[1]?.toUpperCase() ?? 'US';
    activity.entities = [{ locale: r.locale, country, platform: r.platform, timezone: r.zone, type: 'clientInfo' }];
    activity.localTimezone = r.zone;
  }
  Object.assign(activity, timestamps(r.zone, at));
  activity.locale = r.locale;
  return activity;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A typed message. Like the Teams clients, it carries the text twice: `text`, and a `text/html` attachment. `extra` is shallow-assigned last. */
export function messageActivity(chat: TeamsChat, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const r = resolve(chat);
  const a = stamp(teamsFixture('message'), chat, r, nextActivityId(), { fromName: true, clientInfo: true });
  a.text = text;
  a.textFormat = 'plain';
  a.attachments = [{ contentType: 'text/html', content: `<p>${escapeHtml(text)}</p>` }];
  return Object.assign(a, extra);
}

/**
 * An Adaptive Card Action.Submit press in a personal chat: a `message` with no text, `value` = the action's `data`
 * (merged with the card's inputs), `replyToId` = the id of the bot's card message (the id the connector answered
 * when the card was sent; a made-up one by default).
 */
export function submitActivity(chat: TeamsChat, value: Record<string, unknown>, opts: { replyToId?: string } = {}): Record<string, unknown> {
  const r = resolve(chat);
  const a = stamp(teamsFixture('card_submit'), chat, r, nextActivityId(), { fromName: true, clientInfo: true });
  a.replyToId = opts.replyToId ?? String(Number(a.id) - 5_108);
  const channelData = a.channelData as Json;
  channelData.legacy = { replyToId: `1:1${randomBytes(33).toString('base64url')}` };
  a.value = structuredClone(value);
  return a;
}

/** A file sent in a personal chat (bot manifest `supportsFiles: true`): one `file.download.info` attachment. */
export function fileActivity(
  chat: TeamsChat,
  file: { name: string; downloadUrl: string; fileType?: string; uniqueId?: string; text?: string },
): Record<string, unknown> {
  const r = resolve(chat);
  const a = stamp(teamsFixture('file_download_info'), chat, r, nextActivityId(), { fromName: true, clientInfo: true });
  const uniqueId = file.uniqueId ?? randomUUID();
  const ext = file.name.includes('.') ? (file.name.split('.').pop() ?? '').toLowerCase() : '';
  const attachments: Json[] = [
    {
      contentType: FILE_DOWNLOAD_INFO_TYPE,
      contentUrl: `https://contoso-my.sharepoint.com/personal/usuaria_contoso_example/Documents/Microsoft%20Teams%20Chat%20Files/${encodeURIComponent(file.name)}`,
      name: file.name,
      content: { downloadUrl: file.downloadUrl, uniqueId, fileType: file.fileType ?? ext },
    },
  ];
  if (file.text !== undefined) {
    a.text = file.text;
    attachments.push({ contentType: 'text/html', content: `<p>${escapeHtml(file.text)}</p>` });
  }
  a.attachments = attachments;
  return a;
}

/**
 * The conversationUpdate a personal install produces: `membersAdded` holds the bot (`28:<botId>`) and/or the user.
 * Default: both, as Teams documents for a bot added to a 1:1 chat.
 */
export function membersAddedActivity(chat: TeamsChat, opts: { botAdded?: boolean; userAdded?: boolean } = {}): Record<string, unknown> {
  const r = resolve(chat);
  const a = stamp(teamsFixture('conversation_update_members_added'), chat, r, `f:${randomUUID()}`, { fromName: false, clientInfo: false });
  const added: Json[] = [];
  if (opts.botAdded ?? true) added.push({ id: `28:${r.botId}` });
  if (opts.userAdded ?? true) added.push(account(chat.user, false));
  a.membersAdded = added;
  return a;
}

/** POST an activity to our endpoint as the Bot Framework would (JSON), optionally with an Authorization header. */
export async function postActivity(url: string, activity: Record<string, unknown>, opts: { authorization?: string } = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Microsoft-SkypeBotApi (Microsoft-BotFramework/3.0)',
      ...(opts.authorization !== undefined ? { authorization: opts.authorization } : {}),
    },
    body: JSON.stringify(activity),
  });
  return { status: res.status, text: await res.text() };
}
