/**
 * Runs a pure turn to its end: answers what it needs (the check, the queue) and decides again
 * with the answer, then runs its effects on the file hold, unless the caller defers them to after
 * its commit (the chat service).
 */
import type { VerifyCertificate } from '../certs/report.ts';
import type { Decision, Effect, FileHold, Need, QueueOutlook, TurnContext, TurnInput, TurnResult } from './contract.ts';
import type { Inbound } from './messages.ts';
import type { ConversationState } from './state.ts';

/** A turn needs at most the check and then the queue; more rounds than this is a bug. */
export const MAX_ROUNDS = 4;

export type Decide = (state: ConversationState | undefined, inbound: Inbound, input: TurnInput) => Decision;

/**
 * Decide, answer the need, decide again with the answer, until done. `answer` supplies each
 * fact; it is the edge's to memoise (the check must run once per message).
 */
export async function resolveTurn(
  decide: Decide,
  state: ConversationState | undefined,
  inbound: Inbound,
  input: TurnInput,
  answer: (need: Need) => Promise<Partial<TurnInput>>,
): Promise<TurnResult> {
  let facts = input;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const d = decide(state, inbound, facts);
    if (d.done) return d.result;
    facts = { ...facts, ...(await answer(d.need)) };
  }
  throw new Error('turn did not finish: it kept asking for facts');
}

export async function runTurn(
  decide: Decide,
  verify: VerifyCertificate | undefined,
  state: ConversationState | undefined,
  inbound: Inbound,
  ctx: TurnContext,
): Promise<TurnResult> {
  const input: TurnInput = { now: ctx.now, ...(ctx.locale ? { locale: ctx.locale } : {}), canHold: ctx.hold !== undefined, held: ctx.hold?.get() };
  const check = ctx.verify ?? verify;
  const r = await resolveTurn(decide, state, inbound, input, async (need) => {
    if (need.type === 'verify') {
      if (!check) throw new Error('a turn asked for a certificate check, and none is wired in');
      return { report: await check(need.file.bytes, need.secret, need.options) };
    }
    return { outlook: await readOutlook(ctx, need) };
  });
  if (ctx.hold && !ctx.deferEffects) runEffects(r.effects, ctx.hold);
  return r;
}

async function readOutlook(ctx: TurnContext, need: Extract<Need, { type: 'outlook' }>): Promise<QueueOutlook | null> {
  if (!ctx.outlook) return null;
  try {
    return await ctx.outlook({ ...(need.country ? { country: need.country } : {}), since: need.since });
  } catch (err) {
    // The queue could not be read: the customer is queued all the same, only without a place.
    ctx.onOutlookError?.(err);
    return null;
  }
}

/** Apply a committed turn's effects to the file hold. */
export function runEffects(effects: readonly Effect[], hold: FileHold): void {
  for (const e of effects) {
    if (e.type === 'hold.put') hold.put(e.file);
    else hold.clear();
  }
}
