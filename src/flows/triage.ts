/** Triage: greet, learn the country and the procedure from the customer's words or a menu, ask back when unsure. */
import { assign, setup } from 'xstate';
import type { Country } from '../certs/report.ts';
import type { ChoiceOption, FlowEvent, FlowId, FlowInput, FlowOutput, IntentEvent, Step } from './step.ts';
import { finalOutput } from './shared/choices.ts';

export const version = 1;

interface Context {
  country?: Country;
  next?: FlowId;
  candidates: FlowId[];
}
type S = Step<Context>;

/** Menu option id ↔ procedure. Option ids are event types, so they avoid dots. */
const PROCEDURES: ReadonlyArray<{ option: string; flow: FlowId; country: Country }> = [
  { option: 'sii-centralize', flow: 'sii.centralize-certificate', country: 'CL' },
  { option: 'sii-login', flow: 'sii.enable-certificate-login', country: 'CL' },
  { option: 'atv-revoke', flow: 'atv.revoke-key', country: 'CR' },
  { option: 'atv-generate', flow: 'atv.generate-key', country: 'CR' },
];

const optionOf = (flow: FlowId): ChoiceOption => {
  const p = PROCEDURES.find((x) => x.flow === flow);
  return { id: p?.option ?? flow, label: `triage:procedure.${p?.option ?? flow}` };
};
const proceduresOf = (country?: Country): ChoiceOption[] =>
  PROCEDURES.filter((p) => !country || p.country === country).map((p) => optionOf(p.flow));

const NOT_SURE: ChoiceOption = { id: 'not-sure', label: 'triage:choice.not-sure' };
const COUNTRIES: readonly ChoiceOption[] = [
  { id: 'cl', label: 'triage:country.cl' },
  { id: 'cr', label: 'triage:country.cr' },
];

const intentOf = (e: FlowEvent): IntentEvent | undefined => (e.type === 'intent' ? (e as IntentEvent) : undefined);

/** Transitions shared by every triage step: a menu pick routes; free text goes where routing points. */
const routeOn = {
  ...Object.fromEntries(
    PROCEDURES.map((p) => [p.option, { target: '#triage.routed', actions: { type: 'pick', params: { flow: p.flow } } }]),
  ),
  intent: [
    { guard: 'oneFlow', target: '#triage.routed', actions: 'routeToIntent' },
    { guard: 'manyFlows', target: '#triage.disambiguate', actions: 'keepCandidates' },
    { guard: { type: 'country', params: { country: 'CL' } }, target: '#triage.chooseCL', actions: { type: 'setCountry', params: { country: 'CL' } } },
    { guard: { type: 'country', params: { country: 'CR' } }, target: '#triage.chooseCR', actions: { type: 'setCountry', params: { country: 'CR' } } },
    { target: '#triage.notUnderstood' },
  ],
} as const;

export const machine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    output: {} as FlowOutput,
  },
  guards: {
    oneFlow: ({ event }) => intentOf(event)?.flows.length === 1,
    manyFlows: ({ event }) => (intentOf(event)?.flows.length ?? 0) > 1,
    country: ({ event }, p: { country: Country }) => intentOf(event)?.country === p.country,
  },
  actions: {
    pick: assign((_, p: { flow: FlowId }) => ({
      next: p.flow,
      country: PROCEDURES.find((x) => x.flow === p.flow)?.country,
    })),
    routeToIntent: assign(({ event }) => {
      const flow = intentOf(event)?.flows[0];
      return { next: flow, country: PROCEDURES.find((x) => x.flow === flow)?.country };
    }),
    keepCandidates: assign(({ event }) => ({ candidates: intentOf(event)?.flows ?? [], country: intentOf(event)?.country })),
    setCountry: assign((_, p: { country: Country }) => ({ country: p.country })),
  },
}).createMachine({
  id: 'triage',
  context: ({ input }) => ({ country: input?.country, candidates: [] }),
  output: finalOutput,
  initial: 'greeting',
  states: {
    greeting: {
      meta: {
        step: {
          prompt: 'triage:greeting.prompt',
          help: 'triage:greeting.help',
          expects: 'choice',
          routesText: true,
          choices: [...proceduresOf(), NOT_SURE],
        } satisfies S,
      },
      on: { ...routeOn, 'not-sure': 'askCountry' },
    },
    notUnderstood: {
      meta: {
        step: {
          prompt: 'triage:notUnderstood.prompt',
          help: 'triage:greeting.help',
          expects: 'choice',
          routesText: true,
          choices: [...proceduresOf(), NOT_SURE],
        } satisfies S,
      },
      on: { ...routeOn, 'not-sure': 'askCountry' },
    },
    askCountry: {
      meta: {
        step: {
          prompt: 'triage:askCountry.prompt',
          help: 'triage:askCountry.help',
          expects: 'choice',
          routesText: true,
          choices: COUNTRIES,
        } satisfies S,
      },
      on: {
        ...routeOn,
        cl: { target: 'chooseCL', actions: { type: 'setCountry', params: { country: 'CL' } } },
        cr: { target: 'chooseCR', actions: { type: 'setCountry', params: { country: 'CR' } } },
      },
    },
    chooseCL: {
      meta: {
        step: {
          prompt: 'triage:chooseCL.prompt',
          help: 'triage:chooseCL.help',
          expects: 'choice',
          routesText: true,
          choices: proceduresOf('CL'),
        } satisfies S,
      },
      on: routeOn,
    },
    chooseCR: {
      meta: {
        step: {
          prompt: 'triage:chooseCR.prompt',
          help: 'triage:chooseCR.help',
          expects: 'choice',
          routesText: true,
          choices: proceduresOf('CR'),
        } satisfies S,
      },
      on: routeOn,
    },
    disambiguate: {
      meta: {
        step: {
          prompt: 'triage:disambiguate.prompt',
          expects: 'choice',
          routesText: true,
          // Before routing has produced candidates (model tests start here), offer them all.
          choices: (c: Context) => (c.candidates.length > 0 ? c.candidates.map(optionOf) : proceduresOf()),
        } satisfies S,
      },
      on: routeOn,
    },
    routed: {
      type: 'final',
      output: ({ context }: { context: Context }): FlowOutput => ({
        result: 'routed',
        next: context.next,
        country: context.country,
      }),
    },
  },
});
