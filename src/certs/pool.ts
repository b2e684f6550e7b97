/** Certificate checker: a pool of worker threads running `inspect()` off the main thread, with a hard timeout, crash recovery and a size cap. */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { inspect } from './inspect.ts';
import type { CheckRequest, WorkerMessage } from './pool-protocol.ts';
import { CHECK_IDS } from './report.ts';
import type { CertReport, Check, CheckId, InspectOptions, VerifyCertificate } from './report.ts';

export interface CertificateCheckerOptions {
  /** Worker threads. Default: min(4, max(1, availableParallelism − 1)), leaving a core for the event loop. */
  size?: number;
  /** Hard limit per check, measured from hand-over to a ready worker. Default 5000 ms. */
  timeoutMs?: number;
  /** Size cap, enforced in the main thread before any copy. Default 65,536 bytes. */
  maxBytes?: number;
  /** Cap on PBKDF/MAC iterations read from the file. Default 600,000. */
  maxIterations?: number;
  /** Checks allowed to wait for a worker; beyond it checks are refused at once. Default unlimited. */
  queueLimit?: number;
}

export interface CertificateChecker {
  verify: VerifyCertificate;
  /** Terminates every worker; checks still pending resolve to a `check.closed` report. */
  close(): Promise<void>;
}

/** Codes of the reports the pool produces itself (everything else comes from `inspect()`). */
export type PoolCode = 'check.timeout' | 'check.crashed' | 'check.busy' | 'check.closed' | 'check.unavailable';

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
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Job;
  timer?: NodeJS.Timeout;
}

export function createCertificateChecker(opts: CertificateCheckerOptions = {}): CertificateChecker {
  const size = Math.max(1, Math.floor(opts.size ?? Math.min(4, Math.max(1, os.availableParallelism() - 1))));
  const timeoutMs = opts.timeoutMs ?? 5000;
  const maxBytes = opts.maxBytes ?? 65_536;
  const maxIterations = opts.maxIterations ?? 600_000;
  const queueLimit = opts.queueLimit ?? Number.POSITIVE_INFINITY;

  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;
  let bootFailures = 0;

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

  function settle(slot: Slot, report: CertReport): void {
    const job = slot.job;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.job = undefined;
    job?.resolve(report);
  }

  function onMessage(slot: Slot, msg: WorkerMessage): void {
    if (!slots.includes(slot)) return; // a terminated worker's late message
    if (msg.type === 'ready') {
      slot.ready = true;
      bootFailures = 0;
    } else if (slot.job && msg.id === slot.job.id) {
      settle(slot, msg.type === 'result' ? msg.report : poolReport('file.format', 'check.crashed'));
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
      for (const job of queue.splice(0)) job.resolve(poolReport('file.format', 'check.unavailable'));
      bootFailures = 0;
      return;
    }
    replace(slot, poolReport('file.format', 'check.crashed'));
  }

  function pump(): void {
    // Lazily refill after a boot-failure shutdown, so a later check gets a fresh attempt.
    while (!closed && queue.length > 0 && slots.length < size) spawn();
    for (const slot of slots) {
      if (queue.length === 0) break;
      if (!slot.ready || slot.job) continue;
      const job = queue.shift();
      if (!job) break;
      slot.job = job;
      const req: CheckRequest = { id: job.id, file: job.file, secret: job.secret, options: job.options };
      slot.worker.postMessage(req, [job.file]);
      slot.timer = setTimeout(() => replace(slot, poolReport('file.limits', 'check.timeout', { ms: timeoutMs })), timeoutMs);
    }
    updateRefs();
  }

  /** Idle workers must not keep the process alive (a CLI that forgets close()); busy ones and booting ones with work waiting must. */
  function updateRefs(): void {
    const waiting = queue.length > 0;
    for (const slot of slots) {
      if (slot.job || waiting) slot.worker.ref();
      else slot.worker.unref();
    }
  }

  for (let i = 0; i < size; i++) spawn();
  updateRefs();

  const verify: VerifyCertificate = (file, secret, options) => {
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
    if (queue.length >= queueLimit) return Promise.resolve(poolReport('file.limits', 'check.busy'));
    // A private copy: the caller may reuse its buffer, and the copy is transferred (not cloned again) to the worker.
    const copy = new ArrayBuffer(file.byteLength);
    new Uint8Array(copy).set(file);
    return new Promise<CertReport>((resolve) => {
      queue.push({ id: nextId++, file: copy, secret, options: effective, resolve });
      pump();
    });
  };

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    const all = slots.splice(0);
    for (const slot of all) settle(slot, poolReport('file.format', 'check.closed'));
    for (const job of queue.splice(0)) job.resolve(poolReport('file.format', 'check.closed'));
    await Promise.all(all.map((slot) => slot.worker.terminate()));
  }

  return { verify, close };
}
