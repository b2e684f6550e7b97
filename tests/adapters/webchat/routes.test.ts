// The web chat's WebSocket against the real server: new conversations per address are limited, resuming is not, and refusals are counted.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../src/adapters/webchat/protocol.ts';
import { startServer, type TestServer } from '../../support/server.ts';

/** A raw socket that records every frame, so a test can wait for the one it expects (never a fixed sleep). */
async function rawSocket(url: string) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/webchat/ws`);
  const received: ServerMessage[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    received.push(JSON.parse(String(data)) as ServerMessage);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  /** Resolves once `count` frames have arrived in all. */
  const frames = (count: number, ms = 10_000) =>
    new Promise<ServerMessage[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${count} frames, got ${JSON.stringify(received)}`)), ms);
      const check = () => {
        if (received.length >= count) {
          clearTimeout(timer);
          resolve(received.slice(0, count));
        } else waiters.push(check);
      };
      check();
    });
  const hello = (token?: string) => ws.send(JSON.stringify({ t: 'hello', locale: 'es', ...(token ? { token } : {}) }));
  return { ws, received, frames, hello, close: () => ws.close() };
}

describe('web chat: new conversations per address', () => {
  let server: TestServer;
  let clock = Date.now();

  beforeAll(async () => {
    // The clock only moves when a test moves it, so no budget refills behind a test's back.
    server = await startServer({ env: { NEW_CONVERSATIONS_PER_MINUTE: '3', CHAT_BURST: '5', CHAT_PER_SECOND: '1' }, options: { now: () => clock } });
  });
  afterAll(async () => server?.close());

  it('refuses a fourth new conversation in a minute, from one socket or another, lets a known token resume, and counts the refusals', async () => {
    const a = await rawSocket(server.url);
    for (let i = 0; i < 4; i++) a.hello();
    const got = await a.frames(4);
    const welcomes = got.filter((m): m is Extract<ServerMessage, { t: 'welcome' }> => m.t === 'welcome');
    expect(welcomes).toHaveLength(3);
    expect(new Set(welcomes.map((w) => w.token)).size).toBe(3);
    expect(got[3]).toMatchObject({ t: 'error', code: 'conversations.rate-limited' });
    const refusal = got[3] as Extract<ServerMessage, { t: 'error' }>;
    expect(refusal.retryAfter).toBeGreaterThanOrEqual(1);
    expect(refusal.retryAfter).toBeLessThanOrEqual(60);

    // Another socket from the same address gets no fresh budget; an unknown token would create, so it is refused too.
    const b = await rawSocket(server.url);
    b.hello();
    b.hello('not-a-token-we-gave');
    const [fresh, unknown] = await b.frames(2);
    expect(fresh).toMatchObject({ t: 'error', code: 'conversations.rate-limited' });
    expect(unknown).toMatchObject({ t: 'error', code: 'conversations.rate-limited' });

    // A widget coming back with its token resumes its conversation, budget or not.
    const first = welcomes[0] as Extract<ServerMessage, { t: 'welcome' }>;
    b.hello(first.token);
    const [, , resumed] = await b.frames(3);
    expect(resumed).toMatchObject({ t: 'welcome', token: first.token });

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/llavero_refused_total\{[^}]*reason="new-conversations"[^}]*\} 3/);

    // A minute later the address may start conversations again.
    clock += 60_000;
    b.hello();
    const [, , , again] = await b.frames(4);
    expect(again).toMatchObject({ t: 'welcome' });
    expect((again as Extract<ServerMessage, { t: 'welcome' }>).token).not.toBe(first.token);
    a.close();
    b.close();
  });

  it('every error about a message carries its id, so the widget can mark that message', async () => {
    clock += 60_000;
    const c = await rawSocket(server.url);
    c.hello();
    await c.frames(1);
    c.ws.send(JSON.stringify({ t: 'launch', mid: 'm-unknown' }));
    c.ws.send(JSON.stringify({ t: 'text', mid: 'm-bad', text: { not: 'text' } }));
    const [, unknown, field] = await c.frames(3);
    expect(unknown).toEqual({ t: 'error', code: 'protocol.unknown', mid: 'm-unknown' });
    expect(field).toEqual({ t: 'error', code: 'protocol.field', mid: 'm-bad' });
    // The socket's burst is 5 and the hello took one: the fifth message is refused, by id.
    for (let i = 1; i <= 5; i++) c.ws.send(JSON.stringify({ t: 'text', mid: `m${i}`, text: 'hola' }));
    const deadline = Date.now() + 10_000;
    while (!c.received.some((m) => m.t === 'error' && m.mid === 'm5') && Date.now() < deadline) await c.frames(c.received.length + 1);
    expect(c.received.filter((m) => m.t === 'ack').map((m) => (m as { mid: string }).mid)).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(c.received.find((m) => m.t === 'error' && m.mid === 'm5')).toEqual({ t: 'error', code: 'rate-limited', mid: 'm5' });
    c.close();
  });
});
