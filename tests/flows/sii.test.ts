/**
 * The two SII procedures as transcripts through the real engine and locales: each row is what the
 * customer presses and the step Llavero is at afterwards — readable by the support team.
 */
import { describe, expect, it } from 'vitest';
import { driver, type Driver } from '../support/bot.ts';

type Row = [press: string, step: string];

/** Press the button whose option id ends with `/<id>` (the engine's `${flow}/${step}/${choice}` ids). */
async function press(d: Driver, id: string): Promise<void> {
  const option = d.options().find((o) => o.id.endsWith(`/${id}`));
  if (!option) throw new Error(`no "${id}" at ${d.where().step}: ${d.options().map((o) => o.id).join(', ')}`);
  await d.send({ type: 'choice', id: option.id });
}

async function run(locale: 'es' | 'en', opening: string, flow: string, rows: Row[]): Promise<Driver> {
  const d = driver(locale);
  await d.send(opening);
  expect(d.where().flow).toBe(flow);
  for (const [id, step] of rows) {
    await press(d, id);
    expect({ after: id, at: d.where().step }).toEqual({ after: id, at: step });
    // Every step the customer sees is worded in their language, with no raw keys.
    for (const m of d.said) expect(m.text ?? '').not.toMatch(/\b(sii|common|verify):[\w.-]+/);
  }
  return d;
}

describe('sii.centralize-certificate', () => {
  const opening = 'no puedo subir mi firma al SII';

  it('walks the happy path from the prerequisites to «Se guardó archivo OK» and on to sign-in', async () => {
    const d = await run('es', opening, 'sii.centralize-certificate', [
      ['have-both', 'legalRep'],
      ['yes', 'knowsPassword'],
      ['yes', 'mySii'],
      ['worked', 'login'],
      ['worked', 'onlineServices'],
      ['worked', 'learnMore'],
      ['worked', 'certificateMenu'],
      // No certificate checker in this bot: the check is not offered and the upload follows.
      ['worked', 'upload'],
      ['worked', 'saved'],
      ['yes', 'updatePlatform'],
      ['updated', 'offerLogin'],
      ['yes', 'goal'],
    ]);
    expect(d.where().flow).toBe('sii.enable-certificate-login');
  });

  it('without a file: export it from the browser, and when that fails, get a new certificate', async () => {
    await run('en', opening, 'sii.centralize-certificate', [
      ['no-file', 'noFile'],
      ['installed', 'exportFile'],
      ['failed', 'exportTrouble'],
      ['get-new', 'getCertificate'],
      ['have-it', 'hasFile'],
      ['no-password', 'forgotPassword'],
      ['export', 'exportFile'],
      ['worked', 'legalRep'],
    ]);
  });

  it('a customer who is not the legal representative, and one who lost the clave, are sent the right way', async () => {
    await run('es', opening, 'sii.centralize-certificate', [
      ['have-both', 'legalRep'],
      ['not-sure', 'holderUnsure'],
      ['no', 'notLegalRep'],
      ['rep-will-do', 'knowsPassword'],
      ['no', 'recoverPassword'],
      ['recovered', 'mySii'],
    ]);
    const d = await run('es', opening, 'sii.centralize-certificate', [
      ['have-both', 'legalRep'],
      ['yes', 'knowsPassword'],
      ['no', 'recoverPassword'],
      ['guide-me', 'goal'],
    ]);
    expect(d.where().flow).toBe('sii.enable-certificate-login');
  });

  it('a missing menu returns to the very menu that went missing', async () => {
    await run('en', opening, 'sii.centralize-certificate', [
      ['have-both', 'legalRep'],
      ['yes', 'knowsPassword'],
      ['yes', 'mySii'],
      ['worked', 'login'],
      ['worked', 'onlineServices'],
      ['worked', 'learnMore'],
      ['failed', 'menuTrouble'],
      ['retry', 'learnMore'],
      ['worked', 'certificateMenu'],
      ['error', 'menuTrouble'],
      ['retry', 'certificateMenu'],
    ]);
  });

  it('an upload SII rejects: wrong password, a .cer without key, no message', async () => {
    const prefix: Row[] = [
      ['have-both', 'legalRep'],
      ['yes', 'knowsPassword'],
      ['yes', 'mySii'],
      ['worked', 'login'],
      ['worked', 'onlineServices'],
      ['worked', 'learnMore'],
      ['worked', 'certificateMenu'],
      ['worked', 'upload'],
      ['failed', 'uploadTrouble'],
    ];
    await run('es', opening, 'sii.centralize-certificate', [...prefix, ['wrong-password', 'wrongCertPassword'], ['forgot', 'forgotPassword']]);
    await run('es', opening, 'sii.centralize-certificate', [...prefix, ['file-rejected', 'fileRejected'], ['only-cer', 'exportFile']]);
    await run('es', opening, 'sii.centralize-certificate', [...prefix, ['no-message', 'noMessage'], ['start-over', 'mySii']]);
  });
});

describe('sii.enable-certificate-login', () => {
  const opening = 'no me llega el código provisorio del SII';

  it('goes through «Recuperar Clave» with the e-mailed code and ends signed in', async () => {
    const d = await run('es', opening, 'sii.enable-certificate-login', [
      ['enable-certificate', 'centralized'],
      ['yes', 'emailAccess'],
      ['yes', 'mySii'],
      ['worked', 'requestCode'],
      ['worked', 'waitCode'],
      ['worked', 'reenter'],
      ['worked', 'enterCode'],
      ['worked', 'setPassword'],
      ['worked', 'sendForm'],
      ['worked', 'solved'],
    ]);
    expect(d.where().flow).toBe('wrap-up');
  });

  it('a code that never arrives, an outdated e-mail and a rejected code each have their way back', async () => {
    await run('en', opening, 'sii.enable-certificate-login', [
      ['enable-certificate', 'centralized'],
      ['yes', 'emailAccess'],
      ['yes', 'mySii'],
      ['worked', 'requestCode'],
      ['worked', 'waitCode'],
      ['failed', 'codeMissing'],
      ['resend', 'requestCode'],
      ['worked', 'waitCode'],
      // The second failure at this step passes the customer to a person; they choose to carry on with the bot.
      ['failed', 'codeMissing'],
      ['cancel', 'codeMissing'],
      ['old-email', 'outdatedEmail'],
      ['updated', 'mySii'],
      ['worked', 'requestCode'],
      ['worked', 'waitCode'],
      ['worked', 'reenter'],
      ['worked', 'enterCode'],
      ['failed', 'codeRejected'],
      ['new-code', 'requestCode'],
    ]);
  });

  it('recovering the clave to centralize afterwards offers centralizing at the end', async () => {
    const d = await run('es', opening, 'sii.enable-certificate-login', [
      ['recover-password', 'emailAccess'],
      ['yes', 'mySii'],
      ['worked', 'requestCode'],
      ['worked', 'waitCode'],
      ['worked', 'reenter'],
      ['worked', 'enterCode'],
      ['worked', 'setPassword'],
      ['worked', 'sendForm'],
      ['worked', 'nowCentralize'],
      ['centralize-now', 'hasFile'],
    ]);
    expect(d.where().flow).toBe('sii.centralize-certificate');
  });

  it('a certificate not yet centralized sends the customer to centralize it first', async () => {
    const d = await run('en', opening, 'sii.enable-certificate-login', [
      ['enable-certificate', 'centralized'],
      ['no', 'notCentralized'],
      ['knows-password', 'hasFile'],
    ]);
    expect(d.where().flow).toBe('sii.centralize-certificate');
  });
});
