/**
 * The certificate check inside the procedures, with the real checker (worker pool) and real files:
 * a Hacienda sandbox key leads to generating a production key, wrong PINs lock after five tries,
 * and nothing secret reaches the state or the transcript.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createCertificateChecker } from '../../src/certs/pool.ts';
import { driver, type Driver } from '../support/bot.ts';

const FIXTURES = new URL('../fixtures/public/', import.meta.url);
const SANDBOX_NAME = 'johann04-sandbox-cpf-0205860860.p12';
const SANDBOX = new Uint8Array(readFileSync(new URL(`cr-hacienda/${SANDBOX_NAME}`, FIXTURES)));
const CORPUS_AES = new Uint8Array(readFileSync(new URL('pkcs12-corpus/pbes2-aes256-hmacsha1.p12', FIXTURES)));

const checker = createCertificateChecker({ size: 1 });
afterAll(() => checker.close());

const withChecker = (locale: 'es' | 'en') => driver(locale, { verify: checker.verify });

async function press(d: Driver, id: string): Promise<void> {
  const option = d.options().find((o) => o.id.endsWith(`/${id}`));
  if (!option) throw new Error(`no "${id}" at ${d.where().step}: ${d.options().map((o) => o.id).join(', ')}`);
  await d.send({ type: 'choice', id: option.id });
}

/** atv.generate-key up to the offer of the check, after the .p12 was found in Downloads. */
async function toGenerateCheck(d: Driver): Promise<void> {
  await d.send('generar llave criptográfica nueva');
  for (const id of ['atv', 'worked', 'worked', 'worked', 'our-platform', 'worked', 'worked', 'found']) await press(d, id);
  expect(d.where()).toEqual({ flow: 'verify-certificate', step: 'offer' });
}

describe('certificate check in atv.generate-key', () => {
  it('finds a sandbox key and takes the customer to generate a production one', async () => {
    const d = withChecker('es');
    await toGenerateCheck(d);
    await press(d, 'yes');
    await d.send('02-0586-0860');
    expect(d.where().step).toBe('askFile');
    await d.send({ type: 'file', name: SANDBOX_NAME, bytes: SANDBOX });
    expect(d.where().step).toBe('askSecret');
    await d.send({ type: 'secret', text: '5678' });
    const report = d.last?.outbound.find((m) => m.type === 'report');
    expect(report && 'report' in report ? report.report.environment : undefined).toBe('staging');
    expect(d.where().step).toBe('failed');
    expect(d.said.map((m) => m.text).join('\n')).toMatch(/pruebas|sandbox/i);
    // The key belongs to the cédula given; what fails is the environment (and the 2019 expiry).
    const checks = report && 'report' in report ? report.report.checks : [];
    expect(checks.find((c) => c.id === 'identity.matches')?.status).toBe('pass');
    expect(checks.find((c) => c.id === 'environment.production')?.status).toBe('fail');
    await press(d, 'fix');
    expect(d.where()).toEqual({ flow: 'atv.generate-key', step: 'portal' });
    // The PIN is nowhere in what is kept or written.
    expect(JSON.stringify(d.state)).not.toContain('5678');
    expect(JSON.stringify(d.last?.transcript ?? {})).not.toContain('5678');
  });

  it('a wrong PIN says how many tries are left; the fifth locks the check and calls a person', async () => {
    const d = withChecker('en');
    await toGenerateCheck(d);
    await press(d, 'yes');
    await press(d, 'skip-id');
    await d.send({ type: 'file', name: SANDBOX_NAME, bytes: SANDBOX });
    for (let i = 1; i <= 4; i++) {
      await d.send({ type: 'secret', text: `000${i}` });
      expect(d.where().step).toBe('wrongSecret');
      expect(d.said.map((m) => m.text).join('\n')).toMatch(new RegExp(`${5 - i} attempts? left`));
      expect(d.last?.transcript).toEqual({ type: 'secret', text: '••••' });
    }
    await d.send({ type: 'secret', text: '0005' });
    expect(d.where().step).toBe('locked');
    expect(d.last?.outbound.some((m) => m.type === 'handoff')).toBe(true);
    expect(d.state?.handoff?.reason).toBe('secret-locked');
    // "Back" does not give the tries back.
    await d.send({ type: 'command', command: 'back' });
    await d.send({ type: 'secret', text: '5678' });
    expect(d.last?.outbound.some((m) => m.type === 'report')).toBe(false);
  });

  it('the right PIN after a wrong one goes on with the same file', async () => {
    const d = withChecker('es');
    await toGenerateCheck(d);
    await press(d, 'yes');
    await press(d, 'skip-id');
    await d.send({ type: 'file', name: SANDBOX_NAME, bytes: SANDBOX });
    await d.send({ type: 'secret', text: '1111' });
    expect(d.where().step).toBe('wrongSecret');
    await d.send({ type: 'secret', text: '5678' });
    expect(d.where().step).toBe('failed');
  });
});

describe('certificate check in sii.centralize-certificate', () => {
  it('a certificate without the RUT given is not uploaded: the customer is sent to get the right one', async () => {
    const d = withChecker('en');
    await d.send('no puedo subir mi firma al SII');
    for (const id of ['have-both', 'yes', 'yes', 'worked', 'worked', 'worked', 'worked', 'worked']) await press(d, id);
    expect(d.where()).toEqual({ flow: 'verify-certificate', step: 'offer' });
    await press(d, 'yes');
    await d.send('16.477.752-9');
    await d.send({ type: 'file', name: 'firma.pfx', bytes: CORPUS_AES });
    await d.send({ type: 'secret', text: 'Red Hat Enterprise Linux 7.4' });
    expect(d.where().step).toBe('failed');
    expect(d.options().map((o) => o.label)).toContain('Get another certificate');
    await press(d, 'fix');
    expect(d.where()).toEqual({ flow: 'sii.centralize-certificate', step: 'getCertificate' });
  });
});

describe('commands at the PIN step', () => {
  it('"talk to a person" at the PIN step calls a person and costs no attempt; a PIN typed while waiting is masked, not checked; back with the bot it is taken', async () => {
    const d = withChecker('es');
    await toGenerateCheck(d);
    await press(d, 'yes');
    await press(d, 'skip-id');
    await d.send({ type: 'file', name: SANDBOX_NAME, bytes: SANDBOX });
    await d.send('quiero hablar con una persona');
    expect(d.state?.handoff?.reason).toBe('asked');
    expect(d.state?.secretFailures).toEqual([]);
    expect(d.last?.outbound.some((m) => m.type === 'report')).toBe(false);
    // While waiting for a person the message is for them: masked in the transcript, never checked.
    await d.send('0000');
    expect(d.state?.secretFailures).toEqual([]);
    expect(d.last?.transcript).toEqual({ type: 'text', text: '••••' });
    expect(d.last?.outbound.map((m) => ('key' in m ? m.key : m.type))).toContain('common:secret.typed-in-clear');
    await d.send('cancelar');
    expect(d.state?.handoff).toBeUndefined();
    await d.send('0000');
    expect(d.state?.secretFailures).toHaveLength(1);
    expect(d.last?.transcript).toEqual({ type: 'text', text: '••••' });
  });
});
