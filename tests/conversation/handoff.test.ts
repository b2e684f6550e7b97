/**
 * Handing a conversation to a person, as the customer and the agent live it: joining the queue
 * (place, typical wait, business hours), waiting (messages for the agent, what the paused bot still
 * answers, going back to the assistant), the automatic triggers, and the agent's side (claim, reply,
 * transfer, return to the bot, close). Real engine, real locales.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createCertificateChecker } from '../../src/certs/pool.ts';
import type { QueueOutlook } from '../../src/conversation/engine.ts';
import { CANCEL_HANDOFF, type Locale } from '../../src/conversation/messages.ts';
import type { AgentRef, ConversationState } from '../../src/conversation/state.ts';
import { bot, driver, endedConversation, type Driver } from '../support/bot.ts';

const ANA: AgentRef = { id: 'agent-ana', name: 'Ana' };
const BRUNO: AgentRef = { id: 'agent-bruno', name: 'Bruno' };
/** Monday 30 November 2026, 09:00 in Santiago (CLST, UTC-3). */
const MONDAY_9_SANTIAGO = Date.UTC(2026, 10, 30, 12, 0);

const names = (d: Driver) => d.last?.events.map((e) => e.name) ?? [];
const outlook = (o: QueueOutlook) => () => Promise.resolve(o);

/** Mid-procedure: revoking a Hacienda key, at the "sign in to ATV" step. */
async function atRevokeLogin(locale: Locale = 'es', d: Driver = driver(locale)): Promise<Driver> {
  await d.send(locale === 'es' ? 'revocar llave' : 'revoke my key');
  await d.press(locale === 'es' ? 'ATV clásico' : 'Classic ATV');
  expect(d.where()).toEqual({ flow: 'atv.revoke-key', step: 'login' });
  return d;
}

/** At the revoke login step, then "talk to a person": queued. */
async function queued(locale: Locale = 'es', d: Driver = driver(locale)): Promise<Driver> {
  await atRevokeLogin(locale, d);
  await d.send(locale === 'es' ? 'quiero hablar con una persona' : 'talk to a person');
  expect(d.state?.handoff?.status).toBe('queued');
  return d;
}

/** Queued, then taken by Ana. */
async function withAna(locale: Locale = 'es'): Promise<Driver> {
  const d = await queued(locale);
  expect(d.staff({ type: 'claim', agent: ANA }).ok).toBe(true);
  return d;
}

function expectCancelButton(d: Driver, label: string): void {
  expect(d.said.at(-1)?.type).toBe('choices');
  expect(d.options()).toEqual([{ id: CANCEL_HANDOFF, label }]);
}

