/**
 * The Slack agents' desk end to end: two app instances on one database (PostgreSQL with a store
 * each, like two processes, when DATABASE_URL is set; else one embedded store), both with the desk
 * on, a web chat customer over a real WebSocket, the fake Slack Web API, and signed events from
 * agents replying in the desk's threads.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDesk, digest } from '../../../src/adapters/slack/desk.ts';
import { fromDeskMessage, typedText } from '../../../src/adapters/slack/inbound.ts';
import type { ServerMessage } from '../../../src/adapters/webchat/protocol.ts';
import type { NoticeHub } from '../../../src/chat/notices.ts';
import { hashToken } from '../../../src/chat/service.ts';
import type { StoredMessage } from '../../../src/store/port.ts';
import { openStore } from '../../../src/store/open.ts';
import type { SqlStore } from '../../../src/store/sql-store.ts';
import { startFakeSlack, type FakeSlack, type RecordedCall } from '../../support/fake-slack.ts';
import { bot } from '../../support/bot.ts';
import { startServer, type TestServer } from '../../support/server.ts';
import { postEvent, postInteraction } from '../../support/slack-signing.ts';
import { waitFor } from '../../support/wait.ts';
import { connect, type ChatClient } from '../../support/ws-client.ts';

const SIGNING_SECRET = 'llavero-test-signing-secret';
const BOT_TOKEN = 'xoxb-0000000000-fake-bot-token';
const DESK = 'C0DESK';
const CONSOLE = 'https://llavero.example.com/agent/';
const DATABASE_URL = process.env.DATABASE_URL || undefined;

type Json = Record<string, unknown>;
type Push = Extract<ServerMessage, { t: 'push' }>;
const isPush = (m: ServerMessage): m is Push => m.t === 'push';
const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(`../../fixtures/slack/${name}.json`, import.meta.url), 'utf8')) as Json;

let seq = 0;
const slackTs = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;

/** Poll `check` until it returns something (or time runs out, with `what` in the error). */
async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const found = await waitFor(
    async () => {
      const got = await check();
      return got === undefined ? undefined : { got };
    },
    { what },
  );
  return found.got;
}

const textOf = (c: RecordedCall): string => `${String(c.args.text ?? '')}\n${JSON.stringify(c.args.blocks ?? [])}`;

