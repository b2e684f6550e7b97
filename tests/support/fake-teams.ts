/**
 * A local fake of the Bot Framework Connector REST API (v3) as Microsoft Teams serves it, plus the pre-authorized
 * file host Teams puts in `content.downloadUrl`. Activities posted to the bot carry `serviceUrl` = this fake's URL,
 * so the REAL botbuilder CloudAdapter sends its replies here instead of to smba.trafficmanager.net.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, createListeners, createWaiters, isRecord, listenLocal, readBody, sendJson, type Json } from './fake-http.ts';

export interface SentActivity {
  /** Decoded from the URL path (Teams personal ids look like `a:1xyz...`). */
  conversationId: string;
  /** The `{activityId}` path segment of a reply (POST .../activities/{replyToId}); for PUT, the activity updated. */
  replyToId?: string;
  /** The JSON body as the bot sent it. */
  activity: Record<string, unknown>;
  at: number;
  /** The Authorization header, if any (absent when the bot runs without an app id). */
  authorization?: string;
  /** The id this fake answered with (for PUT, the id updated). */
  id?: string;
}

export interface RecordedRequest {
  method: string;
  /** Path as received (still URL-encoded). */
  path: string;
  status: number;
  at: number;
  authorization?: string;
  userAgent?: string;
  contentType?: string;
}

export interface CreatedConversation {
  /** The ConversationParameters body of POST /v3/conversations. */
  params: Record<string, unknown>;
  id: string;
  activityId?: string;
  at: number;
  authorization?: string;
}

export interface TeamsMember {
  id: string;
  name?: string;
  aadObjectId?: string;
  givenName?: string;
  surname?: string;
  email?: string;
  userPrincipalName?: string;
  tenantId?: string;
  userRole?: string;
}

export interface FakeConnector {
  /** e.g. `http://127.0.0.1:PORT/`, with the trailing slash Teams' own serviceUrls have (`https://smba.trafficmanager.net/amer/`). */
  serviceUrl: string;
  /** Every POST /v3/conversations/{id}/activities[/{replyToId}] in arrival order, typing activities included. */
  sent: SentActivity[];
  /** PUT /v3/conversations/{id}/activities/{activityId}. */
  updated: SentActivity[];
  /** DELETE /v3/conversations/{id}/activities/{activityId} (activity is `{}`). */
  deleted: SentActivity[];
  /** POST /v3/conversations (createConversation). */
  created: CreatedConversation[];
  /** Every HTTP request this fake answered, downloads included, in order. */
  requests: RecordedRequest[];
  /** Serve bytes at a download URL (what Teams puts in content.downloadUrl), or 404 when `gone`. Returns the URL. */
  addDownload(name: string, bytes: Uint8Array, opts?: { gone?: boolean; contentType?: string }): string;
  /** Names whose bytes were actually served (200s only). */
  downloads: string[];
  /** Members GET /v3/conversations/{id}/members[/{memberId}] answers for that conversation (default: one test user). */
  setMembers(conversationId: string, members: TeamsMember[]): void;
  /** The next `count` (default 1) activity POSTs answer `status` with a Bot Framework error body (e.g. 429 with Retry-After, 403 when the user blocked the bot). Failed POSTs are not recorded in `sent`. */
  failSends(status: number, opts?: { count?: number; code?: string; message?: string; retryAfterSec?: number }): void;
  /**
   * Resolves with the activities sent to that conversation once there are at least `n` (counting only `type` when
   * given, e.g. 'message' to ignore typing); rejects after timeoutMs (default 15 s: generous, a wait only takes long when it fails) listing what was sent.
   */
  waitForSent(conversationId: string, n: number, timeoutOrOpts?: number | { timeoutMs?: number; type?: string }): Promise<SentActivity[]>;
  /** Calls `fn` with every activity added to `sent` (typing included) once it has been answered, as it happens; returns a function that removes it. */
  onSent(fn: (sent: SentActivity) => void): () => void;
  close(): Promise<void>;
}

interface Download {
  name: string;
  bytes: Uint8Array;
  gone: boolean;
  contentType: string;
}

interface Failure {
  remaining: number;
  status: number;
  code: string;
  message: string;
  retryAfterSec?: number;
}

const DEFAULT_MEMBER: TeamsMember = {
  id: '29:1LlaveroTestUser-aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345',
  name: 'Usuaria de Prueba',
  aadObjectId: '00000000-0000-4000-8000-0000000000a1',
  givenName: 'Usuaria',
  surname: 'de Prueba',
  email: 'usuaria@contoso.example',
  userPrincipalName: 'usuaria@contoso.example',
  tenantId: '00000000-0000-4000-8000-00000000c0de',
  userRole: 'user',
};

/**
 * Teams answers sends in personal chats with epoch-millisecond ids ("1759944781430"), and user messages carry the same
 * kind of id. One counter, shared with teams-activities.ts through the global registry, keeps every id in a test
 * process unique and increasing, so a bot's message id never equals a user's.
 */
