/**
 * Chile, SII: enable signing in with the certificate, through «Recuperar Clave».
 *
 * Mi Sii > «Recuperar Clave» > the legal representative's RUT, accept the clauses, continue: SII
 * e-mails a provisional code to the address on record. Back at «Recuperar Clave», the RUT again,
 * «Ingresar Código Provisorio», the code, «Enviar Código»; then set (or keep) the clave tributaria,
 * choose «Utilizando clave tributaria o Certificado Digital» and «Enviar Formulario».
 *
 * The same route sets a forgotten clave tributaria, which centralizing needs: a customer who comes
 * to recover it, or whose certificate is not centralized yet and has no clave, goes through here
 * and is offered `sii.centralize-certificate` at the end. One who knows the clave is sent to
 * centralize first. Branches: the RUT rejected, the code never arriving (spam, an outdated
 * e-mail on record), the code rejected or expired.
 */
import { assign, setup } from 'xstate';
import type { FlowEvent, FlowInput, FlowOutput, Step } from './step.ts';
import { PERSON, RETRY, navigationStep, YES_NO, finalOutput } from './shared/choices.ts';

export const version = 1;

interface Context {
  country: 'CL';
  /** The clave is being set so the certificate can be centralized: offer that procedure at the end. */
  centralizeAfter: boolean;
}
type S = Step<Context>;

const NEW_CODE = { id: 'new-code', label: 'sii:login.choice.new-code' } as const;

const navigation = (state: string): S => navigationStep('sii:login', state);

