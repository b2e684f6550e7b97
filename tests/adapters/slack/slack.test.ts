/**
 * The Slack channel end to end: real @slack/bolt and @slack/web-api in our server, a local fake of
 * Slack's Web API, and signed Events API / interactivity requests shaped like Slack's own.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SLACK_APP } from '../../../src/adapters/slack/slack.ts';
import { createAccounts } from '../../../src/accounts/accounts.ts';
import { openStore } from '../../../src/store/open.ts';
import type { SqlStore } from '../../../src/store/sql-store.ts';
import { startFakeSlack, type FakeSlack, type RecordedCall } from '../../support/fake-slack.ts';
import { startServer, type TestServer } from '../../support/server.ts';
import { postEvent, postInteraction, type SlackPostOptions } from '../../support/slack-signing.ts';
import { signIn } from '../../support/staff.ts';

const SIGNING_SECRET = 'llavero-test-signing-secret';
const FIXTURES = new URL('../../fixtures/public/', import.meta.url);
const SANDBOX_NAME = 'johann04-sandbox-cpf-0205860860.p12';
const SANDBOX = new Uint8Array(readFileSync(new URL(`cr-hacienda/${SANDBOX_NAME}`, FIXTURES)));
const CORPUS_AES = new Uint8Array(readFileSync(new URL('pkcs12-corpus/pbes2-aes256-hmacsha1.p12', FIXTURES)));
const CORPUS_PASSWORD = 'Red Hat Enterprise Linux 7.4';

type Json = Record<string, unknown>;
const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(`../../fixtures/slack/${name}.json`, import.meta.url), 'utf8')) as Json;
const ev = (body: Json): Json => body.event as Json;

let seq = 0;
const unique = () => `${Date.now()}${String(++seq).padStart(4, '0')}`;
const slackTs = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;

/** A customer in a DM, or in a thread of a channel. */
interface Where {
  user: string;
  channel: string;
  thread?: string;
}

interface Shown {
  ts: string;
  text: string;
  blocks: Json[];
  call: RecordedCall;
}

