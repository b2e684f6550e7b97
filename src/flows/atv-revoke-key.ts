/** Costa Rica, Hacienda ATV: revoke the production cryptographic key, then offer to generate a new one. */
import { setup } from 'xstate';
import type { FlowEvent, FlowInput, FlowOutput, Step } from './step.ts';
import { DID_IT_WORK, PERSON, YES_NO, finalOutput } from './shared/choices.ts';

export const version = 1;

interface Context {
  country: 'CR';
}
type S = Step<Context>;

export const machine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    output: {} as FlowOutput,
  },
}).createMachine({
  id: 'atv.revoke-key',
  context: { country: 'CR' },
  output: finalOutput,
  initial: 'portal',
  states: {
    // Hacienda is moving these screens to TRIBU-CR, where a new key replaces the old one.
    portal: {
      meta: {
        step: {
          prompt: 'atv:revoke.portal.prompt',
          help: 'atv:revoke.portal.help',
          expects: 'choice',
          choices: [
            { id: 'atv', label: 'atv:portal.atv' },
            { id: 'tribu', label: 'atv:portal.tribu' },
          ],
        } satisfies S,
      },
      on: { atv: 'login', tribu: 'tribuReplaces' },
    },
    tribuReplaces: {
      meta: {
        step: {
          prompt: 'atv:revoke.tribuReplaces.prompt',
          expects: 'choice',
          choices: [
            { id: 'generate', label: 'atv:revoke.tribuReplaces.generate' },
            { id: 'not-now', label: 'common:choice.not-now' },
          ],
        } satisfies S,
      },
      on: { generate: 'toGenerate', 'not-now': 'done' },
    },
    login: {
      meta: {
        step: {
          prompt: 'atv:revoke.login.prompt',
          help: 'atv:revoke.login.help',
          expects: 'choice',
          choices: DID_IT_WORK,
          canFail: true,
        } satisfies S,
      },
      on: { worked: 'menu', failed: 'loginTrouble', error: 'loginTrouble' },
    },
    loginTrouble: {
      meta: {
        step: {
          prompt: 'atv:revoke.loginTrouble.prompt',
          expects: 'choice',
          choices: [
            { id: 'retry', label: 'common:choice.retry' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { retry: 'login' },
    },
    menu: {
      meta: {
        step: {
          prompt: 'atv:revoke.menu.prompt',
          help: 'atv:revoke.menu.help',
          expects: 'choice',
          choices: DID_IT_WORK,
          canFail: true,
        } satisfies S,
      },
      on: { worked: 'confirm', failed: 'menuMissing', error: 'menuMissing' },
    },
    menuMissing: {
      meta: {
        step: {
          prompt: 'atv:revoke.menuMissing.prompt',
          expects: 'choice',
          choices: [
            { id: 'found', label: 'atv:revoke.menuMissing.found' },
            { id: 'tribu', label: 'atv:portal.tribu' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { found: 'confirm', tribu: 'tribuReplaces' },
    },
    confirm: {
      meta: {
        step: {
          prompt: 'atv:revoke.confirm.prompt',
          help: 'atv:revoke.confirm.help',
          expects: 'choice',
          choices: DID_IT_WORK,
          canFail: true,
        } satisfies S,
      },
      on: { worked: 'revoked', failed: 'confirmTrouble', error: 'confirmTrouble' },
    },
    confirmTrouble: {
      meta: {
        step: {
          prompt: 'atv:revoke.confirmTrouble.prompt',
          expects: 'choice',
          choices: [
            { id: 'retry', label: 'common:choice.retry' },
            PERSON,
          ],
        } satisfies S,
      },
      on: { retry: 'confirm' },
    },
    revoked: {
      meta: {
        step: { prompt: 'atv:revoke.revoked.prompt', expects: 'choice', choices: YES_NO } satisfies S,
      },
      on: { yes: 'toGenerate', no: 'done' },
    },
    toGenerate: { type: 'final', output: { result: 'completed', next: 'atv.generate-key', country: 'CR' } },
    done: { type: 'final', output: { result: 'completed', country: 'CR' } },
  },
});