describe('asking for a person mid-procedure', () => {
  it.each<[Locale, string]>([
    ['en', 'talk to a person'],
    ['en', 'Can I speak to a human please'],
    ['es', 'quiero hablar con una persona'],
    ['es', 'necesito hablar con alguien, por favor'],
  ])('(%s) "%s" queues the conversation and does not repeat the step', async (locale, phrase) => {
    const d = await atRevokeLogin(locale);
    await d.send(phrase);
    expect(d.state?.handoff).toMatchObject({ reason: 'asked', status: 'queued', at: d.now });
    expect(d.last?.events.filter((e) => e.name === 'handoff.requested')).toEqual([
      expect.objectContaining({ data: { reason: 'asked' } }),
    ]);
    expect(d.said[0]).toMatchObject({ type: 'handoff', reason: 'asked', key: 'common:handoff.requested.asked' });
    // The bot pauses where it is, without saying the step again.
    expect(d.where()).toEqual({ flow: 'atv.revoke-key', step: 'login' });
    expect(d.keys()).not.toContain('atv:revoke.login.prompt');
    expect(d.keys()).toEqual(['common:handoff.requested.asked', 'common:handoff.queued-unknown']);
    expectCancelButton(d, locale === 'es' ? 'Volver al asistente' : 'Back to the assistant');
  });

  it('says the place in line from the queue outlook, asked about this conversation', async () => {
    const d = await atRevokeLogin('en');
    const asked: Array<{ country?: string; since: number }> = [];
    d.outlook = (q) => {
      asked.push(q);
      return Promise.resolve({ ahead: 2, open: true });
    };
    await d.send('talk to a person');
    expect(d.keys().at(-1)).toBe('common:handoff.queued');
    expect(d.said.at(-1)?.text).toMatch(/number 3 in line/);
    expect(d.said.at(-1)?.text).not.toMatch(/min\b/);
    expect(asked).toEqual([{ country: d.state?.country, since: d.state?.handoff?.at }]);
    expectCancelButton(d, 'Back to the assistant');
  });

  it('adds the typical wait when there is one', async () => {
    const d = await atRevokeLogin('en');
    d.outlook = outlook({ ahead: 2, open: true, typicalWaitMs: 7 * 60_000 });
    await d.send('talk to a person');
    expect(d.keys().at(-1)).toBe('common:handoff.queued-estimate');
    expect(d.said.at(-1)?.text).toMatch(/number 3 in line/);
    expect(d.said.at(-1)?.text).toMatch(/about 7 min/);
    expectCancelButton(d, 'Back to the assistant');

    const es = await atRevokeLogin('es');
    es.outlook = outlook({ ahead: 0, open: true, typicalWaitMs: 7 * 60_000 });
    await es.send('quiero hablar con una persona');
    expect(es.said.at(-1)?.text).toMatch(/número 1 en la fila/);
    expect(es.said.at(-1)?.text).toMatch(/unos 7 min/);
  });

  it('without an outlook, the customer is queued without a place', async () => {
    const d = await atRevokeLogin('en');
    await d.send('talk to a person');
    expect(d.said.at(-1)).toMatchObject({ key: 'common:handoff.queued-unknown' });
    expect(d.said.at(-1)?.text).toMatch(/You are in line to talk to a person/);
    expectCancelButton(d, 'Back to the assistant');
  });

  it('when the queue cannot be read, the customer is queued all the same', async () => {
    const d = await atRevokeLogin('en');
    d.outlook = () => Promise.reject(new Error('store down'));
    await d.send('talk to a person');
    expect(d.state?.handoff).toMatchObject({ reason: 'asked', status: 'queued' });
    expect(names(d)).toContain('handoff.requested');
    expect(d.keys()).toEqual(['common:handoff.requested.asked', 'common:handoff.queued-unknown']);
    expect(d.keys()).not.toContain('common:error.internal');
    expectCancelButton(d, 'Back to the assistant');
  });
});

