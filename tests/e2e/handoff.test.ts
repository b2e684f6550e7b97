// Human handoff end to end in chromium, two browser contexts: a web chat customer asks for a person in the middle of
// sii.centralize-certificate; an agent signs in to /agent, claims it, reads the transcript with the password masked,
// replies, and sends the customer back to a step of the procedure, where the customer finishes with the bot.
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts } from '../../src/accounts/accounts.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { hasChromium, launch } from '../support/browser.ts';
import { startServer, type TestServer } from '../support/server.ts';

const CORPUS_P12 = fileURLToPath(new URL('../fixtures/public/pkcs12-corpus/pbes2-aes256-hmacsha1.p12', import.meta.url));
const P12_PASSWORD = 'Red Hat Enterprise Linux 7.4';

describe.skipIf(!hasChromium)('handoff in chromium: a customer and an agent', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    const accounts = createAccounts((server.store as SqlStore).sql);
    expect((await accounts.addUser({ email: 'ana@soporte.example', name: 'Ana Rojas', role: 'agent', password: 'correct horse battery' })).ok).toBe(true);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const bots = (page: Page) => page.locator('.llv-log .llv-bot');
  async function press(page: Page, label: string | RegExp): Promise<void> {
    const before = await bots(page).count();
    await page.locator('.llv-choices button:not([disabled])', { hasText: label }).first().click();
    await expect.poll(() => bots(page).count()).toBeGreaterThan(before);
  }
  async function type(page: Page, text: string): Promise<void> {
    const before = await bots(page).count();
    await page.locator('#llv-input').fill(text);
    await page.locator('#llv-input').press('Enter');
    await expect.poll(() => bots(page).count()).toBeGreaterThan(before);
  }
  const lastBot = (page: Page) => bots(page).last().locator('.llv-text');

  it('asks for a person mid-procedure, is helped by an agent, and finishes the procedure with the bot', async () => {
    // ---- the customer ----
    const customerContext = await browser.newContext({ locale: 'en-US', viewport: { width: 1024, height: 800 } });
    const customer = await customerContext.newPage();
    await customer.goto(server.url);
    await bots(customer).first().waitFor();
    await press(customer, 'Centralize my e-signature at SII');
    await press(customer, 'Yes, I have the file and its password');
    await press(customer, 'Yes'); // the legal representative's certificate
    await press(customer, 'Yes'); // knows the clave tributaria
    for (let i = 0; i < 5; i++) await press(customer, 'Yes, it worked'); // Mi SII, sign in, three menus
    await press(customer, 'Yes'); // check the file first
    await type(customer, '16.477.752-9');
    const before = await bots(customer).count();
    await customer.locator('#llv-file').setInputFiles(CORPUS_P12);
    await expect.poll(() => bots(customer).count()).toBeGreaterThan(before);
    await customer.locator('#llv-input').fill(P12_PASSWORD);
    await customer.locator('#llv-input').press('Enter');
    await expect.poll(() => customer.locator('.llv-report').count()).toBe(1);
    // The file has no RUT in it; the customer wants a person.
    await type(customer, 'I want to talk to a person');
    await expect.poll(() => customer.locator('.llv-log').textContent()).toMatch(/number 1 in line/);

    // ---- the agent ----
    const agentContext = await browser.newContext({ locale: 'es-CL', viewport: { width: 1280, height: 800 } });
    const agent = await agentContext.newPage();
    await agent.goto(`${server.url}/agent/`);
    await agent.locator('#login-email').fill('ana@soporte.example');
    await agent.locator('#login-password').fill('correct horse battery');
    await agent.locator('#login-submit').click();
    const item = agent.locator('#queue [data-id]').first();
    await item.waitFor();
    await expect(item.textContent()).resolves.toMatch(/certificado|SII/i);
    await item.click();
    await agent.locator('#claim').click();
    await expect.poll(() => customer.locator('.llv-log').textContent()).toMatch(/Ana Rojas/);

    // The whole conversation is in front of the agent, the password masked; the certificate report beside it.
    await expect.poll(() => agent.locator('#transcript .line.customer').count()).toBeGreaterThan(5);
    const transcript = (await agent.locator('#transcript').textContent()) ?? '';
    expect(transcript).toContain('••••');
    expect(transcript).not.toContain(P12_PASSWORD);
    expect(transcript).toContain('I want to talk to a person');
    await expect.poll(() => agent.locator('#report').textContent()).toMatch(/RUT/);

    await agent.locator('#reply-text').fill('Your file has no RUT in it, but SII will still take it. Let me hand you back to the assistant for the upload.');
    await agent.locator('#reply-send').click();
    const fromAgent = customer.locator('.llv-log .llv-agent').last();
    await fromAgent.waitFor();
    await expect(fromAgent.textContent()).resolves.toMatch(/Ana Rojas[\s\S]*SII will still take it/);

    // Back to the bot at the upload step of the same procedure.
    await agent.locator('#return-flow').selectOption('sii.centralize-certificate');
    await agent.locator('#return-step').selectOption('upload');
    await agent.locator('#return-submit').click();
    await expect.poll(() => customer.locator('.llv-log').textContent()).toMatch(/handed you back to the assistant/);
    await expect.poll(() => lastBot(customer).textContent()).toMatch(/«Enviar»|Centralizar certificado digital/);

    // ---- the customer finishes with the bot ----
    await press(customer, 'Yes, it worked'); // «Se guardó archivo OK»
    await press(customer, 'No'); // not on the invoicing platform yet
    await press(customer, 'Not now');
    await expect.poll(() => lastBot(customer).textContent()).toMatch(/solved/);
    await press(customer, 'Yes');
    await press(customer, '5');
    await expect.poll(() => lastBot(customer).textContent()).toMatch(/Thank/);

    // The agent's console shows nobody waiting or in progress any more.
    await expect.poll(() => agent.locator('#queue .q-waiting [data-id], #queue .q-progress [data-id]').count()).toBe(0);
    await agentContext.close();
    await customerContext.close();
  }, 120_000);
});
