/** Prometheus metrics: turns, turn errors, certificate checks, web chat connections, refusals, the handoff queue and Node's defaults, each call on its own registry. */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  /** A committed turn: its channel ('webchat'|'slack'|'teams'|'cli'), the procedure it ended in (flow id like 'atv.generate-key', or 'triage'), and its duration in seconds (load→commit). */
  turn(channel: string, flow: string, seconds: number): void;
  /** A certificate check's outcome: verdict 'ok'|'warning'|'fail', and the ids of the failed checks (e.g. 'secret.correct', 'certificate.validity'); count one per failed id with label check, plus one per verdict. */
  certificateCheck(verdict: string, failed: readonly string[]): void;
  /** A turn that threw (a bug, answered with a reference): by channel. */
  turnError(channel: string): void;
  /** Live web chat WebSocket connections: called on connect/disconnect with +1/-1. */
  wsConnections(delta: number): void;
  /** Channel messages refused before a turn (bad signature, malformed payload, rate limited): by channel and reason. */
  refused(channel: string, reason: string): void;
  /** An HTTP request that failed with an unexpected error (answered 500 `{ code: 'internal' }`): by route pattern ('/api/…', or 'unknown'). */
  httpError(route: string): void;
  /** A certificate check refused or stopped before its report: reason 'queue-full' | 'busy' | 'timeout' | 'too-costly' | 'budget'. */
  certificateRefused(reason: string): void;
  /** HTTP 'text/plain; version=0.0.4' exposition. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface QueueSnapshot {
  length: number;
  oldestAgeSeconds: number;
  outboxPending: number;
}

export interface MetricsOptions {
  /** Collected at scrape time: the handoff queue (conversations waiting for a person) length and the age in seconds of the oldest; outbox rows pending delivery. Errors in it must not fail the scrape: the gauges then keep their last value and `llavero_scrape_errors_total` counts it. */
  queue?: () => Promise<QueueSnapshot>;
  /** Default Node metrics (event loop lag, heap, GC...) via collectDefaultMetrics on this registry, with prefix 'llavero_'. Default true. */
  defaults?: boolean;
}

