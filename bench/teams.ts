/**
 * Teams (Bot Framework) throughput and latency: closed-loop personal-chat customers POST message activities to a
 * bare botbuilder echo bot (CloudAdapter behind node:http, no app id: auth off, as the Emulator) and to our
 * server's `/api/messages` (TEAMS_LOCAL=1; embedded store, and PostgreSQL when DATABASE_URL is set); latency runs
 * from posting the activity to its first `message` activity reaching a local fake Bot Connector. The echo answers
 * inside the request; ours answers the request once the turn is committed and sends the reply proactively from the
 * outbox. Target: our activities/s ≥ 0.8× the echo's, our p99 ≤ 1.2× the echo's.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type Response } from 'botbuilder';
import pg from 'pg';
import { openStore } from '../src/store/open.ts';
import type { Store } from '../src/store/port.ts';
import { startFakeConnector, type FakeConnector } from '../tests/support/fake-teams.ts';
import { startServer } from '../tests/support/server.ts';
import { messageActivity, newConversationId, newTeamsUser, teamsChat, type TeamsChat } from '../tests/support/teams-activities.ts';

const CUSTOMERS = 200;
const MESSAGES = 10;
const RUNS = 3;
/**
 * Discarded runs before the measured ones: both bots post through an HTTP client pool to the fake connector, and
 * until that pool has grown to its steady size requests queue on connections still being opened (and the JIT is
 * still warming up), which shows as a p99 of a second or more whatever the bot.
 */
const WARMUP_RUNS = 2;
const IDLE_MESSAGES = 50;
const WAIT_MS = 10_000;
const PATH = '/api/messages';
/**
 * Customer's first message opens the conversation; then this cycle. In Teams each of these turns answers with exactly
 * one message activity (a text with its card): 'ayuda' would answer with two (a text, then the menu card), and the
 * second would be taken for the reply to the customer's next message.
 */
const FIRST = 'hola';
const CYCLE = ['generar llave', 'ATV clásico', 'menú', 'revocar llave', 'ATV clásico', 'sí', 'menú'];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const list = (xs: number[], digits: number) => `[${xs.map((x) => x.toFixed(digits)).join(', ')}]`;

interface Posted {
  conversationId: string;
  body: string;
  headers: Record<string, string | number>;
}

/** A message activity as Teams posts it to the bot (JSON, the Bot Framework's user agent); every activity id unique. */
function posted(chat: TeamsChat, text: string): Posted {
  const body = JSON.stringify(messageActivity(chat, text));
  return {
    conversationId: chat.conversationId,
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'user-agent': 'Microsoft-SkypeBotApi (Microsoft-BotFramework/3.0)',
    },
  };
}

/** The load generator's side: one keep-alive HTTP client, and a per-conversation wait for the first message activity. */
interface Harness {
  fake: FakeConnector;
  agent: Agent;
  /** Message activities that arrived with no activity waiting in their conversation (a turn answering with more than one message). */
  stray: number;
  /** Post one activity to `port`; resolves with ms from posting to its first message activity reaching the fake. */
  turn(port: number, a: Posted): Promise<number>;
  close(): void;
}

