/**
 * Running in production: the image's start command after `npm ci --omit=dev` reaches /readyz on
 * PostgreSQL; bad configuration exits listing every problem; the logs of a conversation with a
 * PIN, a certificate and channel credentials contain none of them; /metrics parses.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import parse from 'parse-prometheus-text-format';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack } from '../support/fake-slack.ts';
import { startFakeConnector } from '../support/fake-teams.ts';
import { randomPort, spawnServer } from '../support/process.ts';
import { postEvent } from '../support/slack-signing.ts';
import { messageActivity, newConversationId, newTeamsUser, postActivity, teamsChat } from '../support/teams-activities.ts';
import { connect } from '../support/ws-client.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) console.warn('\n*** SKIPPED: production start path on PostgreSQL — set DATABASE_URL (.ci/run does) ***\n');

const SANDBOX = readFileSync(new URL('../fixtures/public/cr-hacienda/johann04-sandbox-cpf-0205860860.p12', import.meta.url));

/** Runs the server command with this environment and returns its exit code and output. */
function runMain(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function freshSchema(admin: pg.Client, name: string): Promise<string> {
  await admin.query(`CREATE SCHEMA ${name}`);
  const url = new URL(DATABASE_URL as string);
  url.searchParams.set('options', `-c search_path=${name}`);
  return url.toString();
}

describe('configuration errors', () => {
  it('exit non-zero listing every problem, with no stack trace, before opening anything', async () => {
    const r = await runMain({ PORT: 'eighty', DATABASE_URL: 'mysql://root@db/llavero', SLACK_BOT_TOKEN: 'xoxb-1', MicrosoftAppPassword: 'x', RETENTION_DAYS: '-3' });
    expect(r.code).toBe(1);
    for (const name of ['PORT', 'DATABASE_URL', 'SLACK_SIGNING_SECRET', 'MicrosoftAppId', 'RETENTION_DAYS']) expect(r.stderr).toContain(`  - ${name}:`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  });

  it('an unreachable database is one clear line, with the password masked', async () => {
    const r = await runMain({ DATABASE_URL: 'postgres://llavero:hunter2-secret@127.0.0.1:1/llavero' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot open the store at postgres:\/\/llavero:/);
    expect(r.stderr).not.toContain('hunter2-secret');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe.skipIf(!DATABASE_URL)('production on PostgreSQL', () => {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  const schemas: string[] = [];
  beforeAll(async () => {
    await admin.connect();
  });
  afterAll(async () => {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin.end();
  });

  it('`npm ci --omit=dev` in a clean copy, then the image\'s command, serves /readyz and /metrics', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'llavero-prod-'));
    // What a fresh checkout holds (tracked files plus new ones not ignored), nothing else.
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const f of files) {
      if (!existsSync(join(ROOT, f))) continue;
      mkdirSync(dirname(join(copy, f)), { recursive: true });
      cpSync(join(ROOT, f), join(copy, f));
    }
    // The certificate fixtures live beside the checkout, as in CI; the server does not need them.
    execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: copy, stdio: 'pipe', timeout: 300_000 });
    expect(existsSync(join(copy, 'node_modules/tsx'))).toBe(true);
    expect(existsSync(join(copy, 'node_modules/vitest'))).toBe(false);
    expect(existsSync(join(copy, 'node_modules/eslint'))).toBe(false);

    const schema = `prod_${process.pid}_${Date.now()}`;
    schemas.push(schema);
    const server = await spawnServer({ DATABASE_URL: await freshSchema(admin, schema), NODE_ENV: 'production', LOG_LEVEL: 'info' }, randomPort(), { cwd: copy });
    try {
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ ok: true, store: 'reachable', channels: { webchat: 'on', slack: 'off', teams: 'off' } });
      const client = await connect(server.url);
      await client.say({ t: 'text', text: 'revocar llave' });
      client.close();
      const metrics = await fetch(`${server.url}/metrics`);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const families = parse(await metrics.text());
      const turns = families.find((f) => f.name === 'llavero_turns_total');
      const webchatTurns = (turns?.metrics ?? []).filter((m) => m.labels?.channel === 'webchat').reduce((n, m) => n + Number(m.value), 0);
      expect(webchatTurns).toBeGreaterThanOrEqual(1);
      expect(families.some((f) => f.name === 'llavero_nodejs_eventloop_lag_seconds')).toBe(true);
      expect(families.find((f) => f.name === 'llavero_handoff_queue_length')?.metrics[0]?.value).toBe('0');
    } finally {
      expect(await server.kill('SIGTERM')).toBe(0);
    }
    // The stored data went to the schema the URL named.
    const n = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.conversations`);
    expect(Number(n.rows[0]?.n)).toBe(1);
  }, 360_000);

  it('logs JSON lines with request ids, and not one PIN, token, password, signature or byte of the certificate', async () => {
    const fakeSlack = await startFakeSlack();
    const connector = await startFakeConnector();
    const schema = `logs_${process.pid}_${Date.now()}`;
    schemas.push(schema);
    const dbUrl = new URL(await freshSchema(admin, schema));
    // Trust auth ignores the password, so a real-looking one can ride along to be searched for.
    dbUrl.password = 'db-pass-Vq71x';
    const secrets = {
      slackToken: fakeSlack.url ? 'xoxb-0000000000-fake-bot-token' : '',
      signing: 'signing-secret-Hk28w',
      wrongPin: 'wrong-pin-Zq81',
      typedPin: 'typed-pin-Xv42',
      dbPass: 'db-pass-Vq71x',
    };
    const server = await spawnServer(
      {
        DATABASE_URL: dbUrl.toString(),
        LOG_LEVEL: 'trace',
        SLACK_BOT_TOKEN: secrets.slackToken,
        SLACK_SIGNING_SECRET: secrets.signing,
        SLACK_API_URL: fakeSlack.url,
        TEAMS_LOCAL: '1',
        CHAT_BURST: '1000',
        CHAT_PER_SECOND: '1000',
      },
      randomPort(),
    );
    let token = '';
    let signature = '';
    try {
      // Web chat: to the certificate check, a wrong PIN, a PIN typed in the open, the right one.
      const c = await connect(server.url);
      token = c.token;
      for (const text of ['generar llave criptográfica nueva', 'ATV clásico', 'Sí, funcionó', 'Sí, funcionó', 'Sí, funcionó', 'plataforma', 'Sí, funcionó', 'Sí, funcionó', 'Sí, lo tengo', 'Sí', '02-0586-0860']) {
        await c.say({ t: 'text', text });
      }
      const file = await c.say({ t: 'file', name: 'johann04-sandbox-cpf-0205860860.p12', data: SANDBOX.toString('base64') });
      expect(file.messages.some((m) => m.type === 'request-secret')).toBe(true);
      await c.say({ t: 'secret', text: secrets.wrongPin });
      await c.say({ t: 'text', text: secrets.typedPin });
      const report = await c.say({ t: 'secret', text: '5678' });
      expect(report.messages.some((m) => m.type === 'report')).toBe(true);
      c.close();

      // Slack: a signed event (its signature must not be logged) and a forged one.
      const body = JSON.parse(readFileSync(new URL('../fixtures/slack/message_im.json', import.meta.url), 'utf8')) as Record<string, unknown>;
      const ok = await postEvent(`${server.url}/slack/events`, body, { signingSecret: secrets.signing });
      expect(ok.status).toBe(200);
      signature = ok.sentSignature ?? '';
      expect((await postEvent(`${server.url}/slack/events`, body, { signingSecret: 'forged' })).status).toBe(401);
      await fakeSlack.waitForPosts(1);

      // Teams, in local mode.
      const chat = teamsChat(connector.serviceUrl, { conversationId: newConversationId(), user: newTeamsUser(), locale: 'es-ES' });
      expect((await postActivity(`${server.url}/api/messages`, messageActivity(chat, 'hola'))).status).toBe(200);
      await connector.waitForSent(chat.conversationId, 1);
    } finally {
      expect(await server.kill('SIGTERM')).toBe(0);
      await fakeSlack.close();
      await connector.close();
    }

    const output = server.output();
    if (process.env.LOGSCAN_DUMP) (await import('node:fs')).writeFileSync(process.env.LOGSCAN_DUMP, output);
    const forbidden = [
      secrets.slackToken,
      secrets.signing,
      secrets.wrongPin,
      secrets.typedPin,
      secrets.dbPass,
      token,
      SANDBOX.toString('base64').slice(0, 40),
      SANDBOX.toString('base64').slice(400, 440),
      ...(signature ? [signature] : []),
    ];
    for (const s of forbidden) expect(s.length).toBeGreaterThan(8);
    for (const s of forbidden) expect(output).not.toContain(s);
    // The right PIN is short: it must not appear as a value on its own.
    expect(output).not.toMatch(/(?<![0-9a-f])5678(?![0-9a-f])/i);

    const lines = output.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(20);
    const parsed = lines.map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON log line: ${l}`);
      }
    });
    for (const p of parsed) expect(p).toMatchObject({ level: expect.any(Number), time: expect.any(String), msg: expect.any(String) });
    // Every line about a request says which one.
    const requestLines = parsed.filter((p) => p.req !== undefined || p.res !== undefined);
    expect(requestLines.length).toBeGreaterThan(5);
    for (const p of requestLines) expect(p.reqId).toEqual(expect.any(String));
    // The refused Slack request is logged, with its reason.
    expect(parsed.some((p) => p.msg === 'slack request refused' && p.reason === 'bad_signature' && typeof p.reqId === 'string')).toBe(true);
    // Turns are logged with their conversation.
    expect(parsed.some((p) => p.msg === 'turn' && typeof p.conversationId === 'string')).toBe(true);
  }, 120_000);
});
