/**
 * Certificate checker: a pool of worker threads running `inspect()` off the main thread, with a
 * hard timeout, crash recovery and a size cap. Under abuse it stays fair: each check's cost is
 * estimated from the file before any key derivation (`cost.ts`), in CPU milliseconds at a rate
 * learnt from the checks run; costly checks wait in their own short queue and never take the
 * last worker, so an ordinary customer's check is not stuck behind them; one check at a time per
 * conversation (the caller's key) and a CPU budget per key over a window; the timeout counts
 * time spent waiting. Every refusal is a report with its own code, counted through `onRefused`.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { estimateCost } from './cost.ts';
import { inspect } from './inspect.ts';
import type { CheckRequest, WorkerMessage } from './pool-protocol.ts';
import { CHECK_IDS } from './report.ts';
import type { CertReport, Check, CheckId, InspectOptions, VerifyCertificate } from './report.ts';

export interface CertificateCheckerOptions {
  /**
   * Worker threads. Default: min(4, max(2, availableParallelism − 1)): at least two, so one is
   * always free for an ordinary check while a costly one runs (on one core they share it).
   */
  size?: number;
  /**
   * Hard limit per check, counted from when it was asked for (waiting in the queue included; time
   * the pool spends booting its workers is not the customer's queue and is not counted). Default 5000 ms.
   */
  timeoutMs?: number;
  /** Size cap, enforced in the main thread before any copy. Default 65,536 bytes. */
  maxBytes?: number;
  /** Cap on PBKDF/MAC iterations read from the file. Default 600,000. */
  maxIterations?: number;
  /** Ordinary checks allowed to wait for a worker; beyond it checks are refused at once (`check.busy`). Default 64. */
  queueLimit?: number;
  /** A check estimated above this many CPU ms is costly: it waits in its own queue and never takes the last free worker. Default 250. */
  cheapMs?: number;
  /** Costly checks allowed to wait; beyond it they are refused at once (`check.busy`). Default 4. */
  costlyQueueLimit?: number;
  /** A check estimated above this many CPU ms is refused before it starts (`check.too-costly`). Default unlimited. */
  maxCostMs?: number;
  /** CPU ms one key (a conversation) may spend on checks within `budgetWindowMs`; once it has, its checks are refused (`check.over-budget`). Default unlimited. */
  keyBudgetMs?: number;
  budgetWindowMs?: number;
  /** A check refused or stopped before its report, by reason: for metrics. */
  onRefused?: (reason: RefusalReason) => void;
}

/** Why a check got no report of its own. */
export type RefusalReason = 'queue-full' | 'busy' | 'timeout' | 'too-costly' | 'budget';

/** A verify with a key: checks of one key (a conversation) run one at a time and share a CPU budget. */
export type KeyedVerify = (file: Uint8Array, secret: string, options: InspectOptions, key?: string) => Promise<CertReport>;

export interface CertificateChecker {
  /** A check; with `key` (a conversation id), at most one of that key's checks is pending at a time and its CPU budget applies. */
  verify: KeyedVerify;
  /** `verify` bound to a key, for a caller that only knows the VerifyCertificate port. */
  forKey(key: string): VerifyCertificate;
  /** Figures for tests and the benchmark: queued and running checks, and the learnt cost rate. */
  stats(): { queued: number; costlyQueued: number; running: number; costlyRunning: number; msPerRound: number };
  /** Terminates every worker; checks still pending resolve to a `check.closed` report. */
  close(): Promise<void>;
}

/** Codes of the reports the pool produces itself (everything else comes from `inspect()`). */
export type PoolCode = 'check.timeout' | 'check.crashed' | 'check.busy' | 'check.closed' | 'check.unavailable' | 'check.too-costly' | 'check.over-budget';

const WORKER_URL = new URL('./worker.mjs', import.meta.url);
/** Consecutive workers dying before they report ready: the module graph is broken, stop respawning. */
const MAX_BOOT_FAILURES = 3;

