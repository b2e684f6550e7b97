// The web chat end to end in Debian's chromium: whole procedures with buttons, reload, keyboard only, uploads, injection.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launch } from '../support/browser.ts';
import { startServer, type TestServer } from '../support/server.ts';

const CORPUS_P12 = fileURLToPath(new URL('../fixtures/public/pkcs12-corpus/pbes2-aes256-hmacsha1.p12', import.meta.url));

describe.skipIf(!hasChromium)('web chat in chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function openChat(locale: 'es' | 'en', width = 1024): Promise<Page> {
    const context = await browser.newContext({ locale: locale === 'es' ? 'es-CR' : 'en-US', viewport: { width, height: 800 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.locator('.llv-log .llv-bot').first().waitFor();
    return page;
  }

  const log = (page: Page) => page.locator('[role="log"]');
  /** Click the live button with this label and wait for the bot's answer. */
  async function press(page: Page, label: string | RegExp): Promise<void> {
    const before = await page.locator('.llv-log .llv-bot').count();
    await page.locator('.llv-choices button:not([disabled])', { hasText: label }).first().click();
    await expect.poll(() => page.locator('.llv-log .llv-bot').count()).toBeGreaterThan(before);
  }
  async function type(page: Page, text: string): Promise<void> {
    const before = await page.locator('.llv-log .llv-bot').count();
    await page.locator('#llv-input').fill(text);
    await page.locator('#llv-input').press('Enter');
    await expect.poll(() => page.locator('.llv-log .llv-bot').count()).toBeGreaterThan(before);
  }
  const lastBot = (page: Page) => page.locator('.llv-log .llv-bot').last().locator('.llv-text');

  it('generates a Hacienda key in Spanish with buttons, from greeting to rating', async () => {
    const page = await openChat('es');
    await expect.poll(() => log(page).textContent()).toMatch(/Hola! Soy Llavero/);
    await press(page, 'Generar una llave criptográfica nueva');
    await press(page, 'ATV clásico');
    await press(page, 'Sí, funcionó'); // signed in
    await press(page, 'Sí, funcionó'); // menu found
    await expect.poll(() => log(page).textContent()).toMatch(/PIN/);
    await press(page, 'Sí, funcionó'); // PIN typed twice in Hacienda's page
    await press(page, /plataforma/i); // not the free invoicer
    await press(page, 'Sí, funcionó'); // Generar
    await press(page, 'Sí, funcionó'); // Aceptar + Descargar
    await expect.poll(() => log(page).textContent()).toMatch(/\.p12/);
    await press(page, 'Sí, lo tengo');
    await expect.poll(() => lastBot(page).textContent()).toMatch(/revise su archivo/);
    await press(page, 'No');
    await press(page, 'Sí, funcionó'); // loaded into the platform
    await expect.poll(() => lastBot(page).textContent()).toMatch(/resuelto/);
    await press(page, 'Sí');
    await press(page, '5');
    await expect.poll(() => lastBot(page).textContent()).toMatch(/Gracias/);
    await page.context().close();
  });

  it('centralizes an SII certificate in English, checking the real file on the way', async () => {
    const page = await openChat('en');
    await expect.poll(() => log(page).textContent()).toMatch(/Hi! I'm Llavero/);
    await press(page, 'Centralize my e-signature at SII');
    await press(page, 'Yes, I have the file and its password');
    await press(page, 'Yes'); // the legal representative's certificate
    await press(page, 'Yes'); // knows the clave tributaria
    for (let i = 0; i < 5; i++) await press(page, 'Yes, it worked'); // Mi SII, sign in, three menus
    await expect.poll(() => lastBot(page).textContent()).toMatch(/check your certificate file/);
    await press(page, 'Yes');
    await type(page, '16.477.752-9');
    await expect.poll(() => log(page).textContent()).toMatch(/Attach the certificate file/);
    const before = await page.locator('.llv-log .llv-bot').count();
    await page.locator('#llv-file').setInputFiles(CORPUS_P12);
    await expect.poll(() => page.locator('.llv-log .llv-bot').count()).toBeGreaterThan(before);
    await page.locator('#llv-input').fill('Red Hat Enterprise Linux 7.4');
    await page.locator('#llv-input').press('Enter');
    await expect.poll(() => page.locator('.llv-report').count()).toBe(1);
    // A real PKCS#12 that opens, but carries no RUT: the customer is told, in plain words.
    await expect(page.locator('.llv-report').textContent()).resolves.toMatch(/RUT/);
    await expect(page.locator('.llv-customer .llv-text').last().textContent()).resolves.toBe('••••');
    await press(page, 'Carry on anyway');
    await expect.poll(() => lastBot(page).textContent()).toMatch(/Centralizar certificado digital|«Enviar»/);
    await press(page, 'Yes, it worked'); // «Se guardó archivo OK»
    await press(page, 'No'); // not on the invoicing platform yet
    await press(page, 'Not now');
    await expect.poll(() => lastBot(page).textContent()).toMatch(/solved/);
    await press(page, 'Yes');
    await press(page, '4');
    await expect.poll(() => lastBot(page).textContent()).toMatch(/Thank/);
    await page.context().close();
  });

  it('resumes the same conversation at the same step after a reload', async () => {
    const page = await openChat('en');
    await press(page, 'Revoke my Hacienda');
    await press(page, 'Classic ATV');
    await expect.poll(() => lastBot(page).textContent()).toMatch(/Sign in to Hacienda/);
    await page.reload();
    await page.locator('.llv-log .llv-bot').first().waitFor();
    await expect.poll(() => log(page).textContent()).toMatch(/Sign in to Hacienda/);
    await press(page, 'Yes, it worked');
    await expect.poll(() => lastBot(page).textContent()).toMatch(/Comprobantes Electrónicos/);
    await page.context().close();
  });

  it('works with the keyboard alone, at 360 px wide', async () => {
    const page = await openChat('en', 360);
    const box = await page.locator('.llv-panel').boundingBox();
    expect(box?.width).toBeLessThanOrEqual(360);
    await page.locator('#llv-input').focus();
    await page.keyboard.type('revoke my key');
    await page.keyboard.press('Enter');
    await expect.poll(() => lastBot(page).textContent()).toMatch(/Let's revoke/);
    // Tab from the page start to the first live button, then Enter.
    await page.locator('.llv-choices button:not([disabled])').first().focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => lastBot(page).textContent()).toMatch(/Sign in to Hacienda/);
    await expect(page.locator('#llv-input').getAttribute('aria-label')).resolves.toBeNull();
    await expect(page.locator('label[for="llv-input"]').textContent()).resolves.toMatch(/Type your message/);
    await expect(page.locator('[role="log"]').getAttribute('aria-live')).resolves.toBe('polite');
    await page.context().close();
  });

  it('shows a <script> typed by the customer as text, never as HTML', async () => {
    const page = await openChat('es');
    let alerted = false;
    page.on('dialog', (d) => {
      alerted = true;
      void d.dismiss();
    });
    await type(page, '<script>alert(1)</script><img src=x onerror=alert(2)>');
    await expect(page.locator('.llv-customer .llv-text').last().textContent()).resolves.toBe('<script>alert(1)</script><img src=x onerror=alert(2)>');
    expect(await page.locator('.llv-log img, .llv-log script').count()).toBe(0);
    expect(alerted).toBe(false);
    await page.context().close();
  });

  describe('certificate uploads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llavero-e2e-'));
    const big = join(dir, 'huge.p12');
    const notCert = join(dir, 'factura.p12');
    writeFileSync(big, Buffer.alloc(200 * 1024, 7));
    writeFileSync(notCert, 'esto no es un certificado, es una factura en texto');

    async function toFileStep(page: Page) {
      await press(page, 'Generar una llave criptográfica nueva');
      await press(page, 'ATV clásico');
      for (let i = 0; i < 2; i++) await press(page, 'Sí, funcionó');
      await press(page, 'Sí, funcionó');
      await press(page, /plataforma/i);
      await press(page, 'Sí, funcionó');
      await press(page, 'Sí, funcionó');
      await press(page, 'Sí, lo tengo');
      await press(page, 'Sí'); // check my file
      await press(page, /sin indicar/i);
      await expect.poll(() => log(page).textContent()).toMatch(/Adjunte el archivo/);
    }

    it('refuses a file that is too large with a clear message, before sending it', async () => {
      const page = await openChat('es');
      await toFileStep(page);
      const before = await page.locator('.llv-log .llv-bot').count();
      await page.locator('#llv-file').setInputFiles(big);
      await expect.poll(() => page.locator('.llv-log .llv-bot').count()).toBeGreaterThan(before);
      await expect(lastBot(page).textContent()).resolves.toMatch(/huge\.p12.*200 KB.*64 KB/);
      await page.context().close();
    });

    it('says clearly when the file is not a certificate', async () => {
      const page = await openChat('es');
      await toFileStep(page);
      const before = await page.locator('.llv-log .llv-bot').count();
      await page.locator('#llv-file').setInputFiles(notCert);
      await expect.poll(() => page.locator('.llv-log .llv-bot').count()).toBeGreaterThan(before);
      await expect.poll(() => log(page).textContent()).toMatch(/PIN o contraseña|PIN/);
      await page.locator('#llv-input').fill('1234');
      await expect(page.locator('#llv-input').getAttribute('type')).resolves.toBe('password');
      await page.locator('#llv-input').press('Enter');
      await expect.poll(() => page.locator('.llv-report').count()).toBe(1);
      await expect(page.locator('.llv-report').textContent()).resolves.toMatch(/no es un certificado|no pude abrir|PKCS/i);
      await expect(page.locator('.llv-customer .llv-text').last().textContent()).resolves.toBe('••••');
      await page.context().close();
    });
  });
});
