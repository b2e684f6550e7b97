// Model-based tests: walk every flow's graph (@xstate/graph) and check what a customer would meet at each state.
import { getAdjacencyMap, getShortestPaths } from '@xstate/graph';
import { transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { FLOWS } from '../../src/flows/catalog.ts';
import { ENGINE_CHOICES, type FlowEvent, type FlowId, type Step } from '../../src/flows/step.ts';
import { choicesOf } from '../../src/conversation/engine.ts';
import { currentCall, currentStep, pathOf } from '../../src/conversation/flow-snapshot.ts';
import { LOCALES } from '../../src/conversation/messages.ts';
import { bot } from '../support/bot.ts';

const t = bot.translator.t;

/** Every event a customer (through the engine) can produce at this snapshot. */
function eventsAt(snap: AnyMachineSnapshot): FlowEvent[] {
  if (currentCall(snap)) {
    return [
      { type: 'subflow.done', output: { result: 'completed' } },
      { type: 'subflow.done', output: { result: 'skipped' } },
      { type: 'subflow.done', output: { result: 'completed', fix: 'new-certificate' } },
    ];
  }
  const cur = currentStep(snap);
  if (!cur) return [];
  const { step } = cur;
  const events: FlowEvent[] = choicesOf(step, snap.context)
    .filter((c) => !(ENGINE_CHOICES as readonly string[]).includes(c.id))
    .map((c) => ({ type: c.id }));
  if (step.expects === 'text') {
    events.push({ type: 'text', text: step.sample ?? 'x' });
    events.push({ type: 'text', text: '???' });
  }
  if (step.expects === 'file') {
    events.push({ type: 'file', name: 'cert.p12', size: 3000 });
    events.push({ type: 'file-lost' });
  }
  if (step.expects === 'secret') {
    const v = (verdict: 'ok' | 'warning' | 'fail', failed: string[], codes: string[] = []) =>
      ({ type: 'verified', verdict, failed, warned: [], codes, at: 0 }) as FlowEvent;
    events.push(v('ok', []), v('warning', []), v('fail', ['secret.correct'], ['secret.incorrect']));
    events.push(v('fail', ['certificate.validity'], ['certificate.expired']), v('fail', ['environment.production'], ['environment.staging']));
    events.push(v('fail', ['identity.matches'], ['identity.mismatch']), v('fail', ['file.format'], ['file.not-pkcs12']));
    events.push({ type: 'file-lost' }, { type: 'secret-locked' });
  }
  if (step.routesText) {
    const ids = Object.keys(FLOWS).filter((f) => f.includes('.')) as FlowId[];
    for (const f of ids) events.push({ type: 'intent', flows: [f] });
    events.push({ type: 'intent', flows: ids.slice(0, 2) }, { type: 'intent', flows: ids.slice(2) });
    events.push({ type: 'intent', flows: [], country: 'CL' }, { type: 'intent', flows: [], country: 'CR' }, { type: 'intent', flows: [] });
  }
  return events;
}

/** Leaf state paths declared in the machine. */
function leafPaths(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const walk = (node: AnyStateMachine['root'], prefix: string) => {
    const kids = Object.values(node.states);
    if (kids.length === 0) out.push(prefix);
    for (const k of kids) walk(k, prefix ? `${prefix}.${k.key}` : k.key);
  };
  walk(machine.root, '');
  return out;
}

type Adjacency = Record<
  string,
  { state: AnyMachineSnapshot; transitions: Record<string, { event: FlowEvent; state: AnyMachineSnapshot }> }
>;

const serialize = (s: AnyMachineSnapshot) => JSON.stringify({ v: s.value, c: s.context, d: s.status });
const figures: string[] = [];

describe.each(Object.values(FLOWS).map((d) => [d.id, d] as const))('flow %s', (_id, def) => {
  const machine = def.machine.provide({ guards: { canVerify: () => true } });
  // The check's fixes depend on the country (a procedure in Costa Rica, a step of the caller in
  // Chile): walk it once per country; contexts differ, so the two graphs never share a state.
  const inputs = def.id === 'verify-certificate' ? [{ country: 'CR' }, { country: 'CL' }] : [{}];
  const walks = inputs.map((input) => {
    const options = { events: eventsAt, input, serializeState: serialize, limit: 20_000 };
    return { paths: getShortestPaths(machine, options), adjacency: getAdjacencyMap(machine, options) as unknown as Adjacency };
  });
  const paths = walks.flatMap((w) => w.paths);
  const adjacency: Adjacency = Object.assign({}, ...walks.map((w) => w.adjacency));
  const edges = Object.values(adjacency).flatMap((v) => Object.values(v.transitions));

  it('reaches every declared state', () => {
    const reached = new Set(paths.map((p) => pathOf(p.state.value)));
    expect(leafPaths(machine).filter((p) => !reached.has(p))).toEqual([]);
  });

  it('says something real at every state, in both languages, and every button leads somewhere', () => {
    for (const { state } of paths) {
      if (state.status === 'done') continue;
      const call = currentCall(state);
      if (call) {
        expect(FLOWS[call.flow], `${def.id} calls an unknown flow ${call.flow}`).toBeDefined();
        continue;
      }
      const cur = currentStep(state);
      expect(cur, `state ${pathOf(state.value)} has no meta.step`).toBeDefined();
      const step = cur?.step as Step<unknown>;
      const params = step.params?.(state.context);
      for (const lng of LOCALES) {
        for (const key of [step.prompt, step.help, step.invalid].filter((k): k is string => !!k)) {
          const text = t(key, lng, params);
          expect(text, `${def.id} ${cur?.id} ${key} (${lng})`).not.toBe(key);
          expect(text.trim().length).toBeGreaterThan(0);
          expect(text, `${key} (${lng}) has an unfilled variable`).not.toMatch(/\{\{/);
        }
        for (const c of choicesOf(step, state.context)) expect(t(c.label, lng), `${c.label} (${lng})`).not.toBe(c.label);
      }
      if (step.expects === 'choice') expect(choicesOf(step, state.context).length).toBeGreaterThan(0);
      for (const c of choicesOf(step, state.context)) {
        if ((ENGINE_CHOICES as readonly string[]).includes(c.id)) continue;
        expect(state.can({ type: c.id }), `${def.id} ${cur?.id}: button ${c.id} leads nowhere`).toBe(true);
      }
    }
  });

  it('has no dead end: from every state some answer moves on, and a final state is reachable', () => {
    const finals = new Set(paths.filter((p) => p.state.status === 'done').map((p) => serialize(p.state)));
    expect(finals.size).toBeGreaterThan(0);
    for (const [key, v] of Object.entries(adjacency)) {
      if (v.state.status === 'done') continue;
      const moves = Object.values(v.transitions).filter((x) => serialize(x.state) !== key);
      expect(moves.length, `${def.id} ${pathOf(v.state.value)} is a dead end`).toBeGreaterThan(0);
    }
  });

  it('walks through every transition by replaying its path from the start', () => {
    const byState = new Map(paths.map((p) => [serialize(p.state), p]));
    let walked = 0;
    for (const [from, v] of Object.entries(adjacency)) {
      const start = byState.get(from);
      if (!start) continue;
      for (const { event, state: expected } of Object.values(v.transitions)) {
        let snap = start.steps[0]?.state as AnyMachineSnapshot;
        for (const s of start.steps.slice(1)) snap = transition(machine, snap, s.event)[0] as AnyMachineSnapshot;
        snap = transition(machine, snap, event)[0] as AnyMachineSnapshot;
        expect(serialize(snap)).toBe(serialize(expected));
        walked++;
      }
    }
    expect(walked).toBe(edges.length);
    figures.push(
      `${def.id}: ${leafPaths(machine).length} states, ${edges.length} transitions walked, ${paths.length} shortest paths`,
    );
  });
});

describe('figures', () => {
  it('prints states and transitions per flow', () => {
    expect(figures.length).toBe(Object.keys(FLOWS).length);
    console.log(figures.join('\n'));
  });
});