export const machine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    output: {} as FlowOutput,
  },
  guards: {
    centralizeAfter: ({ context }) => context.centralizeAfter,
  },
  actions: {
    centralizeAfter: assign({ centralizeAfter: true }),
  },
}).createMachine({
  id: 'sii.enable-certificate-login',
  context: { country: 'CL', centralizeAfter: false },
  output: finalOutput,
  initial: 'goal',
  states: {
    // ── What for, and what must be in place ──────────────────────────────────────────────
    goal: {
      meta: {
        step: {
          prompt: 'sii:login.goal.prompt',
          help: 'sii:login.goal.help',
          expects: 'choice',
          choices: [
            { id: 'enable-certificate', label: 'sii:login.goal.enable-certificate' },
            { id: 'recover-password', label: 'sii:login.goal.recover-password' },
            PERSON,
          ],
        } satisfies S,
      },
      on: {
        'enable-certificate': 'centralized',
        'recover-password': { target: 'emailAccess', actions: 'centralizeAfter' },
      },
    },
    centralized: {
      meta: {
        step: {
          prompt: 'sii:login.centralized.prompt',
          help: 'sii:login.centralized.help',
          expects: 'choice',
          choices: [...YES_NO, { id: 'not-sure', label: 'sii:choice.not-sure' }],
        } satisfies S,
      },
      on: { yes: 'emailAccess', no: 'notCentralized', 'not-sure': 'centralizedUnsure' },
    },
    centralizedUnsure: {
      meta: {
        step: {
          prompt: 'sii:login.centralizedUnsure.prompt',
          expects: 'choice',
          choices: [
            { id: 'saw-it', label: 'sii:login.centralizedUnsure.saw-it' },
            { id: 'centralize', label: 'sii:login.centralizedUnsure.centralize' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { 'saw-it': 'emailAccess', centralize: 'notCentralized' },
    },
    // Centralizing needs the clave tributaria; without it, this route sets it first.
    notCentralized: {
      meta: {
        step: {
          prompt: 'sii:login.notCentralized.prompt',
          expects: 'choice',
          choices: [
            { id: 'knows-password', label: 'sii:login.notCentralized.knows-password' },
            { id: 'forgot-password', label: 'sii:login.notCentralized.forgot-password' },
            PERSON,
          ],
        } satisfies S,
      },
      on: {
        'knows-password': 'toCentralize',
        'forgot-password': { target: 'emailAccess', actions: 'centralizeAfter' },
      },
    },
    emailAccess: {
      meta: {
        step: {
          prompt: 'sii:login.emailAccess.prompt',
          help: 'sii:login.emailAccess.help',
          expects: 'choice',
          choices: [...YES_NO, { id: 'not-sure', label: 'sii:login.emailAccess.not-sure' }],
        } satisfies S,
      },
      on: { yes: 'mySii', 'not-sure': 'mySii', no: 'outdatedEmail' },
    },

    // ── Requesting the provisional code ──────────────────────────────────────────────────
    mySii: {
      meta: { step: navigation('mySii') },
      on: { worked: 'requestCode', failed: 'mySiiTrouble', error: 'mySiiTrouble' },
    },
    mySiiTrouble: {
      meta: { step: { prompt: 'sii:login.mySiiTrouble.prompt', expects: 'choice', choices: [RETRY, PERSON] } satisfies S },
      on: { retry: 'mySii' },
    },
    requestCode: {
      meta: { step: navigation('requestCode') },
      on: { worked: 'waitCode', failed: 'requestTrouble', error: 'requestTrouble' },
    },
    requestTrouble: {
      meta: {
        step: {
          prompt: 'sii:login.requestTrouble.prompt',
          expects: 'choice',
          choices: [
            { id: 'rut-rejected', label: 'sii:login.requestTrouble.rut-rejected' },
            { id: 'email-problem', label: 'sii:login.requestTrouble.email-problem' },
            RETRY,
            PERSON,
          ],
        } satisfies S,
      },
      on: { 'rut-rejected': 'rutRejected', 'email-problem': 'outdatedEmail', retry: 'requestCode' },
    },
    rutRejected: {
      meta: { step: { prompt: 'sii:login.rutRejected.prompt', expects: 'choice', choices: [RETRY, PERSON] } satisfies S },
      on: { retry: 'requestCode' },
    },
    // Did the e-mail arrive? Answered as worked/failed, so two misses bring in a person.
    waitCode: {
      meta: {
        step: {
          prompt: 'sii:login.waitCode.prompt',
          help: 'sii:login.waitCode.help',
          expects: 'choice',
          choices: [
            { id: 'worked', label: 'sii:login.waitCode.arrived' },
            { id: 'failed', label: 'sii:login.waitCode.not-arrived' },
            PERSON,
          ],
          canFail: true,
        } satisfies S,
      },
      on: { worked: 'reenter', failed: 'codeMissing' },
    },
    codeMissing: {
      meta: {
        step: {
          prompt: 'sii:login.codeMissing.prompt',
          expects: 'choice',
          choices: [
            { id: 'arrived', label: 'sii:login.codeMissing.arrived' },
            { id: 'resend', label: 'sii:login.codeMissing.resend' },
            { id: 'old-email', label: 'sii:login.codeMissing.old-email' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { arrived: 'reenter', resend: 'requestCode', 'old-email': 'outdatedEmail' },
    },
    // The e-mail on record is SII's to change: we can only say how, and wait.
    outdatedEmail: {
      meta: {
        step: {
          prompt: 'sii:login.outdatedEmail.prompt',
          help: 'sii:login.outdatedEmail.help',
          expects: 'choice',
          choices: [
            { id: 'updated', label: 'sii:login.outdatedEmail.updated' },
            { id: 'later', label: 'sii:choice.later' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { updated: 'mySii', later: 'paused' },
    },

    // ── Using the code ───────────────────────────────────────────────────────────────────
    reenter: {
      meta: { step: navigation('reenter') },
      on: { worked: 'enterCode', failed: 'reenterTrouble', error: 'reenterTrouble' },
    },
    reenterTrouble: {
      meta: { step: { prompt: 'sii:login.reenterTrouble.prompt', expects: 'choice', choices: [RETRY, NEW_CODE, PERSON] } satisfies S },
      on: { retry: 'reenter', 'new-code': 'requestCode' },
    },
    enterCode: {
      meta: { step: navigation('enterCode') },
      on: { worked: 'setPassword', failed: 'codeRejected', error: 'codeRejected' },
    },
    codeRejected: {
      meta: {
        step: { prompt: 'sii:login.codeRejected.prompt', expects: 'choice', choices: [RETRY, NEW_CODE, PERSON] } satisfies S,
      },
      on: { retry: 'enterCode', 'new-code': 'requestCode' },
    },
    setPassword: {
      meta: { step: navigation('setPassword') },
      on: { worked: 'sendForm', failed: 'passwordTrouble', error: 'passwordTrouble' },
    },
    passwordTrouble: {
      meta: { step: { prompt: 'sii:login.passwordTrouble.prompt', expects: 'choice', choices: [RETRY, PERSON] } satisfies S },
      on: { retry: 'setPassword' },
    },
    sendForm: {
      meta: { step: navigation('sendForm') },
      on: {
        worked: [{ guard: 'centralizeAfter', target: 'nowCentralize' }, { target: 'done' }],
        failed: 'sendTrouble',
        error: 'sendTrouble',
      },
    },
    sendTrouble: {
      meta: {
        step: {
          prompt: 'sii:login.sendTrouble.prompt',
          expects: 'choice',
          choices: [RETRY, { id: 'start-over', label: 'sii:login.choice.start-over' }, PERSON],
        } satisfies S,
      },
      on: { retry: 'sendForm', 'start-over': 'requestCode' },
    },
    // The clave is set: now the certificate can be centralized.
    nowCentralize: {
      meta: {
        step: {
          prompt: 'sii:login.nowCentralize.prompt',
          expects: 'choice',
          choices: [
            { id: 'centralize-now', label: 'sii:login.nowCentralize.centralize-now' },
            { id: 'not-now', label: 'common:choice.not-now' },
          ],
        } satisfies S,
      },
      on: { 'centralize-now': 'thenCentralize', 'not-now': 'done' },
    },

    done: { type: 'final', output: { result: 'completed', country: 'CL' } },
    /** Not centralized and the clave is known: centralize first (that flow offers this one at its end). */
    toCentralize: { type: 'final', output: { result: 'redirected', next: 'sii.centralize-certificate', country: 'CL' } },
    /** The clave is set; the customer goes on to centralize the certificate. */
    thenCentralize: { type: 'final', output: { result: 'completed', next: 'sii.centralize-certificate', country: 'CL' } },
    /** The e-mail on record must be updated with SII first: nothing more to do until then. */
    paused: { type: 'final', output: { result: 'ended', country: 'CL' } },
  },
});
