// The dashboard's HTTP side: managers (and admins) only, filters validated, figures from real conversations, CSV
// exports that a spreadsheet reads safely, and the redacted transcript behind a drop-off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts } from '../../src/accounts/accounts.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { csv, parseFilters } from '../../src/web/analytics.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { connect } from '../support/ws-client.ts';

const PASSWORD = 'correct horse battery';

describe('filters', () => {
  const now = Date.UTC(2026, 10, 23, 2, 0); // 22 Nov, 23:00 in Santiago
  it('default to the 30 days ending today in the time zone', () => {
    expect(parseFilters({}, now)).toEqual({ ok: true, filters: { from: '2026-10-24', to: '2026-11-22', tz: 'America/Santiago' } });
    expect(parseFilters({ tz: 'UTC' }, now)).toEqual({ ok: true, filters: { from: '2026-10-25', to: '2026-11-23', tz: 'UTC' } });
  });
  it('name the first bad field', () => {
    expect(parseFilters({ tz: 'Mars/Base' }, now)).toEqual({ ok: false, field: 'tz' });
    expect(parseFilters({ from: '2026-13-01' }, now)).toEqual({ ok: false, field: 'from' });
    expect(parseFilters({ from: '2026-11-10', to: '2026-11-01' }, now)).toEqual({ ok: false, field: 'from' });
    expect(parseFilters({ from: '2020-01-01', to: '2026-11-01' }, now)).toEqual({ ok: false, field: 'from' });
    expect(parseFilters({ channel: 'fax' }, now)).toEqual({ ok: false, field: 'channel' });
    expect(parseFilters({ country: 'AR' }, now)).toEqual({ ok: false, field: 'country' });
    expect(parseFilters({ locale: 'pt' }, now)).toEqual({ ok: false, field: 'locale' });
  });
});

describe('CSV', () => {
  it('quotes what needs quoting and never lets a cell be read as a formula', () => {
    expect(csv(['a', 'b'], [['x, y', 'say "hi"'], ['=HYPERLINK("evil")', -3], [null, 0.25]])).toBe('a,b\r\n"x, y","say ""hi"""\r\n"\'=HYPERLINK(""evil"")",\'-3\r\n,0.25\r\n');
  });
});

