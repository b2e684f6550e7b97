// Web chat throughput: N concurrent customers over real WebSockets walk a procedure; beside a bare ws echo server.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import WebSocket, { WebSocketServer } from 'ws';
import { buildApp } from '../src/app.ts';
import { createBot } from '../src/bot.ts';
import { readConfig } from '../src/config.ts';
import { loadResources } from '../src/i18n/resources.ts';
import { openStore } from '../src/store/open.ts';
import type { Store } from '../src/store/port.ts';
import { percentile } from './support.ts';

/** One customer's answers through atv.revoke-key and back (menu), repeated: every turn changes state. */
const SCRIPT = ['revocar llave', 'ATV clásico', 'sí', 'no funcionó', 'ya lo encontré', 'sí', 'menú'];

interface Load {
  turns: number;
  seconds: number;
  latencies: number[];
}

interface Customer {
  turn(text: string): Promise<number>;
  close(): void;
}

/** Open a customer's WebSocket and say hello; `turn` sends one message and resolves with its latency in ms. */
async function connectCustomer(url: string): Promise<Customer> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/webchat/ws`);
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  let resolveNext: ((m: { t: string }) => void) | undefined;
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as { t: string };
    if (m.t === 'welcome' || m.t === 'bot' || m.t === 'error') resolveNext?.(m);
  });
  const roundTrip = (frame: object) =>
    new Promise<{ t: string }>((r) => {
      resolveNext = r;
      ws.send(JSON.stringify(frame));
    });
  await roundTrip({ t: 'hello', locale: 'es' });
  let i = 0;
  return {
    async turn() {
      const s = performance.now();
      const m = await roundTrip({ t: 'text', text: SCRIPT[i++ % SCRIPT.length], mid: randomUUID() });
      if (m.t !== 'bot') throw new Error(`turn refused: ${JSON.stringify(m)}`);
      return performance.now() - s;
    },
    close: () => ws.close(),
  };
}

/** Peak: every customer connected first, then all send as fast as answers come back. */
async function customers(url: string, n: number, turnsEach: number): Promise<Load> {
  const all = await Promise.all(Array.from({ length: n }, () => connectCustomer(url)));
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    all.map(async (c) => {
      for (let i = 0; i < turnsEach; i++) latencies.push(await c.turn(''));
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  for (const c of all) c.close();
  return { turns: latencies.length, seconds, latencies };
}

/** Paced: n customers connected, turns sent at `rate` per second overall (random phases) for `seconds`. */
async function paced(url: string, n: number, rate: number, seconds: number): Promise<Load> {
  const all = await Promise.all(Array.from({ length: n }, () => connectCustomer(url)));
  const latencies: number[] = [];
  const interval = (n / rate) * 1000;
  const t0 = performance.now();
  await Promise.all(
    all.map(async (c) => {
      await new Promise((r) => setTimeout(r, Math.random() * interval));
      while (performance.now() - t0 < seconds * 1000) {
        const started = performance.now();
        latencies.push(await c.turn(''));
        const wait = interval - (performance.now() - started);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    }),
  );
  for (const c of all) c.close();
  return { turns: latencies.length, seconds: (performance.now() - t0) / 1000, latencies };
}

async function echoBaseline(n: number, roundTrips: number): Promise<number> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', (s) => s.on('message', (d) => s.send(d)));
  await new Promise((r) => wss.once('listening', r));
  const { port } = wss.address() as AddressInfo;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: n }, async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`);
      await new Promise((r) => ws.once('open', r));
      for (let i = 0; i < roundTrips; i++) {
        await new Promise((r) => {
          ws.once('message', r);
          ws.send('{"t":"text","text":"hola"}');
        });
      }
      ws.close();
    }),
  );
  const rate = (n * roundTrips) / ((performance.now() - t0) / 1000);
  await new Promise((r) => wss.close(r));
  return rate;
}

async function run(label: string, store: Store, n: number, turnsEach: number, echo: number): Promise<void> {
  await store.migrate();
  // One client address drives every customer: lift the per-address and per-conversation limits.
  const cfg = readConfig({ PORT: '0', RATE_LIMIT_PER_MINUTE: '10000000', CHAT_BURST: '1000000', CHAT_PER_SECOND: '1000000', NEW_CONVERSATIONS_PER_MINUTE: '0' });
  if (!cfg.ok) throw new Error(cfg.problems.join(', '));
  const resources = loadResources();
  const bot = createBot({ resources });
  const app = await buildApp({ config: cfg.config, store, bot, resources });
  await app.server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const load = await customers(url, n, turnsEach);
  const rate = load.turns / load.seconds;
  console.log(
    `webchat ${label} ${n} customers: ${rate.toFixed(0)} turns/s, p50 ${percentile(load.latencies, 50).toFixed(1)} ms, p99 ${percentile(load.latencies, 99).toFixed(1)} ms, ${((100 * rate) / echo).toFixed(2)}% of bare ws echo`,
  );
  if (n >= 1000) {
    const half = await paced(url, n, rate / 2, 4);
    console.log(
      `webchat ${label} ${n} customers at half the peak (${(rate / 2).toFixed(0)} turns/s offered, ${(half.turns / half.seconds).toFixed(0)} served): p50 ${percentile(half.latencies, 50).toFixed(1)} ms, p99 ${percentile(half.latencies, 99).toFixed(1)} ms`,
    );
  }
  await app.server.close();
}

export async function benchWebchat(): Promise<void> {
  for (const n of [100, 1000]) {
    const echo = await echoBaseline(n, 20);
    console.log(`ws echo ${n} clients: ${echo.toFixed(0)} round trips/s`);
    const turnsEach = n >= 1000 ? 10 : 50;
    const embedded = await openStore({});
    await run('embedded', embedded, n, turnsEach, echo);
    await embedded.close();
    if (process.env.DATABASE_URL) {
      const pgStore = await openStore({ databaseUrl: process.env.DATABASE_URL, schema: `bench_${process.pid}` });
      await run('postgres', pgStore, n, turnsEach, echo);
      await pgStore.close();
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchWebchat();
