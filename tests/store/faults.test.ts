// The real server on PostgreSQL through a TCP proxy that cuts and stalls its connections, under web chat load.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.ts';
import { isStoreUnavailable } from '../../src/store/port.ts';
import { randomPort, spawnServer, type ServerProcess } from '../support/process.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { dropSchemas, newConversation, schemaName, turn } from './support.ts';

const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) console.warn('\n*** SKIPPED: database fault tests — set DATABASE_URL (.ci/run does) ***\n');

/** Waits until `cond` holds, checking every 50 ms; fails with `what` after `ms`. */
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Customer {
  acked: string[];
  refused: number;
  stop(): Promise<void>;
}

/**
 * A customer typing without pause: one message at a time, the next as soon as the last was
 * acknowledged or refused (or got no answer in 20 s). `acked` is what the server promised to keep.
 */
async function customer(baseUrl: string, name: string): Promise<Customer> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/webchat/ws`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let settle: ((m: { t: string; mid?: string }) => void) | undefined;
  ws.on('message', (data) => settle?.(JSON.parse(String(data)) as { t: string; mid?: string }));
  const welcomed = new Promise<void>((resolve) => (settle = (m) => m.t === 'welcome' && resolve()));
  ws.send(JSON.stringify({ t: 'hello', locale: 'en' }));
  await welcomed;
  const acked: string[] = [];
  let refused = 0;
  let running = true;
  const loop = (async () => {
    for (let i = 0; running && ws.readyState === ws.OPEN; i++) {
      const mid = randomUUID();
      const text = `${name} message ${i}`;
      const outcome = await new Promise<'ack' | 'refused'>((resolve) => {
        const timer = setTimeout(() => resolve('refused'), 20_000);
        // One message in flight: an error without a mid (an unexpected failure) is this one's.
        settle = (m) => {
          if (m.t === 'ack' && m.mid === mid) {
            clearTimeout(timer);
            resolve('ack');
          } else if (m.t === 'error' && (m.mid === undefined || m.mid === mid)) {
            clearTimeout(timer);
            resolve('refused');
          }
        };
        ws.send(JSON.stringify({ t: 'text', mid, text }));
      });
      if (outcome === 'ack') acked.push(text);
      else refused++;
    }
  })();
  return {
    acked,
    get refused() {
      return refused;
    },
    async stop() {
      running = false;
      await loop;
      ws.close();
    },
  };
}

describe.skipIf(!DATABASE_URL)('the server on a PostgreSQL whose connections are cut and stalled', () => {
  const schema = `faults_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  let proxy: TcpProxy;
  let server: ServerProcess;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const direct = new URL(DATABASE_URL as string);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const url = new URL(DATABASE_URL as string);
    url.host = `127.0.0.1:${proxy.port}`;
    url.searchParams.set('options', `-c search_path=${schema}`);
    // The per-conversation limit is lifted: the load, not the rate limit, is the subject.
    server = await spawnServer({ DATABASE_URL: url.toString(), CHAT_BURST: '100000', CHAT_PER_SECOND: '100000', READY_TIMEOUT_MS: '1000' }, randomPort());
  }, 60_000);

  afterAll(async () => {
    await server?.kill();
    await proxy?.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('20 cuts under load: the process stays up and every acknowledged message is in the transcript', async () => {
    const customers = await Promise.all(['ana', 'beto', 'carla', 'dani'].map((n) => customer(server.url, n)));
    const acks = () => customers.reduce((n, c) => n + c.acked.length, 0);
    let cuts = 0;
    for (let i = 0; i < 20; i++) {
      // Cut while turns are flowing: wait for fresh acknowledgements since the last cut.
      const before = acks();
      await until(() => {
        if (server.child.exitCode !== null) throw new Error(`the server died after cut ${i}: ${server.output()}`);
        return acks() >= before + 3;
      }, `traffic after cut ${i}`);
      if (proxy.cut() > 0) cuts++;
      expect(server.child.exitCode, server.output()).toBe(null);
    }
    const after = acks();
    await until(() => acks() >= after + 10, 'traffic after the last cut');
    await Promise.all(customers.map((c) => c.stop()));

    expect(cuts).toBe(20);
    expect(server.child.exitCode, server.output()).toBe(null);
    expect(server.output()).not.toMatch(/Unhandled 'error' event/);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    const rows = await admin.query<{ text: string }>(`SELECT COALESCE(body->>'text', body->>'display') AS text FROM ${schema}.messages WHERE direction = 'in'`);
    const stored = new Set(rows.rows.map((r) => r.text));
    const lost = customers.flatMap((c) => c.acked).filter((t) => !stored.has(t));
    expect(lost).toEqual([]);
    expect(acks()).toBeGreaterThan(60);
    console.info(`faults: ${cuts} cuts, ${acks()} messages acknowledged, ${customers.reduce((n, c) => n + c.refused, 0)} refused, ${lost.length} lost`);
  }, 240_000);

  it('while the database stalls /readyz answers 503 within 2 s, and 200 again by itself after', async () => {
    await until(async () => (await fetch(`${server.url}/readyz`)).status === 200, 'ready before the stall');
    proxy.stall();
    try {
      // Twice: the second while the first probe is still stuck on the stalled connection.
      for (let i = 0; i < 2; i++) {
        const started = performance.now();
        const r = await fetch(`${server.url}/readyz`);
        const ms = performance.now() - started;
        expect(r.status).toBe(503);
        expect(((await r.json()) as { reasons?: string[] }).reasons).toContain('store unreachable');
        expect(ms).toBeLessThan(2_000);
      }
    } finally {
      proxy.resume();
    }
    await until(async () => (await fetch(`${server.url}/readyz`)).status === 200, 'ready after the stall', 30_000);
    expect(server.child.exitCode).toBe(null);
  }, 90_000);
});