describe('Slack agents desk', () => {
  let fake: FakeSlack;
  let store: SqlStore;
  let other: SqlStore;
  const schema = `desk_${process.pid}_${Date.now()}`;
  let a: TestServer;
  let b: TestServer;

  const start = (on: SqlStore) =>
    startServer({
      store: on,
      // The console link comes from PUBLIC_URL, as in production.
      env: { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.url, SLACK_HANDOFF_CHANNEL: DESK, PUBLIC_URL: 'https://llavero.example.com' },
      // A long acknowledgement deadline: the answer to a delivered event then means it was applied, however busy the machine.
      options: { slackOptions: { retryConfig: { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 50 }, outboxIntervalMs: 200, ackTimeoutMs: 30_000 } },
    });

  beforeAll(async () => {
    fake = await startFakeSlack();
    fake.addUser({ id: 'U0ANA', name: 'Ana Rojas', locale: 'es-LA' });
    fake.addUser({ id: 'U0LUIS', name: 'Luis Mora', locale: 'es-LA' });
    store = DATABASE_URL ? await openStore({ databaseUrl: DATABASE_URL, schema }) : await openStore({});
    await store.migrate();
    other = DATABASE_URL ? await openStore({ databaseUrl: DATABASE_URL, schema }) : store;
    a = await start(store);
    b = await start(other);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    if (DATABASE_URL) await store?.sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    if (other !== store) await other?.close();
    await store?.close();
    await fake?.close();
  });

  const settle = async () => {
    await a.app.slack?.idle();
    await b.app.slack?.idle();
  };
  /**
   * Both instances have acted on every notice sent so far. Notices reach a hub in order and the desk subscribed
   * first, so once a fresh notice (for no conversation) reaches both hubs, each desk has taken up every earlier
   * one; then both go idle. This replaces "sleep, then check nothing more happened".
   */
  const caughtUp = async () => {
    const marker = randomUUID();
    const heard = new Set<TestServer>();
    const offs = [a, b].map((s) => s.app.notices.subscribe((n) => n !== 'resync' && n.conversationId === marker && heard.add(s)));
    try {
      await store.notify({ conversationId: marker });
      await waitFor(() => heard.size === 2, { what: 'a fresh notice to reach both instances' });
    } finally {
      for (const off of offs) off();
    }
    await settle();
  };

  /** Thread heads posted in the desk for a conversation (found by the console link they carry), deleted ones left out. */
  function heads(id: string, { deletedToo = false } = {}): RecordedCall[] {
    const deleted = new Set(fake.calls.filter((c) => c.method === 'chat.delete' && c.ok).map((c) => String(c.args.ts)));
    return fake
      .posted()
      .filter((c) => c.args.channel === DESK && c.args.thread_ts === undefined && textOf(c).includes(`#c=${id}`))
      .filter((c) => deletedToo || !deleted.has(String(c.response.ts)));
  }
  const tsOf = (c: RecordedCall): string => String(c.response.ts);
  /** What was said in a desk thread, oldest first. */
  const thread = (ts: string): string[] => fake.posted().filter((c) => c.args.channel === DESK && c.args.thread_ts === ts).map(textOf);
  /** The head as it reads now (after chat.update). */
  const headNow = (ts: string): string => {
    const updates = fake.calls.filter((c) => c.method === 'chat.update' && c.ok && c.args.channel === DESK && c.args.ts === ts);
    const last = updates.at(-1) ?? fake.posted().find((c) => c.args.channel === DESK && String(c.response.ts) === ts);
    return last ? textOf(last) : '';
  };

  /** A web chat customer on instance `on` who asked for a person while revoking their key; returns the conversation id. */
  async function customerWaiting(on: TestServer): Promise<{ c: ChatClient; id: string }> {
    const c = await connect(on.url, { locale: 'es' });
    await c.say({ t: 'text', text: 'necesito revocar mi llave criptográfica' });
    const asked = await c.say({ t: 'text', text: 'quiero hablar con una persona' });
    expect(asked.messages.some((m) => m.type === 'handoff')).toBe(true);
    const rec = await store.findByToken(hashToken(c.token));
    return { c, id: rec?.id as string };
  }

  /** An agent's message in a desk thread, signed like Slack's. */
  function agentSays(user: string, threadTs: string, text: string, extra: Json = {}): Json {
    const body = fixture('message_channel_thread');
    body.event_id = `Ev${Date.now()}${++seq}`;
    const ts = slackTs();
    Object.assign(body.event as Json, { user, channel: DESK, channel_type: 'channel', text, ts, event_ts: ts, thread_ts: threadTs, parent_user_id: 'U0BOT', ...extra });
    delete (body.event as Json).blocks;
    return body;
  }
  /** A press on a control of a thread's first message, as Slack posts it. */
  function press(user: string, headTs: string, action: Json): Json {
    const body = fixture('block_actions');
    body.trigger_id = `trigger-${Date.now()}-${++seq}`;
    (body.user as Json).id = user;
    body.channel = { id: DESK, name: 'mesa-de-ayuda' };
    body.container = { type: 'message', message_ts: headTs, channel_id: DESK, is_ephemeral: false };
    body.message = { type: 'message', ts: headTs, user: 'U0BOT', bot_id: 'B0BOT', text: '', blocks: [] };
    body.actions = [{ block_id: 'desk.actions', action_ts: slackTs(), ...action }];
    return body;
  }
  const backToBot = { action_id: 'llavero.desk.return', type: 'button', value: '' };
  const closeAs = (tag: string) => ({ action_id: 'llavero.desk.close', type: 'static_select', selected_option: { value: tag, text: { type: 'plain_text', text: tag } } });
  const interact = async (to: TestServer, body: Json) => {
    const r = await postInteraction(`${to.url}/slack/events`, body, { signingSecret: SIGNING_SECRET });
    await settle();
    return r.status;
  };
  const deliver = async (to: TestServer, body: Json, opts: { signature?: string; retryNum?: number } = {}) => {
    const r = await postEvent(`${to.url}/slack/events`, body, { signingSecret: SIGNING_SECRET, ...opts });
    await settle();
    return r.status;
  };

  it('posts one thread with the context when a web chat customer asks for a person, with two instances listening', async () => {
    const { c, id } = await customerWaiting(a);
    const head = await until('the desk thread', () => heads(id)[0]);
    // Both instances heard the notice; once both have acted on it, look again.
    await caughtUp();
    // Posted once: not posted twice and one of them deleted.
    expect(heads(id, { deletedToo: true })).toHaveLength(1);
    const shown = textOf(head);
    for (const fact of ['Revocar mi llave criptográfica', 'Chat web', 'Español', 'Costa Rica', 'Pidió hablar con una persona', 'En espera', '<!date^', `<${CONSOLE}#c=${id}|`]) {
      expect(shown).toContain(fact);
    }
    expect(shown).not.toMatch(/\bslack:desk\./);
    const row = await store.deskThreadOf(id);
    expect(row).toMatchObject({ channel: DESK, ts: tsOf(head) });
    expect(await store.deskThreadAt(DESK, tsOf(head))).toMatchObject({ conversationId: id });
    c.close();
  });

  it('mirrors the customer\'s messages (masked) and status changes; an agent\'s reply in the thread reaches the web chat, once', async () => {
    const { c, id } = await customerWaiting(b);
    const head = tsOf(await until('the desk thread', () => heads(id)[0]));

    await c.send({ t: 'text', text: 'mi pin es 4821 y <b>no</b> funciona' });
    const mirrored = await until('the customer line in the thread', () => thread(head).find((x) => x.includes('Cliente')));
    expect(mirrored).toContain('mi pin es ••••');
    expect(mirrored).toContain('&lt;b&gt;no&lt;/b&gt;');
    expect(mirrored).not.toMatch(/\b4821\b/);

    // Ana answers in the thread (Slack delivers it to instance a; the customer's socket is on b).
    const reply = agentSays('U0ANA', head, 'Hola, revise <https://www.hacienda.go.cr|la página de Hacienda> &amp; me cuenta.\nGracias');
    expect(await deliver(a, reply)).toBe(200);
    const pushed = await c.waitFor((m): m is Push => isPush(m) && m.messages.some((x) => x.type === 'agent'));
    expect(pushed.messages.find((x) => x.type === 'agent')).toMatchObject({
      type: 'agent',
      name: 'Ana Rojas',
      text: 'Hola, revise la página de Hacienda (https://www.hacienda.go.cr) & me cuenta.\nGracias',
    });
    expect(c.received.filter(isPush).flatMap((m) => m.messages).some((x) => x.key === 'common:handoff.joined' && x.text.includes('Ana Rojas'))).toBe(true);
    // Claimed as the Slack user, and the thread and its head say so.
    expect((await store.getConversation(id))?.state.handoff).toMatchObject({ status: 'assigned', agent: { id: 'slack:U0ANA', name: 'Ana Rojas' } });
    await until('the claim in the thread', () => thread(head).find((x) => x.includes('Ana Rojas tomó la conversación')));
    await until('the head updated', () => (headNow(head).includes('Con Ana Rojas') ? true : undefined));

    // Slack delivers the same message again (to the other instance): applied once.
    expect(await deliver(b, reply, { retryNum: 1 })).toBe(200);
    const agentLines = (await store.transcript(id)).filter((m) => (m.body as { type?: string }).type === 'agent');
    expect(agentLines).toHaveLength(1);

    // The next message reaches Ana's thread as well; the agent's own words are not echoed back.
    await c.send({ t: 'text', text: 'ya entré, gracias' });
    await until('the second customer line', () => thread(head).find((x) => x.includes('ya entré')));
    expect(thread(head).some((x) => x.includes('me cuenta'))).toBe(false);
    // Every line once, though two instances heard every notice.
    expect(thread(head).filter((x) => x.includes('mi pin es'))).toHaveLength(1);
    expect(thread(head).filter((x) => x.includes('tomó la conversación'))).toHaveLength(1);

    // Ana closes it from the thread's first message; the customer is told, the thread says so, the controls go.
    expect(headNow(head)).toContain('llavero.desk.close');
    expect(await interact(b, press('U0ANA', head, closeAs('solved')))).toBe(200);
    await c.waitFor((m): m is Push => isPush(m) && m.messages.some((x) => x.type === 'end'));
    expect((await store.getConversation(id))?.state.status).toBe('ended');
    await until('the close in the thread', () => thread(head).find((x) => x.includes('Ana Rojas cerró la conversación')));
    await until('the head closed', () => (headNow(head).includes('Cerrada') ? true : undefined));
    expect(headNow(head)).not.toContain('llavero.desk.');
    c.close();
  });

  it('refuses, in the thread, a reply to a conversation another agent has; the customer hears nothing from it', async () => {
    const { c, id } = await customerWaiting(a);
    const head = tsOf(await until('the desk thread', () => heads(id)[0]));
    expect((await b.app.chat.staff(id, { type: 'claim', agent: { id: 'console-luis', name: 'Luis Mora' } })).ok).toBe(true);
    await until('the claim in the thread', () => thread(head).find((x) => x.includes('Luis Mora tomó la conversación')));

    expect(await deliver(b, agentSays('U0ANA', head, 'Yo la atiendo'))).toBe(200);
    const refused = await until('the refusal', () => thread(head).find((x) => x.includes('⚠️')));
    expect(refused).toContain('Luis Mora tiene esta conversación');
    expect((await store.transcript(id)).some((m) => JSON.stringify(m.body).includes('Yo la atiendo'))).toBe(false);
    expect((await store.getConversation(id))?.state.handoff?.agent?.name).toBe('Luis Mora');
    expect(c.received.filter(isPush).flatMap((m) => m.messages).some((x) => x.type === 'agent')).toBe(false);
    // Nor may she hand it back to the assistant.
    expect(await interact(a, press('U0ANA', head, backToBot))).toBe(200);
    await until('the second refusal', () => (thread(head).filter((x) => x.includes('Luis Mora tiene esta conversación')).length === 2 ? true : undefined));
    expect((await store.getConversation(id))?.state.handoff?.agent?.name).toBe('Luis Mora');
    c.close();
  });

  it('hands a waiting customer back to the assistant from the thread: taken, then returned, and the customer carries on', async () => {
    const { c, id } = await customerWaiting(b);
    const head = tsOf(await until('the desk thread', () => heads(id)[0]));
    expect(await interact(a, press('U0LUIS', head, backToBot))).toBe(200);
    const back = await c.waitFor((m): m is Push => isPush(m) && m.messages.some((x) => x.key === 'common:handoff.returned'));
    expect(back.messages.find((x) => x.key === 'common:handoff.returned')?.text).toContain('Luis Mora');
    expect(back.messages.some((x) => x.type === 'choices' && x.key.startsWith('atv:revoke.'))).toBe(true);
    expect((await store.getConversation(id))?.state.handoff).toBeUndefined();
    await until('the return in the thread', () => thread(head).find((x) => x.includes('Luis Mora la devolvió al asistente')));
    await until('the head with the assistant', () => (headNow(head).includes('Con el asistente') ? true : undefined));
    // Back with the bot: what the customer writes now is not the desk's business.
    await c.say({ t: 'text', text: 'ATV clásico' });
    await caughtUp();
    expect(thread(head).some((x) => x.includes('ATV clásico'))).toBe(false);
    c.close();
  });

  it('ignores bots, edits, mentions and top-level messages in the desk channel, and forged requests', async () => {
    const { c, id } = await customerWaiting(a);
    const head = tsOf(await until('the desk thread', () => heads(id)[0]));
    await settle();
    const calls = fake.calls.length;
    const lines = (await store.transcript(id)).length;

    // Our own bot, and another app's bot, in the thread.
    const bot = fixture('message_bot');
    Object.assign(bot.event as Json, { channel: DESK, channel_type: 'channel', thread_ts: head, ts: slackTs() });
    expect(await deliver(a, bot)).toBe(200);
    const otherBot = agentSays('U0OTHERBOT', head, 'soy un bot', { bot_id: 'B0OTHER' });
    expect(await deliver(a, otherBot)).toBe(200);
    // Ana edits a message in the thread.
    const edit = fixture('message_changed');
    Object.assign(edit.event as Json, { channel: DESK, channel_type: 'channel' });
    Object.assign((edit.event as Json).message as Json, { user: 'U0ANA', thread_ts: head, text: 'editado' });
    expect(await deliver(a, edit)).toBe(200);
    // A top-level message and a mention in the desk: never a customer conversation.
    const top = agentSays('U0ANA', head, 'buenos días, equipo');
    delete (top.event as Json).thread_ts;
    expect(await deliver(a, top)).toBe(200);
    const mention = fixture('app_mention');
    const ts = slackTs();
    Object.assign(mention.event as Json, { user: 'U0LUIS', channel: DESK, ts, event_ts: ts, text: '<@U0BOT> necesito generar mi llave' });
    expect(await deliver(b, mention)).toBe(200);
    expect(await store.findByChannelKey('slack', `T0LLAVERO:${DESK}:${ts}`)).toBeUndefined();
    // A reply whose signature is not Slack's.
    expect(await deliver(a, agentSays('U0ANA', head, 'falsificado'), { signature: `v0=${'0'.repeat(64)}` })).toBe(401);

    await caughtUp();
    expect(fake.calls.slice(calls).filter((x) => x.method !== 'auth.test')).toEqual([]);
    expect(await store.transcript(id)).toHaveLength(lines);
    expect((await store.getConversation(id))?.state.handoff?.status).toBe('queued');
    c.close();
  });

  it('a thread whose poster died is posted by another instance; a late duplicate is deleted, leaving one', async () => {
    // The poster died: its pending marker is older than the timeout when the next notice comes.
    const c = await connect(a.url, { locale: 'es' });
    await c.say({ t: 'text', text: 'necesito generar una llave criptográfica nueva' });
    const rec = await store.findByToken(hashToken(c.token));
    const id = rec?.id as string;
    expect(await store.recordDeskThread({ conversationId: id, channel: DESK, ts: 'pending:dead', createdAt: Date.now() - 60 * 60_000, mirroredSeq: 0, handedOff: true })).toBe(true);
    await c.say({ t: 'text', text: 'quiero hablar con una persona' });
    const head = await until('the thread taken over', () => heads(id)[0]);
    await caughtUp();
    expect(heads(id)).toHaveLength(1);
    expect((await store.deskThreadOf(id))?.ts).toBe(tsOf(head));
    c.close();

    // A slow poster: Slack holds its post for a second, long enough for another attempt to take over.
    const d = await connect(a.url, { locale: 'es' });
    await d.say({ t: 'text', text: 'necesito revocar mi llave criptográfica' });
    const id2 = (await store.findByToken(hashToken(d.token)))?.id as string;
    fake.rateLimit('chat.postMessage', 1, 1);
    await d.say({ t: 'text', text: 'quiero hablar con una persona' });
    const pending = await until('the pending marker', async () => {
      const r = await store.deskThreadOf(id2);
      return r?.ts.startsWith('pending:') ? r : undefined;
    });
    const impatient = createDesk({
      channel: DESK,
      client: new WebClient(BOT_TOKEN, { slackApiUrl: fake.url }),
      chat: a.app.chat,
      store,
      notices: { subscribe: () => () => undefined, close: async () => undefined } satisfies NoticeHub,
      t: bot.translator.t,
      log: a.app.server.log,
      consoleUrl: CONSOLE,
      pendingTimeoutMs: 0,
    });
    await impatient.sync(id2);
    await impatient.idle();
    const taken = await store.deskThreadOf(id2);
    expect(taken?.ts).not.toBe(pending.ts);
    expect(taken?.ts.startsWith('pending:')).toBe(false);
    // The first poster's message lands after the retry, finds its marker gone, and deletes itself.
    await until('the duplicate deleted', () => (heads(id2, { deletedToo: true }).length === 2 && heads(id2).length === 1 ? true : undefined));
    await settle();
    expect(heads(id2)).toHaveLength(1);
    expect(tsOf(heads(id2)[0] as RecordedCall)).toBe(taken?.ts);
    d.close();
  }, 60_000);
});