describe('while waiting in the queue', () => {
  it('a message is passed on with "Noted" once; the next gets no reply; both are in the transcript and the step stays', async () => {
    const d = await queued('en');
    const flow = structuredClone(d.state?.flow);
    await d.send('I see an error that says the certificate is revoked');
    expect(d.keys()).toEqual(['common:handoff.noted']);
    expect(d.said[0]?.text).toMatch(/^Noted/);
    expect(d.last?.transcript).toEqual({ type: 'text', text: 'I see an error that says the certificate is revoked' });
    await d.send('it happens every time');
    expect(d.said).toEqual([]);
    expect(d.last?.transcript).toEqual({ type: 'text', text: 'it happens every time' });
    expect(d.state?.flow).toEqual(flow);
    expect(d.where()).toEqual({ flow: 'atv.revoke-key', step: 'login' });
    expect(d.state?.handoff?.status).toBe('queued');
  });

  it('a typed PIN is masked in the transcript, and the customer is warned', async () => {
    const d = await queued('es');
    await d.send('1234');
    expect(d.last?.transcript).toEqual({ type: 'text', text: '••••' });
    expect(d.keys()).toContain('common:secret.typed-in-clear');
    expect(JSON.stringify(d.state)).not.toMatch(/\b1234\b/);
    expect(d.state?.handoff?.status).toBe('queued');
  });

  it('a file gets "the person cannot receive files here", with the way back to the assistant', async () => {
    const d = await queued('en');
    const before = structuredClone(d.state?.flow);
    await d.send({ type: 'file', name: 'key.p12', bytes: new Uint8Array([1, 2, 3]) });
    expect(d.keys()).toEqual(['common:handoff.no-files']);
    expect(d.said[0]?.text).toMatch(/cannot receive files/);
    expectCancelButton(d, 'Back to the assistant');
    expect(d.state?.flow).toEqual(before);
  });

  it('an old button of the bot, or "help", gets "the assistant is paused"', async () => {
    const d = await atRevokeLogin('en');
    const old = d.options().find((o) => o.label === "It didn't work");
    expect(old).toBeDefined();
    await d.send('talk to a person');
    const flow = structuredClone(d.state?.flow);
    await d.send({ type: 'choice', id: old?.id ?? '' });
    expect(d.keys()).toEqual(['common:handoff.paused']);
    expectCancelButton(d, 'Back to the assistant');
    expect(d.state?.flow).toEqual(flow);
    expect(d.state?.failures).toEqual({});
    await d.send('help');
    expect(d.keys()).toEqual(['common:handoff.paused']);
    await d.send({ type: 'command', command: 'help' });
    expect(d.keys()).toEqual(['common:handoff.paused']);
    expect(d.state?.flow).toEqual(flow);
  });

  it('asking again for a person says the place in line again, without a second request', async () => {
    const d = await atRevokeLogin('es');
    d.outlook = outlook({ ahead: 2, open: true });
    await d.send('quiero hablar con una persona');
    const at = d.state?.handoff?.at;
    d.outlook = outlook({ ahead: 1, open: true });
    await d.send('hablar con un humano');
    expect(d.keys()).toEqual(['common:handoff.queued']);
    expect(d.said[0]?.text).toMatch(/número 2 en la fila/);
    expect(names(d)).not.toContain('handoff.requested');
    expect(d.said.some((m) => m.type === 'handoff')).toBe(false);
    expect(d.state?.handoff).toMatchObject({ status: 'queued', at });
    expectCancelButton(d, 'Volver al asistente');
  });

  it('switching language keeps the place in the queue and answers in the new language', async () => {
    const d = await queued('es');
    const handoff = structuredClone(d.state?.handoff);
    await d.send('english');
    expect(d.state?.locale).toBe('en');
    expect(d.state?.handoff).toEqual(handoff);
    expect(d.keys()).toEqual(['common:language.switched', 'common:handoff.queued-unknown']);
    expect(d.said.at(-1)?.text).toMatch(/You are in line to talk to a person/);
    expectCancelButton(d, 'Back to the assistant');
    await d.send('español');
    expect(d.state?.locale).toBe('es');
    expect(d.said.at(-1)?.text).toMatch(/Usted está en la fila/);
  });

  it('"Back to the assistant" leaves the queue and shows the exact step they were on', async () => {
    const d = await queued('en');
    await d.press('Back to the assistant');
    expect(d.state?.handoff).toBeUndefined();
    expect(d.last?.events.find((e) => e.name === 'handoff.cancelled')?.data).toEqual({ status: 'queued', waitMs: 5_000 });
    expect(d.where()).toEqual({ flow: 'atv.revoke-key', step: 'login' });
    expect(d.keys()).toEqual(['common:handoff.cancelled', 'atv:revoke.login.prompt']);
    // The bot is back: its buttons work again.
    await d.press("It didn't work");
    expect(d.where().step).toBe('loginTrouble');
  });

  it.each<[Locale, string]>([
    ['en', 'cancel'],
    ['en', 'back to the bot'],
    ['es', 'cancelar'],
    ['es', 'Volver al asistente'],
  ])('(%s) typing "%s" leaves the queue too', async (locale, phrase) => {
    const d = await queued(locale);
    await d.send(phrase);
    expect(d.state?.handoff).toBeUndefined();
    expect(names(d)).toContain('handoff.cancelled');
    expect(d.where()).toEqual({ flow: 'atv.revoke-key', step: 'login' });
    expect(d.keys()).toEqual(['common:handoff.cancelled', 'atv:revoke.login.prompt']);
  });

  it('"start over" leaves the queue and starts again at the greeting', async () => {
    for (const [locale, phrase] of [['en', 'start over'], ['es', 'empezar de nuevo']] as const) {
      const d = await queued(locale);
      await d.send(phrase);
      expect(d.state?.handoff).toBeUndefined();
      expect(names(d)).toEqual(expect.arrayContaining(['handoff.cancelled', 'conversation.restarted']));
      expect(d.where()).toEqual({ flow: 'triage', step: 'greeting' });
      expect(d.keys().at(-1)).toBe('triage:greeting.prompt');
    }
  });
});