describe.skipIf(!DATABASE_URL)('the store on a PostgreSQL that stalls and drops connections', () => {
  const schema = schemaName('faults_store');
  let proxy: TcpProxy;
  let url: string;
  beforeAll(async () => {
    const direct = new URL(DATABASE_URL as string);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const u = new URL(DATABASE_URL as string);
    u.host = `127.0.0.1:${proxy.port}`;
    url = u.toString();
  });
  afterAll(async () => {
    await proxy?.close();
    await dropSchemas(DATABASE_URL as string, [schema]);
  });

  it('answers a stalled commit with a coded store.unavailable in bounded time, a stalled health probe with unreachable, and recovers', async () => {
    const store = await openStore({ databaseUrl: url, schema, queryTimeoutMs: 500, connectTimeoutMs: 500 });
    try {
      await store.migrate();
      const c = newConversation();
      expect((await store.createConversation(c)).ok).toBe(true);
      proxy.stall();
      const started = performance.now();
      const [commit, health] = await Promise.all([store.commitTurn(turn(c.id, 1, 'stalled')).then(
        () => 'committed',
        (err: unknown) => err,
      ), store.health({ timeoutMs: 300 })]);
      expect(health.reachable).toBe(false);
      expect(isStoreUnavailable(commit)).toBe(true);
      expect(commit).toMatchObject({ code: 'store.unavailable' });
      // Bounded by the statement timeout, the in-doubt lookup and the retry window, not by the stall.
      expect(performance.now() - started).toBeLessThan(20_000);
      proxy.resume();
      await until(async () => (await store.health()).reachable, 'reachable again');
      // The stalled turn may or may not have landed (its outcome was unknown); the next one applies on whichever version is there.
      const now = await store.getConversation(c.id);
      expect((await store.commitTurn(turn(c.id, now?.version ?? 1, 'after'))).ok).toBe(true);
    } finally {
      proxy.resume();
      await store.close();
    }
  }, 60_000);

  it.each([
    { deliver: true, what: 'the COMMIT reached the server and only its answer was lost: the server says it committed' },
    { deliver: false, what: 'the COMMIT never reached the server: the server says it aborted, and the batch is written again' },
  ])('a turn whose connection dies at COMMIT is applied exactly once ($what)', async ({ deliver }) => {
    const store = await openStore({ databaseUrl: url, schema });
    try {
      await store.migrate();
      const c = newConversation();
      expect((await store.createConversation(c)).ok).toBe(true);
      const cut = proxy.cutOn('COMMIT', { deliver });
      const r = await store.commitTurn(turn(c.id, 1, `at-commit-${String(deliver)}`));
      await cut;
      expect(r).toMatchObject({ ok: true, version: 2 });
      const lines = await store.transcript(c.id);
      expect(lines.filter((l) => l.direction === 'in').map((l) => (l.body as { text: string }).text)).toEqual([`at-commit-${String(deliver)}`]);
      expect((await store.getConversation(c.id))?.version).toBe(2);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('writes a batch again when its connection is cut before COMMIT', async () => {
    const store = await openStore({ databaseUrl: url, schema });
    try {
      await store.migrate();
      const c = newConversation();
      expect((await store.createConversation(c)).ok).toBe(true);
      let version = 1;
      let cuts = 0;
      for (let i = 0; i < 30; i++) {
        const pending = store.commitTurn(turn(c.id, version, `m${i}`));
        // Cut while the batch is on its way (some cuts land between statements, some before the batch starts).
        if (i % 3 === 0 && proxy.cut() > 0) cuts++;
        const r = await pending.catch((err: unknown) => err);
        if (isStoreUnavailable(r)) {
          // Outcome unknown: read what is there and go on from it, as the chat service does.
          version = (await store.getConversation(c.id))?.version ?? version;
          continue;
        }
        expect(r).toMatchObject({ ok: true });
        version = (r as { version: number }).version;
      }
      expect(cuts).toBeGreaterThan(0);
      const lines = await store.transcript(c.id, { limit: 1000 });
      // Every acknowledged turn is there, once.
      const texts = lines.filter((l) => l.direction === 'in').map((l) => (l.body as { text: string }).text);
      expect(new Set(texts).size).toBe(texts.length);
    } finally {
      await store.close();
    }
  }, 60_000);
});