function harness(fake: FakeConnector): Harness {
  const agent = new Agent({ keepAlive: true, maxSockets: CUSTOMERS + 10 });
  const waiting = new Map<string, (at: number) => void>();
  const h: Harness = {
    fake,
    agent,
    stray: 0,
    async turn(port, a) {
      let timer: NodeJS.Timeout | undefined;
      const replied = new Promise<number>((resolve, reject) => {
        waiting.set(a.conversationId, resolve);
        timer = setTimeout(() => reject(new Error(`no message activity in ${a.conversationId} within ${WAIT_MS} ms`)), WAIT_MS);
      });
      const start = performance.now();
      const acked = new Promise<number>((resolve, reject) => {
        const req = request({ agent, host: '127.0.0.1', port, method: 'POST', path: PATH, headers: a.headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(a.body);
      });
      try {
        const [status, at] = await Promise.all([acked, replied]);
        if (status !== 200) throw new Error(`${PATH} answered ${status}`);
        return at - start;
      } finally {
        clearTimeout(timer);
        waiting.delete(a.conversationId);
      }
    },
    close() {
      off();
      agent.destroy();
    },
  };
  const off = fake.onSent((s) => {
    // Typing indicators and anything else but a message do not count as the reply.
    if (s.activity.type !== 'message') return;
    const at = performance.now();
    const resolve = waiting.get(s.conversationId);
    if (!resolve) {
      h.stray++;
      return;
    }
    waiting.delete(s.conversationId);
    resolve(at);
  });
  return h;
}

interface Load {
  activities: number;
  seconds: number;
  latencies: number[];
}

/** `n` customers, each in its own personal chat: one warm-up message each (opens the conversation), then `messages` each, closed loop. */
async function closedLoop(h: Harness, port: number, label: string, n: number, messages: number): Promise<Load> {
  const chats = Array.from({ length: n }, () =>
    teamsChat(h.fake.serviceUrl, { conversationId: newConversationId(), user: newTeamsUser(), locale: 'es-CL' }),
  );
  const strayBefore = h.stray;
  await Promise.all(chats.map((c) => h.turn(port, posted(c, FIRST))));
  // Built and serialized before the clock starts.
  const scripts = chats.map((c) => Array.from({ length: messages }, (_, i) => posted(c, CYCLE[i % CYCLE.length] as string)));
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    scripts.map(async (script) => {
      for (const a of script) latencies.push(await h.turn(port, a));
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  if (h.stray !== strayBefore) console.log(`teams ${label}: warning, ${h.stray - strayBefore} message activities beyond the first per turn (latencies may be misattributed)`);
  return { activities: latencies.length, seconds, latencies };
}

interface Figures {
  rate: number;
  p50: number;
  p99: number;
  idle: number;
}

/** RUNS closed-loop runs and one idle customer against the bot on `port`; prints and returns the medians. */
async function measure(h: Harness, port: number, label: string): Promise<Figures> {
  const rates: number[] = [];
  const p50s: number[] = [];
  const p99s: number[] = [];
  for (let run = -WARMUP_RUNS; run < RUNS; run++) {
    // Only the onSent hook is used here: drop the fake's records of earlier runs so they do not grow.
    h.fake.sent.length = 0;
    h.fake.requests.length = 0;
    const load = await closedLoop(h, port, label, CUSTOMERS, MESSAGES);
    if (run < 0) continue;
    rates.push(load.activities / load.seconds);
    p50s.push(pct(load.latencies, 50));
    p99s.push(pct(load.latencies, 99));
  }
  const idle = await closedLoop(h, port, label, 1, IDLE_MESSAGES);
  const f: Figures = { rate: median(rates), p50: median(p50s), p99: median(p99s), idle: median(idle.latencies) };
  console.log(
    `teams ${label} ${CUSTOMERS} customers × ${MESSAGES}: ${f.rate.toFixed(0)} activities/s ${list(rates, 0)}, p50 ${f.p50.toFixed(1)} ms ${list(p50s, 1)}, p99 ${f.p99.toFixed(1)} ms ${list(p99s, 1)}`,
  );
  console.log(`teams ${label} idle (1 customer, ${IDLE_MESSAGES} sequential messages): median ${f.idle.toFixed(2)} ms`);
  return f;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** botbuilder's Response (express/restify-like: status, header, send, end) over Node's ServerResponse. */
function responseOf(res: ServerResponse): Response {
  return {
    socket: res.socket,
    status: (code: number) => {
      res.statusCode = code;
    },
    header: (name: string, value: unknown) => {
      res.setHeader(name, String(value));
    },
    send: (body: unknown) => {
      res.write(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    },
    end: () => {
      res.end();
    },
  };
}

async function bareEcho(h: Harness): Promise<Figures> {
  // No app id: requests are not authenticated and replies carry no token, as with the Bot Framework Emulator.
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  adapter.onTurnError = async (_ctx, err) => {
    console.error('teams bare echo: turn failed', err);
  };
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      let body: Record<string, unknown> | undefined;
      try {
        body = raw === '' ? undefined : (JSON.parse(raw) as Record<string, unknown>);
      } catch {
        body = undefined;
      }
      // `process` rejects (instead of answering 400) on a body without `type`.
      await adapter
        .process({ method: req.method, headers: req.headers, body }, responseOf(res), async (ctx) => {
          await ctx.sendActivity(ctx.activity.text);
        })
        .catch(() => {
          if (!res.headersSent) res.statusCode = 500;
          res.end();
        });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  try {
    return await measure(h, (server.address() as AddressInfo).port, 'bare botbuilder echo');
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function ours(h: Harness, label: string, store: Store | undefined, echo: Figures): Promise<void> {
  const server = await startServer({ ...(store ? { store } : {}), env: { TEAMS_LOCAL: '1' } });
  try {
    const port = Number(new URL(server.url).port);
    const f = await measure(h, port, label);
    const rate = f.rate / echo.rate;
    const p99 = f.p99 / echo.p99;
    console.log(
      `teams ${label} / bare echo: activities/s ${rate.toFixed(2)}× (target ≥ 0.8: ${rate >= 0.8 ? 'met' : 'missed'}), p99 ${p99.toFixed(2)}× (target ≤ 1.2: ${p99 <= 1.2 ? 'met' : 'missed'}), idle ${(f.idle / echo.idle).toFixed(2)}×`,
    );
  } finally {
    await server.app.teams?.idle();
    await server.close();
  }
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

export async function benchTeams(): Promise<void> {
  const fake = await startFakeConnector();
  const h = harness(fake);
  try {
    console.log(
      `teams: personal-chat message activities over keep-alive HTTP to ${PATH}, ${CUSTOMERS} customers closed loop (next message after the reply reaches the connector), 1 warm-up message each, then ${MESSAGES} measured; ` +
        `${RUNS} runs after ${WARMUP_RUNS} discarded warm-up runs; median [runs]; ` +
        'latency = activity posted → first message activity at the fake connector (the echo replies inside the request, ours proactively after the commit); the fake connector and the load generator run in this process',
    );
    const echo = await bareEcho(h);
    await ours(h, 'ours embedded', undefined, echo);
    const url = process.env.DATABASE_URL;
    if (url) {
      if (!(await reachable(url))) {
        console.log(`teams ours postgres: skipped (${url} not reachable)`);
      } else {
        const schema = `bench_teams_${process.pid}_${Date.now()}`;
        const store = await openStore({ databaseUrl: url, schema });
        try {
          await ours(h, 'ours postgres', store, echo);
        } finally {
          await store.close();
          const admin = new pg.Client({ connectionString: url });
          await admin.connect();
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await admin.end();
        }
      }
    }
  } finally {
    h.close();
    await fake.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchTeams();
