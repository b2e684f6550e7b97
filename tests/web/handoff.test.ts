// Human handoff over HTTP and the web chat: the live queue, claiming (exactly one of ten), the masked transcript,
// replies pushed to the customer, back to the bot at a chosen step, transfer, close, roles, CSRF and the audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../src/adapters/webchat/protocol.ts';
import { createAccounts, type Accounts } from '../../src/accounts/accounts.ts';
import type { Rendered } from '../../src/conversation/render.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { openSse } from '../support/sse.ts';
import { connect, type ChatClient } from '../support/ws-client.ts';

const PASSWORD = 'correct horse battery';
type Push = Extract<ServerMessage, { t: 'push' }>;
const isPush = (m: ServerMessage): m is Push => m.t === 'push';

describe('human handoff over HTTP', () => {
  let server: TestServer;
  let accounts: Accounts;
  const staff = [
    ['ana@soporte.example', 'Ana Rojas', 'agent'],
    ['luis@soporte.example', 'Luis Mora', 'agent'],
    ['marta@soporte.example', 'Marta Díaz', 'manager'],
    ['root@soporte.example', 'Root', 'admin'],
    ...Array.from({ length: 10 }, (_, i) => [`agente${i}@soporte.example`, `Agente ${i}`, 'agent']),
  ] as const;

  beforeAll(async () => {
    server = await startServer({ env: { TRUST_PROXY: '1' } });
    accounts = createAccounts((server.store as SqlStore).sql);
    for (const [email, name, role] of staff) expect((await accounts.addUser({ email, name, role, password: PASSWORD })).ok).toBe(true);
  });
  afterAll(() => server?.close());

  let caller = 0;
  async function login(email: string) {
    const r = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${++caller % 250}` },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { csrf: string; user: { id: string; name: string } };
    return { cookie: (r.headers.get('set-cookie') ?? '').split(';')[0] ?? '', csrf: body.csrf, user: body.user };
  }
  type Who = Awaited<ReturnType<typeof login>>;
  const get = (path: string, who?: Who) => fetch(`${server.url}${path}`, { headers: who ? { cookie: who.cookie } : {} });
  const post = (path: string, who: Who | undefined, body: unknown = {}, csrf = who?.csrf) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(who ? { cookie: who.cookie } : {}), ...(csrf ? { 'x-csrf-token': csrf } : {}) },
      body: JSON.stringify(body),
    });

  /** A web chat customer who has asked for a person mid-procedure; returns the client and the conversation id. */
  async function customerWaiting(locale: 'es' | 'en' = 'es', agent?: Who): Promise<{ c: ChatClient; id: string }> {
    const c = await connect(server.url, { locale });
    await c.say({ t: 'text', text: locale === 'es' ? 'necesito revocar mi llave criptográfica' : 'I need to revoke my cryptographic key' });
    const asked = await c.say({ t: 'text', text: locale === 'es' ? 'quiero hablar con una persona' : 'talk to a person' });
    expect(asked.messages.some((m) => m.type === 'handoff')).toBe(true);
    const queue = (await (await get('/api/agent/queue', agent ?? (await login('root@soporte.example')))).json()) as { queue: Array<{ id: string; since: number }> };
    const id = queue.queue.at(-1)?.id ?? '';
    return { c, id };
  }

  it('a customer asks for a person: the agent hears it live, claims, reads the masked transcript, replies on the web chat and sends the customer back into a procedure step', async () => {
    const ana = await login('ana@soporte.example');
    const events = await openSse(`${server.url}/api/agent/events`, { cookie: ana.cookie });
    try {
      const c = await connect(server.url, { locale: 'es' });
      await c.say({ t: 'text', text: 'necesito revocar mi llave criptográfica' });
      const before = events.events.length;
      const asked = await c.say({ t: 'text', text: 'quiero hablar con una persona' });
      // The customer is told they are queued, their place, and how to go back to the bot.
      const place = asked.messages.find((m): m is Extract<Rendered, { type: 'choices' }> => m.type === 'choices');
      expect(place?.text).toMatch(/número 1 en la fila/);
      expect(place?.options.map((o) => o.id)).toEqual(['handoff/cancel']);
      await events.waitFor((e) => events.events.indexOf(e) >= before && e.event === 'queue');

      const { queue } = (await (await get('/api/agent/queue?lng=es', ana)).json()) as { queue: Array<{ id: string; status: string; flow: string; flowTitle: string; reason: string; channel: string }> };
      const item = queue.find((q) => q.status === 'queued');
      expect(item).toMatchObject({ flow: 'atv.revoke-key', reason: 'asked', channel: 'webchat' });
      expect(item?.flowTitle).not.toMatch(/:/);
      const id = item?.id ?? '';

      // Something secret typed while waiting never reaches the agent in clear.
      await c.send({ t: 'text', text: 'mi pin es 4821' });

      expect((await post(`/api/agent/conversations/${id}/claim`, ana)).status).toBe(200);
      const joined = await c.waitFor((m): m is Push => isPush(m) && m.messages.some((x) => x.text.includes('Ana Rojas')));
      expect(joined.messages[0]?.key).toBe('common:handoff.joined');

      const view = (await (await get(`/api/agent/conversations/${id}?lng=es`, ana)).json()) as { status: string; handoff: { agent: { name: string } }; transcript: Array<{ author: string; text: string }> };
      expect(view.status).toBe('assigned');
      expect(view.handoff.agent.name).toBe('Ana Rojas');
      const customerLines = view.transcript.filter((l) => l.author === 'customer').map((l) => l.text);
      expect(customerLines).toContain('quiero hablar con una persona');
      expect(customerLines.some((l) => l.includes('••••'))).toBe(true);
      expect(JSON.stringify(view.transcript)).not.toMatch(/\b4821\b/);

      // While the agent has it, the customer's words go to them live and the bot stays quiet.
      const from = events.events.length;
      const heard = events.waitFor((e) => events.events.indexOf(e) >= from && e.event === 'conversation' && (JSON.parse(e.data) as { id: string }).id === id);
      const botSaid = () => c.received.flatMap((m) => (m.t === 'bot' ? m.messages : [])).length;
      const botSaidBefore = botSaid();
      // The turn's own answer frame comes back empty: the bot has nothing to say while an agent has the conversation.
      expect((await c.say({ t: 'text', text: 'gracias, espero' })).messages).toEqual([]);
      await heard;
      expect(botSaid()).toBe(botSaidBefore);

      expect((await post(`/api/agent/conversations/${id}/reply`, ana, { text: 'Hola, revisemos juntos la llave <b>nueva</b>.' })).status).toBe(200);
      const reply = await c.waitFor((m): m is Push => isPush(m) && m.messages.some((x) => x.type === 'agent'));
      expect(reply.messages.find((x) => x.type === 'agent')).toMatchObject({ type: 'agent', text: 'Hola, revisemos juntos la llave <b>nueva</b>.', name: 'Ana Rojas' });

      // "Let the bot walk you through generating the key."
      expect((await post(`/api/agent/conversations/${id}/return`, ana, { flow: 'atv.generate-key' })).status).toBe(200);
      const back = await c.waitFor((m): m is Push => isPush(m) && m.messages.some((x) => x.key === 'common:handoff.returned'));
      expect(back.messages.map((m) => m.key)).toContain('atv:generate.portal.prompt');
      // The customer carries on with the bot from there.
      const options = back.messages.filter((m): m is Extract<Rendered, { type: 'choices' }> => m.type === 'choices').at(-1)?.options ?? [];
      expect(options.length).toBeGreaterThan(0);
      const next = await c.say({ t: 'choice', id: options[0]?.id ?? '' });
      // Its next step: the portal was answered, not asked again.
      expect(next.messages.at(-1)?.key).toMatch(/^atv:generate\.(?!portal\.)\w+\.prompt$/);
      expect(next.messages.map((m) => m.key)).not.toContain('common:input.stale-choice');

      const after = (await (await get(`/api/agent/conversations/${id}`, ana)).json()) as { status: string; flow: string };
      expect(after).toMatchObject({ status: 'bot', flow: 'atv.generate-key' });

      const audit = await accounts.auditLog({ conversationId: id });
      const actions = audit.filter((a) => a.actorId === ana.user.id).map((a) => a.action);
      expect(actions).toEqual(expect.arrayContaining(['conversation.claim', 'conversation.viewed', 'conversation.reply', 'conversation.return']));
      expect(JSON.stringify(audit)).not.toContain('revisemos');
      c.close();
    } finally {
      events.close();
    }
  });

  it('ten agents claim one conversation at once: exactly one gets it, nine are told who has it', async () => {
    const agents = await Promise.all(Array.from({ length: 10 }, (_, i) => login(`agente${i}@soporte.example`)));
    const { c, id } = await customerWaiting('es', agents[0]);
    const answers = await Promise.all(agents.map((a) => post(`/api/agent/conversations/${id}/claim`, a).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: string; agent?: { name: string } } }))));
    const won = answers.filter((a) => a.status === 200);
    const lost = answers.filter((a) => a.status === 409);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(9);
    const winner = agents[answers.findIndex((a) => a.status === 200)];
    for (const l of lost) expect(l.body).toEqual({ error: 'handoff.taken', agent: { name: winner?.user.name } });
    // The customer was greeted once, by the winner. Staff lines reach the customer in order, so once the winner's
    // next reply is there, a second greeting from any of the ten claims would be there too.
    await c.waitFor((m): m is Push => isPush(m) && m.messages.some((x) => x.key === 'common:handoff.joined'));
    expect((await post(`/api/agent/conversations/${id}/reply`, winner, { text: 'Hola, soy yo quien te atiende.' })).status).toBe(200);
    await c.waitFor((m): m is Push => isPush(m) && m.messages.some((x) => x.type === 'agent'));
    const greetings = c.received.filter(isPush).flatMap((m) => m.messages).filter((x) => x.key === 'common:handoff.joined');
    expect(greetings).toHaveLength(1);
    expect(greetings[0]?.text).toContain(winner?.user.name);
    const claims = (await accounts.auditLog({ conversationId: id })).filter((a) => a.action === 'conversation.claim');
    expect(claims).toHaveLength(1);
    c.close();
  });

  it('transfer to a colleague moves the conversation to them; close with a tag ends it for the customer', async () => {
    const ana = await login('ana@soporte.example');
    const luis = await login('luis@soporte.example');
    const { c, id } = await customerWaiting('en', ana);
    expect((await post(`/api/agent/conversations/${id}/claim`, ana)).status).toBe(200);
    expect((await post(`/api/agent/conversations/${id}/transfer`, ana, { to: 'no-such-user' })).status).toBe(404);
    expect((await post(`/api/agent/conversations/${id}/transfer`, ana, { to: luis.user.id })).status).toBe(200);
    await c.waitFor((m): m is Push => isPush(m) && m.messages.some((x) => x.key === 'common:handoff.transferred' && x.text.includes('Luis Mora')));
    // No longer Ana's.
    const notYours = await post(`/api/agent/conversations/${id}/reply`, ana, { text: 'hello?' });
    expect(notYours.status).toBe(409);
    expect(await notYours.json()).toMatchObject({ error: 'handoff.not-yours' });
    expect((await post(`/api/agent/conversations/${id}/reply`, luis, { text: '   ' })).status).toBe(400);
    expect((await post(`/api/agent/conversations/${id}/reply`, luis, { text: 'x'.repeat(2001) })).status).toBe(400);
    expect((await post(`/api/agent/conversations/${id}/close`, luis, { tag: 'made-up' })).status).toBe(400);
    expect((await post(`/api/agent/conversations/${id}/close`, luis, { tag: 'solved' })).status).toBe(200);
    const closed = await c.waitFor((m): m is Push => isPush(m) && m.messages.some((x) => x.type === 'end'));
    expect(closed.messages[0]?.text).toContain('Luis Mora');
    const after = (await (await get(`/api/agent/conversations/${id}`, luis)).json()) as { status: string };
    expect(after.status).toBe('ended');
    // Closed is closed: no more claims.
    const again = await post(`/api/agent/conversations/${id}/claim`, ana);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'conversation.ended' });
    const { queue } = (await (await get('/api/agent/queue', ana)).json()) as { queue: Array<{ id: string }> };
    expect(queue.map((q) => q.id)).not.toContain(id);
    c.close();
  });

  it('an agent steps into a conversation with the bot before the customer asks: listed with where it stands, and taking it pauses the bot', async () => {
    const luis = await login('luis@soporte.example');
    type Active = { id: string; flow: string; flowTitle: string; step: string; channel: string; locale: string; failures: number; secretFailures: number; idleSeconds: number };
    const lists = async () => (await (await get('/api/agent/queue?lng=en', luis)).json()) as { active: Active[]; queue: Array<{ id: string; status: string; reason: string }> };
    const before = new Set((await lists()).active.map((a) => a.id));
    const c = await connect(server.url, { locale: 'en' });
    await c.say({ t: 'text', text: 'I need to revoke my cryptographic key' });
    const fresh = (await lists()).active.filter((a) => !before.has(a.id));
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({ flow: 'atv.revoke-key', channel: 'webchat', locale: 'en', failures: 0, secretFailures: 0 });
    expect(fresh[0]?.flowTitle).toMatch(/Hacienda/);
    expect(fresh[0]?.idleSeconds).toBeLessThan(60);
    const id = fresh[0]?.id ?? '';

    expect((await post(`/api/agent/conversations/${id}/claim`, luis)).status).toBe(200);
    const joined = await c.waitFor((m): m is Push => isPush(m) && m.messages.some((x) => x.text.includes('Luis Mora')));
    expect(joined.messages[0]?.key).toBe('common:handoff.joined');
    const after = await lists();
    expect(after.active.map((a) => a.id)).not.toContain(id);
    expect(after.queue.find((q) => q.id === id)).toMatchObject({ status: 'assigned', reason: 'agent' });
    // The bot has stepped back: what the customer writes now is for Luis.
    const botSaid = () => c.received.flatMap((m) => (m.t === 'bot' ? m.messages : [])).filter((m) => !m.key.startsWith('common:handoff.')).length;
    const quiet = botSaid();
    // The turn's own answer frame comes back empty: nothing from the bot for this message, and nothing since.
    expect((await c.say({ t: 'text', text: 'hello?' })).messages).toEqual([]);
    expect(botSaid()).toBe(quiet);
    c.close();
  });

  it('a customer who leaves the queue is back with the bot where they were, and leaves the queue for the agents', async () => {
    const ana = await login('ana@soporte.example');
    const { c, id } = await customerWaiting('es', ana);
    const back = await c.say({ t: 'choice', id: 'handoff/cancel' });
    expect(back.messages[0]?.key).toBe('common:handoff.cancelled');
    expect(back.messages.map((m) => m.key).some((k) => k.startsWith('atv:revoke.'))).toBe(true);
    const { queue } = (await (await get('/api/agent/queue', ana)).json()) as { queue: Array<{ id: string }> };
    expect(queue.map((q) => q.id)).not.toContain(id);
    c.close();
  });

  it('refuses anonymous callers, customer tokens, missing CSRF tokens and roles that are not theirs', async () => {
    const { c, id } = await customerWaiting('es');
    const agent = await login('ana@soporte.example');
    const reads = ['/api/agent/queue', `/api/agent/conversations/${id}`, '/api/agent/agents', '/api/agent/flows', '/api/agent/events'];
    const writes = ['claim', 'reply', 'return', 'transfer', 'close'].map((a) => `/api/agent/conversations/${id}/${a}`);
    for (const path of reads) {
      expect({ path, status: (await get(path)).status }).toEqual({ path, status: 401 });
      // A web chat customer's token is no staff session, as a cookie or a bearer.
      const asCustomer = await fetch(`${server.url}${path}`, { headers: { cookie: `llv_session=${c.token}`, authorization: `Bearer ${c.token}` } });
      expect({ path, status: asCustomer.status }).toEqual({ path, status: 401 });
    }
    for (const path of writes) {
      expect({ path, status: (await post(path, undefined, {})).status }).toEqual({ path, status: 401 });
      expect({ path, status: (await post(path, agent, { text: 'x', tag: 'solved' }, 'not-the-token')).status }).toEqual({ path, status: 403 });
    }
    // Agents do not administer users.
    expect((await get('/api/admin/users', agent)).status).toBe(403);
    // Nothing above changed the conversation.
    const view = (await (await get(`/api/agent/conversations/${id}`, agent)).json()) as { status: string };
    expect(view.status).toBe('queued');
    c.close();
  });

  it('serves the console and its strings in both languages', async () => {
    const page = await get('/agent/');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/agent/agent.js');
    // What the console shares with the dashboard: loaded before its own script and styles, served without a session.
    expect(html).toMatch(/\/staff\/staff\.css[\s\S]*\/agent\/agent\.css/);
    expect(html).toMatch(/\/staff\/staff\.js[\s\S]*\/agent\/agent\.js/);
    const shared = await get('/staff/staff.js');
    expect(shared.status).toBe(200);
    expect(shared.headers.get('content-type')).toMatch(/javascript/);
    expect(await shared.text()).toContain('window.LlaveroStaff');
    expect((await get('/staff/staff.css')).headers.get('content-type')).toMatch(/text\/css/);
    for (const lng of ['es', 'en']) {
      const r = await get(`/api/agent/strings/${lng}`);
      expect(r.status).toBe(200);
      expect(Object.keys((await r.json()) as object).length).toBeGreaterThan(5);
    }
    const flows = (await (await get('/api/agent/flows?lng=en', await login('ana@soporte.example'))).json()) as { flows: Array<{ id: string; title: string; steps: Array<{ id: string; label: string }> }>; tags: string[] };
    const gen = flows.flows.find((f) => f.id === 'atv.generate-key');
    expect(gen?.steps[0]).toMatchObject({ id: 'portal' });
    expect(gen?.steps.every((s) => s.label.length > 0 && !s.label.includes(':generate.'))).toBe(true);
    expect(flows.tags).toContain('solved');
  });
});
