// Abandonment: a conversation idle past ABANDON_AFTER_MINUTES gets one `flow.abandoned` event at the step it stopped
// at (for the dashboard's drop-off); waiting for a person or finished is not abandoned; a new message re-arms it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAbandonment } from '../../src/jobs/abandonment.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { connect } from '../support/ws-client.ts';
import { newConversation, stateAt } from '../store/support.ts';

describe('abandonment', () => {
  let server: TestServer;
  let store: SqlStore;
  beforeAll(async () => {
    server = await startServer();
    store = server.store as SqlStore;
  });
  afterAll(() => server?.close());

  const eventsOf = async (token: string) => {
    const rows = await store.sql.query<{ name: string; flow: string; step: string; data: Record<string, unknown>; channel: string; locale: string; country: string | null }>(
      `SELECT e.name, e.flow, e.step, e.data, e.channel, e.locale, e.country FROM events e JOIN conversations c ON c.id = e.conversation_id
       WHERE c.token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex') ORDER BY e.seq`,
      [token],
    );
    return rows;
  };

  it('marks an idle customer once, at their step, and a new message re-arms it; people waiting for an agent and finished conversations are left alone', async () => {
    const idle = await connect(server.url, { locale: 'en' });
    await idle.say({ t: 'text', text: 'I need to revoke my cryptographic key' });
    const waiting = await connect(server.url, { locale: 'es' });
    await waiting.say({ t: 'text', text: 'quiero hablar con una persona' });

    // A conversation that finished (thanks and goodbye) just as long ago.
    const finished = newConversation({ at: Date.now() });
    expect((await store.createConversation({ ...finished, state: { ...stateAt(finished.at), status: 'ended' } })).ok).toBe(true);

    const job = startAbandonment({ store, minutes: 30, now: () => Date.now() + 31 * 60_000, log: { info: () => {}, error: () => {} } });
    // Only the idle customer: the one waiting for a person and the finished one are left alone.
    expect(await job.run()).toBe(1);
    const first = (await eventsOf(idle.token)).filter((e) => e.name === 'flow.abandoned');
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ flow: 'atv.revoke-key', step: 'portal', channel: 'webchat', locale: 'en', country: 'CR' });
    expect(Number(first[0]?.data.idleMs)).toBeGreaterThanOrEqual(31 * 60_000 - 5_000);
    expect((await eventsOf(waiting.token)).map((e) => e.name)).not.toContain('flow.abandoned');
    expect(await store.sql.query(`SELECT 1 FROM events WHERE conversation_id = $1 AND name = 'flow.abandoned'`, [finished.id])).toEqual([]);

    // Idempotent: a second pass (another instance) marks nothing new.
    expect(await job.run()).toBe(0);
    expect((await eventsOf(idle.token)).filter((e) => e.name === 'flow.abandoned')).toHaveLength(1);

    // They come back, and go quiet again: a second abandonment.
    await idle.say({ t: 'text', text: 'ATV' });
    expect(await job.run()).toBe(1);
    expect((await eventsOf(idle.token)).filter((e) => e.name === 'flow.abandoned')).toHaveLength(2);

    // Off: 0 minutes never marks, though a conversation is there to mark (the job at 30 minutes does).
    await idle.say({ t: 'text', text: 'ATV' });
    const off = startAbandonment({ store, minutes: 0, now: () => Date.now() + 10 * 24 * 3_600_000, log: { info: () => {}, error: () => {} } });
    expect(await off.run()).toBe(0);
    expect((await eventsOf(idle.token)).filter((e) => e.name === 'flow.abandoned')).toHaveLength(2);
    expect(await job.run()).toBe(1);
    await Promise.all([job.stop(), off.stop()]);
    idle.close();
    waiting.close();
  });

  it('stamps every event of a turn with the channel, language and country', async () => {
    const c = await connect(server.url, { locale: 'es' });
    await c.say({ t: 'text', text: 'necesito centralizar mi certificado en el SII' });
    const events = await eventsOf(c.token);
    expect(events.length).toBeGreaterThan(3);
    expect(events.every((e) => e.channel === 'webchat' && e.locale === 'es')).toBe(true);
    const sii = events.filter((e) => e.flow === 'sii.centralize-certificate');
    expect(sii.map((e) => e.name)).toContain('flow.entered');
    expect(sii.every((e) => e.country === 'CL')).toBe(true);
    c.close();
  });
});