describe('analytics over HTTP', () => {
  let server: TestServer;
  let caller = 0;
  beforeAll(async () => {
    server = await startServer({ env: { TRUST_PROXY: '1' } });
    const accounts = createAccounts((server.store as SqlStore).sql);
    for (const [email, role] of [['marta@soporte.example', 'manager'], ['ana@soporte.example', 'agent'], ['root@soporte.example', 'admin']] as const) {
      expect((await accounts.addUser({ email, role, password: PASSWORD })).ok).toBe(true);
    }
    // Two customers: one revokes a key to the end, one gives up at the PIN of a new key.
    const a = await connect(server.url, { locale: 'es' });
    for (const text of ['revocar mi llave', 'ATV clásico', 'sí', 'sí', 'sí']) await a.say({ t: 'text', text });
    const b = await connect(server.url, { locale: 'en' });
    for (const text of ['generate a new cryptographic key', 'classic ATV', 'yes', 'yes', 'my pin is 4821']) await b.say({ t: 'text', text });
    a.close();
    b.close();
  });
  afterAll(() => server?.close());

  async function login(email: string) {
    const r = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `192.0.2.${++caller}` }, body: JSON.stringify({ email, password: PASSWORD }) });
    return (r.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  }
  const get = (path: string, cookie = '') => fetch(`${server.url}${path}`, { headers: { cookie } });

  it('is for managers and admins: anonymous 401, agents 403', async () => {
    const [manager, agent, admin] = await Promise.all([login('marta@soporte.example'), login('ana@soporte.example'), login('root@soporte.example')]);
    const paths = ['/api/analytics/overview', '/api/analytics/procedures/atv.generate-key', '/api/analytics/procedures/atv.generate-key/steps/portal/conversations', '/api/analytics/export/procedures.csv', '/api/analytics/conversations/x'];
    for (const path of paths) {
      expect({ path, status: (await get(path)).status }).toEqual({ path, status: 401 });
      expect({ path, status: (await get(path, agent)).status }).toEqual({ path, status: 403 });
    }
    expect((await get('/api/analytics/overview', manager)).status).toBe(200);
    expect((await get('/api/analytics/overview', admin)).status).toBe(200);
    expect((await get('/api/analytics/overview?tz=Nowhere/City', manager)).status).toBe(400);
    expect(await (await get('/api/analytics/overview?channel=fax', manager)).json()).toEqual({ error: 'filter.invalid', field: 'channel' });
    expect((await get('/api/analytics/procedures/triage', manager)).status).toBe(404);
  });

  it('shows what the two customers did, with titles and step labels in the manager\'s language, and their transcripts redacted', async () => {
    const manager = await login('marta@soporte.example');
    const o = (await (await get('/api/analytics/overview?lng=en&tz=UTC', manager)).json()) as { totals: { conversations: number; entered: number }; procedures: Array<{ flow: string; title: string; entered: number }> };
    expect(o.totals.conversations).toBe(2);
    const byFlow = Object.fromEntries(o.procedures.map((p) => [p.flow, p]));
    expect(byFlow['atv.revoke-key']?.entered).toBe(1);
    expect(byFlow['atv.generate-key']?.entered).toBe(1);
    expect(byFlow['atv.generate-key']?.title).toMatch(/key/i);

    const v = (await (await get('/api/analytics/procedures/atv.generate-key?lng=es&tz=UTC', manager)).json()) as { steps: Array<{ step: string; label: string; reached: number; stopped: number }> };
    expect(v.steps[0]).toMatchObject({ step: 'portal', reached: 1 });
    expect(v.steps[0]?.label.length).toBeGreaterThan(5);
    // The English customer went quiet at the PIN step.
    const stop = v.steps.find((s) => s.stopped === 1);
    expect(stop).toMatchObject({ step: 'pin', reached: 1, stopped: 1 });
    const list = (await (await get(`/api/analytics/procedures/atv.generate-key/steps/${stop?.step}/conversations?tz=UTC`, manager)).json()) as { conversations: Array<{ id: string; outcome: string; transcript: boolean; locale: string }> };
    expect(list.conversations).toHaveLength(1);
    expect(list.conversations[0]).toMatchObject({ outcome: 'open', transcript: true, locale: 'en' });
    const t = (await (await get(`/api/analytics/conversations/${list.conversations[0]?.id}`, manager)).json()) as { transcript: Array<{ author: string; text: string }> };
    expect(t.transcript.filter((l) => l.author === 'customer').map((l) => l.text)).toContain('generate a new cryptographic key');
    expect(JSON.stringify(t)).not.toMatch(/\b4821\b/);

    const file = await get('/api/analytics/export/steps.csv?flow=atv.generate-key&tz=UTC&lng=en', manager);
    expect(file.headers.get('content-type')).toMatch(/text\/csv/);
    expect(file.headers.get('content-disposition')).toMatch(/attachment; filename="llavero-steps-/);
    const lines = (await file.text()).replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('procedure,step,label,reached,stopped,drop_off_rate,median_ms,p90_ms');
    expect(lines[1]).toMatch(/^atv\.generate-key,portal,/);
    for (const table of ['procedures', 'series', 'checks', 'csat', 'handoff']) expect((await get(`/api/analytics/export/${table}.csv`, manager)).status).toBe(200);
    expect((await get('/api/analytics/export/secrets.csv', manager)).status).toBe(404);
  });

  it('serves the dashboard, its chart library and its strings', async () => {
    expect(await (await get('/dashboard/')).text()).toContain('/dashboard/vendor/chart.umd.js');
    const chart = await get('/dashboard/vendor/chart.umd.js');
    expect(chart.status).toBe(200);
    expect(await chart.text()).toMatch(/Chart/);
    for (const lng of ['es', 'en']) expect(Object.keys((await (await get(`/api/analytics/strings/${lng}`)).json()) as object).length).toBeGreaterThan(5);
  });
});
