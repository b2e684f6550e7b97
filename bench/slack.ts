/**
 * Slack Events API throughput and latency: closed-loop DM customers POST signed `message.im` events to a
 * bare Bolt echo app (Bolt's own HTTPReceiver) and to our server's `/slack/events` (embedded store, and
 * PostgreSQL when DATABASE_URL is set); latency runs from sending the event to its first chat.postMessage
 * reaching a local fake of Slack's Web API. Target: our events/s ≥ 0.8× the echo's, our p99 ≤ 1.2× the echo's.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { App } from '@slack/bolt';
import pg from 'pg';
import { openStore } from '../src/store/open.ts';
import type { Store } from '../src/store/port.ts';
import { startFakeSlack, type FakeSlack } from '../tests/support/fake-slack.ts';
import { startServer } from '../tests/support/server.ts';
import { slackSignature } from '../tests/support/slack-signing.ts';

const TOKEN = 'xoxb-0000000000-fake-bot-token';
const SECRET = 'llavero-bench-signing-secret';
const CUSTOMERS = 200;
const MESSAGES = 10;
const RUNS = 3;
/**
 * Discarded runs before the measured ones. Both apps post through the process-wide fetch (undici) pool to the
 * fake; until that pool has grown to its steady size (two runs of 200 customers), requests queue on connections
 * still being opened and the first runs show a p99 of 1-2 s whatever the app. The JIT warms up meanwhile too.
 */
const WARMUP_RUNS = 2;
const IDLE_MESSAGES = 50;
const WAIT_MS = 10_000;
/** Customer's first message opens the conversation; then this cycle (each turn changes state and answers with exactly one message). */
const FIRST = 'hola';
const CYCLE = ['generar llave', 'ATV clásico', 'menú', 'revocar llave', 'ATV clásico', 'sí', 'menú'];

type Json = Record<string, unknown>;
const TEMPLATE = JSON.parse(readFileSync(new URL('../tests/fixtures/slack/message_im.json', import.meta.url), 'utf8')) as Json;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const list = (xs: number[], digits: number) => `[${xs.map((x) => x.toFixed(digits)).join(', ')}]`;

interface Signed {
  channel: string;
  body: string;
  headers: Record<string, string | number>;
}

let seq = 0;

/** A signed Events API body for `text` in `channel` from `user`, as Slack sends it; every event id unique. */
function signedEvent(user: string, channel: string, text: string): Signed {
  const n = ++seq;
  const nowSec = Math.floor(Date.now() / 1000);
  const ts = `${nowSec}.${String(n).padStart(6, '0')}`;
  const event = {
    ...(TEMPLATE.event as Json),
    user,
    channel,
    text,
    ts,
    event_ts: ts,
    client_msg_id: `bench-${process.pid}-${n}`,
    blocks: [{ type: 'rich_text', block_id: 'b', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text }] }] }],
  };
  const body = JSON.stringify({ ...TEMPLATE, event, event_id: `EvBENCH${process.pid}x${n}`, event_time: nowSec });
  return {
    channel,
    body,
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      'x-slack-request-timestamp': nowSec,
      'x-slack-signature': slackSignature(SECRET, nowSec, body),
    },
  };
}

/** The load generator's side: one keep-alive HTTP client, and a per-channel wait for the first chat.postMessage. */
interface Harness {
  fake: FakeSlack;
  agent: Agent;
  /** Posts that arrived with no event waiting on their channel (a turn answering with more than one message). */
  stray: number;
  /** Send one event to `port`; resolves with ms from sending to its reply reaching the fake. */
  turn(port: number, ev: Signed): Promise<number>;
}

