/** Answer sets shared by every flow: yes/no and "did it work?". */
import type { ChoiceOption, FlowOutput, Step } from '../step.ts';

export const YES_NO: readonly ChoiceOption[] = [
  { id: 'yes', label: 'common:choice.yes' },
  { id: 'no', label: 'common:choice.no' },
];

/** For steps that can fail: the customer says it worked, it did not, or they see an error. */
export const DID_IT_WORK: readonly ChoiceOption[] = [
  { id: 'worked', label: 'common:choice.worked' },
  { id: 'failed', label: 'common:choice.failed' },
  { id: 'error', label: 'common:choice.error' },
];

/** Root `output` of every flow machine: the output its final state declared. */
export const finalOutput = ({ event }: { event: { output?: unknown } }): FlowOutput =>
  (event.output as FlowOutput | undefined) ?? { result: 'ended' };

/**
 * "Talk to a person" as a button. The engine handles it in every step (it is a conversation
 * rule, not a flow branch), so a state lists it among its choices without an `on` entry.
 */
export const PERSON: ChoiceOption = { id: 'person', label: 'common:choice.person' };

export const RETRY: ChoiceOption = { id: 'retry', label: 'common:choice.retry' };
export const CONTINUE: ChoiceOption = { id: 'continue', label: 'common:choice.continue' };

/**
 * A "did it work?" step of a source procedure, its texts under `<prefix>.<state>`: worked moves
 * on, failed or an error goes to the state's trouble step.
 */
export const navigationStep = <C>(prefix: string, state: string): Step<C> => ({
  prompt: `${prefix}.${state}.prompt`,
  help: `${prefix}.${state}.help`,
  expects: 'choice',
  choices: DID_IT_WORK,
  canFail: true,
});
