/**
 * The Teams channel end to end: real botbuilder (CloudAdapter) in our server, Bot Framework
 * activities posted over HTTP to /api/messages, and a local fake connector recording what the
 * customer is sent.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rendered } from '../../../src/conversation/render.ts';
import { createAccounts } from '../../../src/accounts/accounts.ts';
import { openStore } from '../../../src/store/open.ts';
import type { SqlStore } from '../../../src/store/sql-store.ts';
import { startFakeConnector, type FakeConnector, type SentActivity } from '../../support/fake-teams.ts';
import { startServer, type TestServer } from '../../support/server.ts';
import { signIn } from '../../support/staff.ts';
import {
  fileActivity,
  membersAddedActivity,
  messageActivity,
  newConversationId,
  newTeamsUser,
  postActivity,
  submitActivity,
  teamsChat,
  type TeamsChat,
} from '../../support/teams-activities.ts';

const FIXTURES = new URL('../../fixtures/public/', import.meta.url);
const SANDBOX_NAME = 'johann04-sandbox-cpf-0205860860.p12';
const SANDBOX = new Uint8Array(readFileSync(new URL(`cr-hacienda/${SANDBOX_NAME}`, FIXTURES)));

type Json = Record<string, unknown>;

/** Every Action.Submit in a card, wherever it sits (card actions or ActionSets). */
function submits(node: unknown, into: Json[] = []): Json[] {
  if (Array.isArray(node)) for (const n of node) submits(n, into);
  else if (node && typeof node === 'object') {
    const o = node as Json;
    if (o.type === 'Action.Submit') into.push(o);
    for (const v of Object.values(o)) if (v && typeof v === 'object') submits(v, into);
  }
  return into;
}

/** What the customer reads in an activity: its text and every text run of its cards. */
function readable(a: Json): string {
  const parts: string[] = [];
  if (typeof a.text === 'string') parts.push(a.text);
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Json;
      for (const k of ['text', 'title', 'value', 'label']) if (typeof o[k] === 'string') parts.push(o[k] as string);
      for (const v of Object.values(o)) if (v && typeof v === 'object') walk(v);
    }
  };
  walk(a.attachments);
  return parts.join('\n');
}