describe('outside business hours', () => {
  const closed: QueueOutlook = { ahead: 0, open: false, reopensAt: MONDAY_9_SANTIAGO, timeZone: 'America/Santiago' };

  it('says when the team is back, in the customer language and the hours\' time zone', async () => {
    const es = await atRevokeLogin('es');
    es.outlook = outlook(closed);
    await es.send('quiero hablar con una persona');
    expect(es.keys()).toEqual(['common:handoff.requested.asked', 'common:handoff.closed']);
    expect(es.said.at(-1)?.text).toMatch(/lunes/);
    expect(es.said.at(-1)?.text).toMatch(/09:00/);
    expect(es.state?.handoff?.status).toBe('queued');
    expectCancelButton(es, 'Volver al asistente');

    const en = await atRevokeLogin('en');
    en.outlook = outlook(closed);
    await en.send('talk to a person');
    expect(en.said.at(-1)?.text).toMatch(/Monday/);
    expect(en.said.at(-1)?.text).toMatch(/09:00/);
  });

  it('keeps the e-mail address the customer leaves, and says where they will be written to', async () => {
    const d = await atRevokeLogin('es');
    d.outlook = outlook(closed);
    await d.send('quiero hablar con una persona');
    await d.send('mi correo es ana@example.cl');
    expect(d.state?.handoff?.email).toBe('ana@example.cl');
    expect(d.keys()).toEqual(['common:handoff.email-saved']);
    expect(d.said[0]?.text).toContain('ana@example.cl');
    expect(names(d)).toEqual(['handoff.email-left']);
    // The event is a fact, not personal data.
    expect(JSON.stringify(d.last?.events)).not.toContain('ana@example.cl');
    expect(d.state?.handoff?.status).toBe('queued');
    // The agent who takes it still has the address.
    expect(d.staff({ type: 'claim', agent: ANA }).ok).toBe(true);
    expect(d.state?.handoff?.email).toBe('ana@example.cl');
  });

  it('a message without an address is noted, reminding them they can leave one', async () => {
    const d = await atRevokeLogin('es');
    d.outlook = outlook(closed);
    await d.send('quiero hablar con una persona');
    await d.send('no puedo entrar al ATV');
    expect(d.keys()).toEqual(['common:handoff.noted-closed']);
    expect(d.state?.handoff?.email).toBeUndefined();
    // The address can still come later.
    await d.send('escríbanme a ana@example.cl');
    expect(d.state?.handoff?.email).toBe('ana@example.cl');
    expect(d.keys()).toEqual(['common:handoff.email-saved']);
  });

  // Found by this suite: the address was once taken with the label glued to it ("correo:ana@…").
  it('an address written right after a label and a colon is kept without the label', async () => {
    const d = await atRevokeLogin('es');
    d.outlook = outlook(closed);
    await d.send('quiero hablar con una persona');
    await d.send('correo:ana@example.cl');
    expect(d.state?.handoff?.email).toBe('ana@example.cl');
  });

  it('closed with no opening known says so without a day', async () => {
    const d = await atRevokeLogin('en');
    d.outlook = outlook({ ahead: 0, open: false });
    await d.send('talk to a person');
    expect(d.keys().at(-1)).toBe('common:handoff.closed-unknown');
    expect(d.said.at(-1)?.text).toMatch(/not working right now\. If you leave me your e-mail/);
    expectCancelButton(d, 'Back to the assistant');
  });

  it('during business hours an e-mail-looking message is just a message', async () => {
    const d = await queued('es');
    await d.send('mi correo es ana@example.cl');
    expect(d.state?.handoff?.email).toBeUndefined();
    expect(d.keys()).toEqual(['common:handoff.noted']);
  });
});

// The real certificate check, with a public fixture (as in verify.test.ts).
const FIXTURES = new URL('../fixtures/public/', import.meta.url);
const SANDBOX_NAME = 'johann04-sandbox-cpf-0205860860.p12';
const SANDBOX = new Uint8Array(readFileSync(new URL(`cr-hacienda/${SANDBOX_NAME}`, FIXTURES)));
const checker = createCertificateChecker({ size: 1 });
afterAll(() => checker.close());

async function pressId(d: Driver, id: string): Promise<void> {
  const option = d.options().find((o) => o.id.endsWith(`/${id}`));
  if (!option) throw new Error(`no "${id}" at ${d.where().step}: ${d.options().map((o) => o.id).join(', ')}`);
  await d.send({ type: 'choice', id: option.id });
}

