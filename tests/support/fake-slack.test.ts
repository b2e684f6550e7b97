/** The fake Slack answers the real @slack/web-api client: form-encoded args, auth, files, users and 429 retries. */
import { WebClient, LogLevel } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from './fake-slack.ts';

const TOKEN = 'xoxb-test-token';
let fake: FakeSlack | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('fake Slack', () => {
  it('serves the real WebClient: blocks, users.info, files, auth and a retried 429', async () => {
    fake = await startFakeSlack({ botToken: TOKEN });
    const client = new WebClient(TOKEN, {
      slackApiUrl: fake.url,
      logLevel: LogLevel.ERROR,
      retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 50 },
    });

    const auth = await client.auth.test();
    expect(auth).toMatchObject({ ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0LLAVERO' });

    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*hola*' } }];
    const first = await client.chat.postMessage({ channel: 'D0CUSTOMER', text: '[1] hola', blocks });
    expect(first.ok).toBe(true);
    expect(first.channel).toBe('D0CUSTOMER');
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    const rec = fake.posted()[0];
    expect(rec?.args.blocks).toEqual(blocks);
    expect(rec?.args.text).toBe('[1] hola'); // free text stays a string even when it looks like JSON
    expect(rec?.token).toBe(TOKEN);

    fake.addUser({ id: 'U0CUSTOMER', locale: 'es-CL' });
    const u = await client.users.info({ user: 'U0CUSTOMER', include_locale: true });
    expect(u.user?.locale).toBe('es-CL');
    await expect(client.users.info({ user: 'U0NOBODY' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });

    const bytes = new Uint8Array([0x30, 0x82, 0x01, 0x02, 0xff, 0x00]);
    const added = fake.addFile({ id: 'F0CERT', name: 'firma.p12', bytes, mimetype: 'application/x-pkcs12' });
    const info = await client.files.info({ file: 'F0CERT' });
    expect(info.file).toMatchObject({ id: 'F0CERT', name: 'firma.p12', size: bytes.length, url_private_download: added.url_private_download });
    const withToken = await fetch(added.url_private_download, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(withToken.status).toBe(200);
    expect(new Uint8Array(await withToken.arrayBuffer())).toEqual(bytes);
    const without = await fetch(added.url_private_download);
    expect(without.status).toBe(200);
    expect(without.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await without.text()).toContain('Sign in to Slack');

    const wrong = new WebClient('xoxb-wrong', { slackApiUrl: fake.url, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 } });
    await expect(wrong.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });

    fake.rateLimit('chat.postMessage', 1, 1);
    const started = Date.now();
    const retried = await client.chat.postMessage({ channel: 'C0SUPPORT', text: 'after a 429' });
    expect(retried.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000); // the client honours Retry-After
    const attempts = fake.calls.filter((c) => c.method === 'chat.postMessage' && c.args.text === 'after a 429');
    expect(attempts.map((c) => c.status)).toEqual([429, 200]);
    expect(fake.posted().filter((c) => c.args.text === 'after a 429')).toHaveLength(1);
    await expect(fake.waitForPosts(2, { timeoutMs: 100 })).resolves.toHaveLength(2);
    await expect(fake.waitForPosts(3, { channel: 'C0SUPPORT', timeoutMs: 50 })).rejects.toThrow(/after a 429/);
  });
});
