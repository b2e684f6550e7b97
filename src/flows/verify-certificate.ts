/**
 * Certificate check, called from a procedure: offer, the holder's id (RUT or cédula), the file,
 * its PIN or password; then passed, wrong PIN (again), locked, or what fixes the problem.
 * Offered only when the engine has a checker (`canVerify`); otherwise it finishes at once.
 */
import { assign, not, setup } from 'xstate';
import type { CheckId, Country } from '../certs/report.ts';
import { parseCedula, parseRut } from '../certs/identity.ts';
import type { ChoiceOption, FlowEvent, FlowId, FlowInput, FlowOutput, Step, VerifiedEvent } from './step.ts';
import { PERSON, YES_NO, finalOutput } from './shared/choices.ts';

export const version = 1;

/** What a failed check means for the customer, and which procedure fixes it. */
export type Failure = 'staging' | 'expired' | 'identity' | 'identity-invalid' | 'no-key' | 'format' | 'key' | 'other';

interface Context {
  country?: Country;
  caller?: FlowId;
  expectedId?: string;
  fileName?: string;
  attemptsLeft?: number;
  failure?: Failure;
}
type S = Step<Context>;

const FAILURE_BY_CHECK: ReadonlyArray<[CheckId, Failure]> = [
  ['file.format', 'format'],
  ['file.limits', 'format'],
  ['key.present', 'no-key'],
  ['key.matches-certificate', 'no-key'],
  ['environment.production', 'staging'],
  ['certificate.validity', 'expired'],
  ['identity.matches', 'identity'],
  ['identity.present', 'identity-invalid'],
  ['identity.valid', 'identity-invalid'],
  ['key.usage', 'key'],
  ['key.strength', 'key'],
];

export function failureOf(failed: readonly CheckId[]): Failure {
  return FAILURE_BY_CHECK.find(([id]) => failed.includes(id))?.[1] ?? 'other';
}

/** What fixes a failure: another procedure, or getting another certificate in the calling one. */
export type Fix = { flow: FlowId } | { step: 'new-certificate' };

export function fixOf(failure: Failure | undefined, country: Country | undefined): Fix | undefined {
  if (country === 'CR' && (failure === 'staging' || failure === 'expired' || failure === 'identity' || failure === 'no-key')) {
    return { flow: 'atv.generate-key' };
  }
  if (country === 'CL' && (failure === 'expired' || failure === 'identity' || failure === 'identity-invalid' || failure === 'no-key')) {
    return { step: 'new-certificate' };
  }
  return undefined;
}

const fixFlow = (c: Context): FlowId | undefined => {
  const fix = fixOf(c.failure, c.country);
  return fix && 'flow' in fix ? fix.flow : undefined;
};

const fixLabel = (fix: Fix, caller: FlowId | undefined): string =>
  'step' in fix ? 'verify:choice.get-new' : fix.flow === caller ? 'verify:choice.fix-again' : `verify:choice.fix.${fix.flow}`;

const verified = (e: FlowEvent): VerifiedEvent | undefined => (e.type === 'verified' ? (e as VerifiedEvent) : undefined);
const textOf = (e: FlowEvent): string => (e.type === 'text' && 'text' in e ? String(e.text) : '');
const idOf = (country: Country | undefined, text: string): string | undefined => {
  const r = country === 'CR' ? parseCedula(text) : parseRut(text);
  return r.ok ? r.id : undefined;
};

const secretStep = (prompt: string): S => ({
  prompt,
  help: 'verify:askSecret.help',
  expects: 'secret',
  effect: 'verify-certificate',
  params: (c) => ({ attemptsLeft: c.attemptsLeft ?? 5 }),
  verifyWith: (c) => ({ country: c.country, expectedId: c.expectedId }),
  choices: [{ id: 'skip', label: 'verify:choice.skip' }],
});

const afterCheck = [
  { guard: 'passed', target: 'passed' },
  { guard: 'wrongSecret', target: 'wrongSecret', actions: 'countAttempt' },
  { target: 'failed', actions: 'noteFailure' },
] as const;