describe('a person is brought in without being asked', () => {
  it('a step that fails twice', async () => {
    const d = await atRevokeLogin('es');
    await d.press('No funcionó');
    await d.press('Lo intento');
    expect(d.state?.handoff).toBeUndefined();
    await d.press('Veo un error');
    expect(d.state?.handoff).toMatchObject({ reason: 'step-failed-twice', status: 'queued' });
    expect(d.last?.events.find((e) => e.name === 'handoff.requested')?.data).toEqual({ reason: 'step-failed-twice' });
    expect(d.said[0]).toMatchObject({ type: 'handoff', reason: 'step-failed-twice' });
    expect(d.said.at(-1)?.key).toBe('common:handoff.queued-unknown');
    expectCancelButton(d, 'Volver al asistente');
  });

  it('five wrong PINs lock the check and queue the conversation', async () => {
    const d = driver('en', { verify: checker.verify });
    await d.send('generar llave criptográfica nueva');
    for (const id of ['atv', 'worked', 'worked', 'worked', 'our-platform', 'worked', 'worked', 'found', 'yes', 'skip-id']) await pressId(d, id);
    await d.send({ type: 'file', name: SANDBOX_NAME, bytes: SANDBOX });
    d.outlook = outlook({ ahead: 0, open: true });
    for (let i = 1; i <= 5; i++) await d.send({ type: 'secret', text: `000${i}` });
    expect(d.where()).toEqual({ flow: 'verify-certificate', step: 'locked' });
    expect(d.state?.handoff).toMatchObject({ reason: 'secret-locked', status: 'queued' });
    expect(d.last?.events.find((e) => e.name === 'handoff.requested')?.data).toEqual({ reason: 'secret-locked' });
    expect(d.said.find((m) => m.type === 'handoff')).toMatchObject({ reason: 'secret-locked' });
    expect(d.said.at(-1)?.text).toMatch(/number 1 in line/);
    expectCancelButton(d, 'Back to the assistant');
  });

  /** A whole revoke procedure in Spanish, answering "no" to "is it solved?". */
  async function notSolved(): Promise<Driver> {
    const d = driver('es');
    await d.send('revocar llave');
    await d.press('TRIBU');
    await d.press('Ahora no');
    expect(d.where()).toEqual({ flow: 'wrap-up', step: 'solved' });
    await d.press('No');
    expect(d.where()).toEqual({ flow: 'wrap-up', step: 'notSolved' });
    return d;
  }

  it('"not solved" at the end queues the conversation at once; leaving the queue offers starting over or rating', async () => {
    const d = await notSolved();
    expect(d.state?.handoff?.status).toBe('queued');
    expect(d.state?.status).toBe('active');
    expect(names(d)).toContain('handoff.requested');
    expectCancelButton(d, 'Volver al asistente');
    await d.press('Volver al asistente');
    expect(d.state?.handoff).toBeUndefined();
    expect(d.options().map((o) => o.id)).toEqual(['wrap-up/notSolved/person', 'wrap-up/notSolved/restart', 'wrap-up/notSolved/finish']);
  });

  it('"not solved" at the end brings in a person with the reason not-solved', async () => {
    const d = await notSolved();
    expect(d.state?.handoff?.reason).toBe('not-solved');
    expect(d.last?.events.find((e) => e.name === 'handoff.requested')?.data).toEqual({ reason: 'not-solved' });
    expect(d.said[0]).toMatchObject({ type: 'handoff', reason: 'not-solved', key: 'common:handoff.requested.not-solved' });
  });
});

