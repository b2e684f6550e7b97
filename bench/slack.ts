/**
 * Slack Events API throughput and latency: closed-loop DM customers POST signed `message.im` events to a
 * bare Bolt echo app (Bolt's own HTTPReceiver) and to our server's `/slack/events` (embedded store, and
 * PostgreSQL when DATABASE_URL is set); latency runs from sending the event to its first chat.postMessage
 * reaching a local fake of Slack's Web API. Target: our events/s ≥ 0.8× the echo's, our p99 ≤ 1.2× the echo's.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { App } from '@slack/bolt';
import type { Store } from '../src/store/port.ts';
import { startFakeSlack, type FakeSlack } from '../tests/support/fake-slack.ts';
import { startServer } from '../tests/support/server.ts';
import { slackSignature } from '../tests/support/slack-signing.ts';
import { closedLoop, harness, measure, onFreshPostgres, printRatios, type Figures, type Harness, type Load, type Outgoing } from './support.ts';

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

let seq = 0;

/** A signed Events API body for `text` in `channel` from `user`, as Slack sends it; every event id unique. */
function signedEvent(user: string, channel: string, text: string): Outgoing {
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
    key: channel,
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

/** Events to /slack/events; the reply is the first successful chat.postMessage in the event's channel. */
function slackHarness(fake: FakeSlack): Harness {
  return harness({
    path: '/slack/events',
    sockets: CUSTOMERS + 10,
    waitMs: WAIT_MS,
    reply: 'chat.postMessage',
    listen: (replied) =>
      fake.onCall((call) => {
        if (call.method === 'chat.postMessage' && call.ok) replied(String(call.args.channel));
      }),
  });
}

/** `n` customers, each in its own DM: one warm-up message each (opens the conversation), then `messages` each, closed loop. */
async function dmLoad(fake: FakeSlack, h: Harness, port: number, tag: string, n: number, messages: number): Promise<Load> {
  const customers = Array.from({ length: n }, (_, i) => {
    const user = `U${tag}C${i}`;
    fake.addUser({ id: user, locale: 'es-LA' });
    return { user, channel: `D${tag}C${i}` };
  });
  // Signed before the clock starts (well inside Slack's 5-minute replay window).
  const load = await closedLoop(
    h,
    port,
    customers,
    (c) => signedEvent(c.user, c.channel, FIRST),
    (c) => Array.from({ length: messages }, (_, i) => signedEvent(c.user, c.channel, CYCLE[i % CYCLE.length] as string)),
  );
  if (load.stray) console.log(`slack ${tag}: warning, ${load.stray} replies beyond the first per event (latencies may be misattributed)`);
  return load;
}

/** RUNS closed-loop runs and one idle customer against the app on `port`; prints and returns the medians. */
function measureSlack(fake: FakeSlack, h: Harness, port: number, label: string, tag: string): Promise<Figures> {
  return measure({
    bench: 'slack',
    label,
    unit: 'events',
    customers: CUSTOMERS,
    messages: MESSAGES,
    runs: RUNS,
    warmupRuns: WARMUP_RUNS,
    idleMessages: IDLE_MESSAGES,
    // Only the onCall hook is used here: drop the fake's record of earlier calls so it does not grow across runs.
    beforeRun: () => {
      fake.calls.length = 0;
    },
    load: (n, messages, run) => dmLoad(fake, h, port, `${tag}${run}`, n, messages),
  });
}

async function bareEcho(fake: FakeSlack, h: Harness): Promise<Figures> {
  // Bolt's defaults: with a token it calls auth.test once at start and reuses the answer.
  const app = new App({ token: TOKEN, signingSecret: SECRET, clientOptions: { slackApiUrl: fake.url }, deferInitialization: true });
  await app.init();
  app.message(async ({ message, say }) => {
    await say('text' in message && typeof message.text === 'string' ? message.text : 'echo');
  });
  const server = await app.start({ port: 0, host: '127.0.0.1' });
  try {
    return await measureSlack(fake, h, (server.address() as AddressInfo).port, 'bare Bolt echo', 'E');
  } finally {
    await app.stop();
  }
}

async function ours(fake: FakeSlack, h: Harness, label: string, tag: string, store: Store | undefined, echo: Figures): Promise<void> {
  const server = await startServer({
    ...(store ? { store } : {}),
    env: { SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.url },
  });
  try {
    const port = Number(new URL(server.url).port);
    printRatios('slack', label, 'events', await measureSlack(fake, h, port, label, tag), echo);
  } finally {
    await server.app.slack?.idle();
    await server.close();
  }
}

export async function benchSlack(): Promise<void> {
  const fake = await startFakeSlack({ botToken: TOKEN });
  const h = slackHarness(fake);
  try {
    console.log(
      `slack: signed message.im events over keep-alive HTTP, ${CUSTOMERS} DM customers closed loop (next message after the reply is posted), 1 warm-up message each, then ${MESSAGES} measured; ` +
        `${RUNS} runs after ${WARMUP_RUNS} discarded warm-up runs; median [runs]; ` +
        'latency = event sent → first chat.postMessage at the fake; the fake Slack Web API and the load generator run in this process',
    );
    const echo = await bareEcho(fake, h);
    await ours(fake, h, 'ours embedded', 'M', undefined, echo);
    await onFreshPostgres('slack ours postgres', 'bench_slack', (store) => ours(fake, h, 'ours postgres', 'P', store, echo));
  } finally {
    h.close();
    await fake.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSlack();
