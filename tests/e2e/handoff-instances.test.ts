// Two server processes on one PostgreSQL: a customer on one, an agent on the other. The agent's console hears the
// customer join the queue live (LISTEN/NOTIFY: nothing else carries it across processes), and the agent's reply
// reaches the customer's web chat. How fast the notice arrives is a figure for `npm run bench:handoff`.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../src/adapters/webchat/protocol.ts';
import { createAccounts } from '../../src/accounts/accounts.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { randomPort, spawnServer, type ServerProcess } from '../support/process.ts';
import { openSse } from '../support/sse.ts';
import { signIn } from '../support/staff.ts';
import { connect } from '../support/ws-client.ts';

const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) console.warn('\n*** SKIPPED: handoff across two server processes — set DATABASE_URL (.ci/run does) ***\n');

describe.skipIf(!DATABASE_URL)('handoff across two server processes on PostgreSQL', () => {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  const schema = `handoff_${process.pid}_${Date.now()}`;
  let a: ServerProcess | undefined;
  let b: ServerProcess | undefined;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const db = new URL(DATABASE_URL as string);
    db.searchParams.set('options', `-c search_path=${schema}`);
    const env = { DATABASE_URL: db.toString(), TRUST_PROXY: '1' };
    a = await spawnServer(env, randomPort());
    b = await spawnServer(env, randomPort());
    const sql = openPostgres({ url: DATABASE_URL as string, schema });
    expect((await createAccounts(sql).addUser({ email: 'ana@soporte.example', name: 'Ana Rojas', role: 'agent', password: 'correct horse battery' })).ok).toBe(true);
    await sql.close();
  }, 150_000);

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('an agent on one instance hears live of a conversation queued through the other, and their reply reaches it', async () => {
    const agentSide = a as ServerProcess;
    const customerSide = b as ServerProcess;
    const ana = await signIn(agentSide.url, 'ana@soporte.example', 'correct horse battery');
    const events = await openSse(`${agentSide.url}/api/agent/events`, { cookie: ana.cookie });
    try {
      const c = await connect(customerSide.url, { locale: 'en' });
      await c.say({ t: 'text', text: 'I want to centralize my certificate on SII' });
      const before = events.events.length;
      await c.send({ t: 'text', text: 'talk to a person' });
      await events.waitFor((e) => events.events.indexOf(e) >= before && e.event === 'queue');

      const { queue } = (await (await ana.get('/api/agent/queue')).json()) as { queue: Array<{ id: string; flow: string; status: string }> };
      expect(queue).toHaveLength(1);
      expect(queue[0]).toMatchObject({ flow: 'sii.centralize-certificate', status: 'queued' });
      const id = queue[0]?.id ?? '';

      expect((await ana.post(`/api/agent/conversations/${id}/claim`)).status).toBe(200);
      expect((await ana.post(`/api/agent/conversations/${id}/reply`, { text: 'Hi, I am looking at your case now.' })).status).toBe(200);
      const push = await c.waitFor((m): m is Extract<ServerMessage, { t: 'push' }> => m.t === 'push' && m.messages.some((x) => x.type === 'agent'));
      expect(push.messages.find((x) => x.type === 'agent')).toMatchObject({ text: 'Hi, I am looking at your case now.', name: 'Ana Rojas' });
      c.close();
    } finally {
      events.close();
    }
  }, 120_000);
});
