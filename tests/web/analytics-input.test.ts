// Junk in the dashboard's query strings and paths gets a 400 with a code, never a 500; a failure we
// did not expect gets `{ code: 'internal' }` and never the database's text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts } from '../../src/accounts/accounts.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { pgliteMemoryBackend, postgresBackend, DATABASE_URL, type Backend } from '../store/support.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { signIn, type StaffSession } from '../support/staff.ts';

const PASSWORD = 'correct horse battery';
const FLOW = 'atv.generate-key';

/** Each junk value on each route that takes it. */
const JUNK: readonly string[] = [
  'to=2025-02-30',
  'from=2025-02-29&to=2025-03-01',
  'to=2025-13-01',
  'to=0000-00-00',
  'from=99999-01-01',
  'to=2025-1-1',
  'to=2025-02-28&to=2025-03-01',
  'tz=US/Pacific-New',
  'tz=Mars/Olympus_Mons',
  'tz=../../etc/passwd',
  `tz=${'A'.repeat(500)}`,
  'tz=%00',
  'tz=+99:00',
  'tz=EST5EDT',
  'limit=2.5',
  'limit=-1',
  'limit=0',
  'limit=1e9',
  'limit=99999999999999999999',
  'limit=abc',
  'limit=',
  'channel=%27%3B%20DROP%20TABLE%20events%3B--',
  'country[]=CL',
  'locale=es&locale=en',
  'lng=xx',
];

const ROUTES = [
  '/api/analytics/overview',
  `/api/analytics/procedures/${FLOW}`,
  `/api/analytics/procedures/${FLOW}/steps/pin/conversations`,
  `/api/analytics/procedures/${FLOW}/steps/${encodeURIComponent("'; SELECT 1; --")}/conversations`,
  '/api/analytics/export/procedures.csv',
  `/api/analytics/export/steps.csv?flow=${FLOW}`,
];

const backends: Backend[] = [pgliteMemoryBackend(), ...(DATABASE_URL ? [postgresBackend(DATABASE_URL)] : [])];
if (!DATABASE_URL) console.warn('\n*** SKIPPED: dashboard input tests on PostgreSQL — set DATABASE_URL (.ci/run does) ***\n');

describe.each(backends)('dashboard input on $name', (backend) => {
  let store: SqlStore;
  let server: TestServer;
  let manager: StaffSession;

  beforeAll(async () => {
    store = await backend.open();
    await store.migrate();
    server = await startServer({ store });
    const accounts = createAccounts(store.sql);
    expect((await accounts.addUser({ email: 'marta@soporte.example', role: 'manager', password: PASSWORD })).ok).toBe(true);
    manager = await signIn(server.url, 'marta@soporte.example', PASSWORD);
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
    await backend.cleanup();
  });

  it('answers junk filters with 400 and a code, never a 500', async () => {
    const seen: Array<{ path: string; status: number; body: string }> = [];
    for (const route of ROUTES) {
      for (const junk of JUNK) {
        const path = `${route}${route.includes('?') ? '&' : '?'}${junk}`;
        const r = await manager.get(path);
        const body = await r.text();
        seen.push({ path, status: r.status, body });
      }
    }
    expect(seen.filter((s) => s.status >= 500)).toEqual([]);
    for (const s of seen.filter((x) => x.status === 400)) {
      expect(s.body, s.path).toMatch(/^\{"error":"filter\.invalid","field":"[a-z]+"\}$/);
    }
    // The three reported on the issue, one by one.
    expect(await (await manager.get('/api/analytics/overview?to=2025-02-30')).json()).toEqual({ error: 'filter.invalid', field: 'to' });
    expect(await (await manager.get(`/api/analytics/procedures/${FLOW}/steps/pin/conversations?limit=2.5`)).json()).toEqual({ error: 'filter.invalid', field: 'limit' });
    // A legacy alias ICU still knows is read as its canonical zone (the database has dropped the alias).
    const pacific = await manager.get('/api/analytics/overview?tz=US/Pacific-New');
    expect(pacific.status).toBe(200);
    expect(((await pacific.json()) as { filters: { tz: string } }).filters.tz).toBe('America/Los_Angeles');
  });

  it('answers an unexpected failure with { code: internal } and a request id, without the database text', async () => {
    const broken = { ...store, getConversation: () => Promise.reject(Object.assign(new Error('relation "conversations" does not exist at db-primary.internal:5432'), { code: '42P01' })) };
    const failing = await startServer({ store: broken });
    try {
      const session = await signIn(failing.url, 'marta@soporte.example', PASSWORD);
      const r = await session.get('/api/analytics/conversations/some-id');
      expect(r.status).toBe(500);
      const body = (await r.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['code', 'requestId']);
      expect(body.code).toBe('internal');
      expect(JSON.stringify(body)).not.toMatch(/relation|db-primary|5432/);
      const metrics = await (await fetch(`${failing.url}/metrics`)).text();
      expect(metrics).toMatch(/llavero_http_errors_total\{route="\/api\/analytics\/conversations\/:id"\} 1/);
    } finally {
      await failing.close();
    }
  });
});
