/**
 * Costa Rica, Hacienda: generate a new production cryptographic key (llave criptográfica) and
 * load it into the invoicing platform.
 *
 * Two routes, because Hacienda is moving these screens from the classic ATV to TRIBU-CR:
 * - ATV: sign in, Comprobantes Electrónicos > Llave Criptográfica de Producción > Generar,
 *   PIN twice, the "Facturador Gratuito" checkbox, Generar, Aceptar, Descargar. An active key
 *   may have to be revoked first: the customer can go to `atv.revoke-key`, which offers this
 *   flow again at its end.
 * - TRIBU-CR: Tico Factura > Generar llave criptográfica; the new key revokes the previous one.
 * Both join at "find the downloaded .p12" and "load it into the platform with the PIN".
 * The PIN never travels through the chat: every PIN step says so.
 */
import { assign, setup } from 'xstate';
import type { Call, FlowEvent, FlowInput, FlowOutput, Step } from './step.ts';
import { CONTINUE, DID_IT_WORK, PERSON, RETRY, YES_NO, finalOutput } from './shared/choices.ts';

export const version = 1;

interface Context {
  country: 'CR';
  /** Which of Hacienda's screens the customer follows; retries and "start again" return to it. */
  portal: 'atv' | 'tribu';
  /** Ticked «Soy usuario del Facturador Gratuito de Hacienda» (ATV only). */
  freeInvoicer: boolean;
}
type S = Step<Context>;

const HAS_KEY = { id: 'has-key', label: 'atv:generate.choice.has-key' } as const;
const PIN_REJECTED = { id: 'pin-rejected', label: 'atv:generate.choice.pin-rejected' } as const;
const NEW_KEY = { id: 'new-key', label: 'atv:generate.choice.new-key' } as const;

// Transitions shared by several states; the first matching guard wins.
/** Back to typing the PIN on the customer's screen (the page clears it after a failure). */
const TO_PIN = [{ guard: 'onTribu', target: 'tribuPin' }, { target: 'pin' }] as const;
/** Back to the download button on the customer's screen. */
const TO_DOWNLOAD = [{ guard: 'onTribu', target: 'tribuDownload' }, { target: 'download' }] as const;
/** The key is unusable (file or PIN lost): generate another. In ATV the active one is revoked first. */
const TO_NEW_KEY = [{ guard: 'onTribu', target: 'tribuMenu' }, { target: 'existingKey' }] as const;
/** The customer has the .p12: offer to check it, then the free invoicer signs by itself; otherwise load it into the platform. */
const TO_LOADING = 'checkFile';
const AFTER_CHECK = [{ guard: 'usesFreeInvoicer', target: 'freeInvoicerReady' }, { target: 'platform' }] as const;

