/** The pool under abuse: hostile (costly) checks do not hold up ordinary ones, queues are bounded, the timeout counts waiting, one check per conversation, a CPU budget per conversation. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { estimateCost } from '../../src/certs/cost.ts';
import { createCertificateChecker, type CertificateChecker, type RefusalReason } from '../../src/certs/pool.ts';
import type { CertReport } from '../../src/certs/report.ts';
import { fixture, makeCert, opensslP12, rsaKey } from './support.ts';

const HACIENDA = 'cr-hacienda/johann04-sandbox-cpf-0205860860.p12';
const AT = new Date('2018-06-01T00:00:00Z');
const ordinary = () => new Uint8Array(fixture(HACIENDA));

/** Legacy 3DES everywhere at 600,000 iterations: within the iteration cap, seconds of CPU per check. */
let hostile: Uint8Array;
const HOSTILE_PIN = 'hostile';

beforeAll(() => {
  const key = rsaKey();
  const cert = makeCert({ key, subject: { CN: 'hostile' }, notBefore: new Date('2018-01-01T00:00:00Z'), notAfter: new Date('2019-01-01T00:00:00Z') });
  hostile = new Uint8Array(
    opensslP12({ key, certs: [cert], password: HOSTILE_PIN, args: ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-iter', '600000'] }),
  );
});

const open: CertificateChecker[] = [];
const refusals: RefusalReason[] = [];
function checker(opts: Parameters<typeof createCertificateChecker>[0]): CertificateChecker {
  const c = createCertificateChecker({ onRefused: (r) => refusals.push(r), ...opts });
  open.push(c);
  return c;
}
afterEach(async () => {
  refusals.length = 0;
  await Promise.all(open.splice(0).map((c) => c.close()));
});

const codes = (r: CertReport): string[] => r.checks.filter((c) => c.status !== 'skip').map((c) => c.code);

/** Resolves when `cond` holds (checked every 20 ms). */
async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('cost estimate', () => {
  it('puts a legacy 3DES file at 600,000 iterations far above an ordinary file, before deriving anything', () => {
    const cheap = estimateCost(ordinary());
    const costly = estimateCost(hostile);
    expect(costly.maxIterations).toBe(600_000);
    expect(costly.rounds).toBeGreaterThan(cheap.rounds * 100);
    // Not a PFX at all: nothing to derive.
    expect(estimateCost(new TextEncoder().encode('hello'))).toEqual({ rounds: 0, maxIterations: 0 });
  });
});

describe('a pool with hostile checks running', () => {
  it('answers an ordinary check while six hostile ones hold or wait for the costly lane', async () => {
    const pool = checker({ size: 2, timeoutMs: 600_000, costlyQueueLimit: 6 });
    await pool.verify(ordinary(), '5678', { now: AT }); // workers up
    let hostileDone = 0;
    const six = Array.from({ length: 6 }, () => pool.verify(hostile, HOSTILE_PIN, { now: AT }).finally(() => hostileDone++));
    await until(() => pool.stats().costlyRunning === 1);
    const report = await pool.verify(ordinary(), '5678', { now: AT });
    expect(report.environment).toBe('staging');
    // It did not wait for any of them: they take seconds each, and only one runs at a time.
    expect(hostileDone).toBe(0);
    expect(pool.stats()).toMatchObject({ costlyRunning: 1, costlyQueued: 5 });
    await pool.close();
    for (const r of await Promise.all(six)) expect(codes(r)).toEqual(['check.closed']);
  }, 60_000);

  it('refuses costly checks beyond their short queue at once, and counts it', async () => {
    const pool = checker({ size: 2, timeoutMs: 600_000, costlyQueueLimit: 2 });
    await pool.verify(ordinary(), '5678', { now: AT });
    const first = Array.from({ length: 3 }, () => pool.verify(hostile, HOSTILE_PIN, { now: AT }));
    await until(() => pool.stats().costlyRunning === 1 && pool.stats().costlyQueued === 2);
    expect(codes(await pool.verify(hostile, HOSTILE_PIN, { now: AT }))).toEqual(['check.busy']);
    expect(refusals).toEqual(['queue-full']);
    await pool.close();
    await Promise.all(first);
  }, 60_000);

  it('counts time spent waiting against the timeout', async () => {
    const pool = checker({ size: 2, timeoutMs: 1_500 });
    await pool.verify(ordinary(), '5678', { now: AT });
    const started = performance.now();
    const [running, waiting] = await Promise.all([pool.verify(hostile, HOSTILE_PIN, { now: AT }), pool.verify(hostile, HOSTILE_PIN, { now: AT })]);
    // The second never reached a worker: it timed out in the queue, not 1.5 s after the first ended.
    expect(codes(waiting)).toEqual(['check.timeout']);
    expect(codes(running)).toEqual(['check.timeout']);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(refusals.filter((r) => r === 'timeout')).toHaveLength(2);
    // And the pool keeps working.
    expect((await pool.verify(ordinary(), '5678', { now: AT })).environment).toBe('staging');
  }, 60_000);

  it('refuses a check whose estimated CPU time is over the cap before it starts', async () => {
    const pool = checker({ size: 2, maxCostMs: 500 });
    const report = await pool.verify(hostile, HOSTILE_PIN, { now: AT });
    expect(codes(report)).toEqual(['check.too-costly']);
    expect(report.checks.find((c) => c.code === 'check.too-costly')?.messageKey).toBe('certs:check.too-costly');
    expect(refusals).toEqual(['too-costly']);
    expect((await pool.verify(ordinary(), '5678', { now: AT })).environment).toBe('staging');
  });
});

describe('per conversation', () => {
  it('runs one check at a time per key', async () => {
    const pool = checker({ size: 2 });
    const [a, b, other] = await Promise.all([
      pool.verify(ordinary(), '5678', { now: AT }, 'conv-1'),
      pool.verify(ordinary(), '5678', { now: AT }, 'conv-1'),
      pool.forKey('conv-2')(ordinary(), '5678', { now: AT }),
    ]);
    expect(a.environment).toBe('staging');
    expect(codes(b)).toEqual(['check.busy']);
    expect(other.environment).toBe('staging');
    expect(refusals).toEqual(['busy']);
    // Once the first is done, the key may check again.
    expect((await pool.verify(ordinary(), '5678', { now: AT }, 'conv-1')).environment).toBe('staging');
  });

  it('holds each key to a CPU budget over a window', async () => {
    const pool = checker({ size: 2, keyBudgetMs: 1, budgetWindowMs: 60_000 });
    expect((await pool.verify(ordinary(), '5678', { now: AT }, 'conv-1')).environment).toBe('staging');
    expect(codes(await pool.verify(ordinary(), '5678', { now: AT }, 'conv-1'))).toEqual(['check.over-budget']);
    expect(refusals).toEqual(['budget']);
    expect((await pool.verify(ordinary(), '5678', { now: AT }, 'conv-2')).environment).toBe('staging');
  });
});
