/** Wrap-up after a procedure: was it solved? (no → a person or start over), then a 1–5 satisfaction rating. */
import { assign, setup } from 'xstate';
import type { FlowEvent, FlowInput, FlowOutput, Step } from './step.ts';
import { PERSON, YES_NO, finalOutput } from './shared/choices.ts';

export const version = 1;

interface Context {
  solved?: boolean;
  rating?: number;
}
type S = Step<Context>;

const RATINGS = [1, 2, 3, 4, 5] as const;

export const machine = setup({
  types: {
    context: {} as Context,
    input: {} as FlowInput,
    events: {} as FlowEvent,
    output: {} as FlowOutput,
  },
  actions: {
    solved: assign((_, p: { solved: boolean }) => ({ solved: p.solved })),
    rate: assign((_, p: { rating: number }) => ({ rating: p.rating })),
  },
}).createMachine({
  id: 'wrap-up',
  context: {},
  output: finalOutput,
  initial: 'solved',
  states: {
    solved: {
      meta: { step: { prompt: 'common:wrapUp.solved.prompt', expects: 'choice', choices: YES_NO } satisfies S },
      on: {
        yes: { target: 'rating', actions: { type: 'solved', params: { solved: true } } },
        no: { target: 'notSolved', actions: { type: 'solved', params: { solved: false } } },
      },
    },
    notSolved: {
      meta: {
        step: {
          prompt: 'common:wrapUp.notSolved.prompt',
          expects: 'choice',
          // "Not solved" brings in a person at once; leaving the queue comes back here (start over, or rate).
          handoff: 'not-solved',
          choices: [
            PERSON,
            { id: 'restart', label: 'common:wrapUp.notSolved.restart' },
            { id: 'finish', label: 'common:wrapUp.notSolved.finish' },
          ],
        } satisfies S,
      },
      on: { restart: 'restart', finish: 'rating' },
    },
    rating: {
      meta: {
        step: {
          prompt: 'common:wrapUp.rating.prompt',
          expects: 'choice',
          choices: RATINGS.map((n) => ({ id: `rate-${n}`, label: `common:wrapUp.rating.${n}` })),
        } satisfies S,
      },
      on: Object.fromEntries(
        RATINGS.map((n) => [`rate-${n}`, { target: 'rated', actions: { type: 'rate', params: { rating: n } } }]),
      ),
    },
    rated: {
      type: 'final',
      output: ({ context }: { context: Context }): FlowOutput => ({
        result: 'ended',
        solved: context.solved,
        rating: context.rating,
      }),
    },
    restart: {
      type: 'final',
      output: ({ context }: { context: Context }): FlowOutput => ({ result: 'ended', next: 'triage', solved: context.solved }),
    },
  },
});