export const machine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    output: {} as FlowOutput,
  },
  guards: {
    onTribu: ({ context }) => context.portal === 'tribu',
    usesFreeInvoicer: ({ context }) => context.freeInvoicer,
  },
  actions: {
    useAtv: assign({ portal: 'atv' as const }),
    useTribu: assign({ portal: 'tribu' as const, freeInvoicer: false }),
    markFreeInvoicer: assign({ freeInvoicer: true }),
    markPlatform: assign({ freeInvoicer: false }),
  },
}).createMachine({
  id: 'atv.generate-key',
  context: { country: 'CR', portal: 'atv', freeInvoicer: false },
  output: finalOutput,
  initial: 'portal',
  states: {
    portal: {
      meta: {
        step: {
          prompt: 'atv:generate.portal.prompt',
          help: 'atv:generate.portal.help',
          expects: 'choice',
          choices: [
            { id: 'atv', label: 'atv:portal.atv' },
            { id: 'tribu', label: 'atv:portal.tribu' },
            { id: 'not-sure', label: 'atv:generate.portal.not-sure' },
          ],
        } satisfies S,
      },
      on: { atv: 'login', tribu: 'tribuMenu', 'not-sure': 'portalUnsure' },
    },
    portalUnsure: {
      meta: {
        step: {
          prompt: 'atv:generate.portalUnsure.prompt',
          expects: 'choice',
          choices: [{ id: 'atv', label: 'atv:portal.atv' }, { id: 'tribu', label: 'atv:portal.tribu' }, PERSON],
        } satisfies S,
      },
      on: { atv: 'login', tribu: 'tribuMenu' },
    },

    // ── Classic ATV ────────────────────────────────────────────────────────────────
    login: {
      entry: 'useAtv',
      meta: {
        step: {
          prompt: 'atv:generate.login.prompt',
          help: 'atv:generate.login.help',
          expects: 'choice',
          choices: DID_IT_WORK,
          canFail: true,
        } satisfies S,
      },
      on: { worked: 'menu', failed: 'loginTrouble', error: 'loginTrouble' },
    },
    loginTrouble: {
      meta: {
        step: { prompt: 'atv:generate.loginTrouble.prompt', expects: 'choice', choices: [RETRY, PERSON] } satisfies S,
      },
      on: { retry: 'login' },
    },
    menu: {
      meta: {
        step: {
          prompt: 'atv:generate.menu.prompt',
          help: 'atv:generate.menu.help',
          expects: 'choice',
          choices: DID_IT_WORK,
          canFail: true,
        } satisfies S,
      },
      on: { worked: 'pin', failed: 'menuTrouble', error: 'menuTrouble' },
    },
    menuTrouble: {
      meta: {
        step: {
          prompt: 'atv:generate.menuTrouble.prompt',
          expects: 'choice',
          choices: [
            { id: 'found', label: 'atv:generate.menuTrouble.found' },
            HAS_KEY,
            { id: 'tribu', label: 'atv:portal.tribu' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { found: 'pin', 'has-key': 'existingKey', tribu: 'tribuMenu' },
    },
    // ATV keeps one production key: an active one may have to be revoked before generating.
    existingKey: {
      meta: {
        step: {
          prompt: 'atv:generate.existingKey.prompt',
          help: 'atv:generate.existingKey.help',
          expects: 'choice',
          choices: [
            { id: 'revoke-first', label: 'atv:generate.existingKey.revoke-first' },
            { id: 'already-revoked', label: 'atv:generate.existingKey.already-revoked' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { 'revoke-first': 'toRevoke', 'already-revoked': 'menu' },
    },
    pin: {
      meta: {
        step: {
          prompt: 'atv:generate.pin.prompt',
          help: 'atv:generate.pin.help',
          invalid: 'atv:generate.pin.invalid',
          expects: 'choice',
          choices: DID_IT_WORK,
          canFail: true,
        } satisfies S,
      },
      on: { worked: 'freeInvoicer', failed: 'pinTrouble', error: 'pinTrouble' },
    },
    freeInvoicer: {
      meta: {
        step: {
          prompt: 'atv:generate.freeInvoicer.prompt',
          help: 'atv:generate.freeInvoicer.help',
          expects: 'choice',
          choices: [
            { id: 'free-invoicer', label: 'atv:generate.freeInvoicer.free-invoicer' },
            { id: 'our-platform', label: 'atv:generate.freeInvoicer.our-platform' },
          ],
        } satisfies S,
      },
      on: {
        'free-invoicer': { target: 'generate', actions: 'markFreeInvoicer' },
        'our-platform': { target: 'generate', actions: 'markPlatform' },
      },
    },
    generate: {
      meta: {
        step: {
          prompt: 'atv:generate.generate.prompt',
          help: 'atv:generate.generate.help',
          expects: 'choice',
          choices: DID_IT_WORK,
          canFail: true,
        } satisfies S,
      },
      on: { worked: 'download', failed: 'generateTrouble', error: 'generateTrouble' },
    },
    generateTrouble: {
      meta: {
        step: {
          prompt: 'atv:generate.generateTrouble.prompt',
          expects: 'choice',
          choices: [PIN_REJECTED, HAS_KEY, { id: 'other', label: 'atv:generate.generateTrouble.other' }, PERSON],
        } satisfies S,
      },
      on: { 'pin-rejected': 'pinTrouble', 'has-key': 'existingKey', other: 'generateFailed' },
    },
    // Steps 3 and 4 of the source: «Aceptar» on the message, then «Descargar».
    download: {
      meta: {
        step: {
          prompt: 'atv:generate.download.prompt',
          help: 'atv:generate.download.help',
          expects: 'choice',
          choices: DID_IT_WORK,
          canFail: true,
        } satisfies S,
      },
      on: { worked: 'fileName', failed: 'downloadTrouble', error: 'downloadTrouble' },
    },

    // ── TRIBU-CR ──────────────────────────────────────────────────────────────────
    tribuMenu: {
      entry: 'useTribu',
      meta: {
        step: {
          prompt: 'atv:generate.tribuMenu.prompt',
          help: 'atv:generate.tribuMenu.help',
          expects: 'choice',
          choices: DID_IT_WORK,
          canFail: true,
        } satisfies S,
      },
      on: { worked: 'tribuPin', failed: 'tribuMenuTrouble', error: 'tribuMenuTrouble' },
    },
    tribuMenuTrouble: {
      meta: {
        step: {
          prompt: 'atv:generate.tribuMenuTrouble.prompt',
          expects: 'choice',
          choices: [RETRY, { id: 'atv', label: 'atv:portal.atv' }, PERSON],
        } satisfies S,
      },
      on: { retry: 'tribuMenu', atv: 'login' },
    },
    tribuPin: {
      meta: {
        step: {
          prompt: 'atv:generate.tribuPin.prompt',
          help: 'atv:generate.tribuPin.help',
          invalid: 'atv:generate.pin.invalid',
          expects: 'choice',
          choices: DID_IT_WORK,
          canFail: true,
        } satisfies S,
      },
      on: { worked: 'tribuGenerate', failed: 'pinTrouble', error: 'pinTrouble' },
    },
    tribuGenerate: {
      meta: {
        step: {
          prompt: 'atv:generate.tribuGenerate.prompt',
          help: 'atv:generate.tribuGenerate.help',
          expects: 'choice',
          choices: DID_IT_WORK,
          canFail: true,
        } satisfies S,
      },
      on: { worked: 'tribuDownload', failed: 'tribuGenerateTrouble', error: 'tribuGenerateTrouble' },
    },
    tribuGenerateTrouble: {
      meta: {
        step: {
          prompt: 'atv:generate.tribuGenerateTrouble.prompt',
          expects: 'choice',
          choices: [PIN_REJECTED, { id: 'other', label: 'atv:generate.generateTrouble.other' }, PERSON],
        } satisfies S,
      },
      on: { 'pin-rejected': 'pinTrouble', other: 'generateFailed' },
    },
    tribuDownload: {
      meta: {
        step: {
          prompt: 'atv:generate.tribuDownload.prompt',
          help: 'atv:generate.tribuDownload.help',
          expects: 'choice',
          choices: DID_IT_WORK,
          canFail: true,
        } satisfies S,
      },
      on: { worked: 'fileName', failed: 'downloadTrouble', error: 'downloadTrouble' },
    },

    // ── Shared by both routes ────────────────────────────────────────────────────────
    pinTrouble: {
      meta: {
        step: {
          prompt: 'atv:generate.pinTrouble.prompt',
          invalid: 'atv:generate.pin.invalid',
          expects: 'choice',
          choices: [RETRY, PERSON],
        } satisfies S,
      },
      on: { retry: TO_PIN },
    },
    generateFailed: {
      meta: {
        step: { prompt: 'atv:generate.generateFailed.prompt', expects: 'choice', choices: [RETRY, PERSON] } satisfies S,
      },
      on: { retry: TO_PIN },
    },
    downloadTrouble: {
      meta: {
        step: {
          prompt: 'atv:generate.downloadTrouble.prompt',
          expects: 'choice',
          choices: [
            { id: 'found', label: 'atv:generate.downloadTrouble.found' },
            RETRY,
            { id: 'page-gone', label: 'atv:generate.downloadTrouble.page-gone' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { found: 'fileName', retry: TO_DOWNLOAD, 'page-gone': 'downloadLost' },
    },
    downloadLost: {
      meta: {
        step: { prompt: 'atv:generate.downloadLost.prompt', expects: 'choice', choices: [NEW_KEY, PERSON] } satisfies S,
      },
      on: { 'new-key': TO_NEW_KEY },
    },
    fileName: {
      meta: {
        step: {
          prompt: 'atv:generate.fileName.prompt',
          help: 'atv:generate.fileName.help',
          expects: 'choice',
          choices: [
            { id: 'found', label: 'atv:generate.fileName.found' },
            { id: 'wizard', label: 'atv:generate.fileName.wizard' },
            { id: 'not-found', label: 'atv:generate.fileName.not-found' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { found: TO_LOADING, wizard: 'importWizard', 'not-found': 'downloadTrouble' },
    },
    // The certificate check (a sub-flow): offered only when the engine has a checker.
    checkFile: {
      meta: { call: { flow: 'verify-certificate', input: () => ({ country: 'CR' }) } satisfies Call<Context> },
      on: { 'subflow.done': AFTER_CHECK },
    },
    // Double-clicking the .p12 opens the operating system's certificate import: not needed.
    importWizard: {
      meta: {
        step: { prompt: 'atv:generate.importWizard.prompt', expects: 'choice', choices: [CONTINUE, PERSON] } satisfies S,
      },
      on: { continue: TO_LOADING },
    },
    freeInvoicerReady: {
      meta: {
        step: { prompt: 'atv:generate.freeInvoicerReady.prompt', expects: 'choice', choices: YES_NO } satisfies S,
      },
      on: { yes: 'platform', no: 'done' },
    },
    platform: {
      meta: {
        step: {
          prompt: 'atv:generate.platform.prompt',
          help: 'atv:generate.platform.help',
          expects: 'choice',
          choices: DID_IT_WORK,
          canFail: true,
        } satisfies S,
      },
      on: { worked: 'done', failed: 'platformTrouble', error: 'platformTrouble' },
    },
    platformTrouble: {
      meta: {
        step: {
          prompt: 'atv:generate.platformTrouble.prompt',
          expects: 'choice',
          choices: [
            PIN_REJECTED,
            { id: 'which-password', label: 'atv:generate.platformTrouble.which-password' },
            RETRY,
            PERSON,
          ],
        } satisfies S,
      },
      on: { 'pin-rejected': 'pinLost', 'which-password': 'passwordConfusion', retry: 'platform' },
    },
    pinLost: {
      meta: {
        step: {
          prompt: 'atv:generate.pinLost.prompt',
          invalid: 'atv:generate.pin.invalid',
          expects: 'choice',
          choices: [RETRY, NEW_KEY, PERSON],
        } satisfies S,
      },
      on: { retry: 'platform', 'new-key': TO_NEW_KEY },
    },
    // The ATV «contraseña» of the API user is not the key's PIN, nor the ATV sign-in password.
    passwordConfusion: {
      meta: {
        step: { prompt: 'atv:generate.passwordConfusion.prompt', expects: 'choice', choices: [CONTINUE, PERSON] } satisfies S,
      },
      on: { continue: 'platform' },
    },

    // The customer chose to revoke the active ATV key first; `atv.revoke-key` offers this flow again at its end.
    toRevoke: { type: 'final', output: { result: 'completed', next: 'atv.revoke-key', country: 'CR' } },
    done: { type: 'final', output: { result: 'completed', country: 'CR' } },
  },
});
