/** A local fake of Slack's Web API (and its private file host) for driving the real @slack/web-api and @slack/bolt in tests. */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, createListeners, createWaiters, isRecord, listenLocal, readText, sendJson, type Json } from './fake-http.ts';

export interface RecordedCall {
  method: string;
  /** Arguments as sent, minus `token`; form values that were JSON (blocks, view, ...) are parsed back; other form values stay strings, as on the wire. */
  args: Record<string, unknown>;
  at: number;
  token?: string;
  /** HTTP status answered: 200, or 429 when rate-limited. */
  status: number;
  /** The `ok` of the answer (false for 429s too). */
  ok: boolean;
  error?: string;
  response: Record<string, unknown>;
}

export interface AddedFile {
  id: string;
  url_private_download: string;
  url_private: string;
}

export interface FakeSlack {
  /** Base URL to pass as WebClient `slackApiUrl`, ending with '/api/'. */
  url: string;
  /** Every Web API call in arrival order (successful or not, 429s included). */
  calls: RecordedCall[];
  /** Successful chat.postMessage calls only. */
  posted(): RecordedCall[];
  /** File ids whose bytes were served (downloads that got the file, not a login page). */
  downloads: string[];
  /** Next `n` calls to `method` answer HTTP 429 with `Retry-After: retryAfterSec` (default 1; 0 makes the WebClient retry at once). */
  rateLimit(method: string, n: number, retryAfterSec?: number): void;
  /** Register a file: files.info returns it; its url_private_download serves `bytes` (only with the right bearer token) or, if `as: 'html'`, a 200 text/html Slack-login-looking page; `as: 'gone'` answers 404. `size` defaults to bytes.length (it may be set larger than the bytes to simulate a lie). */
  addFile(f: { id: string; name: string; bytes: Uint8Array; size?: number; mimetype?: string; as?: 'file' | 'html' | 'gone' }): AddedFile;
  /** users.info answers for this user. */
  addUser(u: { id: string; locale?: string; name?: string; tz?: string }): void;
  /** Resolves when at least `n` successful chat.postMessage calls (optionally filtered) were recorded, or rejects after timeoutMs (default 15 s: generous, a wait only takes long when it fails) with a message listing what was posted. */
  waitForPosts(n: number, opts?: { channel?: string; timeoutMs?: number }): Promise<RecordedCall[]>;
  /** Same for any method: resolves with the successful (`ok: true`) calls to `method` once there are at least `n`. */
  waitForCalls(method: string, n: number, timeoutMs?: number): Promise<RecordedCall[]>;
  /** Calls `fn` with every Web API call once it has been answered (429s included), as it happens; returns a function that removes it. */
  onCall(fn: (call: RecordedCall) => void): () => void;
  close(): Promise<void>;
}

interface FakeFile {
  id: string;
  name: string;
  bytes: Uint8Array;
  size: number;
  mimetype: string;
  as: 'file' | 'html' | 'gone';
  created: number;
}

interface FakeUser {
  id: string;
  locale: string;
  name: string;
  tz: string;
}

/** Top-level arguments Slack documents as free text or ids: never JSON-parse these, even if they look like JSON. */
const STRING_ARGS = new Set([
  'text', 'markdown_text', 'channel', 'ts', 'thread_ts', 'message_ts', 'user', 'users', 'username', 'icon_emoji', 'icon_url',
  'trigger_id', 'view_id', 'external_id', 'hash', 'file', 'cursor', 'team_id', 'token', 'name', 'title', 'initial_comment',
]);

/** Arbitrary, fixed: a deterministic, increasing ts sequence keeps test output stable. */
const FIRST_TS_MICROS = 1_700_000_000_000_100n;

const LOGIN_PAGE = `<!DOCTYPE html>
<html lang="en-US">
<head><meta charset="utf-8"><title>Slack</title></head>
<body class="signin">
<div id="page"><h1>Sign in to Slack</h1>
<form id="signin_form" action="/signin" method="post"><input type="email" name="email" placeholder="name@work-email.com"><button type="submit">Sign In With Email</button></form>
</div>
</body>
</html>
`;

function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function truthy(v: unknown): boolean {
  return v === true || v === 'true' || v === '1' || v === 1;
}

/** The real WebClient JSON-stringifies nested values inside a form body; turn them back into objects. */
function decodeFormValue(key: string, value: string): unknown {
  if (STRING_ARGS.has(key)) return value;
  const first = value.trimStart()[0];
  if (first !== '{' && first !== '[') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function parseArgs(contentType: string, raw: string, query: URLSearchParams): Json | undefined {
  const args: Json = {};
  for (const [k, v] of query) args[k] = decodeFormValue(k, v);
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (raw.length === 0) return args;
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return undefined;
    }
    if (!isRecord(parsed)) return undefined;
    return { ...args, ...parsed };
  }
  if (type === 'application/x-www-form-urlencoded' || type === '') {
    for (const [k, v] of new URLSearchParams(raw)) args[k] = decodeFormValue(k, v);
    return args;
  }
  // multipart/form-data (binary uploads) is not something this fake speaks.
  return undefined;
}

