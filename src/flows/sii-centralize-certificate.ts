/**
 * Chile, SII: centralize the e-signature (upload the .pfx/.p12 certificate to SII's servers).
 *
 * Prerequisites first, each "no" with its way out: the file and its password (get or export a
 * certificate; a lost password cannot be recovered), the legal representative as holder, and the
 * legal representative's clave tributaria (unknown → `sii.enable-certificate-login`, whose
 * «Recuperar Clave» route sets it again). Then the source's navigation: homer.sii.cl > «Mi Sii»,
 * sign in, «Servicios online» > «Facturación electrónica» > «Conozca sobre Factura Electrónica» >
 * «Certificado Digital» > «Centralizar certificado digital», the upload with the certificate's
 * password (after an optional check of the file), «Enviar», «Se guardó archivo OK», «Cerrar», «Salir». Existing customers are reminded
 * to update the certificate in the invoicing platform too; everyone is offered enabling sign-in
 * with the certificate next.
 */
import { assign, setup } from 'xstate';
import type { Call, FlowEvent, SubflowDoneEvent, FlowInput, FlowOutput, Step } from './step.ts';
import { PERSON, RETRY, navigationStep, YES_NO, finalOutput } from './shared/choices.ts';

export const version = 1;

/** The three menu steps inside Mi SII; when one goes missing, "retry" returns to it. */
type MenuStep = 'onlineServices' | 'learnMore' | 'certificateMenu';

interface Context {
  country: 'CL';
  menuStep: MenuStep;
}
type S = Step<Context>;

const GET_NEW = { id: 'get-new', label: 'sii:centralize.choice.get-new' } as const;
const START_OVER = { id: 'start-over', label: 'sii:centralize.choice.start-over' } as const;

const navigation = (state: string): S => navigationStep('sii:centralize', state);

const menuFailed = (step: MenuStep) => ({ target: 'menuTrouble', actions: { type: 'noteMenu', params: { step } } }) as const;