describe('an agent takes the conversation', () => {
  it('claiming a queued conversation: the customer is greeted by name, and the wait is measured from the request', async () => {
    const d = await queued('en');
    const requestedAt = d.state?.handoff?.at ?? NaN;
    const r = d.staff({ type: 'claim', agent: ANA });
    expect(r).toMatchObject({ ok: true, changed: true });
    expect(d.state?.handoff).toMatchObject({ reason: 'asked', status: 'assigned', agent: ANA, claimedAt: d.now, at: requestedAt });
    expect(d.said.map((m) => m.text)).toEqual([expect.stringMatching(/^Hello, I'm Ana, from the support team/)]);
    const events = r.ok ? r.events : [];
    expect(events.map((e) => e.name)).toEqual(['handoff.claimed']);
    expect(events[0]?.data).toEqual({ reason: 'asked', waitMs: d.now - requestedAt });
    expect(d.now - requestedAt).toBe(5_000);
  });

  it('a second agent is told who has it, and nothing changes', async () => {
    const d = await withAna('en');
    const before = structuredClone(d.state);
    const r = bot.engine.staff(d.state as ConversationState, { type: 'claim', agent: BRUNO }, { now: d.now + 1_000 });
    expect(r).toEqual({ ok: false, code: 'handoff.taken', agent: ANA });
    expect(d.state).toEqual(before);
    expect(d.staff({ type: 'claim', agent: BRUNO })).toMatchObject({ ok: false, code: 'handoff.taken', agent: { name: 'Ana' } });
    expect(d.state).toEqual(before);
  });

  it('the same agent claiming again changes nothing and says nothing', async () => {
    const d = await withAna('en');
    const before = structuredClone(d.state);
    const r = d.staff({ type: 'claim', agent: ANA });
    expect(r).toMatchObject({ ok: true, changed: false, outbound: [], events: [] });
    expect(d.said).toEqual([]);
    expect(d.state).toEqual(before);
  });

  it('claiming a conversation the bot is having takes it straight to the agent', async () => {
    const d = await atRevokeLogin('es');
    const r = d.staff({ type: 'claim', agent: ANA });
    expect(r.ok).toBe(true);
    expect(d.state?.handoff).toMatchObject({ reason: 'agent', status: 'assigned', agent: ANA });
    expect(d.said.map((m) => m.text)).toEqual([expect.stringMatching(/^Hola, soy Ana/)]);
    const events = r.ok ? r.events : [];
    expect(events.map((e) => [e.name, e.data])).toEqual([
      ['handoff.requested', { reason: 'agent' }],
      ['handoff.claimed', { reason: 'agent', waitMs: 0 }],
    ]);
    expect(d.where()).toEqual({ flow: 'atv.revoke-key', step: 'login' });
  });

  it('an ended conversation cannot be claimed', async () => {
    const d = await endedConversation();
    expect(d.state?.status).toBe('ended');
    expect(d.staff({ type: 'claim', agent: ANA })).toEqual({ ok: false, code: 'conversation.ended' });
    expect(d.state?.handoff).toBeUndefined();
  });

  it('while an agent has it, the customer\'s messages get no reply from the bot', async () => {
    const d = await withAna('en');
    const flow = structuredClone(d.state?.flow);
    await d.send('hi Ana, the login page says my password expired');
    expect(d.last?.outbound).toEqual([]);
    expect(d.last?.transcript).toEqual({ type: 'text', text: 'hi Ana, the login page says my password expired' });
    await d.send('are you there?');
    expect(d.last?.outbound).toEqual([]);
    expect(d.state?.flow).toEqual(flow);
    expect(d.state?.handoff).toMatchObject({ status: 'assigned', agent: ANA });
    // Reconnecting shows who they are talking to.
    expect(bot.render(bot.engine.replay(d.state as ConversationState), 'en').map((m) => m.text)).toEqual([
      'You are talking to Ana, from the support team.',
    ]);
  });
});

describe('agent replies', () => {
  it('the owner\'s reply reaches the customer with their name', async () => {
    const d = await withAna('es');
    const r = d.staff({ type: 'reply', agent: ANA, text: '  ¿Qué error te aparece?  ' });
    expect(r).toMatchObject({ ok: true, outbound: [{ type: 'agent', text: '¿Qué error te aparece?', name: 'Ana' }] });
    expect(d.said).toEqual([{ type: 'agent', key: 'common:agent.says', text: '¿Qué error te aparece?', name: 'Ana' }]);
    expect(r.ok && r.events.map((e) => e.name)).toEqual(['agent.replied']);
    expect(d.state?.handoff).toMatchObject({ status: 'assigned', agent: ANA });
  });

  it('someone else, nothing, or too much is refused', async () => {
    const d = await withAna('es');
    const before = structuredClone(d.state);
    expect(d.staff({ type: 'reply', agent: BRUNO, text: 'hola' })).toEqual({ ok: false, code: 'handoff.not-yours', agent: ANA });
    expect(d.staff({ type: 'reply', agent: ANA, text: '   ' })).toEqual({ ok: false, code: 'reply.empty' });
    expect(d.staff({ type: 'reply', agent: ANA, text: 'x'.repeat(2001) })).toEqual({ ok: false, code: 'reply.too-long' });
    expect(d.state).toEqual(before);
    expect(d.staff({ type: 'reply', agent: ANA, text: 'x'.repeat(2000) }).ok).toBe(true);
  });

  it('nobody can reply to a conversation still in the queue, or one the bot has', async () => {
    const q = await queued('es');
    expect(q.staff({ type: 'reply', agent: ANA, text: 'hola' })).toEqual({ ok: false, code: 'handoff.not-yours' });
    const b = await atRevokeLogin('es');
    expect(b.staff({ type: 'reply', agent: ANA, text: 'hola' })).toEqual({ ok: false, code: 'handoff.none' });
  });
});

describe('transfers', () => {
  it('to another agent: the customer is told the new name, and only the new agent can reply', async () => {
    const d = await withAna('en');
    const at = d.state?.handoff?.at;
    const r = d.staff({ type: 'transfer', agent: ANA, to: BRUNO });
    expect(r.ok).toBe(true);
    expect(d.state?.handoff).toMatchObject({ status: 'assigned', agent: BRUNO, at, claimedAt: d.now });
    expect(d.said.map((m) => m.text)).toEqual([expect.stringMatching(/passing you to Bruno/)]);
    expect(r.ok && r.events.map((e) => [e.name, e.data])).toEqual([['handoff.transferred', { to: 'agent' }]]);
    expect(d.staff({ type: 'reply', agent: ANA, text: 'hi' })).toMatchObject({ ok: false, code: 'handoff.not-yours', agent: BRUNO });
    expect(d.staff({ type: 'reply', agent: BRUNO, text: 'Hi, Bruno here' })).toMatchObject({ ok: true });
    expect(d.said[0]).toMatchObject({ type: 'agent', name: 'Bruno' });
  });

  it('back to the queue: keeps the customer\'s place (the original request time), and another agent can take it', async () => {
    const d = await withAna('en');
    const at = d.state?.handoff?.at ?? NaN;
    const r = d.staff({ type: 'transfer', agent: ANA });
    expect(r.ok).toBe(true);
    expect(d.state?.handoff).toMatchObject({ status: 'queued', at, reason: 'asked' });
    expect(d.state?.handoff?.agent).toBeUndefined();
    expect(d.said.map((m) => m.text)).toEqual([expect.stringMatching(/put you back in the queue/)]);
    expect(r.ok && r.events.map((e) => [e.name, e.data])).toEqual([['handoff.transferred', { to: 'queue' }]]);
    const claimed = d.staff({ type: 'claim', agent: BRUNO });
    expect(claimed.ok && claimed.events.find((e) => e.name === 'handoff.claimed')?.data).toEqual({ reason: 'asked', waitMs: d.now - at });
    expect(d.state?.handoff).toMatchObject({ status: 'assigned', agent: BRUNO, at });
  });

  it('only the agent who has it can transfer it', async () => {
    const d = await withAna('en');
    expect(d.staff({ type: 'transfer', agent: BRUNO, to: BRUNO })).toMatchObject({ ok: false, code: 'handoff.not-yours' });
    expect(d.state?.handoff?.agent).toEqual(ANA);
  });
});

describe('back to the assistant, by the agent', () => {
  it('where the customer was: the step is shown again', async () => {
    const d = await withAna('en');
    const r = d.staff({ type: 'return', agent: ANA });
    expect(r.ok).toBe(true);
    expect(d.state?.handoff).toBeUndefined();
    expect(d.where()).toEqual({ flow: 'atv.revoke-key', step: 'login' });
    expect(d.keys()).toEqual(['common:handoff.returned', 'atv:revoke.login.prompt']);
    expect(d.said[0]?.text).toMatch(/^Ana has handed you back to the assistant/);
    expect(r.ok && r.events.map((e) => e.name)).toContain('handoff.returned');
    // The bot answers again.
    await d.press("It didn't work");
    expect(d.where().step).toBe('loginTrouble');
  });

  it('at the start of another procedure', async () => {
    const d = await withAna('es');
    const r = d.staff({ type: 'return', agent: ANA, flow: 'atv.generate-key' });
    expect(r.ok).toBe(true);
    expect(d.state?.handoff).toBeUndefined();
    expect(d.where()).toEqual({ flow: 'atv.generate-key', step: 'portal' });
    expect(d.keys()).toEqual(['common:handoff.returned', 'atv:generate.portal.prompt']);
    expect(r.ok && r.events.find((e) => e.name === 'handoff.returned')?.data).toMatchObject({ to: 'atv.generate-key' });
  });

  it('at a chosen step of a procedure, and the customer carries on from there', async () => {
    const d = await withAna('es');
    const r = d.staff({ type: 'return', agent: ANA, flow: 'atv.generate-key', step: 'pin' });
    expect(r.ok).toBe(true);
    expect(d.where()).toEqual({ flow: 'atv.generate-key', step: 'pin' });
    expect(d.keys()).toEqual(['common:handoff.returned', 'atv:generate.pin.prompt']);
    await d.press('Sí, funcionó');
    expect(d.where()).toEqual({ flow: 'atv.generate-key', step: 'freeInvoicer' });
  });

  it.each([
    ['an unknown step', { flow: 'atv.generate-key', step: 'nowhere' }],
    ['a sub-flow', { flow: 'verify-certificate' }],
    ['a step of a sub-flow', { flow: 'verify-certificate', step: 'askFile' }],
  ] as const)('%s is refused and nothing changes', async (_name, target) => {
    const d = await withAna('es');
    const before = structuredClone(d.state);
    expect(d.staff({ type: 'return', agent: ANA, ...target })).toEqual({ ok: false, code: 'return.unknown-step' });
    expect(d.state).toEqual(before);
  });

  // Found by this suite: "back" once restored the check's offer without the procedure that called it,
  // so "No" there went to the wrap-up instead of carrying on with generating the key.
  it('"back" after the agent moved the customer out of the certificate check returns to the check inside its procedure', async () => {
    const d = driver('es', { verify: checker.verify });
    await d.send('generar llave criptográfica nueva');
    for (const id of ['atv', 'worked', 'worked', 'worked', 'our-platform', 'worked', 'worked', 'found']) await pressId(d, id);
    expect(d.where()).toEqual({ flow: 'verify-certificate', step: 'offer' });
    expect(d.staff({ type: 'claim', agent: ANA }).ok).toBe(true);
    expect(d.staff({ type: 'return', agent: ANA, flow: 'atv.revoke-key' }).ok).toBe(true);
    expect(d.where()).toEqual({ flow: 'atv.revoke-key', step: 'portal' });
    await d.send('atrás');
    expect(d.where()).toEqual({ flow: 'verify-certificate', step: 'offer' });
    // Without the agent in between, "No" here goes on with the procedure at loading the key.
    await pressId(d, 'no');
    expect(d.where()).toEqual({ flow: 'atv.generate-key', step: 'platform' });
  });

  it('only the agent who has it can hand it back', async () => {
    const d = await withAna('es');
    expect(d.staff({ type: 'return', agent: BRUNO })).toMatchObject({ ok: false, code: 'handoff.not-yours' });
    expect(d.state?.handoff?.agent).toEqual(ANA);
  });
});

describe('closing', () => {
  it('ends the conversation with who closed it and the goodbye; the next message is told it ended', async () => {
    const d = await withAna('es');
    const at = d.state?.handoff?.at ?? NaN;
    const r = d.staff({ type: 'close', agent: ANA, tag: 'resolved' });
    expect(r.ok).toBe(true);
    expect(d.state?.status).toBe('ended');
    expect(d.state?.handoff).toBeUndefined();
    expect(d.said.map((m) => [m.type, m.key])).toEqual([
      ['text', 'common:handoff.closed-by-agent'],
      ['end', 'common:end.goodbye'],
    ]);
    expect(d.said[0]?.text).toMatch(/^Ana ha cerrado la conversación/);
    const closed = r.ok ? r.events.find((e) => e.name === 'handoff.closed') : undefined;
    expect(closed?.data).toEqual({ tag: 'resolved', reason: 'asked', ms: d.now - at });
    expect(r.ok && r.events.map((e) => e.name)).toContain('conversation.ended');
    await d.send('gracias!');
    expect(d.keys()).toEqual(['common:end.already']);
    expect(d.staff({ type: 'reply', agent: ANA, text: '¿algo más?' })).toEqual({ ok: false, code: 'conversation.ended' });
  });

  it('only the agent who has it can close it', async () => {
    const d = await withAna('es');
    expect(d.staff({ type: 'close', agent: BRUNO, tag: 'spam' })).toMatchObject({ ok: false, code: 'handoff.not-yours' });
    expect(d.state?.status).toBe('active');
  });
});

describe('conversations saved before handoffs had a status', () => {
  /** Queued, then stored the old way: `{ reason, at }` and nothing else. */
  async function legacy(): Promise<{ d: Driver; at: number }> {
    const d = await queued('es');
    const at = d.state?.handoff?.at ?? NaN;
    d.state = JSON.parse(JSON.stringify({ ...d.state, handoff: { reason: 'asked', at } })) as ConversationState;
    return { d, at };
  }

  it('can be claimed, with the wait from the original request', async () => {
    const { d, at } = await legacy();
    const r = d.staff({ type: 'claim', agent: ANA });
    expect(r.ok).toBe(true);
    expect(d.state?.handoff).toMatchObject({ status: 'assigned', agent: ANA, at });
    expect(r.ok && r.events.map((e) => e.name)).toEqual(['handoff.claimed']);
    expect(r.ok && r.events[0]?.data).toEqual({ reason: 'asked', waitMs: d.now - at });
  });

  it('the customer can leave the queue, and their messages are noted as in the queue', async () => {
    const { d } = await legacy();
    await d.send('sigo esperando');
    expect(d.keys()).toEqual(['common:handoff.noted']);
    await d.send({ type: 'choice', id: CANCEL_HANDOFF });
    expect(d.state?.handoff).toBeUndefined();
    expect(d.last?.events.find((e) => e.name === 'handoff.cancelled')?.data).toMatchObject({ status: 'queued' });
    expect(d.keys()).toEqual(['common:handoff.cancelled', 'atv:revoke.login.prompt']);
  });

  it('typing "cancelar" leaves the queue too', async () => {
    const { d } = await legacy();
    await d.send('cancelar');
    expect(d.state?.handoff).toBeUndefined();
    expect(d.where()).toEqual({ flow: 'atv.revoke-key', step: 'login' });
  });
});
