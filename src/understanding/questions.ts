/** The questions customers answer with buttons: each step's set of choice ids, read from the flow machines' step definitions. */
import type { AnyStateMachine } from 'xstate';
import type { Step } from '../flows/step.ts';

interface Node {
  meta?: { step?: Step };
  states?: Record<string, Node>;
}

/** Distinct choice-id sets of every step with fixed buttons (buttons that depend on the context are left to routing and labels). */
export function choiceSets(machines: Iterable<AnyStateMachine>): string[][] {
  const sets = new Map<string, string[]>();
  const walk = (node: Node): void => {
    const choices = node.meta?.step?.choices;
    if (Array.isArray(choices) && choices.length > 0) {
      const ids = choices.map((c) => c.id).sort();
      sets.set(ids.join('|'), ids);
    }
    for (const child of Object.values(node.states ?? {})) walk(child);
  };
  for (const m of machines) walk(m.root as unknown as Node);
  return [...sets.values()];
}