describe('Teams adapter', () => {
  let connector: FakeConnector;
  let server: TestServer;
  let store: SqlStore;

  beforeAll(async () => {
    connector = await startFakeConnector();
    store = await openStore({});
    await store.migrate();
    server = await startServer({ store, env: { TEAMS_LOCAL: '1' }, options: { teamsOptions: { outboxIntervalMs: 200 } } });
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
    await connector?.close();
  });

  const newChat = (locale: string): TeamsChat => teamsChat(connector.serviceUrl, { conversationId: newConversationId(), user: newTeamsUser(), locale });
  const shown = (c: TeamsChat): SentActivity[] => connector.sent.filter((s) => s.conversationId === c.conversationId && s.activity.type === 'message');
  const everything = (c: TeamsChat) => shown(c).map((s) => readable(s.activity)).join('\n');
  const lastText = (c: TeamsChat, n = 2) =>
    shown(c)
      .slice(-n)
      .map((s) => readable(s.activity))
      .join('\n');

  async function post(activity: Json): Promise<number> {
    const r = await postActivity(`${server.url}/api/messages`, activity);
    await server.app.teams?.idle();
    return r.status;
  }

  const say = async (c: TeamsChat, text: string) => expect(await post(messageActivity(c, text))).toBe(200);

  /** Press the newest card button with this title. */
  async function press(c: TeamsChat, title: string | RegExp): Promise<void> {
    for (const s of [...shown(c)].reverse()) {
      const action = submits(s.activity.attachments).find((a) => (typeof title === 'string' ? a.title === title : title.test(String(a.title))));
      if (action) {
        expect(await post(submitActivity(c, action.data as Json, { replyToId: s.id }))).toBe(200);
        return;
      }
    }
    throw new Error(`no button "${String(title)}"; last:\n${lastText(c)}`);
  }

  /** Type the PIN in the password card and submit it. */
  async function enterPin(c: TeamsChat, pin: string): Promise<SentActivity> {
    const card = [...shown(c)].reverse().find((s) => JSON.stringify(s.activity.attachments ?? []).includes('"style":"password"'));
    if (!card) throw new Error(`no password card; last:\n${lastText(c)}`);
    const action = submits(card.activity.attachments).at(0) as Json;
    expect(await post(submitActivity(c, { ...(action.data as Json), pin }, { replyToId: card.id }))).toBe(200);
    return card;
  }

  async function transcriptOf(c: TeamsChat): Promise<string> {
    const rec = await store.findByChannelKey('teams', `${c.tenantId ?? '00000000-0000-4000-8000-00000000c0de'}:${c.conversationId}`);
    if (!rec) throw new Error('no conversation');
    return (await store.transcript(rec.id)).map((m) => JSON.stringify(m.body)).join('\n');
  }

  it('welcomes the customer when the app is installed in a personal chat, once', async () => {
    const c = newChat('es-ES');
    expect(await post(membersAddedActivity(c))).toBe(200);
    expect(everything(c)).toMatch(/Hola! Soy Llavero/);
    expect(await post(membersAddedActivity(c))).toBe(200);
    expect(shown(c)).toHaveLength(1);
  });

  it('revokes a Hacienda key and goes on to generate a new one, in Spanish, with card buttons', async () => {
    const c = newChat('es-419');
    expect(await post(membersAddedActivity(c))).toBe(200);
    await press(c, /Revocar mi llave/);
    await press(c, /ATV clásico/);
    await press(c, 'Sí, funcionó'); // signed in
    expect(lastText(c)).toMatch(/Comprobantes Electrónicos/);
    await press(c, 'Sí, funcionó'); // the revoke menu
    await press(c, 'Sí, funcionó'); // «Aceptar» twice
    expect(lastText(c)).toMatch(/quedó revocada/);
    // Revoked: it offers to generate the new key right away.
    await press(c, 'Sí');
    expect(lastText(c)).toMatch(/Vamos a generar su nueva llave/);
    await press(c, /ATV clásico/);
    for (const t of ['Sí, funcionó', 'Sí, funcionó', 'Sí, funcionó']) await press(c, t);
    await press(c, /plataforma/i);
    await press(c, 'Sí, funcionó'); // Generar
    await press(c, 'Sí, funcionó'); // Aceptar + Descargar
    expect(everything(c)).toMatch(/\.p12/);
    await press(c, 'Sí, lo tengo');
    await press(c, 'No'); // no certificate check this time
    await press(c, 'Sí, funcionó'); // loaded into the invoicing platform
    expect(lastText(c)).toMatch(/resuelto/);
    await press(c, 'Sí');
    await press(c, '5');
    expect(lastText(c)).toMatch(/Gracias/);
    // Every answer went to this conversation, to the customer, from the bot.
    expect(shown(c).every((s) => s.conversationId === c.conversationId)).toBe(true);
    expect(everything(c)).not.toMatch(/\b(common|atv|triage|teams):[\w.-]+/);
  });

  it('enables SII sign-in with the certificate in English, typed without a single button press', async () => {
    const c = newChat('en-US');
    await say(c, "I can't get SII's provisional code");
    expect(everything(c)).toMatch(/Enable signing in with my certificate/);
    for (const text of ['signing in with my certificate', 'yes', 'yes', 'it worked', 'it worked', 'yes, I have the code', 'it worked', 'it worked', 'it worked', 'it worked']) {
      await say(c, text);
    }
    expect(lastText(c)).toMatch(/Is what you needed solved/);
    await say(c, 'yes');
    await say(c, '5');
    expect(lastText(c)).toMatch(/Thank you/);
    expect(everything(c)).not.toMatch(/\b(common|sii|triage|teams):[\w.-]+/);
  });

  /** A Spanish chat taken to the certificate check's file step in atv.generate-key. */
  async function toFileStep(): Promise<TeamsChat> {
    const c = newChat('es-CR');
    await say(c, 'generar llave criptográfica nueva');
    await press(c, /ATV clásico/);
    for (const t of ['Sí, funcionó', 'Sí, funcionó', 'Sí, funcionó']) await press(c, t);
    await press(c, /plataforma/i);
    await press(c, 'Sí, funcionó');
    await press(c, 'Sí, funcionó');
    await press(c, 'Sí, lo tengo');
    await press(c, 'Sí');
    await say(c, '02-0586-0860');
    expect(lastText(c)).toMatch(/\.p12/);
    return c;
  }

  it('checks an attached .p12 with the PIN from the password card and reports the sandbox key as a card', async () => {
    const c = await toFileStep();
    const url = connector.addDownload(SANDBOX_NAME, SANDBOX);
    expect(await post(fileActivity(c, { name: SANDBOX_NAME, downloadUrl: url }))).toBe(200);
    expect(connector.downloads).toContain(SANDBOX_NAME);
    const card = await enterPin(c, '5678');
    expect(JSON.stringify(card.activity.attachments)).toMatch(/"id":"pin"/);
    // "Checking…" first, in the request; then the report card, sent proactively.
    const texts = shown(c).map((s) => readable(s.activity));
    const checking = texts.findIndex((x) => /Revisando su certificado/.test(x));
    const report = shown(c).findIndex((s) => /❌/.test(readable(s.activity)));
    expect(checking).toBeGreaterThan(-1);
    expect(report).toBeGreaterThan(checking);
    expect(everything(c)).toMatch(/pruebas|sandbox/i);
    // The PIN as a word: ids and timestamps may contain any four digits.
    expect(await transcriptOf(c)).not.toMatch(/\b5678\b/);
    expect(everything(c)).not.toMatch(/\b5678\b/);
  });

  it('the password card offers "talk to a person", "help" and "back"; each reaches the conversation as the command and uses no attempt', async () => {
    const c = await toFileStep();
    const url = connector.addDownload('ways-out.p12', SANDBOX);
    expect(await post(fileActivity(c, { name: SANDBOX_NAME, downloadUrl: url }))).toBe(200);
    const card = [...shown(c)].reverse().find((s) => JSON.stringify(s.activity.attachments ?? []).includes('"style":"password"'));
    expect(card).toBeDefined();
    expect(submits(card?.activity.attachments).map((a) => a.title)).toEqual(['Revisar', 'Hablar con una persona', 'Ayuda', 'Atrás']);
    const before = shown(c).length;
    await press(c, 'Ayuda');
    expect(shown(c).length).toBeGreaterThan(before);
    // Help, then the step again: the password card comes back.
    expect(shown(c).slice(before).some((m) => JSON.stringify(m.activity.attachments ?? []).includes('"style":"password"'))).toBe(true);
    await press(c, 'Hablar con una persona');
    expect(lastText(c)).toMatch(/Le paso con una persona/);
    expect(everything(c)).not.toMatch(/quedan \d+ intentos/);
    const rec = await store.findByChannelKey('teams', `${c.tenantId ?? '00000000-0000-4000-8000-00000000c0de'}:${c.conversationId}`);
    expect(rec?.state.secretFailures).toEqual([]);
    expect(await transcriptOf(c)).toMatch(/\/help[\s\S]*\/handoff/);
    // Back to the assistant: the queue is left as it was found (the agent test below counts places in it).
    await press(c, 'Volver al asistente');
    expect((await store.findByChannelKey('teams', `${c.tenantId ?? '00000000-0000-4000-8000-00000000c0de'}:${c.conversationId}`))?.state.handoff).toBeUndefined();
  });

  it('"back" on the password card returns to the step before, without using an attempt', async () => {
    const c = await toFileStep();
    const url = connector.addDownload('back.p12', SANDBOX);
    expect(await post(fileActivity(c, { name: SANDBOX_NAME, downloadUrl: url }))).toBe(200);
    await press(c, 'Atrás');
    expect(lastText(c, 3)).toMatch(/Volvimos al paso anterior/);
    expect(everything(c)).not.toMatch(/quedan \d+ intentos/);
  });

  it('a wrong PIN is counted; a PIN typed as a message is masked and the customer warned', async () => {
    const c = await toFileStep();
    const url = connector.addDownload('wrong.p12', SANDBOX);
    await post(fileActivity(c, { name: SANDBOX_NAME, downloadUrl: url }));
    await enterPin(c, '0000');
    expect(everything(c)).toMatch(/4 intentos/);
    await say(c, '1111');
    expect(everything(c)).toMatch(/bórrelo del historial/);
    expect(everything(c)).toMatch(/3 intentos/);
    expect(await transcriptOf(c)).not.toMatch(/\b1111\b/);
  });

  it('refuses an oversized attachment and asks again for an expired download link', async () => {
    const c = await toFileStep();
    const big = connector.addDownload('enorme.p12', new Uint8Array(300 * 1024));
    await post(fileActivity(c, { name: 'enorme.p12', downloadUrl: big }));
    expect(lastText(c, 3)).toMatch(/demasiado grande/);
    const gone = connector.addDownload('caducado.p12', SANDBOX, { gone: true });
    await post(fileActivity(c, { name: 'caducado.p12', downloadUrl: gone }));
    expect(lastText(c, 3)).toMatch(/No pude descargar «caducado\.p12»/);
    expect(lastText(c)).toMatch(/\.p12/);
    // A link to somewhere else than Teams' file host or the connector is not fetched at all.
    await post(fileActivity(c, { name: 'interno.p12', downloadUrl: 'http://169.254.169.254/latest/meta-data' }));
    expect(lastText(c, 3)).toMatch(/No pude descargar «interno\.p12»/);
  });

  it('answers an activity delivered twice once', async () => {
    const c = newChat('es-ES');
    const a = messageActivity(c, 'hola');
    expect(await post(a)).toBe(200);
    const before = shown(c).length;
    expect(await post(a)).toBe(200);
    expect(shown(c)).toHaveLength(before);
  });

  it('sends an unprompted message (an agent\'s reply) to the saved conversation reference', async () => {
    const c = newChat('es-ES');
    await say(c, 'hola');
    const rec = await store.findByChannelKey('teams', `00000000-0000-4000-8000-00000000c0de:${c.conversationId}`);
    expect(rec?.replyTo).toMatchObject({ conversation: { id: c.conversationId }, serviceUrl: connector.serviceUrl });
    const before = shown(c).length;
    const message: Rendered = { type: 'text', key: 'test', text: 'Hola, soy Ana, del equipo de soporte.' };
    expect(await server.app.teams?.sendTo(rec?.id as string, [message])).toBe(true);
    await connector.waitForSent(c.conversationId, before + 1, { type: 'message' });
    expect(readable(shown(c).at(-1)?.activity ?? {})).toBe('Hola, soy Ana, del equipo de soporte.');
  });

  it('an agent takes a customer who asked for a person: claims, replies with a card, and hands them back to a procedure whose buttons work', async () => {
    const password = 'correct horse battery';
    expect((await createAccounts(store.sql).addUser({ email: 'ana.teams@soporte.example', name: 'Ana Rojas', role: 'agent', password })).ok).toBe(true);
    const c = newChat('es-CR');
    await say(c, 'necesito revocar mi llave criptográfica');
    await say(c, 'quiero hablar con una persona');
    expect(lastText(c)).toMatch(/número 1 en la fila/);

    // While waiting, the bot says "noted" once and nothing else, however much the customer writes.
    const beforeWaiting = shown(c).length;
    await say(c, '¿hay alguien?');
    await say(c, 'es urgente, la factura no sale');
    await say(c, 'sigo aquí');
    const whileWaiting = shown(c).slice(beforeWaiting);
    expect(whileWaiting).toHaveLength(1);
    expect(readable(whileWaiting[0]?.activity ?? {})).toMatch(/Anotado/);

    // The agent signs in over HTTP and finds the conversation in the queue.
    const ana = await signIn(server.url, 'ana.teams@soporte.example', password);
    const rec = await store.findByChannelKey('teams', `${c.tenantId ?? '00000000-0000-4000-8000-00000000c0de'}:${c.conversationId}`);
    const { queue } = (await (await ana.get('/api/agent/queue')).json()) as { queue: Array<{ id: string; channel: string; status: string }> };
    expect(queue.find((q) => q.id === rec?.id)).toMatchObject({ channel: 'teams', status: 'queued' });
    const id = rec?.id as string;

    expect((await ana.post(`/api/agent/conversations/${id}/claim`)).status).toBe(200);
    await server.app.teams?.idle();
    expect(lastText(c, 1)).toMatch(/Hola, soy Ana Rojas/);
    const beforeAgent = shown(c).length;
    await say(c, 'gracias, le cuento: no me deja entrar a la ATV');
    expect(shown(c)).toHaveLength(beforeAgent);

    const text = 'Revise **esto** y _aquello_ en <https://www.hacienda.go.cr> & avíseme.';
    expect((await ana.post(`/api/agent/conversations/${id}/reply`, { text })).status).toBe(200);
    await connector.waitForSent(c.conversationId, beforeAgent + 1, { type: 'message' });
    const reply = shown(c).at(-1)?.activity as Json;
    const card = ((reply.attachments as Json[])[0] as Json).content as Json;
    const runs = Object.fromEntries((card.body as Json[]).map((b) => [b.id, ((b.inlines as Json[])[0] as Json).text]));
    // A TextRun is never markdown: the agent's words arrive exactly as written, under their name.
    expect(runs['agent.text']).toBe(text);
    expect(runs['agent.from']).toMatch(/Ana Rojas/);
    expect(reply.summary).toMatch(/Ana Rojas/);

    // Back to the bot, at the start of generating a new key: its first step as a card with buttons.
    const beforeReturn = shown(c).length;
    expect((await ana.post(`/api/agent/conversations/${id}/return`, { flow: 'atv.generate-key' })).status).toBe(200);
    await connector.waitForSent(c.conversationId, beforeReturn + 1, { type: 'message' });
    await server.app.teams?.idle();
    const back = shown(c).slice(beforeReturn);
    expect(back.map((s) => readable(s.activity)).join('\n')).toMatch(/Ana Rojas le ha devuelto al asistente/);
    expect(submits(back.at(-1)?.activity.attachments).map((a) => a.title)).toEqual(expect.arrayContaining([expect.stringMatching(/ATV clásico/)]));
    await press(c, /ATV clásico/);
    expect(lastText(c)).toMatch(/Ingrese a la ATV/);
    expect(everything(c)).not.toMatch(/paso anterior/);
    const after = await store.getConversation(id);
    expect(after?.state.handoff).toBeUndefined();
    expect(after?.state.flow.id).toBe('atv.generate-key');
  });

  it('refuses junk that is not an activity, without running anything', async () => {
    const r = await fetch(`${server.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'no type' }) });
    expect(r.status).toBe(400);
  });
});

describe('Teams adapter with an App ID', () => {
  let connector: FakeConnector;
  let server: TestServer;

  beforeAll(async () => {
    connector = await startFakeConnector();
    server = await startServer({ env: { MicrosoftAppId: '6f1c2b3a-5d6e-4f80-91a2-b3c4d5e6f7a8', MicrosoftAppPassword: 'test-secret' } });
  });
  afterAll(async () => {
    await server?.close();
    await connector?.close();
  });

  it('refuses requests without a valid Bot Framework token and runs nothing', async () => {
    const c = teamsChat(connector.serviceUrl, { conversationId: newConversationId(), user: newTeamsUser(), locale: 'es-ES' });
    const url = `${server.url}/api/messages`;
    const statuses = [
      (await postActivity(url, messageActivity(c, 'hola'))).status,
      (await postActivity(url, messageActivity(c, 'hola'), { authorization: 'Bearer junk' })).status,
      (await postActivity(url, messageActivity(c, 'hola'), { authorization: 'junk' })).status,
    ];
    for (const s of statuses) expect([401, 403]).toContain(s);
    await server.app.teams?.idle();
    expect(connector.sent).toEqual([]);
    expect(await server.store.findByChannelKey('teams', `00000000-0000-4000-8000-00000000c0de:${c.conversationId}`)).toBeUndefined();
  });
});
