/** The fake Bot Connector answers the REAL botbuilder CloudAdapter: replies, typing, proactive sends, updates, members and file downloads. */
import dc from 'node:diagnostics_channel';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, TeamsInfo, TurnContext, type Activity } from 'botbuilder';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startBareBot, type BareBot } from './bare-bot.ts';
import { startFakeConnector, type FakeConnector } from './fake-teams.ts';
import {
  FILE_DOWNLOAD_INFO_TYPE,
  fileActivity,
  membersAddedActivity,
  messageActivity,
  newConversationId,
  postActivity,
  submitActivity,
  teamsChat,
} from './teams-activities.ts';

/** Hosts other than 127.0.0.1 that anything in this process tried to reach over HTTP(S). */
const foreign: string[] = [];
const onHttp = (msg: unknown): void => {
  const host = String((msg as { request: { host?: string } }).request.host ?? '');
  if (!host.startsWith('127.0.0.1')) foreign.push(host);
};
const onUndici = (msg: unknown): void => {
  const origin = String((msg as { request: { origin?: string } }).request.origin ?? '');
  if (!origin.startsWith('http://127.0.0.1')) foreign.push(origin);
};

let fake: FakeConnector | undefined;
let bot: BareBot | undefined;

beforeEach(() => {
  foreign.length = 0;
  dc.subscribe('http.client.request.start', onHttp);
  dc.subscribe('undici:request:create', onUndici);
});

afterEach(async () => {
  dc.unsubscribe('http.client.request.start', onHttp);
  dc.unsubscribe('undici:request:create', onUndici);
  vi.restoreAllMocks();
  await bot?.close();
  await fake?.close();
  bot = undefined;
  fake = undefined;
});