/** The report for a check that never produced one of its own. */
export function poolReport(checkId: Extract<CheckId, 'file.format' | 'file.limits'>, code: PoolCode, params?: Record<string, string | number>): CertReport {
  // Same shape as inspect()'s reports: every check listed, the ones never reached as skipped.
  const checks = CHECK_IDS.map((id): Check =>
    id === checkId
      ? { id, status: 'fail', code, messageKey: `certs:${code}`, ...(params ? { params } : {}) }
      : { id, status: 'skip', code: 'skip.earlier-failure', messageKey: 'certs:skip.earlier-failure' },
  );
  return { verdict: 'fail', checks, environment: 'unknown' };
}

interface Job {
  id: number;
  file: ArrayBuffer;
  secret: string;
  options: InspectOptions;
  resolve: (report: CertReport) => void;
  key?: string;
  rounds: number;
  costly: boolean;
  /** When the timeout runs out (ms, performance.now()); set once a worker is up. */
  deadline?: number;
  /** While queued: the timer that refuses it when the deadline passes. */
  waitTimer?: NodeJS.Timeout;
}

/** Learnt ms per round starts here (a PKCS#12 KDF round on a busy x86-64 core), and stays within sane bounds. */
const INITIAL_MS_PER_ROUND = 0.0015;
const MS_PER_ROUND_BOUNDS = [0.0001, 0.05] as const;
/** Checks this small say little about the rate (their time is parsing and signature checks). */
const MIN_ROUNDS_TO_LEARN = 50_000;

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Job;
  timer?: NodeJS.Timeout;
  startedAt?: number;
}

