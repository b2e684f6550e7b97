// /metrics and /readyz of a running server, after real traffic: turns, certificate outcomes, refusals, sockets, the handoff queue.
import { readFileSync } from 'node:fs';
import parse, { type MetricFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { postEvent } from '../support/slack-signing.ts';
import { connect } from '../support/ws-client.ts';

const SANDBOX = readFileSync(new URL('../fixtures/public/cr-hacienda/johann04-sandbox-cpf-0205860860.p12', import.meta.url));

describe('metrics and readiness of a running server', () => {
  let server: TestServer;
  let fake: FakeSlack;
  beforeAll(async () => {
    fake = await startFakeSlack();
    server = await startServer({ env: { SLACK_BOT_TOKEN: 'xoxb-0000000000-fake-bot-token', SLACK_SIGNING_SECRET: 'sig', SLACK_API_URL: fake.url, CHAT_BURST: '1000', CHAT_PER_SECOND: '1000' } });
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  const scrape = async (): Promise<MetricFamily[]> => parse(await (await fetch(`${server.url}/metrics`)).text());
  const value = (families: MetricFamily[], name: string, labels: Record<string, string> = {}): number =>
    (families.find((f) => f.name === name)?.metrics ?? [])
      .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
      .reduce((n, m) => n + Number(m.value), 0);

  it('is ready, and says which channels are on', async () => {
    const r = await fetch(`${server.url}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ok: true, store: 'reachable', channels: { webchat: 'on', slack: 'on', teams: 'off' } });
  });

  it('counts turns by channel and procedure, certificate outcomes, refusals, open sockets and the handoff queue', async () => {
    const started = Date.now();
    const before = await scrape();
    const c = await connect(server.url);
    expect(value(await scrape(), 'llavero_websocket_connections')).toBe(value(before, 'llavero_websocket_connections') + 1);
    for (const text of ['generar llave criptográfica nueva', 'ATV clásico', 'Sí, funcionó', 'Sí, funcionó', 'Sí, funcionó', 'plataforma', 'Sí, funcionó', 'Sí, funcionó', 'Sí, lo tengo', 'Sí', '02-0586-0860']) {
      await c.say({ t: 'text', text });
    }
    await c.say({ t: 'file', name: 'johann04-sandbox-cpf-0205860860.p12', data: SANDBOX.toString('base64') });
    await c.say({ t: 'secret', text: '0000' });
    await c.say({ t: 'text', text: 'quiero hablar con una persona' });
    // A frame that is not JSON is refused before any turn.
    await new Promise<void>((resolve) => {
      void c.send({ t: 'nonsense' }).catch(() => resolve());
    });
    expect((await postEvent(`${server.url}/slack/events`, { type: 'event_callback' }, { signingSecret: 'forged' })).status).toBe(401);

    const after = await scrape();
    // The greeting that opened the conversation, 11 typed answers, the file, the PIN and the request for a person.
    expect(value(after, 'llavero_turns_total', { channel: 'webchat' }) - value(before, 'llavero_turns_total', { channel: 'webchat' })).toBe(15);
    expect(value(after, 'llavero_turns_total', { channel: 'webchat', flow: 'verify-certificate' })).toBeGreaterThanOrEqual(2);
    expect(value(after, 'llavero_certificate_checks_total', { verdict: 'fail' })).toBe(1);
    expect(value(after, 'llavero_certificate_check_failures_total', { check: 'secret.correct' })).toBe(1);
    expect(value(after, 'llavero_refused_total', { channel: 'slack', reason: 'bad_signature' })).toBe(1);
    expect(value(after, 'llavero_refused_total', { channel: 'webchat', reason: 'protocol.unknown' })).toBe(1);
    expect(value(after, 'llavero_handoff_queue_length')).toBe(1);
    // The wait is counted from when the customer asked, which was during this test.
    const oldest = value(after, 'llavero_handoff_queue_oldest_seconds');
    expect(oldest).toBeGreaterThanOrEqual(0);
    expect(oldest).toBeLessThanOrEqual((Date.now() - started) / 1000);
    c.close();
    await expect.poll(async () => value(await scrape(), 'llavero_websocket_connections')).toBe(value(before, 'llavero_websocket_connections'));
  });
});