export function nextActivityId(): string {
  const key = Symbol.for('llavero.tests.teams.lastActivityId');
  const g = globalThis as unknown as Record<symbol, number | undefined>;
  const next = Math.max((g[key] ?? 0) + 1, Date.now());
  g[key] = next;
  return String(next);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function describeSent(list: SentActivity[]): string {
  if (list.length === 0) return '(nothing)';
  return list
    .map((s) => {
      const a = s.activity;
      const text = typeof a.text === 'string' ? JSON.stringify(a.text.slice(0, 80)) : '';
      const atts = Array.isArray(a.attachments) ? ` +${a.attachments.length} attachment(s)` : '';
      return `  [${s.conversationId}] ${String(a.type)}${s.replyToId ? ` (reply to ${s.replyToId})` : ''} ${text}${atts}`;
    })
    .join('\n');
}

export async function startFakeConnector(): Promise<FakeConnector> {
  const sent: SentActivity[] = [];
  const updated: SentActivity[] = [];
  const deleted: SentActivity[] = [];
  const created: CreatedConversation[] = [];
  const requests: RecordedRequest[] = [];
  const downloads: string[] = [];
  const files = new Map<string, Download>();
  const members = new Map<string, TeamsMember[]>();
  const waiters = createWaiters<SentActivity[]>();
  const listeners = createListeners<SentActivity>();
  const failures: Failure[] = [];
  let base = '';

  /** After an answer: tell the onSent listeners about the activity just recorded (if any), then settle waiters. */
  const notify = (added?: SentActivity): void => {
    if (added) listeners.emit(added);
    waiters.notify();
  };

  const errorBody = (code: string, message: string): Json => ({ error: { code, message } });

  const parseJson = (raw: Buffer): Json | undefined => {
    if (raw.length === 0) return {};
    try {
      const v: unknown = JSON.parse(raw.toString('utf8'));
      return isRecord(v) ? v : undefined;
    } catch {
      return undefined;
    }
  };

  const membersOf = (conversationId: string): TeamsMember[] => members.get(conversationId) ?? [DEFAULT_MEMBER];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // Split before decoding: a conversation id may contain encoded '/', ';', '@' or ':'.
    const parts = url.pathname.split('/').filter((p) => p !== '');
    let seg: string[];
    try {
      seg = parts.map((p) => decodeURIComponent(p));
    } catch {
      sendJson(res, 400, errorBody('BadArgument', 'Malformed path'));
      return 400;
    }
    const authorization = header(req, 'authorization');
    const raw = await readBody(req);

    // GET /downloads/{key}/{name}: the pre-authorized download URL (no bearer token needed, like SharePoint's tempauth URLs).
    if (seg[0] === 'downloads' && seg.length >= 2 && (method === 'GET' || method === 'HEAD')) {
      const file = files.get(seg[1] ?? '');
      if (!file || file.gone) {
        sendJson(res, 404, errorBody('itemNotFound', 'The resource could not be found.'));
        return 404;
      }
      res.writeHead(200, {
        'content-type': file.contentType,
        'content-length': file.bytes.byteLength,
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
      });
      if (method === 'HEAD') res.end();
      else {
        res.end(Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength));
        downloads.push(file.name);
      }
      return 200;
    }

    if (seg[0] !== 'v3' || seg[1] !== 'conversations') {
      sendJson(res, 404, errorBody('NotFound', `No route for ${method} ${url.pathname}`));
      return 404;
    }

    // POST /v3/conversations: createConversation.
    if (seg.length === 2 && method === 'POST') {
      const params = parseJson(raw);
      if (!params) {
        sendJson(res, 400, errorBody('BadSyntax', 'Invalid JSON'));
        return 400;
      }
      const id = `a:1${randomBytes(24).toString('base64url')}`;
      const rec: CreatedConversation = { params, id, at: Date.now(), ...(authorization ? { authorization } : {}) };
      const body: Json = { id, serviceUrl: base };
      let added: SentActivity | undefined;
      if (isRecord(params.activity)) {
        const activityId = nextActivityId();
        rec.activityId = activityId;
        body.activityId = activityId;
        added = { conversationId: id, activity: params.activity, at: rec.at, id: activityId, ...(authorization ? { authorization } : {}) };
        sent.push(added);
      }
      created.push(rec);
      sendJson(res, 201, body);
      notify(added);
      return 201;
    }

    const conversationId = seg[2];
    if (conversationId === undefined) {
      sendJson(res, 404, errorBody('NotFound', `No route for ${method} ${url.pathname}`));
      return 404;
    }
    const rest = seg.slice(3);

    // POST /v3/conversations/{id}/activities[/{replyToId}]: sendToConversation / replyToActivity.
    if (rest[0] === 'activities' && rest.length <= 2 && method === 'POST') {
      const failure = failures[0];
      if (failure) {
        failure.remaining -= 1;
        if (failure.remaining <= 0) failures.shift();
        sendJson(res, failure.status, errorBody(failure.code, failure.message), failure.retryAfterSec !== undefined ? { 'retry-after': String(failure.retryAfterSec) } : {});
        return failure.status;
      }
      const activity = parseJson(raw);
      if (!activity) {
        sendJson(res, 400, errorBody('BadSyntax', 'Invalid JSON'));
        return 400;
      }
      const id = nextActivityId();
      const added: SentActivity = {
        conversationId,
        ...(rest[1] !== undefined ? { replyToId: rest[1] } : {}),
        activity,
        at: Date.now(),
        id,
        ...(authorization ? { authorization } : {}),
      };
      sent.push(added);
      sendJson(res, 200, { id });
      notify(added);
      return 200;
    }

    // PUT / DELETE /v3/conversations/{id}/activities/{activityId}.
    if (rest[0] === 'activities' && rest.length === 2 && (method === 'PUT' || method === 'DELETE')) {
      const activityId = rest[1] ?? '';
      const activity = method === 'PUT' ? parseJson(raw) : {};
      if (!activity) {
        sendJson(res, 400, errorBody('BadSyntax', 'Invalid JSON'));
        return 400;
      }
      const rec: SentActivity = { conversationId, replyToId: activityId, activity, at: Date.now(), id: activityId, ...(authorization ? { authorization } : {}) };
      if (method === 'PUT') {
        updated.push(rec);
        sendJson(res, 200, { id: activityId });
        return 200;
      }
      deleted.push(rec);
      res.writeHead(200, { 'content-length': 0 });
      res.end();
      return 200;
    }

    // GET /v3/conversations/{id}/members[/{memberId}] and /pagedmembers.
    if (method === 'GET' && rest[0] === 'members' && rest.length === 1) {
      sendJson(res, 200, membersOf(conversationId));
      return 200;
    }
    if (method === 'GET' && rest[0] === 'members' && rest.length === 2) {
      const m = membersOf(conversationId).find((x) => x.id === rest[1] || x.aadObjectId === rest[1]);
      if (!m) {
        sendJson(res, 404, errorBody('MemberNotFoundInConversation', 'The member could not be found in the conversation.'));
        return 404;
      }
      sendJson(res, 200, m);
      return 200;
    }
    if (method === 'GET' && rest[0] === 'pagedmembers' && rest.length === 1) {
      sendJson(res, 200, { members: membersOf(conversationId) });
      return 200;
    }

    sendJson(res, 404, errorBody('NotFound', `No route for ${method} ${url.pathname}`));
    return 404;
  };

  const server = createServer((req, res) => {
    const at = Date.now();
    handle(req, res).then(
      (status) => {
        const authorization = header(req, 'authorization');
        const userAgent = header(req, 'user-agent');
        const contentType = header(req, 'content-type');
        requests.push({
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          status,
          at,
          ...(authorization ? { authorization } : {}),
          ...(userAgent ? { userAgent } : {}),
          ...(contentType ? { contentType } : {}),
        });
      },
      (err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, errorBody('ServiceError', String(err)));
        else res.destroy();
      },
    );
  });

  const port = await listenLocal(server);
  base = `http://127.0.0.1:${port}/`;

  return {
    serviceUrl: base,
    sent,
    updated,
    deleted,
    created,
    requests,
    downloads,
    addDownload(name, bytes, opts = {}) {
      const key = randomBytes(12).toString('hex');
      files.set(key, { name, bytes, gone: opts.gone ?? false, contentType: opts.contentType ?? 'application/octet-stream' });
      return `${base}downloads/${key}/${encodeURIComponent(name)}`;
    },
    setMembers(conversationId, list) {
      members.set(conversationId, list);
    },
    failSends(status, opts = {}) {
      failures.push({
        remaining: opts.count ?? 1,
        status,
        code: opts.code ?? (status === 429 ? 'Throttled' : status === 403 ? 'ConversationBlockedByUser' : 'ServiceError'),
        message: opts.message ?? (status === 403 ? 'User blocked the conversation with the bot.' : `Injected ${status}`),
        ...(opts.retryAfterSec !== undefined ? { retryAfterSec: opts.retryAfterSec } : {}),
      });
    },
    waitForSent(conversationId, n, timeoutOrOpts) {
      const o = typeof timeoutOrOpts === 'number' ? { timeoutMs: timeoutOrOpts } : (timeoutOrOpts ?? {});
      const timeoutMs = o.timeoutMs ?? 15_000;
      const matching = (): SentActivity[] =>
        sent.filter((s) => s.conversationId === conversationId && (o.type === undefined || s.activity.type === o.type));
      return waiters.wait(
        () => {
          const m = matching();
          return m.length >= n ? m : undefined;
        },
        timeoutMs,
        () => {
          const what = o.type === undefined ? 'activities' : `'${o.type}' activities`;
          return `fake Teams: wanted ${n} ${what} in ${conversationId} within ${timeoutMs}ms, got ${matching().length}. Everything sent:\n${describeSent(sent)}`;
        },
      );
    },
    onSent: (fn) => listeners.add(fn),
    async close() {
      listeners.clear();
      waiters.close('fake Teams closed');
      await closeServer(server);
    },
  };
}