export const CHANNELS = ['webchat', 'slack', 'teams', 'cli'] as const;
export const VERDICTS = ['ok', 'warning', 'fail'] as const;
export const CERT_REFUSALS = ['queue-full', 'busy', 'timeout', 'too-costly', 'budget'] as const;
/** Label values outside the known set or this shape are counted as 'other', so a bad caller cannot blow up the series count. */
export const LABEL_VALUE = /^[a-z0-9._-]{1,64}$/;
export const TURN_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const OTHER = 'other';
const oneOf = (known: readonly string[], value: string): string => (known.includes(value) ? value : OTHER);
const shaped = (value: string): string => (LABEL_VALUE.test(value) ? value : OTHER);
const finite = (s: QueueSnapshot): boolean =>
  [s.length, s.oldestAgeSeconds, s.outboxPending].every((n) => typeof n === 'number' && Number.isFinite(n));

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];

  const turns = new Counter({
    name: 'llavero_turns_total',
    help: 'Committed conversation turns, by channel and the procedure the turn ended in.',
    labelNames: ['channel', 'flow'] as const,
    registers,
  });
  const turnDuration = new Histogram({
    name: 'llavero_turn_duration_seconds',
    help: 'Time from loading a conversation to committing its turn, in seconds.',
    labelNames: ['channel'] as const,
    buckets: [...TURN_BUCKETS],
    registers,
  });
  const turnErrors = new Counter({
    name: 'llavero_turn_errors_total',
    help: 'Turns that threw (a bug): the customer got an apology with a reference, and the log has the error with it.',
    labelNames: ['channel'] as const,
    registers,
  });
  const certificateChecks = new Counter({
    name: 'llavero_certificate_checks_total',
    help: 'Certificate checks run, by verdict.',
    labelNames: ['verdict'] as const,
    registers,
  });
  const certificateFailures = new Counter({
    name: 'llavero_certificate_check_failures_total',
    help: 'Certificate checks in which the named check failed.',
    labelNames: ['check'] as const,
    registers,
  });
  const connections = new Gauge({
    name: 'llavero_websocket_connections',
    help: 'Open web chat WebSocket connections.',
    registers,
  });
  const refusals = new Counter({
    name: 'llavero_refused_total',
    help: 'Channel messages refused before a turn (bad signature, malformed payload, rate limited), by channel and reason.',
    labelNames: ['channel', 'reason'] as const,
    registers,
  });
  const httpErrors = new Counter({
    name: 'llavero_http_errors_total',
    help: 'HTTP requests that failed with an unexpected error (logged with the request id, answered 500 without details), by route.',
    labelNames: ['route'] as const,
    registers,
  });
  const certificateRefusals = new Counter({
    name: 'llavero_certificate_checks_refused_total',
    help: 'Certificate checks refused or stopped before a report (queue full, one already running for the conversation, timed out, too costly, over the cost budget), by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  // What the queue reader says is collected once per scrape. The registry collects every metric
  // concurrently, so the first collect() starts the call and the others (the three queue gauges and the
  // error counter, which must count this scrape's failure in this scrape) await the same promise.
  const queue = opts.queue;
  let inFlight: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    if (!queue) return Promise.resolve();
    // load() never rejects; finally() runs after the assignment even when queue() throws synchronously.
    return (inFlight ??= load(queue).finally(() => (inFlight = undefined)));
  };
  const scrapeErrors = new Counter({
    name: 'llavero_scrape_errors_total',
    help: 'Scrapes in which reading the handoff queue and outbox figures failed; those gauges kept their previous values.',
    registers,
    collect: refresh,
  });
  // Only with a queue to read: a gauge stuck at 0 would claim an empty queue nobody measured.
  const queueGauges = queue && {
    length: new Gauge({
      name: 'llavero_handoff_queue_length',
      help: 'Conversations waiting for a person.',
      registers,
      collect: refresh,
    }),
    oldest: new Gauge({
      name: 'llavero_handoff_queue_oldest_seconds',
      help: 'Age in seconds of the conversation that has waited longest for a person.',
      registers,
      collect: refresh,
    }),
    outbox: new Gauge({
      name: 'llavero_outbox_pending',
      help: 'Outbox rows pending delivery.',
      registers,
      collect: refresh,
    }),
  };
  const load = async (read: NonNullable<MetricsOptions['queue']>): Promise<void> => {
    try {
      const s = await read();
      if (!finite(s)) throw new TypeError('queue() returned a non-numeric figure');
      queueGauges?.length.set(s.length);
      queueGauges?.oldest.set(s.oldestAgeSeconds);
      queueGauges?.outbox.set(s.outboxPending);
    } catch {
      scrapeErrors.inc();
    }
  };

  // Series present from the first scrape, so rate() and absence alerts work before the first event.
  for (const verdict of VERDICTS) certificateChecks.inc({ verdict }, 0);
  for (const reason of CERT_REFUSALS) certificateRefusals.inc({ reason }, 0);
  for (const channel of CHANNELS) turnDuration.zero({ channel });
  for (const channel of CHANNELS) turnErrors.inc({ channel }, 0);

  if (opts.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: 'llavero_' });

  return {
    registry,
    turn(channel, flow, seconds) {
      const ch = oneOf(CHANNELS, channel);
      turns.inc({ channel: ch, flow: shaped(flow) });
      if (Number.isFinite(seconds)) turnDuration.observe({ channel: ch }, Math.max(0, seconds));
    },
    turnError(channel) {
      turnErrors.inc({ channel: oneOf(CHANNELS, channel) });
    },
    certificateCheck(verdict, failed) {
      certificateChecks.inc({ verdict: oneOf(VERDICTS, verdict) });
      for (const check of new Set(failed)) certificateFailures.inc({ check: shaped(check) });
    },
    wsConnections(delta) {
      if (Number.isFinite(delta)) connections.inc(delta);
    },
    refused(channel, reason) {
      refusals.inc({ channel: oneOf(CHANNELS, channel), reason: shaped(reason) });
    },
    httpError(route) {
      // Route patterns are few and ours; anything else (an unmatched URL) is one series.
      httpErrors.inc({ route: /^\/[\w/:.-]{0,100}$/.test(route) ? route : OTHER });
    },
    certificateRefused(reason) {
      certificateRefusals.inc({ reason: oneOf(CERT_REFUSALS, reason) });
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
