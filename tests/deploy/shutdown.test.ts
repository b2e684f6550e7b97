/**
 * SIGTERM in the middle of web chat traffic: the process drains and exits 0, no message it
 * acknowledged is lost, none is applied twice, and the clients carry on with the next process.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { randomPort, spawnServer, type ServerProcess } from '../support/process.ts';
import { waitFor } from '../support/wait.ts';

const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) console.warn('\n*** SKIPPED: SIGTERM during traffic on PostgreSQL — set DATABASE_URL (.ci/run does) ***\n');

/** A widget-like client: keeps a token, resends what was not acknowledged after every reconnect. */
class Customer {
  token?: string;
  readonly unacked = new Map<string, string>();
  readonly acked = new Set<string>();
  readonly closeCodes: number[] = [];
  ackedAfterRestart = 0;
  restarted = false;
  private ws?: WebSocket;
  private stopped = false;

  constructor(
    private readonly url: () => string,
    readonly name: string,
  ) {}

  connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(`${this.url().replace(/^http/, 'ws')}/api/webchat/ws`);
    this.ws = ws;
    ws.on('open', () => ws.send(JSON.stringify({ t: 'hello', token: this.token, locale: 'es' })));
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { t: string; token?: string; mid?: string };
      if (m.t === 'welcome') {
        this.token = m.token;
        for (const frame of this.unacked.values()) ws.send(frame);
      } else if (m.t === 'ack' && m.mid && this.unacked.delete(m.mid)) {
        this.acked.add(m.mid);
        if (this.restarted) this.ackedAfterRestart++;
      }
    });
    ws.on('close', (code) => {
      this.closeCodes.push(code);
      if (!this.stopped) setTimeout(() => this.connect(), code === 1012 ? 50 : 200);
    });
    ws.on('error', () => undefined);
  }

  send(n: number): void {
    const mid = randomUUID();
    const frame = JSON.stringify({ t: 'text', mid, text: `${this.name} mensaje ${n}` });
    this.unacked.set(mid, frame);
    if (this.ws?.readyState === WebSocket.OPEN && this.token) this.ws.send(frame);
  }

  stop(): void {
    this.stopped = true;
    this.ws?.close();
  }
}

describe.skipIf(!DATABASE_URL)('SIGTERM during a burst of web chat traffic', () => {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  const schema = `shutdown_${process.pid}_${Date.now()}`;
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('loses no acknowledged message, applies none twice, and the clients continue on a new process', async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const db = new URL(DATABASE_URL as string);
    db.searchParams.set('options', `-c search_path=${schema}`);
    const env = { DATABASE_URL: db.toString(), CHAT_BURST: '100000', CHAT_PER_SECOND: '100000', RATE_LIMIT_PER_MINUTE: '100000', SHUTDOWN_TIMEOUT_MS: '20000' };
    const port = randomPort();
    let current: ServerProcess = await spawnServer(env, port);
    const customers = Array.from({ length: 20 }, (_, i) => new Customer(() => current.url, `c${i}`));
    for (const c of customers) c.connect();
    await expect.poll(() => customers.every((c) => c.token !== undefined), { timeout: 10_000 }).toBe(true);

    // Every customer sends a message every ~20 ms, before, during and after the restart.
    let n = 0;
    const sent: string[] = [];
    const traffic = setInterval(() => {
      for (const c of customers) {
        c.send(n);
        sent.push(`${c.name} mensaje ${n}`);
      }
      n++;
    }, 20);

    try {
      // SIGTERM lands in the middle of traffic that is being acknowledged, however slowly a busy machine serves it.
      await waitFor(() => customers.reduce((k, c) => k + c.acked.size, 0) > 100, { timeoutMs: 30_000, what: '100 acknowledged messages before SIGTERM' });
      const closesBefore = customers.map((c) => c.closeCodes.length);
      // Exit 0 is the drain finishing within SHUTDOWN_TIMEOUT_MS: past it, main.ts exits 1 with work in flight.
      expect(await current.kill('SIGTERM')).toBe(0);
      // Widgets were told "service restart", not dropped (their close events may come in after the exit does).
      await waitFor(() => customers.every((c, i) => c.closeCodes.length > (closesBefore[i] ?? 0)), { what: 'every widget to see its connection close' });
      expect(customers.map((c, i) => c.closeCodes[closesBefore[i] ?? 0])).toEqual(customers.map(() => 1012));

      for (const c of customers) c.restarted = true;
      current = await spawnServer(env, port);
      // Traffic goes on until every customer has been answered by the new process.
      await waitFor(() => customers.every((c) => c.ackedAfterRestart > 0), { timeoutMs: 30_000, what: 'every customer acknowledged by the new process' });
    } finally {
      clearInterval(traffic);
    }
    // Everything sent is eventually acknowledged, by one process or the other.
    await expect.poll(() => customers.reduce((k, c) => k + c.unacked.size, 0), { timeout: 30_000 }).toBe(0);
    for (const c of customers) c.stop();
    expect(await current.kill('SIGTERM')).toBe(0);

    const rows = await admin.query<{ text: string }>(`SELECT body->>'text' AS text FROM ${schema}.messages WHERE direction = 'in'`);
    const stored = rows.rows.map((r) => r.text);
    // Exactly the messages sent: none lost, none twice.
    expect(stored.length).toBe(sent.length);
    expect(new Set(stored).size).toBe(stored.length);
    expect(new Set(stored)).toEqual(new Set(sent));
  }, 150_000);
});