export function createCertificateChecker(opts: CertificateCheckerOptions = {}): CertificateChecker {
  const size = Math.max(1, Math.floor(opts.size ?? Math.min(4, Math.max(2, os.availableParallelism() - 1))));
  const timeoutMs = opts.timeoutMs ?? 5000;
  const maxBytes = opts.maxBytes ?? 65_536;
  const maxIterations = opts.maxIterations ?? 600_000;
  const queueLimit = opts.queueLimit ?? 64;
  const cheapMs = opts.cheapMs ?? 250;
  const costlyQueueLimit = opts.costlyQueueLimit ?? 4;
  const maxCostMs = opts.maxCostMs ?? Number.POSITIVE_INFINITY;
  const keyBudgetMs = opts.keyBudgetMs ?? Number.POSITIVE_INFINITY;
  const budgetWindowMs = opts.budgetWindowMs ?? 10 * 60_000;
  const onRefused = opts.onRefused ?? (() => {});
  /** Costly checks may hold every worker but one (with one worker, that one). */
  const costlyCap = Math.max(1, size - 1);

  const slots: Slot[] = [];
  const queue: Job[] = [];
  const costlyQueue: Job[] = [];
  let nextId = 1;
  let closed = false;
  let bootFailures = 0;
  let msPerRound = INITIAL_MS_PER_ROUND;
  /** Keys with a check queued or running. */
  const pendingKeys = new Set<string>();
  /** Per key: CPU ms spent (or, while running, estimated) and when, within the budget window. */
  const spent = new Map<string, Array<{ at: number; ms: number }>>();
  const estimateMs = (rounds: number): number => rounds * msPerRound;

  function spentBy(key: string, at: number): number {
    const list = (spent.get(key) ?? []).filter((e) => e.at > at - budgetWindowMs);
    if (list.length === 0) spent.delete(key);
    else spent.set(key, list);
    return list.reduce((n, e) => n + e.ms, 0);
  }
  function charge(key: string | undefined, ms: number): void {
    if (key === undefined || !(ms > 0)) return;
    spent.set(key, [...(spent.get(key) ?? []), { at: performance.now(), ms }]);
  }
  /** A job's timer and key are released exactly once, however it ends. */
  function finish(job: Job, report: CertReport): void {
    clearTimeout(job.waitTimer);
    if (job.key !== undefined) pendingKeys.delete(job.key);
    job.resolve(report);
  }
  /** Starts a job's clock (at the latest once a worker is up) and refuses it if it is still waiting when the clock runs out. */
  function arm(job: Job): void {
    if (job.deadline !== undefined || !slots.some((s) => s.ready)) return;
    job.deadline = performance.now() + timeoutMs;
    job.waitTimer = setTimeout(() => {
      for (const q of [queue, costlyQueue]) {
        const i = q.indexOf(job);
        if (i < 0) continue;
        q.splice(i, 1);
        onRefused('timeout');
        finish(job, poolReport('file.limits', 'check.timeout', { ms: timeoutMs }));
        updateRefs();
      }
    }, timeoutMs);
  }

  function spawn(): Slot {
    // resourceLimits: a hostile file must not take the whole process's heap with it; OOM surfaces as an 'error' → crash report.
    const worker = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: 256 } });
    const slot: Slot = { worker, ready: false };
    worker.on('message', (msg: WorkerMessage) => onMessage(slot, msg));
    // 'error' is followed by 'exit'; handle both idempotently through replace().
    worker.on('error', () => onDeath(slot));
    worker.on('exit', () => onDeath(slot));
    slots.push(slot);
    return slot;
  }

  function settle(slot: Slot, report: CertReport, activeMs?: number): void {
    const job = slot.job;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.job = undefined;
    if (!job) return;
    // What the key is charged: the worker's measured time, else (crash, timeout) the time it held the worker.
    charge(job.key, activeMs ?? (slot.startedAt === undefined ? 0 : performance.now() - slot.startedAt));
    if (activeMs !== undefined && job.rounds >= MIN_ROUNDS_TO_LEARN) {
      const observed = activeMs / job.rounds;
      msPerRound = Math.min(MS_PER_ROUND_BOUNDS[1], Math.max(MS_PER_ROUND_BOUNDS[0], msPerRound * 0.7 + observed * 0.3));
    }
    slot.startedAt = undefined;
    finish(job, report);
  }

  function onMessage(slot: Slot, msg: WorkerMessage): void {
    if (!slots.includes(slot)) return; // a terminated worker's late message
    if (msg.type === 'ready') {
      slot.ready = true;
      bootFailures = 0;
      for (const job of [...queue, ...costlyQueue]) arm(job);
    } else if (slot.job && msg.id === slot.job.id) {
      if (msg.type === 'result') settle(slot, msg.report, msg.activeMs);
      else settle(slot, poolReport('file.format', 'check.crashed'));
    }
    pump();
  }

  /** Removes a slot whose worker is gone or condemned; resolves its job with `report`; starts a replacement. */
  function replace(slot: Slot, report: CertReport): void {
    const i = slots.indexOf(slot);
    if (i < 0) return; // already replaced
    slots.splice(i, 1);
    settle(slot, report);
    void slot.worker.terminate();
    if (!closed) spawn();
    pump();
  }

  function onDeath(slot: Slot): void {
    if (!slots.includes(slot)) return;
    if (!slot.ready && ++bootFailures >= MAX_BOOT_FAILURES) {
      // The worker cannot even load: fail what is waiting instead of respawning forever.
      slots.splice(slots.indexOf(slot), 1);
      for (const job of [...queue.splice(0), ...costlyQueue.splice(0)]) finish(job, poolReport('file.format', 'check.unavailable'));
      bootFailures = 0;
      return;
    }
    replace(slot, poolReport('file.format', 'check.crashed'));
  }

  /** Ordinary checks first; a costly one only while another worker stays free for them (or with a single worker). */
  function nextJob(): Job | undefined {
    if (queue.length > 0) return queue.shift();
    const costlyRunning = slots.filter((s) => s.job?.costly).length;
    return costlyRunning < costlyCap ? costlyQueue.shift() : undefined;
  }

  function pump(): void {
    // Lazily refill after a boot-failure shutdown, so a later check gets a fresh attempt.
    while (!closed && queue.length + costlyQueue.length > 0 && slots.length < size) spawn();
    for (const slot of slots) {
      if (queue.length + costlyQueue.length === 0) break;
      if (!slot.ready || slot.job) continue;
      const job = nextJob();
      if (!job) break;
      clearTimeout(job.waitTimer);
      slot.job = job;
      slot.startedAt = performance.now();
      const req: CheckRequest = { id: job.id, file: job.file, secret: job.secret, options: job.options };
      slot.worker.postMessage(req, [job.file]);
      // What is left of the check's time after its wait (a worker was up, or it would not be here).
      const left = Math.max(1, (job.deadline ?? performance.now() + timeoutMs) - performance.now());
      slot.timer = setTimeout(() => {
        onRefused('timeout');
        replace(slot, poolReport('file.limits', 'check.timeout', { ms: timeoutMs }));
      }, left);
    }
    updateRefs();
  }

  /** Idle workers must not keep the process alive (a CLI that forgets close()); busy ones and booting ones with work waiting must. */
  function updateRefs(): void {
    const waiting = queue.length + costlyQueue.length > 0;
    for (const slot of slots) {
      if (slot.job || waiting) slot.worker.ref();
      else slot.worker.unref();
    }
  }

  for (let i = 0; i < size; i++) spawn();
  updateRefs();

  const refuse = (reason: RefusalReason, code: PoolCode, params?: Record<string, string | number>): Promise<CertReport> => {
    onRefused(reason);
    return Promise.resolve(poolReport('file.limits', code, params));
  };

  const verify: KeyedVerify = (file, secret, options, key) => {
    if (closed) return Promise.resolve(poolReport('file.format', 'check.closed'));
    // The pool's caps are ceilings: a caller may tighten them per check, never loosen them.
    const effective: InspectOptions = {
      ...options,
      maxBytes: Math.min(options.maxBytes ?? maxBytes, maxBytes),
      maxIterations: Math.min(options.maxIterations ?? maxIterations, maxIterations),
    };
    if (file.byteLength > (effective.maxBytes ?? maxBytes)) {
      // inspect() refuses on size before parsing anything, so this is cheap and gives the exact same report as a worker would.
      return Promise.resolve(inspect(file, secret, effective));
    }
    // The cost, read before anything is derived; a file over the iteration cap is refused by inspect() at once, so it is cheap.
    const cost = estimateCost(file);
    const rounds = cost.maxIterations > (effective.maxIterations ?? maxIterations) ? 0 : cost.rounds;
    const ms = estimateMs(rounds);
    if (ms > maxCostMs) return refuse('too-costly', 'check.too-costly', { ms: Math.round(ms), limit: maxCostMs });
    if (key !== undefined) {
      if (pendingKeys.has(key)) return refuse('busy', 'check.busy');
      // Spent, not spent plus this estimate: a check is never refused for what it might cost (maxCostMs bounds that), only for what the key already took.
      if (spentBy(key, performance.now()) >= keyBudgetMs) return refuse('budget', 'check.over-budget', { limit: keyBudgetMs });
    }
    const costly = ms > cheapMs;
    const lane = costly ? costlyQueue : queue;
    if (lane.length >= (costly ? costlyQueueLimit : queueLimit)) return refuse('queue-full', 'check.busy');
    // A private copy: the caller may reuse its buffer, and the copy is transferred (not cloned again) to the worker.
    const copy = new ArrayBuffer(file.byteLength);
    new Uint8Array(copy).set(file);
    if (key !== undefined) pendingKeys.add(key);
    return new Promise<CertReport>((resolve) => {
      const job: Job = { id: nextId++, file: copy, secret, options: effective, resolve, rounds, costly, ...(key !== undefined ? { key } : {}) };
      lane.push(job);
      arm(job);
      pump();
    });
  };

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    const all = slots.splice(0);
    for (const slot of all) settle(slot, poolReport('file.format', 'check.closed'));
    for (const job of [...queue.splice(0), ...costlyQueue.splice(0)]) finish(job, poolReport('file.format', 'check.closed'));
    await Promise.all(all.map((slot) => slot.worker.terminate()));
  }

  return {
    verify,
    forKey: (key) => (file, secret, options) => verify(file, secret, options, key),
    stats: () => ({
      queued: queue.length,
      costlyQueued: costlyQueue.length,
      running: slots.filter((s) => s.job).length,
      costlyRunning: slots.filter((s) => s.job?.costly).length,
      msPerRound,
    }),
    close,
  };
}
