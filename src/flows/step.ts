/**
 * The contract between a flow machine and the conversation engine: what a state says
 * (its `meta.step`), which answers it takes, and what a finished flow outputs.
 *
 * A flow is a plain XState v5 machine built with `setup().createMachine()`. Every state a
 * customer can stand in carries `meta: { step }`; the engine renders it and turns the
 * customer's answer into one of the events below. Final states carry no step; their
 * `output` tells the engine what comes next.
 */
import type { Country, Verdict, CheckId } from '../certs/report.ts';

/** An i18next key with its namespace, e.g. `atv:generate.pin.prompt`. */
export type Key = string;
export type Params = Record<string, string | number>;

export interface ChoiceOption {
  /** The event type the state handles for this answer (kebab-case, unique in the state). */
  id: string;
  /** Label key shown on the button. */
  label: Key;
}

export type Expects = 'choice' | 'text' | 'file' | 'secret';

export interface Step<TContext = unknown> {
  /** What the bot says on entering the step: instructions and the question. */
  prompt: Key;
  /** Said on "help": the same step explained in more detail (what the screen looks like, common mistakes). */
  help?: Key;
  /** Interpolation values for prompt/help/invalid, from the flow's context. */
  params?: (context: TContext) => Params;
  /** What kind of answer moves the step on. */
  expects: Expects;
  /** The buttons. Required when `expects` is `choice`; optional extra buttons otherwise. */
  choices?: readonly ChoiceOption[] | ((context: TContext) => readonly ChoiceOption[]);
  /** Said when an answer of the right kind is refused by the machine (the state did not change). */
  invalid?: Key;
  /** For `text` steps: an example answer that passes, used by the model-based tests. */
  sample?: string;
  /** Engine-run side effect for `secret` steps: the engine runs the injected check and sends `verified`. */
  effect?: 'verify-certificate';
  /** For the check: the country and the id (RUT, cédula) the certificate must belong to. */
  verifyWith?: (context: TContext) => { country?: Country; expectedId?: string };
  /** This step is one that can fail for the customer: a "no" twice here is worth a person. */
  canFail?: boolean;
  /** Free text that matches no choice goes through intent routing and arrives as an `intent` event (triage). */
  routesText?: boolean;
  /** Entering this step brings in a person (e.g. after five wrong PINs). */
  handoff?: 'secret-locked' | 'not-solved';
}

/**
 * A state that runs another flow as a sub-procedure (`meta: { call }`), e.g. the certificate
 * check inside a procedure. The engine starts the callee; when it finishes, the caller gets
 * `subflow.done` with the callee's output, unless the callee redirected to another procedure.
 */
export interface Call<TContext = unknown> {
  flow: FlowId;
  input?: (context: TContext) => FlowInput;
}

/** Choice ids the engine answers itself in any step; a state may list them without handling them. */
export const ENGINE_CHOICES = ['person'] as const;

/** Events a flow machine receives. Choice answers arrive as `{ type: <choice id> }`. */
export type TextEvent = { type: 'text'; text: string };
export type FileEvent = { type: 'file'; name: string; size: number };
/** The certificate check finished. Carries only the summary; the full report goes to the customer. */
export type VerifiedEvent = {
  type: 'verified';
  verdict: Verdict;
  failed: CheckId[];
  warned: CheckId[];
  /** Codes of failed checks, e.g. `secret.incorrect`, `certificate.expired`. */
  codes: string[];
  holderId?: string;
  /** After a wrong PIN: how many tries remain before checking locks. */
  attemptsLeft?: number;
  at: number;
};
/** The held file was lost (restart, 10-minute expiry): ask for it again. */
export type FileLostEvent = { type: 'file-lost' };
/** Too many wrong PINs for this conversation lately: the engine refuses to check again for a while. */
export type SecretLockedEvent = { type: 'secret-locked' };
/** A called sub-flow finished. */
export type SubflowDoneEvent = { type: 'subflow.done'; output: FlowOutput };
/** What free-text routing understood: candidate procedures (best first) and the country, if any. */
export type IntentEvent = { type: 'intent'; flows: FlowId[]; country?: Country };
export type ChoiceEvent = { type: string };
export type FlowEvent =
  | TextEvent
  | FileEvent
  | VerifiedEvent
  | FileLostEvent
  | SecretLockedEvent
  | SubflowDoneEvent
  | IntentEvent
  | ChoiceEvent;

export type FlowId =
  | 'triage'
  | 'sii.centralize-certificate'
  | 'sii.enable-certificate-login'
  | 'atv.revoke-key'
  | 'atv.generate-key'
  | 'verify-certificate'
  | 'wrap-up';

/** What a flow's final state outputs. */
export interface FlowOutput {
  /**
   * completed: the procedure reached its goal; routed: triage chose a flow; redirected: the
   * customer must do another procedure first (`next`); handoff: the customer needs a person;
   * skipped: a sub-procedure was declined or unavailable; ended: nothing more to do.
   */
  result: 'completed' | 'routed' | 'redirected' | 'handoff' | 'skipped' | 'ended';
  /** Flow to start next (triage routing, revoke → generate, a failing check → the fixing procedure). */
  next?: FlowId;
  /** Country learnt in this flow. */
  country?: Country;
  /** Certificate check: the customer chose to fix a failure at a step of the calling procedure. */
  fix?: 'new-certificate';
  /** Wrap-up: whether the customer said it was solved, and their 1–5 rating. */
  solved?: boolean;
  rating?: number;
}

/** Input every flow machine accepts when it starts. */
export interface FlowInput {
  country?: Country;
  /** The procedure that called this flow (sub-flows), so a fix can say "start it again". */
  caller?: FlowId;
}