describe('Slack adapter', () => {
  let fake: FakeSlack;
  let server: TestServer;
  let store: SqlStore;
  const signed = (extra: Partial<SlackPostOptions> = {}): SlackPostOptions => ({ signingSecret: SIGNING_SECRET, ...extra });
  const eventsUrl = () => `${server.url}/slack/events`;

  async function start(opts: { apiUrl?: string; now?: () => number } = {}): Promise<TestServer> {
    return startServer({
      store,
      env: { SLACK_BOT_TOKEN: 'xoxb-0000000000-fake-bot-token', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: opts.apiUrl ?? fake.url },
      options: {
        slackOptions: { retryConfig: { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 50 }, outboxIntervalMs: 200 },
        ...(opts.now ? { now: opts.now } : {}),
      },
    });
  }

  beforeAll(async () => {
    fake = await startFakeSlack();
    store = await openStore({});
    await store.migrate();
    server = await start();
    fake.addUser({ id: 'U0ES', locale: 'es-LA' });
    fake.addUser({ id: 'U0EN', locale: 'en-US' });
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
    await fake?.close();
  });
  afterEach(async () => server.app.slack?.idle());

  /** Wait until every reply the server has committed is posted. */
  const settle = async (s: TestServer = server) => {
    await s.app.slack?.idle();
  };

  /** Our messages in a DM or thread, oldest first, with the blocks as last updated. */
  function shown(w: Where): Shown[] {
    const updates = new Map<string, Json[]>();
    for (const c of fake.calls) if (c.method === 'chat.update' && c.ok) updates.set(String(c.args.ts), c.args.blocks as Json[]);
    return fake
      .posted()
      .filter((c) => c.args.channel === w.channel && (w.thread === undefined || c.args.thread_ts === w.thread))
      .map((c) => {
        const ts = String((c.response as { ts?: unknown }).ts);
        return { ts, text: String(c.args.text ?? ''), blocks: updates.get(ts) ?? (c.args.blocks as Json[]), call: c };
      });
  }
  const everything = (w: Where) => shown(w).map((m) => `${m.text}\n${JSON.stringify(m.blocks)}`).join('\n');
  /** What the last turn said: our newest messages (a step's prompt and its buttons can be two). */
  const lastText = (w: Where, n = 2) =>
    shown(w)
      .slice(-n)
      .map((m) => `${m.text}\n${JSON.stringify(m.blocks)}`)
      .join('\n');

  async function send(body: Json, opts: Partial<SlackPostOptions> = {}): Promise<number> {
    const r = await postEvent(eventsUrl(), body, signed(opts));
    await settle();
    return r.status;
  }

  /** The customer writes a message in the DM or in the thread. */
  async function say(w: Where, text: string): Promise<void> {
    const body = fixture(w.thread ? 'message_channel_thread' : 'message_im');
    body.event_id = `Ev${unique()}`;
    Object.assign(ev(body), { user: w.user, channel: w.channel, text, ts: slackTs(), ...(w.thread ? { thread_ts: w.thread } : {}) });
    delete ev(body).blocks;
    expect(await send(body)).toBe(200);
  }

  /** The customer shares a file in the DM. */
  async function share(w: Where, file: { id: string; name: string; size: number }): Promise<void> {
    const body = fixture('message_im_file_share');
    body.event_id = `Ev${unique()}`;
    const e = ev(body);
    Object.assign(e, { user: w.user, channel: w.channel, ts: slackTs() });
    const f = (e.files as Json[])[0] as Json;
    Object.assign(f, { id: file.id, name: file.name, title: file.name, size: file.size });
    expect(await send(body)).toBe(200);
  }

  /** The live button with this label on our newest message that has it. */
  function button(w: Where, label: string | RegExp): { message: Shown; element: Json; block: Json } {
    for (const m of [...shown(w)].reverse()) {
      for (const block of m.blocks) {
        if (block.type !== 'actions') continue;
        for (const element of block.elements as Json[]) {
          const text = String((element.text as Json).text);
          if (typeof label === 'string' ? text === label : label.test(text)) return { message: m, element, block };
        }
      }
    }
    throw new Error(`no live button "${String(label)}"; last message:\n${lastText(w)}`);
  }

  async function click(w: Where, label: string | RegExp): Promise<void> {
    const { message, element, block } = button(w, label);
    const body = fixture('block_actions');
    Object.assign(body, { trigger_id: `trigger-${unique()}` });
    (body.user as Json).id = w.user;
    body.channel = { id: w.channel, name: w.channel.startsWith('D') ? 'directmessage' : 'soporte' };
    body.container = { type: 'message', message_ts: message.ts, channel_id: w.channel, is_ephemeral: false, ...(w.thread ? { thread_ts: w.thread } : {}) };
    body.message = { type: 'message', ts: message.ts, user: 'U0BOT', bot_id: 'B0BOT', text: message.text, blocks: message.blocks, ...(w.thread ? { thread_ts: w.thread } : {}) };
    body.actions = [{ ...element, block_id: block.block_id, action_ts: slackTs() }];
    const r = await postInteraction(eventsUrl(), body, signed());
    expect(r.status).toBe(200);
    await settle();
  }

  /** Press "enter PIN", then type it in the modal that opens and submit. */
  async function enterPin(w: Where, pin: string): Promise<Json> {
    const opened = fake.calls.filter((c) => c.method === 'views.open').length;
    await click(w, /PIN/);
    const views = await fake.waitForCalls('views.open', opened + 1);
    const view = (views.at(-1) as RecordedCall).args.view as Json;
    const body = fixture('view_submission');
    (body.user as Json).id = w.user;
    body.trigger_id = `trigger-${unique()}`;
    body.view = {
      ...(body.view as Json),
      id: `V${unique()}`,
      callback_id: view.callback_id,
      private_metadata: view.private_metadata,
      blocks: view.blocks,
      state: { values: { pin: { pin: { type: 'plain_text_input', value: pin } } } },
    };
    const r = await postInteraction(eventsUrl(), body, signed());
    expect(r.status).toBe(200);
    await settle();
    return view;
  }

  async function transcriptOf(w: Where): Promise<string> {
    const key = w.thread ? `T0LLAVERO:${w.channel}:${w.thread}` : `T0LLAVERO:${w.channel}`;
    const rec = await store.findByChannelKey('slack', key);
    if (!rec) throw new Error(`no conversation ${key}`);
    return (await store.transcript(rec.id)).map((m) => JSON.stringify(m.body)).join('\n');
  }

  it('answers Slack\'s URL verification challenge', async () => {
    const r = await postEvent(eventsUrl(), fixture('url_verification'), signed());
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ challenge: (fixture('url_verification') as { challenge: string }).challenge });
  });

  it('walks a whole atv.generate-key in a Spanish DM with buttons; pressed buttons disappear', async () => {
    const w: Where = { user: 'U0ES', channel: 'D0GENERATE' };
    await say(w, 'hola');
    expect(lastText(w)).toMatch(/Hola! Soy Llavero/);
    await click(w, /Generar una llave criptográfica nueva/);
    // The pressed message now shows the answer, without buttons.
    const first = shown(w)[0] as Shown;
    expect(first.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(first.blocks)).toMatch(/Generar una llave criptográfica nueva/);
    await click(w, /ATV clásico/);
    await click(w, 'Sí, funcionó'); // signed in
    await click(w, 'Sí, funcionó'); // menu found
    expect(everything(w)).toMatch(/PIN/);
    await click(w, 'Sí, funcionó'); // PIN typed twice in Hacienda's page
    await click(w, /plataforma/i);
    await click(w, 'Sí, funcionó'); // Generar
    await click(w, 'Sí, funcionó'); // Aceptar + Descargar
    expect(everything(w)).toMatch(/\.p12/);
    await click(w, 'Sí, lo tengo');
    expect(lastText(w)).toMatch(/revise su archivo/);
    await click(w, 'No');
    await click(w, 'Sí, funcionó'); // loaded into the platform
    expect(lastText(w)).toMatch(/resuelto/);
    await click(w, 'Sí');
    await click(w, '5');
    expect(lastText(w)).toMatch(/Gracias/);
    // Every reply went to the DM, none to a thread, and each in Spanish.
    expect(shown(w).every((m) => m.call.args.thread_ts === undefined)).toBe(true);
    expect(everything(w)).not.toMatch(/\b(common|atv|triage|slack):[\w.-]+/);
  });

  it('a button from an earlier step is answered with where we are now', async () => {
    const w: Where = { user: 'U0ES', channel: 'D0STALE' };
    await say(w, 'hola');
    const old = button(w, /Generar una llave criptográfica nueva/);
    await click(w, /Generar una llave criptográfica nueva/);
    const before = shown(w).length;
    // Slack still shows the old message's buttons to a client that has not refreshed: press one.
    const body = fixture('block_actions');
    Object.assign(body, { trigger_id: `trigger-${unique()}` });
    (body.user as Json).id = w.user;
    body.channel = { id: w.channel };
    body.container = { type: 'message', message_ts: old.message.ts, channel_id: w.channel, is_ephemeral: false };
    body.message = { ts: old.message.ts, blocks: old.message.blocks };
    body.actions = [{ ...old.element, block_id: old.block.block_id, action_ts: slackTs() }];
    expect((await postInteraction(eventsUrl(), body, signed())).status).toBe(200);
    await settle();
    expect(shown(w).length).toBeGreaterThan(before);
    expect(everything(w)).toMatch(/paso anterior|earlier step/i);
  });

  it('centralizes a certificate in English from a channel mention, in its thread, with typed answers and the PIN modal', async () => {
    const mention = fixture('app_mention');
    const ts = slackTs();
    mention.event_id = `Ev${unique()}`;
    Object.assign(ev(mention), { user: 'U0EN', channel: 'C0SUPPORT', ts, event_ts: ts, text: '<@U0BOT> I need help centralizing my certificate at SII' });
    expect(await send(mention)).toBe(200);
    const w: Where = { user: 'U0EN', channel: 'C0SUPPORT', thread: ts };
    expect(shown(w).length).toBeGreaterThan(0);
    expect(everything(w)).toMatch(/certificate/i);
    await click(w, 'Yes, I have the file and its password');
    await say(w, 'yes'); // the legal representative's certificate: typed in the thread, no mention
    await click(w, 'Yes'); // knows the clave tributaria
    for (let i = 0; i < 5; i++) await click(w, 'Yes, it worked');
    expect(lastText(w)).toMatch(/check your certificate file/);
    await click(w, 'Yes');
    await say(w, '16.477.752-9');
    expect(lastText(w)).toMatch(/Attach the certificate file/);

    // The file, shared in the thread.
    fake.addFile({ id: 'F0CORPUS', name: 'firma.p12', bytes: CORPUS_AES });
    const file = fixture('message_channel_thread');
    file.event_id = `Ev${unique()}`;
    Object.assign(ev(file), {
      user: 'U0EN',
      channel: 'C0SUPPORT',
      thread_ts: ts,
      ts: slackTs(),
      text: '',
      subtype: 'file_share',
      files: [{ id: 'F0CORPUS', name: 'firma.p12', size: CORPUS_AES.length, mimetype: 'application/x-pkcs12' }],
    });
    expect(await send(file)).toBe(200);
    expect(fake.downloads).toContain('F0CORPUS');
    const modal = await enterPin(w, CORPUS_PASSWORD);
    expect(modal.type).toBe('modal');
    expect(lastText(w)).toMatch(/RUT/);
    // The password went through the modal: not in the thread, not in our transcript.
    expect(JSON.stringify(fake.calls)).not.toContain(CORPUS_PASSWORD.slice(0, 12) + '"');
    expect(await transcriptOf(w)).not.toContain('Enterprise Linux');
    await click(w, 'Carry on anyway');
    await click(w, 'Yes, it worked'); // «Se guardó archivo OK»
    await click(w, 'No');
    await click(w, 'Not now');
    expect(lastText(w)).toMatch(/solved/);
    await click(w, 'Yes');
    await click(w, '4');
    expect(lastText(w)).toMatch(/Thank/);
    expect(shown(w).every((m) => m.call.args.thread_ts === ts)).toBe(true);
  });

  /** A Spanish DM taken to the certificate check's file step in atv.generate-key. */
  async function toFileStep(channel: string): Promise<Where> {
    const w: Where = { user: 'U0ES', channel };
    await say(w, 'generar llave criptográfica nueva');
    await click(w, /ATV clásico/);
    for (const label of ['Sí, funcionó', 'Sí, funcionó', 'Sí, funcionó']) await click(w, label);
    await click(w, /plataforma/i);
    await click(w, 'Sí, funcionó');
    await click(w, 'Sí, funcionó');
    await click(w, 'Sí, lo tengo');
    await click(w, 'Sí');
    await say(w, '02-0586-0860');
    expect(lastText(w)).toMatch(/\.p12/);
    return w;
  }

  it('checks an uploaded .p12 with the PIN from the modal and reports a sandbox key, without keeping the PIN', async () => {
    const w = await toFileStep('D0CHECK');
    fake.addFile({ id: 'F0SANDBOX', name: SANDBOX_NAME, bytes: SANDBOX });
    await share(w, { id: 'F0SANDBOX', name: SANDBOX_NAME, size: SANDBOX.length });
    expect(lastText(w)).toMatch(/PIN/);
    const view = await enterPin(w, '5678');
    expect(view.callback_id).toBe('llavero.secret');
    const report = shown(w).find((m) => m.blocks.some((b) => b.type === 'header'));
    expect(report).toBeDefined();
    expect(JSON.stringify(report?.blocks)).toMatch(/❌/);
    expect(everything(w)).toMatch(/pruebas|sandbox/i);
    // The PIN as a word: ids and timestamps may contain any four digits.
    expect(await transcriptOf(w)).not.toMatch(/\b5678\b/);
    expect(everything(w)).not.toMatch(/\b5678\b/);
    // The fix the report offers: generate a production key.
    await click(w, /llave/i);
    expect(lastText(w)).toMatch(/Hacienda/);
  });

  /** The conversation's wrong PINs so far, as the server counts them (five lock the check). */
  async function wrongPins(w: Where): Promise<number> {
    const rec = await store.findByChannelKey('slack', `T0LLAVERO:${w.channel}`);
    if (!rec) throw new Error(`no conversation in ${w.channel}`);
    return rec.state.secretFailures.length;
  }

  it('the PIN message offers "talk to a person", "help" and "back" beside "Enter PIN"; "talk to a person" hands over and uses no attempt', async () => {
    const w = await toFileStep('D0PINOUT');
    fake.addFile({ id: 'F0PINOUT', name: SANDBOX_NAME, bytes: SANDBOX });
    await share(w, { id: 'F0PINOUT', name: SANDBOX_NAME, size: SANDBOX.length });
    const pin = button(w, /PIN/);
    const labels = (pin.block.elements as Json[]).map((e) => String((e.text as Json).text));
    expect(labels).toEqual(['Escribir PIN o contraseña', 'Hablar con una persona', 'Ayuda', 'Atrás']);
    await click(w, 'Hablar con una persona');
    expect(lastText(w)).toMatch(/Le paso con una persona/);
    // The pressed message keeps the answer and loses its buttons, "Enter PIN" included.
    const pressed = shown(w).find((m) => m.ts === pin.message.ts) as Shown;
    expect(pressed.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(pressed.blocks)).toMatch(/Hablar con una persona/);
    expect(everything(w)).not.toMatch(/quedan \d+ intentos/);
    expect(await wrongPins(w)).toBe(0);
    // Back to the assistant: the queue is left as it was found (the agent test below counts places in it).
    await click(w, 'Volver al asistente');
    expect((await store.findByChannelKey('slack', `T0LLAVERO:${w.channel}`))?.state.handoff).toBeUndefined();
  });

  it('inside the PIN box, "help" and "talk to a person" reach the conversation as commands; the box says where the answer is', async () => {
    const w = await toFileStep('D0PINBOX');
    fake.addFile({ id: 'F0PINBOX', name: SANDBOX_NAME, bytes: SANDBOX });
    await share(w, { id: 'F0PINBOX', name: SANDBOX_NAME, size: SANDBOX.length });

    /** Open the box and press one of its buttons, as Slack sends it: a block_actions whose container is the view. */
    async function pressInBox(label: string): Promise<Json> {
      const opened = fake.calls.filter((c) => c.method === 'views.open').length;
      await click(w, /PIN/);
      const view = ((await fake.waitForCalls('views.open', opened + 1)).at(-1) as RecordedCall).args.view as Json;
      const row = (view.blocks as Json[]).find((b) => b.type === 'actions') as Json;
      const element = (row.elements as Json[]).find((e) => (e.text as Json).text === label);
      expect(element, `no "${label}" in the PIN box`).toBeDefined();
      const viewId = `V${unique()}`;
      const body = fixture('block_actions_view');
      (body.user as Json).id = w.user;
      body.trigger_id = `trigger-${unique()}`;
      body.container = { type: 'view', view_id: viewId };
      body.view = { ...(body.view as Json), id: viewId, callback_id: view.callback_id, private_metadata: view.private_metadata, blocks: view.blocks };
      body.actions = [{ ...(element as Json), block_id: row.block_id, action_ts: slackTs() }];
      const updates = fake.calls.filter((c) => c.method === 'views.update').length;
      const r = await postInteraction(eventsUrl(), body, signed());
      expect(r.status).toBe(200);
      await settle();
      const update = ((await fake.waitForCalls('views.update', updates + 1)).at(-1) as RecordedCall).args;
      expect(update.view_id).toBe(viewId);
      return update.view as Json;
    }

    const helped = await pressInBox('Ayuda');
    // The box now holds no field, only where to look and "Close".
    expect(JSON.stringify(helped.blocks)).not.toMatch(/plain_text_input/);
    expect(JSON.stringify(helped.blocks)).toMatch(/Le respondemos en la conversación/);
    expect((helped.close as Json).text).toBe('Cerrar');
    expect(helped.submit).toBeUndefined();
    // The help arrived in the DM, and the step still asks for the PIN (a new "Enter PIN" button).
    expect(lastText(w)).toMatch(/Escribir PIN o contraseña/);
    expect(everything(w)).not.toMatch(/quedan \d+ intentos/);

    await pressInBox('Hablar con una persona');
    expect(lastText(w)).toMatch(/Le paso con una persona/);
    expect(await wrongPins(w)).toBe(0);
    expect(await transcriptOf(w)).toMatch(/\/handoff/);
    await click(w, 'Volver al asistente');
    expect((await store.findByChannelKey('slack', `T0LLAVERO:${w.channel}`))?.state.handoff).toBeUndefined();
  });

  it('a wrong PIN says so and offers the PIN box again; a PIN typed in the chat is masked and the customer warned', async () => {
    const w = await toFileStep('D0WRONG');
    fake.addFile({ id: 'F0WRONG', name: SANDBOX_NAME, bytes: SANDBOX });
    await share(w, { id: 'F0WRONG', name: SANDBOX_NAME, size: SANDBOX.length });
    await enterPin(w, '0000');
    expect(everything(w)).toMatch(/4 intentos/);
    expect(button(w, /PIN/)).toBeDefined();
    await say(w, '1111');
    expect(everything(w)).toMatch(/bórrelo del historial/);
    expect(everything(w)).toMatch(/3 intentos/);
    expect(await transcriptOf(w)).not.toMatch(/\b1111\b/);
    expect(await transcriptOf(w)).toContain('••••');
  });

  it('refuses an oversized file without downloading it, and a Slack sign-in page instead of the file', async () => {
    const w = await toFileStep('D0BADFILE');
    fake.addFile({ id: 'F0HUGE', name: 'enorme.p12', bytes: new Uint8Array(16), size: 50 * 1024 * 1024 });
    await share(w, { id: 'F0HUGE', name: 'enorme.p12', size: 50 * 1024 * 1024 });
    expect(lastText(w) + everything(w)).toMatch(/demasiado grande/);
    expect(fake.downloads).not.toContain('F0HUGE');

    // The size Slack declares is small, but the bytes keep coming: cut off while reading.
    fake.addFile({ id: 'F0LIAR', name: 'mentira.p12', bytes: new Uint8Array(200 * 1024), size: 1000 });
    await share(w, { id: 'F0LIAR', name: 'mentira.p12', size: 1000 });
    expect(everything(w)).toMatch(/mentira\.p12.*demasiado grande|demasiado grande.*mentira/s);

    fake.addFile({ id: 'F0HTML', name: 'firma.p12', bytes: SANDBOX, as: 'html' });
    await share(w, { id: 'F0HTML', name: 'firma.p12', size: SANDBOX.length });
    expect(everything(w)).toMatch(/página web/);
    // Still waiting for a file.
    expect(lastText(w)).toMatch(/\.p12/);
  });

  it('after a restart the file is gone from memory and the customer is asked to send it again', async () => {
    const w = await toFileStep('D0RESTART');
    fake.addFile({ id: 'F0RESTART', name: SANDBOX_NAME, bytes: SANDBOX });
    await share(w, { id: 'F0RESTART', name: SANDBOX_NAME, size: SANDBOX.length });
    await server.close();
    server = await start();
    await enterPin(w, '5678');
    expect(lastText(w, 4)).toMatch(/No tengo el archivo/);
    expect(lastText(w)).toMatch(/Adjunte el archivo/);
  });

  it('refuses forged, stale and unsigned requests with 401 and processes nothing', async () => {
    const body = fixture('message_im');
    Object.assign(ev(body), { user: 'U0ES', channel: 'D0FORGED', text: 'hola' });
    const url = eventsUrl();
    const now = Math.floor(Date.now() / 1000);
    const results = [
      await postEvent(url, body, signed({ signature: `v0=${'0'.repeat(64)}` })),
      await postEvent(url, body, { signingSecret: 'not-our-secret' }),
      await postEvent(url, body, signed({ timestampSec: now - 6 * 60 })),
      await postEvent(url, body, signed({ timestampSec: now + 6 * 60 })),
      await postEvent(url, body, signed({ omitHeaders: ['signature'] })),
      await postEvent(url, body, signed({ omitHeaders: ['timestamp'] })),
      await postEvent(url, body, signed({ omitHeaders: ['signature', 'timestamp'] })),
    ];
    expect(results.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401, 401]);
    await settle();
    expect(shown({ user: 'U0ES', channel: 'D0FORGED' })).toEqual([]);
    expect(await store.findByChannelKey('slack', 'T0LLAVERO:D0FORGED')).toBeUndefined();
    // A validly signed body that is not JSON is a 400, and also changes nothing.
    expect((await postEvent(url, '{"type": "event_callback", ', signed())).status).toBe(400);
  });

  it('ignores our own messages, edits and other subtypes', async () => {
    for (const name of ['message_bot', 'message_changed']) {
      const body = fixture(name);
      body.event_id = `Ev${unique()}`;
      Object.assign(ev(body), { channel: 'D0IGNORED' });
      expect(await send(body)).toBe(200);
    }
    expect(shown({ user: 'U0ES', channel: 'D0IGNORED' })).toEqual([]);
  });

  it('answers an event delivered three times (Slack retries) exactly once', async () => {
    const body = fixture('message_im');
    body.event_id = `Ev${unique()}`;
    Object.assign(ev(body), { user: 'U0ES', channel: 'D0RETRY', text: 'hola', ts: slackTs() });
    const w: Where = { user: 'U0ES', channel: 'D0RETRY' };
    await say(w, 'hola');
    const before = shown(w).length;
    const rec = await store.findByChannelKey('slack', 'T0LLAVERO:D0RETRY');
    const inboundCount = async () => (await store.transcript(rec?.id as string)).filter((m) => m.direction === 'in').length;
    const inBefore = await inboundCount();
    const results = await Promise.all([
      postEvent(eventsUrl(), body, signed()),
      postEvent(eventsUrl(), body, signed({ retryNum: 1, retryReason: 'http_timeout' })),
      postEvent(eventsUrl(), body, signed({ retryNum: 2, retryReason: 'http_timeout' })),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    await settle();
    const after = shown(w).slice(before);
    expect(after.length).toBe(1);
    expect(await inboundCount()).toBe(inBefore + 1);
  });

  it('waits out a 429 from chat.postMessage and still delivers every reply once, in order', async () => {
    const w: Where = { user: 'U0ES', channel: 'D0RATE' };
    await say(w, 'hola');
    fake.rateLimit('chat.postMessage', 1, 1);
    await click(w, /Generar una llave criptográfica nueva/);
    await say(w, 'ATV clásico');
    const limited = fake.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 429 && c.args.channel === 'D0RATE');
    expect(limited).toHaveLength(1);
    const texts = shown(w).map((m) => m.text);
    // Greeting, then the answer to the button, then the answer to the typed message: once each, in that order.
    expect(texts).toHaveLength(new Set(texts).size);
    expect(texts[0]).toMatch(/Hola/);
    expect(texts[1]).toMatch(/Vamos a generar/);
    expect(texts[2]).toMatch(/Ingrese a la ATV/);
    const ts = shown(w).map((m) => Number(m.ts));
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
  });

  it('posts a committed answer that the process never delivered, from the outbox, on another instance', async () => {
    // An instance that commits the turn but cannot post the answer: Slack keeps refusing it.
    const cut = await start();
    fake.rateLimit('chat.postMessage', 1_000, 0);
    const w: Where = { user: 'U0ES', channel: 'D0OUTBOX' };
    const body = fixture('message_im');
    body.event_id = `Ev${unique()}`;
    Object.assign(ev(body), { user: 'U0ES', channel: w.channel, text: 'hola', ts: slackTs() });
    expect((await postEvent(`${cut.url}/slack/events`, body, signed())).status).toBe(200);
    await cut.app.slack?.idle();
    await cut.close();
    fake.rateLimit('chat.postMessage', 0);
    expect(shown(w)).toEqual([]);
    expect(await store.findByChannelKey('slack', 'T0LLAVERO:D0OUTBOX')).toBeDefined();
    // Later (the writer's lease has run out), a healthy instance sweeps the outbox.
    const later = await start({ now: () => Date.now() + 10 * 60_000 });
    try {
      await fake.waitForPosts(1, { channel: w.channel, timeoutMs: 5_000 });
      await later.app.slack?.idle();
      expect(shown(w)).toHaveLength(1);
      expect(shown(w)[0]?.text).toMatch(/Hola/);
    } finally {
      await later.close();
    }
  });

  it('an agent takes a DM customer who asked for a person: claims, replies in the DM, and hands them back to a procedure whose buttons work', async () => {
    const password = 'correct horse battery';
    expect((await createAccounts(store.sql).addUser({ email: 'ana.slack@soporte.example', name: 'Ana Rojas', role: 'agent', password })).ok).toBe(true);
    const w: Where = { user: 'U0ES', channel: 'D0HANDOFF' };
    await say(w, 'necesito revocar mi llave criptográfica');
    await say(w, 'quiero hablar con una persona');
    expect(lastText(w)).toMatch(/número 1 en la fila/);

    // While waiting, the bot says "noted" once and nothing else, however much the customer writes.
    const beforeWaiting = shown(w).length;
    await say(w, '¿hay alguien?');
    await say(w, 'es urgente, la factura no sale');
    await say(w, 'sigo aquí');
    const whileWaiting = shown(w).slice(beforeWaiting);
    expect(whileWaiting).toHaveLength(1);
    expect(whileWaiting[0]?.text).toMatch(/Anotado/);

    // The agent signs in over HTTP and finds the conversation in the queue.
    const ana = await signIn(server.url, 'ana.slack@soporte.example', password);
    const rec = await store.findByChannelKey('slack', `T0LLAVERO:${w.channel}`);
    const { queue } = (await (await ana.get('/api/agent/queue')).json()) as { queue: Array<{ id: string; channel: string; status: string }> };
    expect(queue.find((q) => q.id === rec?.id)).toMatchObject({ channel: 'slack', status: 'queued' });
    const id = rec?.id as string;

    expect((await ana.post(`/api/agent/conversations/${id}/claim`)).status).toBe(200);
    await settle();
    expect(lastText(w, 1)).toMatch(/Hola, soy Ana Rojas/);
    // With the agent: the customer's words go to them, the bot stays quiet.
    const beforeAgent = shown(w).length;
    await say(w, 'gracias, le cuento: no me deja entrar a la ATV');
    expect(shown(w)).toHaveLength(beforeAgent);

    const text = 'Revise <b>esto</b> & escríbame si &amp; aparece: <!channel>';
    expect((await ana.post(`/api/agent/conversations/${id}/reply`, { text })).status).toBe(200);
    await settle();
    const reply = shown(w).at(-1) as Shown;
    expect(reply.call.args.thread_ts).toBeUndefined();
    expect(JSON.stringify(reply.blocks)).toContain('Ana Rojas');
    const sections = reply.blocks.filter((b) => b.type === 'section').map((b) => (b.text as Json).text);
    // Exactly what the agent wrote, escaped once for Slack: no markup, no @channel, an "&amp;" they typed stays visible as such.
    expect(sections).toEqual(['Revise &lt;b&gt;esto&lt;/b&gt; &amp; escríbame si &amp;amp; aparece: &lt;!channel&gt;']);

    // Back to the bot, at the start of generating a new key: its first step, with buttons, on the DM.
    const beforeReturn = shown(w).length;
    expect((await ana.post(`/api/agent/conversations/${id}/return`, { flow: 'atv.generate-key' })).status).toBe(200);
    await settle();
    const back = shown(w).slice(beforeReturn);
    expect(back.map((m) => m.text).join('\n')).toMatch(/Ana Rojas le ha devuelto al asistente/);
    expect(button(w, /ATV clásico/).message.ts).toBe(back.at(-1)?.ts);
    await click(w, /ATV clásico/);
    expect(lastText(w)).toMatch(/Ingrese a la ATV/);
    expect(everything(w)).not.toMatch(/paso anterior/);
    const after = await store.getConversation(id);
    expect(after?.state.handoff).toBeUndefined();
    expect(after?.state.flow.id).toBe('atv.generate-key');
  });

  it('called only Web API methods that the manifest\'s scopes cover', () => {
    const called = new Set(fake.calls.map((c) => c.method));
    expect(called.size).toBeGreaterThan(3);
    for (const m of called) expect(Object.keys(SLACK_APP.methods)).toContain(m);
  });
});