describe('desk parsing', () => {
  const line = (seq: number, direction: 'in' | 'out', body: Json): StoredMessage => ({ seq, direction, body, at: seq });
  const param = (key: string, text: string) => (key === 'common:handoff.joined' ? /soy (.+), del/.exec(text)?.[1] : undefined);

  it('mirrors customer lines only while with a person, and reads status changes from the transcript', () => {
    const d = digest(
      [
        line(1, 'in', { type: 'text', text: 'hola', display: 'hola' }),
        line(2, 'out', { type: 'choices', key: 'triage:start.prompt', text: '¿Qué necesita?' }),
        line(3, 'in', { type: 'text', text: 'una persona', display: 'una persona' }),
        line(4, 'out', { type: 'handoff', key: 'common:handoff.requested.asked', text: 'Te paso', reason: 'asked' }),
        line(5, 'in', { type: 'secret', text: '••••', display: '••••' }),
        line(6, 'out', { type: 'text', key: 'common:handoff.joined', text: 'Hola, soy Ana Rojas, del equipo', via: 'staff' }),
        line(7, 'in', { type: 'choice', id: 'handoff/cancel', display: 'Volver al asistente' }),
        line(8, 'out', { type: 'text', key: 'common:handoff.left-agent', text: 'Has dejado…' }),
        line(9, 'in', { type: 'text', text: 'sigo solo', display: 'sigo solo' }),
        line(10, 'out', { type: 'choices', key: 'atv:revoke.portal.prompt', text: '¿Qué portal?' }),
      ],
      false,
      param,
    );
    expect(d.lines).toEqual([{ kind: 'again', reason: 'asked' }, { kind: 'customer', text: '••••' }, { kind: 'claimed', name: 'Ana Rojas' }, { kind: 'left' }]);
    expect(d.handedOff).toBe(false);
    // Starting over while waiting: the bot speaking a step of its own means the person is gone.
    const restart = digest([line(11, 'in', { type: 'text', display: 'menú' }), line(12, 'out', { type: 'choices', key: 'triage:start.prompt', text: '' })], true, param);
    expect(restart).toEqual({ lines: [{ kind: 'customer', text: 'menú' }, { kind: 'left' }], handedOff: false });
  });

  it('takes a person\'s thread reply in the desk channel, as they wrote it, and nothing else', () => {
    const body = (event: Json): Json => ({ type: 'event_callback', team_id: 'T0LLAVERO', event: { type: 'message', channel: DESK, user: 'U0ANA', team: 'T0LLAVERO', ts: '2.0', thread_ts: '1.0', text: 'hola', ...event } });
    expect(fromDeskMessage(body({}), DESK, 'U0BOT')).toEqual({ channel: DESK, threadTs: '1.0', ts: '2.0', user: 'U0ANA', text: 'hola', files: false });
    expect(fromDeskMessage(body({ text: '<@U0BOT> hola' }), DESK, 'U0BOT')?.text).toBe('hola');
    expect(fromDeskMessage(body({ subtype: 'thread_broadcast' }), DESK, 'U0BOT')).toEqual({ channel: DESK, threadTs: '1.0', ts: '2.0', user: 'U0ANA', text: 'hola', files: false });
    for (const e of [{ channel: 'C0OTHER' }, { thread_ts: undefined }, { ts: '1.0' }, { user: 'U0BOT' }, { bot_id: 'B1' }, { subtype: 'message_changed' }, { subtype: 'message_deleted' }, { type: 'app_mention' }, { team: 'T0OTHERORG' }, { user_team: 'T0OTHERORG' }]) {
      expect(fromDeskMessage(body(e), DESK, 'U0BOT')).toBeUndefined();
    }
    expect(typedText('Mire <https://a.example/x|esto> y <https://b.example> o <mailto:x@y.cl|x@y.cl>, <#C1|general> <!here>\n\n\n\n&lt;ok&gt; &amp;amp;')).toBe(
      'Mire esto (https://a.example/x) y https://b.example o x@y.cl, #general\n\n<ok> &amp;',
    );
  });
});