export const machine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    output: {} as FlowOutput,
  },
  guards: {
    // Provided by the engine: true only when a certificate checker is wired in.
    canVerify: () => false,
    validId: ({ context, event }) => idOf(context.country, textOf(event)) !== undefined,
    passed: ({ event }) => verified(event)?.verdict !== 'fail',
    wrongSecret: ({ event }) => verified(event)?.failed.includes('secret.correct') ?? false,
  },
  actions: {
    keepId: assign(({ context, event }) => ({ expectedId: idOf(context.country, textOf(event)) })),
    keepFile: assign(({ event }) => ({ fileName: event.type === 'file' && 'name' in event ? String(event.name) : undefined })),
    countAttempt: assign(({ event }) => ({ attemptsLeft: verified(event)?.attemptsLeft })),
    noteFailure: assign(({ event }) => ({ failure: failureOf(verified(event)?.failed ?? []) })),
  },
}).createMachine({
  id: 'verify-certificate',
  context: ({ input }) => ({ country: input?.country, caller: input?.caller }),
  output: finalOutput,
  initial: 'offer',
  states: {
    offer: {
      always: { guard: not('canVerify'), target: 'skipped' },
      meta: {
        step: {
          prompt: 'verify:offer.prompt',
          help: 'verify:offer.help',
          expects: 'choice',
          choices: YES_NO,
        } satisfies S,
      },
      on: { yes: 'askId', no: 'skipped' },
    },
    askId: {
      meta: {
        step: {
          prompt: 'verify:askId.prompt',
          // i18next context: the RUT in Chile, the cédula in Costa Rica.
          params: (c) => ({ context: c.country ?? 'CL' }),
          help: 'verify:askId.help',
          invalid: 'verify:askId.invalid',
          expects: 'text',
          sample: '12.345.678-5',
          choices: [{ id: 'skip-id', label: 'verify:choice.skip-id' }],
        } satisfies S,
      },
      on: {
        text: { guard: 'validId', target: 'askFile', actions: 'keepId' },
        'skip-id': 'askFile',
      },
    },
    askFile: {
      meta: {
        step: {
          prompt: 'verify:askFile.prompt',
          help: 'verify:askFile.help',
          expects: 'file',
          choices: [{ id: 'skip', label: 'verify:choice.skip' }],
        } satisfies S,
      },
      on: { file: { target: 'askSecret', actions: 'keepFile' }, skip: 'skipped' },
    },
    askSecret: {
      meta: { step: secretStep('verify:askSecret.prompt') },
      on: { verified: afterCheck, 'file-lost': 'askFile', 'secret-locked': 'locked', skip: 'skipped' },
    },
    wrongSecret: {
      meta: { step: secretStep('verify:wrongSecret.prompt') },
      on: { verified: afterCheck, 'file-lost': 'askFile', 'secret-locked': 'locked', skip: 'skipped' },
    },
    passed: {
      meta: {
        step: {
          prompt: 'verify:passed.prompt',
          expects: 'choice',
          choices: [{ id: 'continue', label: 'common:choice.continue' }],
        } satisfies S,
      },
      on: { continue: 'done' },
    },
    failed: {
      meta: {
        step: {
          prompt: 'verify:failed.prompt',
          // i18next context: `failed.prompt_staging`, `failed.prompt_expired`, … per failure.
          params: (c) => ({ context: c.failure ?? 'other' }),
          expects: 'choice',
          choices: (c: Context): ChoiceOption[] => {
            const fix = fixOf(c.failure, c.country);
            return [
              ...(fix ? [{ id: 'fix', label: fixLabel(fix, c.caller) }] : []),
              { id: 'another-file', label: 'verify:choice.another-file' },
              { id: 'continue-anyway', label: 'verify:choice.continue-anyway' },
              PERSON,
            ];
          },
        } satisfies S,
      },
      on: {
        fix: [
          { guard: ({ context }) => fixFlow(context) !== undefined, target: 'redirect' },
          { guard: ({ context }) => fixOf(context.failure, context.country) !== undefined, target: 'newCertificate' },
        ],
        'another-file': 'askFile',
        'continue-anyway': 'done',
      },
    },
    locked: {
      meta: {
        step: {
          prompt: 'verify:locked.prompt',
          expects: 'choice',
          handoff: 'secret-locked',
          choices: [{ id: 'continue-anyway', label: 'verify:choice.continue-anyway' }, PERSON],
        } satisfies S,
      },
      on: { 'continue-anyway': 'skipped' },
    },
    done: { type: 'final', output: { result: 'completed' } },
    skipped: { type: 'final', output: { result: 'skipped' } },
    /** The calling procedure takes the customer to getting another certificate. */
    newCertificate: { type: 'final', output: { result: 'completed', fix: 'new-certificate' } },
    redirect: {
      type: 'final',
      output: ({ context }: { context: Context }): FlowOutput => ({
        result: 'redirected',
        next: fixFlow(context),
      }),
    },
  },
});
