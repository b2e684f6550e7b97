// Engine cost per turn: restore a saved conversation from JSON, apply one answer, persist to JSON. Median µs.
import { performance } from 'node:perf_hooks';
import { createBot } from '../src/bot.ts';
import type { ConversationState } from '../src/conversation/state.ts';
import { medianHigh } from './support.ts';


export async function benchEngine(): Promise<void> {
  const bot = createBot();
  let state: ConversationState | undefined;
  let now = Date.UTC(2026, 10, 23);
  for (const text of ['revocar llave', '1', 'sí']) state = (await bot.engine.turn(state, { type: 'text', text }, { now: (now += 1000) })).state;
  // At `menu` of atv.revoke-key: "help" (stays) and "no funcionó" → menuMissing → "Ya lo encontré" would move on;
  // alternate two answers that keep the conversation cycling between two steps.
  const saved = JSON.stringify(state);
  const rounds = 7;
  const perRound = 5_000;
  const medians: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const samples: number[] = [];
    let json = saved;
    for (let i = 0; i < perRound; i++) {
      const t0 = performance.now();
      const restored = JSON.parse(json) as ConversationState;
      const step = restored.flow.value === 'menu' ? 'no funcionó' : 'ya lo encontré';
      const res = await bot.engine.turn(restored, { type: 'text', text: step }, { now: (now += 1000) });
      json = JSON.stringify(res.changed ? { ...res.state, trail: res.state.trail.slice(-5) } : restored);
      samples.push((performance.now() - t0) * 1000);
      if (res.state.flow.value === 'confirm') json = saved;
    }
    medians.push(medianHigh(samples));
  }
  console.log(`engine: restore + answer + persist (JSON), median of ${rounds}×${perRound} turns: ${medianHigh(medians).toFixed(1)} µs/turn (round medians ${medians.map((m) => m.toFixed(1)).join(', ')})`);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchEngine();
