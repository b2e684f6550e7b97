/**
 * Teams (Bot Framework) throughput and latency: closed-loop personal-chat customers POST message activities to a
 * bare botbuilder echo bot (CloudAdapter behind node:http, no app id: auth off, as the Emulator) and to our
 * server's `/api/messages` (TEAMS_LOCAL=1; embedded store, and PostgreSQL when DATABASE_URL is set); latency runs
 * from posting the activity to its first `message` activity reaching a local fake Bot Connector. The echo answers
 * inside the request; ours answers the request once the turn is committed and sends the reply proactively from the
 * outbox. Target: our activities/s ≥ 0.8× the echo's, our p99 ≤ 1.2× the echo's.
 */
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import type { Store } from '../src/store/port.ts';
import { startBareBot } from '../tests/support/bare-bot.ts';
import { startFakeConnector, type FakeConnector } from '../tests/support/fake-teams.ts';
import { startServer } from '../tests/support/server.ts';
import { messageActivity, newConversationId, newTeamsUser, teamsChat, type TeamsChat } from '../tests/support/teams-activities.ts';
import { closedLoop, harness, measure, onFreshPostgres, printRatios, type Figures, type Harness, type Load, type Outgoing } from './support.ts';

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

/** A message activity as Teams posts it to the bot (JSON, the Bot Framework's user agent); every activity id unique. */
function posted(chat: TeamsChat, text: string): Outgoing {
  const body = JSON.stringify(messageActivity(chat, text));
  return {
    key: chat.conversationId,
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'user-agent': 'Microsoft-SkypeBotApi (Microsoft-BotFramework/3.0)',
    },
  };
}

/** Activities to PATH; the reply is the first message activity the connector gets in that conversation. */
function teamsHarness(fake: FakeConnector): Harness {
  return harness({
    path: PATH,
    sockets: CUSTOMERS + 10,
    waitMs: WAIT_MS,
    reply: 'message activity',
    listen: (replied) =>
      fake.onSent((s) => {
        // Typing indicators and anything else but a message do not count as the reply.
        if (s.activity.type === 'message') replied(s.conversationId);
      }),
  });
}

/** `n` customers, each in its own personal chat: one warm-up message each (opens the conversation), then `messages` each, closed loop. */
async function chatLoad(fake: FakeConnector, h: Harness, port: number, label: string, n: number, messages: number): Promise<Load> {
  const chats = Array.from({ length: n }, () =>
    teamsChat(fake.serviceUrl, { conversationId: newConversationId(), user: newTeamsUser(), locale: 'es-CL' }),
  );
  // Built and serialized before the clock starts.
  const load = await closedLoop(
    h,
    port,
    chats,
    (c) => posted(c, FIRST),
    (c) => Array.from({ length: messages }, (_, i) => posted(c, CYCLE[i % CYCLE.length] as string)),
  );
  if (load.stray) console.log(`teams ${label}: warning, ${load.stray} message activities beyond the first per turn (latencies may be misattributed)`);
  return load;
}

/** RUNS closed-loop runs and one idle customer against the bot on `port`; prints and returns the medians. */
function measureTeams(fake: FakeConnector, h: Harness, port: number, label: string): Promise<Figures> {
  return measure({
    bench: 'teams',
    label,
    unit: 'activities',
    customers: CUSTOMERS,
    messages: MESSAGES,
    runs: RUNS,
    warmupRuns: WARMUP_RUNS,
    idleMessages: IDLE_MESSAGES,
    // Only the onSent hook is used here: drop the fake's records of earlier runs so they do not grow.
    beforeRun: () => {
      fake.sent.length = 0;
      fake.requests.length = 0;
    },
    load: (n, messages) => chatLoad(fake, h, port, label, n, messages),
  });
}

async function bareEcho(fake: FakeConnector, h: Harness): Promise<Figures> {
  // No app id: requests are not authenticated and replies carry no token, as with the Bot Framework Emulator.
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  adapter.onTurnError = async (_ctx, err) => {
    console.error('teams bare echo: turn failed', err);
  };
  const bot = await startBareBot(adapter, async (ctx) => {
    await ctx.sendActivity(ctx.activity.text);
  });
  try {
    return await measureTeams(fake, h, bot.port, 'bare botbuilder echo');
  } finally {
    await bot.close();
  }
}

async function ours(fake: FakeConnector, h: Harness, label: string, store: Store | undefined, echo: Figures): Promise<void> {
  const server = await startServer({ ...(store ? { store } : {}), env: { TEAMS_LOCAL: '1' } });
  try {
    const port = Number(new URL(server.url).port);
    printRatios('teams', label, 'activities', await measureTeams(fake, h, port, label), echo);
  } finally {
    await server.app.teams?.idle();
    await server.close();
  }
}

export async function benchTeams(): Promise<void> {
  const fake = await startFakeConnector();
  const h = teamsHarness(fake);
  try {
    console.log(
      `teams: personal-chat message activities over keep-alive HTTP to ${PATH}, ${CUSTOMERS} customers closed loop (next message after the reply reaches the connector), 1 warm-up message each, then ${MESSAGES} measured; ` +
        `${RUNS} runs after ${WARMUP_RUNS} discarded warm-up runs; median [runs]; ` +
        'latency = activity posted → first message activity at the fake connector (the echo replies inside the request, ours proactively after the commit); the fake connector and the load generator run in this process',
    );
    const echo = await bareEcho(fake, h);
    await ours(fake, h, 'ours embedded', undefined, echo);
    await onFreshPostgres('teams ours postgres', 'bench_teams', (store) => ours(fake, h, 'ours postgres', store, echo));
  } finally {
    h.close();
    await fake.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchTeams();