describe('fake Teams connector', () => {
  it('carries replies, typing, proactive sends, card updates, members and file downloads of the real CloudAdapter', async () => {
    fake = await startFakeConnector();
    expect(fake.serviceUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const chat = teamsChat(fake.serviceUrl, { conversationId: newConversationId() });
    const conv = chat.conversationId;

    const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
    const turnErrors: unknown[] = [];
    adapter.onTurnError = async (_ctx, err) => {
      turnErrors.push(err);
    };
    bot = await startBareBot(adapter, async (context) => {
      const a = context.activity;
      if (a.type === 'conversationUpdate') {
        const member = await TeamsInfo.getMember(context, chat.user.id);
        await context.sendActivity(`bienvenida, ${member.name ?? '?'}`);
        return;
      }
      if (a.value !== undefined) {
        await context.updateActivity({ type: 'message', id: a.replyToId, text: 'tarjeta respondida' });
        await context.sendActivity(`value: ${JSON.stringify(a.value)}`);
        return;
      }
      const file = a.attachments?.find((x) => x.contentType === FILE_DOWNLOAD_INFO_TYPE);
      if (file) {
        const res = await fetch((file.content as { downloadUrl: string }).downloadUrl);
        await context.sendActivity(`archivo ${file.name ?? ''}: ${res.status} ${(await res.arrayBuffer()).byteLength} bytes`);
        return;
      }
      await context.sendActivity({ type: 'typing' });
      await context.sendActivity('echo: ' + (a.text ?? ''));
    });

    // A typed message: 200 with an empty body, once the turn is over; the reply goes to POST .../activities/{id}.
    const hola = messageActivity(chat, 'hola');
    await expect(postActivity(bot.url, hola)).resolves.toEqual({ status: 200, text: '' });
    const [echo] = await fake.waitForSent(conv, 1, { type: 'message' });
    expect(echo?.activity).toMatchObject({ type: 'message', text: 'echo: hola', replyToId: hola.id, from: { id: '28:llavero-test-bot' } });
    expect(echo?.replyToId).toBe(hola.id);
    expect(echo?.authorization).toBeUndefined(); // no app id: no token on outbound calls
    expect(fake.sent.map((s) => s.activity.type)).toEqual(['typing', 'message']);
    expect(fake.requests[0]?.path).toContain(encodeURIComponent(conv)); // the id travels URL-encoded ...
    expect(fake.sent[0]?.conversationId).toBe(conv); // ... and is recorded decoded

    // Proactive: continueConversationAsync with the stored reference (no app id → '').
    const reference = TurnContext.getConversationReference(hola as Partial<Activity>);
    await adapter.continueConversationAsync('', reference, async (context) => {
      await context.sendActivity('proactivo');
    });
    const afterProactive = await fake.waitForSent(conv, 2, { type: 'message' });
    expect(afterProactive[1]?.activity.text).toBe('proactivo');
    // The continuation activity gets a random id, and the send is a "reply" to it.
    expect(afterProactive[1]?.replyToId).toMatch(/^[0-9a-f-]{36}$/);

    // An Adaptive Card Action.Submit: `value`, no text; the bot updates the card (PUT) and answers.
    const submit = submitActivity(chat, { action: 'elegir_pais', pais: 'CR' }, { replyToId: echo?.id ?? '' });
    expect(submit.text).toBeUndefined();
    expect((await postActivity(bot.url, submit)).status).toBe(200);
    const afterSubmit = await fake.waitForSent(conv, 3, { type: 'message' });
    expect(afterSubmit[2]?.activity.text).toBe('value: {"action":"elegir_pais","pais":"CR"}');
    expect(fake.updated).toHaveLength(1);
    expect(fake.updated[0]).toMatchObject({ conversationId: conv, replyToId: echo?.id, activity: { text: 'tarjeta respondida' } });

    // Install: conversationUpdate with membersAdded; TeamsInfo.getMember reads GET .../members/{id}.
    const update = membersAddedActivity(chat);
    expect(update.membersAdded).toEqual([{ id: '28:llavero-test-bot' }, { id: chat.user.id, aadObjectId: chat.user.aadObjectId }]);
    expect((await postActivity(bot.url, update)).status).toBe(200);
    expect((await fake.waitForSent(conv, 4, { type: 'message' }))[3]?.activity.text).toBe('bienvenida, Usuaria de Prueba');

    // Files: served bytes, then a link that has expired.
    const bytes = new Uint8Array([0x30, 0x82, 0x0a, 0x01, 0x00, 0xff]);
    const url = fake.addDownload('firma digital.p12', bytes, { contentType: 'application/x-pkcs12' });
    expect(url.startsWith(fake.serviceUrl)).toBe(true);
    const withFile = fileActivity(chat, { name: 'firma digital.p12', downloadUrl: url });
    expect(withFile.attachments).toEqual([
      expect.objectContaining({ contentType: FILE_DOWNLOAD_INFO_TYPE, name: 'firma digital.p12', content: expect.objectContaining({ downloadUrl: url, fileType: 'p12' }) }),
    ]);
    expect((await postActivity(bot.url, withFile)).status).toBe(200);
    expect((await fake.waitForSent(conv, 5, { type: 'message' }))[4]?.activity.text).toBe('archivo firma digital.p12: 200 6 bytes');
    const direct = await fetch(url);
    expect(direct.headers.get('content-type')).toBe('application/x-pkcs12');
    expect(new Uint8Array(await direct.arrayBuffer())).toEqual(bytes);
    const gone = fake.addDownload('vencido.pdf', new Uint8Array([1]), { gone: true });
    expect((await fetch(gone)).status).toBe(404);
    expect(fake.downloads).toEqual(['firma digital.p12', 'firma digital.p12']);

    // Unknown routes answer 404 JSON; waitForSent times out listing what was sent.
    const unknown = await fetch(`${fake.serviceUrl}v3/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'NotFound' } });
    await expect(fake.waitForSent(conv, 99, 50)).rejects.toThrow(/echo: hola/);

    expect(turnErrors).toEqual([]);
    expect(foreign).toEqual([]);
  });

  it('with an app id configured, posts without a valid token get 401 and reach neither the connector nor the network', async () => {
    fake = await startFakeConnector();
    const chat = teamsChat(fake.serviceUrl);
    const adapter = new CloudAdapter(
      new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: 'x', MicrosoftAppPassword: 'y', MicrosoftAppType: 'MultiTenant' }),
    );
    const logic = vi.fn(async (context: TurnContext) => {
      await context.sendActivity('never');
    });
    bot = await startBareBot(adapter, logic);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined); // CloudAdapter console.errors each rejection

    await expect(postActivity(bot.url, messageActivity(chat, 'sin token'))).resolves.toEqual({ status: 401, text: 'Unauthorized Access. Request is not authorized' });
    await expect(postActivity(bot.url, messageActivity(chat, 'basura'), { authorization: 'Bearer junk' })).resolves.toEqual({
      status: 401,
      text: 'Unauthorized. No valid identity.',
    });
    expect(errors).toHaveBeenCalledTimes(2);
    expect(logic).not.toHaveBeenCalled();
    expect(fake.requests).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
