// Handoff latency: how long from a customer's "talk to a person" until their conversation is in the agents' queue,
// with 50 agents on the live console (Server-Sent Events) and 500 customers chatting with the bot meanwhile.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { createAccounts } from '../src/accounts/accounts.ts';
import { buildApp } from '../src/app.ts';
import { createBot } from '../src/bot.ts';
import { readConfig } from '../src/config.ts';
import { loadResources } from '../src/i18n/resources.ts';
import { openStore } from '../src/store/open.ts';
import type { SqlStore } from '../src/store/sql-store.ts';
import { openSse, type SseClient, type SseEvent } from '../tests/support/sse.ts';
import { onFreshPostgres, percentile } from './support.ts';

const AGENTS = 50;
const CUSTOMERS = 500;
/** Background chatter: turns per second offered by the 500 customers together. */
const CHATTER_PER_SECOND = 250;
const REQUESTS = 60;
const SCRIPT = ['revocar llave', 'ATV clásico', 'sí', 'no funcionó', 'ya lo encontré', 'sí', 'menú'];

interface Customer {
  send(text: string): void;
  close(): void;
}

async function customer(url: string): Promise<Customer> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/webchat/ws`);
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const welcome = new Promise((r) => ws.once('message', r));
  ws.send(JSON.stringify({ t: 'hello', locale: 'es' }));
  await welcome;
  return {
    send: (text) => ws.send(JSON.stringify({ t: 'text', text, mid: randomUUID() })),
    close: () => ws.close(),
  };
}

async function run(label: string, store: SqlStore): Promise<void> {
  await store.migrate();
  const cfg = readConfig({ PORT: '0', TRUST_PROXY: '1', RATE_LIMIT_PER_MINUTE: '10000000', CHAT_BURST: '1000000', CHAT_PER_SECOND: '1000000', NEW_CONVERSATIONS_PER_MINUTE: '0' });
  if (!cfg.ok) throw new Error(cfg.problems.join(', '));
  const resources = loadResources();
  const bot = createBot({ resources });
  const accounts = createAccounts(store.sql);
  const app = await buildApp({ config: cfg.config, store, bot, resources, accounts });
  await app.server.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.server.address() as AddressInfo).port}`;

  // 50 agents signed in (each from its own address, past the login rate limit) with the console's event stream open.
  const agents: Array<{ cookie: string; sse: SseClient }> = [];
  for (let i = 0; i < AGENTS; i++) {
    await accounts.addUser({ email: `agent${i}@bench.example`, name: `Agent ${i}`, role: 'agent', password: 'bench password 123' });
    const r = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.${i >> 8}.${i & 255}` },
      body: JSON.stringify({ email: `agent${i}@bench.example`, password: 'bench password 123' }),
    });
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    agents.push({ cookie, sse: await openSse(`${url}/api/agent/events`, { cookie }) });
  }

  const all = await Promise.all(Array.from({ length: CUSTOMERS }, () => customer(url)));
  let stop = false;
  const interval = (CUSTOMERS / CHATTER_PER_SECOND) * 1000;
  const chatter = all.slice(REQUESTS).map(async (c, k) => {
    await new Promise((r) => setTimeout(r, Math.random() * interval));
    for (let i = k; !stop; i++) {
      c.send(SCRIPT[i % SCRIPT.length] as string);
      await new Promise((r) => setTimeout(r, interval));
    }
  });
  await new Promise((r) => setTimeout(r, 1_000));

  // One request at a time (so each notice is unambiguous), 100 ms apart, from customers mid-procedure.
  const toAllAgents: number[] = [];
  const visible: number[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < REQUESTS; i++) {
    const c = all[i] as Customer;
    c.send('revocar llave');
    await new Promise((r) => setTimeout(r, 50));
    const marks = agents.map((a) => a.sse.events.length);
    const t0 = performance.now();
    c.send('quiero hablar con una persona');
    // The console learns of it by its event stream, then reads the queue (what an agent sees).
    const fresh = (a: number) => (e: SseEvent) => (agents[a]?.sse.events.indexOf(e) ?? -1) >= (marks[a] ?? 0) && e.event === 'conversation' && !seen.has((JSON.parse(e.data) as { id: string }).id);
    const first = await (agents[0] as { sse: SseClient }).sse.waitFor(fresh(0), 10_000);
    const id = (JSON.parse(first.data) as { id: string }).id;
    const queue = (await (await fetch(`${url}/api/agent/queue`, { headers: { cookie: agents[0]?.cookie ?? '' } })).json()) as { queue: Array<{ id: string }> };
    if (!queue.queue.some((q) => q.id === id)) throw new Error('notified conversation is not in the queue');
    visible.push(performance.now() - t0);
    const arrivals = await Promise.all(agents.map((a, k) => a.sse.waitFor(fresh(k), 10_000)));
    for (const e of arrivals) toAllAgents.push(e.at - t0);
    seen.add(id);
    await new Promise((r) => setTimeout(r, 100));
  }
  stop = true;
  await Promise.all(chatter);
  const f = (xs: number[]) => `median ${percentile(xs, 50).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms`;
  console.log(`handoff ${label}, ${AGENTS} agents on the console, ${CUSTOMERS} customers chatting (~${CHATTER_PER_SECOND} turns/s):`);
  console.log(`  "talk to a person" → the queue notice at each of the ${AGENTS} agents (${toAllAgents.length} deliveries): ${f(toAllAgents)}`);
  console.log(`  "talk to a person" → in the queue an agent reads (notice + GET /api/agent/queue, ${visible.length} requests): ${f(visible)}`);
  for (const c of all) c.close();
  for (const a of agents) a.sse.close();
  await app.shutdown();
}

export async function benchHandoff(): Promise<void> {
  const embedded = await openStore({});
  try {
    await run('embedded store', embedded);
  } finally {
    await embedded.close();
  }
  await onFreshPostgres('handoff PostgreSQL', 'bench_handoff', (store) => run('PostgreSQL', store));
}
