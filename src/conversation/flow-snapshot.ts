/** Pure helpers over XState snapshots: start, restore (with version migration), step lookup and state paths. */
import { initialTransition, type AnyMachineSnapshot, type AnyStateMachine, type StateValue } from 'xstate';
import type { FlowDefinition } from '../flows/catalog.ts';
import type { Call, FlowInput, Step } from '../flows/step.ts';
import type { SavedFlow } from './state.ts';

/** `{ a: 'b' }` → `a.b`. Flows have no parallel states, so a value is one path. */
export function pathOf(value: StateValue): string {
  if (typeof value === 'string') return value;
  const [k, v] = Object.entries(value)[0] ?? [];
  return k === undefined ? '' : v === undefined || (typeof v === 'object' && Object.keys(v).length === 0) ? k : `${k}.${pathOf(v as StateValue)}`;
}

export function valueOf(path: string): StateValue {
  const parts = path.split('.');
  let v: StateValue = parts.pop() as string;
  while (parts.length > 0) v = { [parts.pop() as string]: v };
  return v;
}

/** Does the machine have a state at this path? */
export function hasPath(machine: AnyStateMachine, path: string): boolean {
  let node = machine.root;
  for (const part of path.split('.')) {
    const next = node.states[part];
    if (!next) return false;
    node = next;
  }
  return true;
}

/** The path of the deepest initial leaf below `path` (entering a compound state lands on its initial child). */
function leafOf(machine: AnyStateMachine, path: string): string {
  let node = machine.root;
  for (const part of path.split('.')) node = node.states[part] ?? node;
  let out = path;
  while (node.type === 'compound' && node.initial?.target[0]) {
    node = node.initial.target[0];
    out = `${out}.${node.key}`;
  }
  return out;
}

export function startFlow(def: FlowDefinition, input: FlowInput): AnyMachineSnapshot {
  return initialTransition(def.machine, input)[0] as AnyMachineSnapshot;
}

export function save(def: FlowDefinition, snap: AnyMachineSnapshot): SavedFlow {
  return { id: def.id, version: def.version, value: snap.value, context: snap.context };
}

export interface Restored {
  snapshot: AnyMachineSnapshot;
  /** True when the saved version was older and the conversation was moved to the nearest surviving step. */
  migrated: boolean;
}

/**
 * Restore a saved flow. A snapshot saved under an older version is mapped forward through the
 * flow's declared migrations; a path that no longer exists climbs to its nearest surviving
 * ancestor, else to the flow's first step. Context keeps what was saved over new defaults.
 */
export function restore(def: FlowDefinition, saved: SavedFlow, input: FlowInput): Restored {
  const fresh = startFlow(def, input);
  const context = { ...(fresh.context as object), ...(saved.context as object) };
  let path = pathOf(saved.value as StateValue);
  const migrated = saved.version !== def.version;
  if (migrated) {
    for (let v = saved.version; v < def.version; v++) path = def.migrations?.[v]?.[path] ?? path;
    while (path !== '' && !hasPath(def.machine, path)) path = path.split('.').slice(0, -1).join('.');
    if (path === '') return { snapshot: fresh, migrated };
    path = leafOf(def.machine, path);
  } else if (!hasPath(def.machine, path)) {
    return { snapshot: fresh, migrated: true };
  }
  return { snapshot: def.machine.resolveState({ value: valueOf(path), context }) as AnyMachineSnapshot, migrated };
}

export interface CurrentStep {
  /** State path inside the flow, e.g. `menu` or `prerequisites.hasFile`. */
  id: string;
  step: Step<unknown>;
}

/** The step the customer stands in: the deepest active state with `meta.step`. */
export function currentStep(snap: AnyMachineSnapshot): CurrentStep | undefined {
  const meta = snap.getMeta() as Record<string, { step?: Step<unknown> } | undefined>;
  let best: { nodeId: string; step: Step<unknown> } | undefined;
  for (const [nodeId, m] of Object.entries(meta)) {
    if (m?.step && (!best || nodeId.length > best.nodeId.length)) best = { nodeId, step: m.step };
  }
  if (!best) return undefined;
  const machineId = snap.machine.id;
  return { id: best.nodeId.slice(machineId.length + 1), step: best.step };
}

/** The sub-flow the current state calls, if it is a call state (`meta.call`). */
export function currentCall(snap: AnyMachineSnapshot): Call<unknown> | undefined {
  const meta = snap.getMeta() as Record<string, { call?: Call<unknown> } | undefined>;
  return Object.values(meta).find((m) => m?.call)?.call;
}

/** Every state of a machine a customer can stand in (it has `meta.step`), by path, in document order. */
export function stepsOf(machine: AnyStateMachine): Array<{ path: string; step: Step<unknown> }> {
  const out: Array<{ path: string; step: Step<unknown> }> = [];
  const walk = (node: AnyStateMachine['root'], prefix: string): void => {
    for (const [key, child] of Object.entries(node.states)) {
      const path = prefix ? `${prefix}.${key}` : key;
      const step = (child.meta as { step?: Step<unknown> } | undefined)?.step;
      if (step) out.push({ path, step });
      walk(child, path);
    }
  };
  walk(machine.root, '');
  return out;
}