function formatTs(micros: bigint): string {
  const s = micros.toString();
  return `${s.slice(0, -6)}.${s.slice(-6)}`;
}

export async function startFakeSlack(opts: { botToken?: string; botUserId?: string; botId?: string; teamId?: string } = {}): Promise<FakeSlack> {
  const botToken = opts.botToken ?? 'xoxb-0000000000-fake-bot-token';
  const botUserId = opts.botUserId ?? 'U0BOT';
  const botId = opts.botId ?? 'B0BOT';
  const teamId = opts.teamId ?? 'T0LLAVERO';
  const appId = 'A0LLAVERO';

  const calls: RecordedCall[] = [];
  const limits = new Map<string, { remaining: number; retryAfterSec: number }>();
  const files = new Map<string, FakeFile>();
  const users = new Map<string, FakeUser>();
  const waiters = createWaiters<RecordedCall[]>();
  const listeners = createListeners<RecordedCall>();
  let nextTs = FIRST_TS_MICROS;
  let nextView = 1;
  let base = '';

  const newTs = (): string => {
    const ts = formatTs(nextTs);
    nextTs += 100n;
    return ts;
  };

  const fileUrls = (f: FakeFile): { url_private: string; url_private_download: string } => {
    const dir = `${base}/files-pri/${teamId}-${encodeURIComponent(f.id)}`;
    const name = encodeURIComponent(f.name);
    return { url_private: `${dir}/${name}`, url_private_download: `${dir}/download/${name}` };
  };

  const fileObject = (f: FakeFile): Json => {
    const ext = f.name.includes('.') ? (f.name.split('.').pop() ?? '').toLowerCase() : '';
    return {
      id: f.id,
      created: f.created,
      timestamp: f.created,
      name: f.name,
      title: f.name,
      mimetype: f.mimetype,
      filetype: ext === '' ? 'binary' : ext,
      pretty_type: ext === '' ? 'Binary' : ext.toUpperCase(),
      user: 'U0CUSTOMER',
      user_team: teamId,
      editable: false,
      size: f.size,
      mode: 'hosted',
      is_external: false,
      external_type: '',
      is_public: false,
      public_url_shared: false,
      display_as_bot: false,
      username: '',
      ...fileUrls(f),
      permalink: `https://llavero.slack.com/files/U0CUSTOMER/${f.id}/${f.name}`,
      is_starred: false,
      has_rich_preview: false,
      file_access: 'visible',
      channels: [],
      groups: [],
      ims: [],
      comments_count: 0,
    };
  };

  const botMessage = (args: Json, ts: string): Json => {
    const message: Json = {
      type: 'message',
      text: asString(args.text) ?? '',
      user: botUserId,
      bot_id: botId,
      app_id: appId,
      team: teamId,
      ts,
      bot_profile: { id: botId, app_id: appId, name: 'Llavero', deleted: false, team_id: teamId, icons: {} },
    };
    if (args.blocks !== undefined) message.blocks = args.blocks;
    if (args.attachments !== undefined) message.attachments = args.attachments;
    const threadTs = asString(args.thread_ts);
    if (threadTs !== undefined) message.thread_ts = threadTs;
    return message;
  };

  const summarize = (c: RecordedCall): string => {
    const detail = c.ok ? '' : ` -> ${c.status} ${c.error ?? ''}`;
    return `  ${c.method} channel=${asString(c.args.channel) ?? '-'} text=${JSON.stringify(c.args.text ?? null)}${detail}`;
  };

  /** One Web API method: answers `{ok: true, ...}` or `{ok: false, error}` like Slack. */
  const dispatch = (method: string, args: Json): Json => {
    const channel = asString(args.channel);
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://llavero.slack.com/', team: 'Llavero', user: 'llavero', team_id: teamId, user_id: botUserId, bot_id: botId, is_enterprise_install: false };
      case 'chat.postMessage': {
        if (channel === undefined || channel === '') return { ok: false, error: 'channel_not_found' };
        if (args.text === undefined && args.blocks === undefined && args.attachments === undefined) return { ok: false, error: 'no_text' };
        const ts = newTs();
        return { ok: true, channel, ts, message: botMessage(args, ts) };
      }
      case 'chat.update': {
        const ts = asString(args.ts);
        if (channel === undefined || channel === '') return { ok: false, error: 'channel_not_found' };
        if (ts === undefined) return { ok: false, error: 'message_not_found' };
        // Lenient on purpose: tests update messages that only exist in fixtures (e.g. a block_actions' message_ts).
        return { ok: true, channel, ts, text: asString(args.text) ?? '', message: botMessage(args, ts) };
      }
      case 'chat.delete': {
        const ts = asString(args.ts);
        if (channel === undefined || channel === '') return { ok: false, error: 'channel_not_found' };
        if (ts === undefined) return { ok: false, error: 'message_not_found' };
        return { ok: true, channel, ts };
      }
      case 'chat.postEphemeral': {
        if (channel === undefined || channel === '') return { ok: false, error: 'channel_not_found' };
        if (asString(args.user) === undefined) return { ok: false, error: 'user_not_in_channel' };
        if (args.text === undefined && args.blocks === undefined && args.attachments === undefined) return { ok: false, error: 'no_text' };
        return { ok: true, message_ts: newTs() };
      }
      case 'views.open':
      case 'views.update': {
        if (method === 'views.open' && asString(args.trigger_id) === undefined) return { ok: false, error: 'invalid_arguments' };
        if (!isRecord(args.view)) return { ok: false, error: 'invalid_arguments' };
        const id = method === 'views.update' ? (asString(args.view_id) ?? `V0FAKE${String(nextView++).padStart(4, '0')}`) : `V0FAKE${String(nextView++).padStart(4, '0')}`;
        const v = args.view;
        const view: Json = {
          id,
          team_id: teamId,
          type: v.type ?? 'modal',
          blocks: v.blocks ?? [],
          private_metadata: v.private_metadata ?? '',
          callback_id: v.callback_id ?? '',
          state: { values: {} },
          hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
          title: v.title,
          clear_on_close: v.clear_on_close ?? false,
          notify_on_close: v.notify_on_close ?? false,
          close: v.close ?? null,
          submit: v.submit ?? null,
          previous_view_id: null,
          root_view_id: id,
          app_id: appId,
          external_id: v.external_id ?? '',
          app_installed_team_id: teamId,
          bot_id: botId,
        };
        return { ok: true, view };
      }
      case 'users.info': {
        const u = users.get(asString(args.user) ?? '');
        if (!u) return { ok: false, error: 'user_not_found' };
        const user: Json = {
          id: u.id,
          team_id: teamId,
          name: u.name,
          deleted: false,
          real_name: u.name,
          tz: u.tz,
          tz_label: u.tz,
          tz_offset: 0,
          is_admin: false,
          is_owner: false,
          is_bot: false,
          is_app_user: false,
          updated: 1700000000,
          profile: { real_name: u.name, display_name: u.name, team: teamId },
        };
        if (truthy(args.include_locale)) user.locale = u.locale;
        return { ok: true, user };
      }
      case 'files.info': {
        const f = files.get(asString(args.file) ?? '');
        if (!f) return { ok: false, error: 'file_not_found' };
        return { ok: true, file: fileObject(f), comments: [], response_metadata: { next_cursor: '' } };
      }
      case 'conversations.info': {
        if (channel === undefined || channel === '') return { ok: false, error: 'channel_not_found' };
        const isIm = channel.startsWith('D');
        const ch: Json = isIm
          ? { id: channel, created: 1700000000, is_im: true, is_org_shared: false, user: 'U0CUSTOMER', is_user_deleted: false, priority: 0 }
          : { id: channel, name: channel.toLowerCase(), is_channel: channel.startsWith('C'), is_group: channel.startsWith('G'), is_im: false, is_mpim: false, is_private: channel.startsWith('G'), created: 1700000000, is_archived: false, is_general: false, is_member: true, is_shared: false, is_ext_shared: false, is_org_shared: false, creator: 'U0ADMIN', name_normalized: channel.toLowerCase() };
        return { ok: true, channel: ch };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const sendSlack = (res: ServerResponse, status: number, body: Json, extra: Record<string, string> = {}): void =>
    sendJson(res, status, body, {
      'x-slack-req-id': randomBytes(16).toString('hex'),
      'x-oauth-scopes': 'app_mentions:read,channels:history,chat:write,files:read,im:history,im:write,users:read',
      ...extra,
    });

  const handleApi = async (req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> => {
    const raw = await readText(req);
    const parsed = parseArgs(req.headers['content-type'] ?? '', raw, url.searchParams);
    const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const args: Json = parsed ?? {};
    const token = auth?.[1] ?? asString(args.token);
    delete args.token;
    const call: RecordedCall = { method, args, at: Date.now(), status: 200, ok: false, response: {} };
    if (token !== undefined) call.token = token;
    calls.push(call);

    let status = 200;
    let body: Json;
    const headers: Record<string, string> = {};
    const limit = limits.get(method);
    if (limit && limit.remaining > 0) {
      limit.remaining--;
      status = 429;
      headers['retry-after'] = String(limit.retryAfterSec);
      body = { ok: false, error: 'ratelimited' };
    } else if (parsed === undefined) {
      body = { ok: false, error: 'invalid_form_data' };
    } else if (token !== botToken) {
      // Slack answers auth failures with HTTP 200 and ok:false, not 401.
      body = { ok: false, error: 'invalid_auth' };
    } else {
      body = dispatch(method, args);
    }
    call.status = status;
    call.ok = status === 200 && body.ok === true;
    if (typeof body.error === 'string') call.error = body.error;
    call.response = body;
    sendSlack(res, status, body, headers);
    listeners.emit(call);
    waiters.notify();
  };

  const downloads: string[] = [];
  const handleFile = (req: IncomingMessage, res: ServerResponse, fileId: string): void => {
    const f = files.get(fileId);
    if (!f || f.as === 'gone') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not Found');
      return;
    }
    const authorized = req.headers.authorization === `Bearer ${botToken}`;
    if (!authorized || f.as === 'html') {
      // What real Slack does for a missing/wrong token (or missing files:read): a 200 login page, not a 401/403.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(LOGIN_PAGE) });
      res.end(LOGIN_PAGE);
      return;
    }
    downloads.push(f.id);
    res.writeHead(200, {
      'content-type': f.mimetype,
      'content-length': f.bytes.length,
      'content-disposition': `attachment; filename="${f.name.replace(/"/g, '')}"`,
    });
    res.end(Buffer.from(f.bytes));
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (api?.[1] !== undefined) {
      handleApi(req, res, url, api[1]).catch((err: unknown) => {
        if (!res.headersSent) sendSlack(res, 500, { ok: false, error: 'fake_slack_internal', detail: String(err) });
      });
      return;
    }
    const file = /^\/files-pri\/([^/-]+)-([^/]+)\/(?:download\/)?[^/]+$/.exec(url.pathname);
    if (file?.[2] !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      handleFile(req, res, decodeURIComponent(file[2]));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not Found');
  });

  const port = await listenLocal(server);
  base = `http://127.0.0.1:${port}`;

  const successful = (method: string, channel?: string): RecordedCall[] =>
    calls.filter((c) => c.method === method && c.ok && (channel === undefined || c.args.channel === channel));

  return {
    downloads,
    url: `${base}/api/`,
    calls,
    posted: () => successful('chat.postMessage'),
    rateLimit(method, n, retryAfterSec = 1) {
      limits.set(method, { remaining: n, retryAfterSec });
    },
    addFile(f) {
      const file: FakeFile = {
        id: f.id,
        name: f.name,
        bytes: f.bytes,
        size: f.size ?? f.bytes.length,
        mimetype: f.mimetype ?? 'application/octet-stream',
        as: f.as ?? 'file',
        created: Math.floor(Date.now() / 1000),
      };
      files.set(f.id, file);
      return { id: f.id, ...fileUrls(file) };
    },
    addUser(u) {
      users.set(u.id, { id: u.id, locale: u.locale ?? 'en-US', name: u.name ?? u.id.toLowerCase(), tz: u.tz ?? 'America/Santiago' });
    },
    waitForPosts(n, { channel, timeoutMs = 15_000 } = {}) {
      return waiters.wait(
        () => {
          const got = successful('chat.postMessage', channel);
          return got.length >= n ? got : undefined;
        },
        timeoutMs,
        () => {
          const posts = calls.filter((c) => c.method === 'chat.postMessage');
          const where = channel === undefined ? '' : ` in ${channel}`;
          return `waited ${timeoutMs} ms for ${n} chat.postMessage${where}; got ${successful('chat.postMessage', channel).length}. chat.postMessage calls:\n${posts.map(summarize).join('\n') || '  (none)'}`;
        },
      );
    },
    waitForCalls(method, n, timeoutMs = 15_000) {
      return waiters.wait(
        () => {
          const got = successful(method);
          return got.length >= n ? got : undefined;
        },
        timeoutMs,
        () => `waited ${timeoutMs} ms for ${n} successful ${method}; got ${successful(method).length}. All calls:\n${calls.map(summarize).join('\n') || '  (none)'}`,
      );
    },
    onCall: (fn) => listeners.add(fn),
    async close() {
      listeners.clear();
      waiters.close('fake Slack closed');
      await closeServer(server);
    },
  };
}