export const machine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    output: {} as FlowOutput,
  },
  guards: {
    menuWas: ({ context }, params: { step: MenuStep }) => context.menuStep === params.step,
    needsNewCertificate: ({ event }) => event.type === 'subflow.done' && (event as SubflowDoneEvent).output.fix === 'new-certificate',
  },
  actions: {
    noteMenu: assign((_, params: { step: MenuStep }) => ({ menuStep: params.step })),
  },
}).createMachine({
  id: 'sii.centralize-certificate',
  context: { country: 'CL', menuStep: 'onlineServices' },
  output: finalOutput,
  initial: 'hasFile',
  states: {
    // ── Prerequisites ────────────────────────────────────────────────────────────────────
    hasFile: {
      meta: {
        step: {
          prompt: 'sii:centralize.hasFile.prompt',
          help: 'sii:centralize.hasFile.help',
          expects: 'choice',
          choices: [
            { id: 'have-both', label: 'sii:centralize.hasFile.have-both' },
            { id: 'no-file', label: 'sii:centralize.hasFile.no-file' },
            { id: 'no-password', label: 'sii:centralize.hasFile.no-password' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { 'have-both': 'legalRep', 'no-file': 'noFile', 'no-password': 'forgotPassword' },
    },
    noFile: {
      meta: {
        step: {
          prompt: 'sii:centralize.noFile.prompt',
          expects: 'choice',
          choices: [
            { id: 'installed', label: 'sii:centralize.noFile.installed' },
            { id: 'none', label: 'sii:centralize.noFile.none' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { installed: 'exportFile', none: 'getCertificate' },
    },
    // The certificate lives in the browser or the operating system: export it with its private key.
    exportFile: {
      meta: { step: navigation('exportFile') },
      on: { worked: 'legalRep', failed: 'exportTrouble', error: 'exportTrouble' },
    },
    exportTrouble: {
      meta: {
        step: { prompt: 'sii:centralize.exportTrouble.prompt', expects: 'choice', choices: [RETRY, GET_NEW, PERSON] } satisfies S,
      },
      on: { retry: 'exportFile', 'get-new': 'getCertificate' },
    },
    getCertificate: {
      meta: {
        step: {
          prompt: 'sii:centralize.getCertificate.prompt',
          help: 'sii:centralize.getCertificate.help',
          expects: 'choice',
          choices: [
            { id: 'have-it', label: 'sii:centralize.getCertificate.have-it' },
            { id: 'later', label: 'sii:choice.later' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { 'have-it': 'hasFile', later: 'paused' },
    },
    // The certificate's password is set when it is downloaded or exported; nobody can recover it.
    forgotPassword: {
      meta: {
        step: {
          prompt: 'sii:centralize.forgotPassword.prompt',
          expects: 'choice',
          choices: [
            { id: 'remembered', label: 'sii:centralize.forgotPassword.remembered' },
            { id: 'export', label: 'sii:centralize.forgotPassword.export' },
            GET_NEW,
            PERSON,
          ],
        } satisfies S,
      },
      on: { remembered: 'legalRep', export: 'exportFile', 'get-new': 'getCertificate' },
    },
    legalRep: {
      meta: {
        step: {
          prompt: 'sii:centralize.legalRep.prompt',
          help: 'sii:centralize.legalRep.help',
          expects: 'choice',
          choices: [...YES_NO, { id: 'not-sure', label: 'sii:choice.not-sure' }],
        } satisfies S,
      },
      on: { yes: 'knowsPassword', no: 'notLegalRep', 'not-sure': 'holderUnsure' },
    },
    holderUnsure: {
      meta: { step: { prompt: 'sii:centralize.holderUnsure.prompt', expects: 'choice', choices: [...YES_NO, PERSON] } satisfies S },
      on: { yes: 'knowsPassword', no: 'notLegalRep' },
    },
    notLegalRep: {
      meta: {
        step: {
          prompt: 'sii:centralize.notLegalRep.prompt',
          expects: 'choice',
          choices: [{ id: 'rep-will-do', label: 'sii:centralize.notLegalRep.rep-will-do' }, GET_NEW, PERSON],
        } satisfies S,
      },
      on: { 'rep-will-do': 'knowsPassword', 'get-new': 'getCertificate' },
    },
    knowsPassword: {
      meta: {
        step: {
          prompt: 'sii:centralize.knowsPassword.prompt',
          help: 'sii:centralize.knowsPassword.help',
          expects: 'choice',
          choices: YES_NO,
        } satisfies S,
      },
      on: { yes: 'mySii', no: 'recoverPassword' },
    },
    // «Recuperar Clave» is where the other procedure starts: it sets the clave again with an e-mailed code.
    recoverPassword: {
      meta: {
        step: {
          prompt: 'sii:centralize.recoverPassword.prompt',
          expects: 'choice',
          choices: [
            { id: 'guide-me', label: 'sii:centralize.recoverPassword.guide-me' },
            { id: 'recovered', label: 'sii:centralize.recoverPassword.recovered' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { 'guide-me': 'toRecover', recovered: 'mySii' },
    },

    // ── Into Mi SII ──────────────────────────────────────────────────────────────────────
    mySii: {
      meta: { step: navigation('mySii') },
      on: { worked: 'login', failed: 'mySiiTrouble', error: 'mySiiTrouble' },
    },
    mySiiTrouble: {
      meta: { step: { prompt: 'sii:centralize.mySiiTrouble.prompt', expects: 'choice', choices: [RETRY, PERSON] } satisfies S },
      on: { retry: 'mySii' },
    },
    login: {
      meta: { step: navigation('login') },
      on: { worked: 'onlineServices', failed: 'loginTrouble', error: 'loginTrouble' },
    },
    loginTrouble: {
      meta: {
        step: {
          prompt: 'sii:centralize.loginTrouble.prompt',
          expects: 'choice',
          choices: [RETRY, { id: 'recover', label: 'sii:centralize.loginTrouble.recover' }, PERSON],
        } satisfies S,
      },
      on: { retry: 'login', recover: 'recoverPassword' },
    },
    onlineServices: {
      meta: { step: navigation('onlineServices') },
      on: { worked: 'learnMore', failed: menuFailed('onlineServices'), error: menuFailed('onlineServices') },
    },
    learnMore: {
      meta: { step: navigation('learnMore') },
      on: { worked: 'certificateMenu', failed: menuFailed('learnMore'), error: menuFailed('learnMore') },
    },
    certificateMenu: {
      meta: { step: navigation('certificateMenu') },
      on: { worked: 'checkFile', failed: menuFailed('certificateMenu'), error: menuFailed('certificateMenu') },
    },
    // Before SII rejects the file, offer the certificate check (with the RUT the customer gives);
    // a certificate that is expired, someone else's or without its key is fixed by getting another.
    checkFile: {
      meta: { call: { flow: 'verify-certificate', input: () => ({ country: 'CL' }) } satisfies Call<Context> },
      on: {
        'subflow.done': [
          { guard: 'needsNewCertificate', target: 'getCertificate' },
          { target: 'upload' },
        ],
      },
    },
    // One trouble state for the three menus; "retry" goes back to the one that went missing.
    menuTrouble: {
      meta: {
        step: { prompt: 'sii:centralize.menuTrouble.prompt', expects: 'choice', choices: [RETRY, START_OVER, PERSON] } satisfies S,
      },
      on: {
        retry: [
          { guard: { type: 'menuWas', params: { step: 'learnMore' } }, target: 'learnMore' },
          { guard: { type: 'menuWas', params: { step: 'certificateMenu' } }, target: 'certificateMenu' },
          { target: 'onlineServices' },
        ],
        'start-over': 'mySii',
      },
    },

    // ── The upload ───────────────────────────────────────────────────────────────────────
    upload: {
      meta: { step: navigation('upload') },
      on: { worked: 'saved', failed: 'uploadTrouble', error: 'uploadTrouble' },
    },
    uploadTrouble: {
      meta: {
        step: {
          prompt: 'sii:centralize.uploadTrouble.prompt',
          expects: 'choice',
          choices: [
            { id: 'wrong-password', label: 'sii:centralize.uploadTrouble.wrong-password' },
            { id: 'file-rejected', label: 'sii:centralize.uploadTrouble.file-rejected' },
            { id: 'no-message', label: 'sii:centralize.uploadTrouble.no-message' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { 'wrong-password': 'wrongCertPassword', 'file-rejected': 'fileRejected', 'no-message': 'noMessage' },
    },
    wrongCertPassword: {
      meta: {
        step: {
          prompt: 'sii:centralize.wrongCertPassword.prompt',
          expects: 'choice',
          choices: [RETRY, { id: 'forgot', label: 'sii:centralize.wrongCertPassword.forgot' }, PERSON],
        } satisfies S,
      },
      on: { retry: 'upload', forgot: 'forgotPassword' },
    },
    fileRejected: {
      meta: {
        step: {
          prompt: 'sii:centralize.fileRejected.prompt',
          expects: 'choice',
          choices: [RETRY, { id: 'only-cer', label: 'sii:centralize.fileRejected.only-cer' }, GET_NEW, PERSON],
        } satisfies S,
      },
      on: { retry: 'upload', 'only-cer': 'exportFile', 'get-new': 'getCertificate' },
    },
    noMessage: {
      meta: {
        step: { prompt: 'sii:centralize.noMessage.prompt', expects: 'choice', choices: [RETRY, START_OVER, PERSON] } satisfies S,
      },
      on: { retry: 'upload', 'start-over': 'mySii' },
    },

    // ── Closing ──────────────────────────────────────────────────────────────────────────
    // «Se guardó archivo OK»: «Cerrar», «Salir»; then, are they already on the invoicing platform?
    saved: {
      meta: {
        step: { prompt: 'sii:centralize.saved.prompt', help: 'sii:centralize.saved.help', expects: 'choice', choices: YES_NO } satisfies S,
      },
      on: { yes: 'updatePlatform', no: 'offerLogin' },
    },
    updatePlatform: {
      meta: {
        step: {
          prompt: 'sii:centralize.updatePlatform.prompt',
          help: 'sii:centralize.updatePlatform.help',
          expects: 'choice',
          choices: [
            { id: 'updated', label: 'sii:centralize.updatePlatform.updated' },
            { id: 'later', label: 'sii:choice.later' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { updated: 'offerLogin', later: 'offerLogin' },
    },
    offerLogin: {
      meta: {
        step: {
          prompt: 'sii:centralize.offerLogin.prompt',
          help: 'sii:centralize.offerLogin.help',
          expects: 'choice',
          choices: [
            { id: 'yes', label: 'sii:centralize.offerLogin.yes' },
            { id: 'already', label: 'sii:centralize.offerLogin.already' },
            { id: 'not-now', label: 'common:choice.not-now' },
          ],
        } satisfies S,
      },
      on: { yes: 'toLogin', already: 'done', 'not-now': 'done' },
    },

    done: { type: 'final', output: { result: 'completed', country: 'CL' } },
    /** Centralized; the customer goes on to enable sign-in with the certificate. */
    toLogin: { type: 'final', output: { result: 'completed', next: 'sii.enable-certificate-login', country: 'CL' } },
    /** No clave tributaria: «Recuperar Clave» first (that flow offers centralizing again at its end). */
    toRecover: { type: 'final', output: { result: 'redirected', next: 'sii.enable-certificate-login', country: 'CL' } },
    /** No certificate yet: nothing more to do until the customer has one. */
    paused: { type: 'final', output: { result: 'ended', country: 'CL' } },
  },
});