function harness(fake: FakeSlack): Harness {
  const agent = new Agent({ keepAlive: true, maxSockets: CUSTOMERS + 10 });
  const waiting = new Map<string, (at: number) => void>();
  const h: Harness = {
    fake,
    agent,
    stray: 0,
    async turn(port, ev) {
      let timer: NodeJS.Timeout | undefined;
      const posted = new Promise<number>((resolve, reject) => {
        waiting.set(ev.channel, resolve);
        timer = setTimeout(() => reject(new Error(`no chat.postMessage in ${ev.channel} within ${WAIT_MS} ms`)), WAIT_MS);
      });
      const start = performance.now();
      const acked = new Promise<number>((resolve, reject) => {
        const req = request({ agent, host: '127.0.0.1', port, method: 'POST', path: '/slack/events', headers: ev.headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(ev.body);
      });
      try {
        const [status, at] = await Promise.all([acked, posted]);
        if (status !== 200) throw new Error(`/slack/events answered ${status}`);
        return at - start;
      } finally {
        clearTimeout(timer);
        waiting.delete(ev.channel);
      }
    },
  };
  fake.onCall((call) => {
    if (call.method !== 'chat.postMessage' || !call.ok) return;
    const at = performance.now();
    const channel = String(call.args.channel);
    const resolve = waiting.get(channel);
    if (!resolve) {
      h.stray++;
      return;
    }
    waiting.delete(channel);
    resolve(at);
  });
  return h;
}

interface Load {
  events: number;
  seconds: number;
  latencies: number[];
}

/** `n` customers, each in its own DM: one warm-up message each (opens the conversation), then `messages` each, closed loop. */
async function closedLoop(h: Harness, port: number, tag: string, n: number, messages: number): Promise<Load> {
  const customers = Array.from({ length: n }, (_, i) => {
    const user = `U${tag}C${i}`;
    h.fake.addUser({ id: user, locale: 'es-LA' });
    return { user, channel: `D${tag}C${i}` };
  });
  const strayBefore = h.stray;
  await Promise.all(customers.map((c) => h.turn(port, signedEvent(c.user, c.channel, FIRST))));
  // Signed before the clock starts (well inside Slack's 5-minute replay window).
  const scripts = customers.map((c) => Array.from({ length: messages }, (_, i) => signedEvent(c.user, c.channel, CYCLE[i % CYCLE.length] as string)));
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    scripts.map(async (script) => {
      for (const ev of script) latencies.push(await h.turn(port, ev));
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  if (h.stray !== strayBefore) console.log(`slack ${tag}: warning, ${h.stray - strayBefore} replies beyond the first per event (latencies may be misattributed)`);
  return { events: latencies.length, seconds, latencies };
}

interface Figures {
  rate: number;
  p50: number;
  p99: number;
  idle: number;
}

/** RUNS closed-loop runs and one idle customer against the app on `port`; prints and returns the medians. */
async function measure(h: Harness, port: number, label: string, tag: string): Promise<Figures> {
  const rates: number[] = [];
  const p50s: number[] = [];
  const p99s: number[] = [];
  for (let run = -WARMUP_RUNS; run < RUNS; run++) {
    // Only the onCall hook is used here: drop the fake's record of earlier calls so it does not grow across runs.
    h.fake.calls.length = 0;
    const load = await closedLoop(h, port, `${tag}R${run + WARMUP_RUNS}`, CUSTOMERS, MESSAGES);
    if (run < 0) continue;
    rates.push(load.events / load.seconds);
    p50s.push(pct(load.latencies, 50));
    p99s.push(pct(load.latencies, 99));
  }
  const idle = await closedLoop(h, port, `${tag}I`, 1, IDLE_MESSAGES);
  const f: Figures = { rate: median(rates), p50: median(p50s), p99: median(p99s), idle: median(idle.latencies) };
  console.log(
    `slack ${label} ${CUSTOMERS} customers × ${MESSAGES}: ${f.rate.toFixed(0)} events/s ${list(rates, 0)}, p50 ${f.p50.toFixed(1)} ms ${list(p50s, 1)}, p99 ${f.p99.toFixed(1)} ms ${list(p99s, 1)}`,
  );
  console.log(`slack ${label} idle (1 customer, ${IDLE_MESSAGES} sequential messages): median ${f.idle.toFixed(2)} ms`);
  return f;
}

async function bareEcho(h: Harness): Promise<Figures> {
  // Bolt's defaults: with a token it calls auth.test once at start and reuses the answer.
  const app = new App({ token: TOKEN, signingSecret: SECRET, clientOptions: { slackApiUrl: h.fake.url }, deferInitialization: true });
  await app.init();
  app.message(async ({ message, say }) => {
    await say('text' in message && typeof message.text === 'string' ? message.text : 'echo');
  });
  const server = await app.start({ port: 0, host: '127.0.0.1' });
  try {
    return await measure(h, (server.address() as AddressInfo).port, 'bare Bolt echo', 'E');
  } finally {
    await app.stop();
  }
}

async function ours(h: Harness, label: string, tag: string, store: Store | undefined, echo: Figures): Promise<void> {
  const server = await startServer({
    ...(store ? { store } : {}),
    env: { SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: h.fake.url },
  });
  try {
    const port = Number(new URL(server.url).port);
    const f = await measure(h, port, label, tag);
    const rate = f.rate / echo.rate;
    const p99 = f.p99 / echo.p99;
    console.log(
      `slack ${label} / bare echo: events/s ${rate.toFixed(2)}× (target ≥ 0.8: ${rate >= 0.8 ? 'met' : 'missed'}), p99 ${p99.toFixed(2)}× (target ≤ 1.2: ${p99 <= 1.2 ? 'met' : 'missed'}), idle ${(f.idle / echo.idle).toFixed(2)}×`,
    );
  } finally {
    await server.app.slack?.idle();
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

export async function benchSlack(): Promise<void> {
  const fake = await startFakeSlack({ botToken: TOKEN });
  const h = harness(fake);
  try {
    console.log(
      `slack: signed message.im events over keep-alive HTTP, ${CUSTOMERS} DM customers closed loop (next message after the reply is posted), 1 warm-up message each, then ${MESSAGES} measured; ` +
        `${RUNS} runs after ${WARMUP_RUNS} discarded warm-up runs; median [runs]; ` +
        'latency = event sent → first chat.postMessage at the fake; the fake Slack Web API and the load generator run in this process',
    );
    const echo = await bareEcho(h);
    await ours(h, 'ours embedded', 'M', undefined, echo);
    const url = process.env.DATABASE_URL;
    if (url) {
      if (!(await reachable(url))) {
        console.log(`slack ours postgres: skipped (${url} not reachable)`);
      } else {
        const schema = `bench_slack_${process.pid}_${Date.now()}`;
        const store = await openStore({ databaseUrl: url, schema });
        try {
          await ours(h, 'ours postgres', 'P', store, echo);
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
    h.agent.destroy();
    await fake.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSlack();
