// Staff accounts over HTTP: sign-in with a safe cookie, CSRF on changes, roles on every staff API, the live handoff queue, the audit log.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts, type Accounts } from '../../src/accounts/accounts.ts';
import { hashPassword, verifyPassword } from '../../src/accounts/password.ts';
import { usersCommand } from '../../src/cli/users.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { connect } from '../support/ws-client.ts';

const PASSWORD = 'correct horse battery';

describe('passwords', () => {
  it('are hashed with scrypt and a salt, and only the right one verifies', async () => {
    const a = await hashPassword(PASSWORD);
    const b = await hashPassword(PASSWORD);
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(PASSWORD);
    expect(await verifyPassword(PASSWORD, a)).toBe(true);
    expect(await verifyPassword('correct horse battery!', a)).toBe(false);
    expect(await verifyPassword(PASSWORD, 'md5$whatever')).toBe(false);
  });
});

describe('staff sign-in and roles', () => {
  let server: TestServer;
  let accounts: Accounts;

  beforeAll(async () => {
    server = await startServer({ env: { TRUST_PROXY: '1' } });
    accounts = createAccounts((server.store as SqlStore).sql);
    for (const [email, role] of [['ana@soporte.example', 'agent'], ['marta@soporte.example', 'manager'], ['root@soporte.example', 'admin'], ['ex@soporte.example', 'agent']] as const) {
      expect((await accounts.addUser({ email, role, password: PASSWORD })).ok).toBe(true);
    }
    await accounts.disableUser('ex@soporte.example');
  });
  afterAll(() => server?.close());

  // Each sign-in from its own documentation address, so the login rate limit (tested below) stays out of the way.
  let caller = 0;
  async function login(email: string, password = PASSWORD, headers: Record<string, string> = {}) {
    const from = { 'x-forwarded-for': `198.51.100.${++caller % 250}` };
    const r = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...from, ...headers }, body: JSON.stringify({ email, password }) });
    const setCookie = r.headers.get('set-cookie') ?? '';
    const body = (await r.json()) as { csrf?: string; user?: { role: string }; error?: string };
    return { status: r.status, setCookie, cookie: setCookie.split(';')[0] ?? '', csrf: body.csrf ?? '', body };
  }

  const get = (path: string, cookie = '', headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers: { cookie, ...headers } });
  const post = (path: string, cookie: string, csrf: string | undefined, body: unknown = {}) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...(csrf ? { 'x-csrf-token': csrf } : {}) }, body: JSON.stringify(body) });

  it('signs in with an HttpOnly, SameSite=Strict session cookie, Secure behind TLS', async () => {
    const ok = await login('ANA@soporte.example');
    expect(ok.status).toBe(200);
    expect(ok.body.user?.role).toBe('agent');
    expect(ok.setCookie).toMatch(/^llv_session=[\w-]{40,};/);
    expect(ok.setCookie).toMatch(/HttpOnly/);
    expect(ok.setCookie).toMatch(/SameSite=Strict/);
    expect(ok.setCookie).not.toMatch(/Secure/);
    const tls = await login('ana@soporte.example', PASSWORD, { 'x-forwarded-proto': 'https' });
    expect(tls.setCookie).toMatch(/; Secure/);
    const me = await get('/api/auth/me', ok.cookie);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { email: 'ana@soporte.example', role: 'agent' }, csrf: ok.csrf });
  });

  it('says the same for a wrong password, an unknown e-mail and a disabled account', async () => {
    const answers = await Promise.all([login('ana@soporte.example', 'not the password'), login('nadie@soporte.example'), login('ex@soporte.example')]);
    expect(answers.map((a) => [a.status, a.body.error])).toEqual([
      [401, 'auth.invalid'],
      [401, 'auth.invalid'],
      [401, 'auth.invalid'],
    ]);
    expect(answers.every((a) => a.setCookie === '')).toBe(true);
  });

  it('refuses anonymous callers, customers and the wrong roles on every staff API', async () => {
    const customer = await connect(server.url);
    const agent = await login('ana@soporte.example');
    const manager = await login('marta@soporte.example');
    const admin = await login('root@soporte.example');
    const status = async (path: string, cookie = '', headers: Record<string, string> = {}) => (await get(path, cookie, headers)).status;
    for (const path of ['/api/agent/queue', '/api/admin/users', '/api/auth/me']) {
      expect(await status(path)).toBe(401);
      // A web chat customer's token is not a staff session, whichever way it is presented.
      expect(await status(path, `llv_session=${customer.token}`)).toBe(401);
      expect(await status(path, '', { authorization: `Bearer ${customer.token}` })).toBe(401);
    }
    expect(await status('/api/agent/queue', agent.cookie)).toBe(200);
    expect(await status('/api/agent/queue', manager.cookie)).toBe(200);
    expect(await status('/api/admin/users', agent.cookie)).toBe(403);
    expect(await status('/api/admin/users', manager.cookie)).toBe(403);
    expect(await status('/api/admin/users', admin.cookie)).toBe(200);
    expect((await post('/api/admin/users', agent.cookie, agent.csrf, { email: 'x@y.example', role: 'admin', password: PASSWORD })).status).toBe(403);
    customer.close();
  });

  it('requires the session\'s CSRF token on every change, and an admin can add and disable users', async () => {
    const admin = await login('root@soporte.example');
    const body = { email: 'nuevo@soporte.example', name: 'Nuevo', role: 'agent', password: PASSWORD };
    expect((await post('/api/admin/users', admin.cookie, undefined, body)).status).toBe(403);
    expect((await post('/api/admin/users', admin.cookie, 'not-the-token', body)).status).toBe(403);
    expect((await post('/api/admin/users', admin.cookie, admin.csrf, body)).status).toBe(201);
    expect((await post('/api/admin/users', admin.cookie, admin.csrf, body)).status).toBe(409);
    expect(await (await post('/api/admin/users', admin.cookie, admin.csrf, { ...body, email: 'corto@soporte.example', password: 'short' })).json()).toEqual({ error: 'password.too-short' });

    const nuevo = await login('nuevo@soporte.example');
    expect((await get('/api/agent/queue', nuevo.cookie)).status).toBe(200);
    expect((await post(`/api/admin/users/${encodeURIComponent('nuevo@soporte.example')}/disable`, admin.cookie, admin.csrf)).status).toBe(200);
    // Disabling ends the sessions already open.
    expect((await get('/api/agent/queue', nuevo.cookie)).status).toBe(401);

    // Logging out needs the token too, and then the cookie is worthless.
    expect((await post('/api/auth/logout', admin.cookie, undefined)).status).toBe(403);
    expect((await post('/api/auth/logout', admin.cookie, admin.csrf)).status).toBe(200);
    expect((await get('/api/admin/users', admin.cookie)).status).toBe(401);

    const log = await accounts.auditLog();
    expect(log.map((e) => e.action)).toEqual(expect.arrayContaining(['login', 'login.failed', 'user.added', 'user.disabled', 'logout']));
  });

  it('shows agents the customers waiting for a person, with where they were and for how long', async () => {
    const agent = await login('ana@soporte.example');
    const started = Date.now();
    const customer = await connect(server.url, { locale: 'en' });
    await customer.say({ t: 'text', text: 'revoke my hacienda key' });
    await customer.say({ t: 'text', text: 'talk to a person' });
    const r = await get('/api/agent/queue', agent.cookie);
    const { queue } = (await r.json()) as { queue: Array<{ channel: string; locale: string; flow: string; reason: string; waitingSeconds: number; country?: string }> };
    expect(queue.at(-1)).toMatchObject({ channel: 'webchat', locale: 'en', flow: 'atv.revoke-key', reason: 'asked', country: 'CR' });
    expect(queue.at(-1)?.waitingSeconds).toBeGreaterThanOrEqual(0);
    expect(queue.at(-1)?.waitingSeconds).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 1000));
    customer.close();
  });

  it('rate-limits sign-in attempts per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await login('nadie@soporte.example', 'x'.repeat(12), { 'x-forwarded-for': '203.0.113.9' })).status);
    expect(statuses.slice(0, 5).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe('llavero users', () => {
  it('adds (password from stdin), lists and disables staff accounts', async () => {
    const env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'llavero-users-')) };
    const run = async (args: string[], stdin = '') => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await usersCommand(args, { stdin: Readable.from([stdin]), stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } }, env);
      return { code, out: out.join(''), err: err.join('') };
    };
    expect(await run(['add', 'lia@soporte.example', '--role', 'manager', '--name', 'Lía'], `${PASSWORD}\n`)).toMatchObject({ code: 0, out: 'added lia@soporte.example (manager)\n' });
    expect((await run(['add', 'lia@soporte.example', '--role', 'agent'], `${PASSWORD}\n`)).err).toMatch(/already exists/);
    expect((await run(['add', 'otro@soporte.example', '--role', 'jefe'], `${PASSWORD}\n`)).err).toMatch(/role must be one of agent, manager, admin/);
    expect((await run(['add', 'otro@soporte.example', '--role', 'agent'], 'corta\n')).err).toMatch(/at least 12/);
    expect((await run(['list'])).out).toBe('lia@soporte.example\tmanager\tLía\tactive\n');
    expect((await run(['disable', 'lia@soporte.example'])).code).toBe(0);
    expect((await run(['list'])).out).toMatch(/\tdisabled\n$/);
    expect((await run(['disable', 'nadie@soporte.example'])).code).toBe(1);
    expect((await run(['add', 'x@y.example'])).code).toBe(2);
  });
});
