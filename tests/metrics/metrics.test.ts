// Prometheus metrics: what each call counts, read back through a real text-format parser.
import { describe, expect, it } from 'vitest';
import { register as globalRegistry } from 'prom-client';
import parse, { type MetricFamily } from 'parse-prometheus-text-format';
import { createMetrics, TURN_BUCKETS, type Metrics, type QueueSnapshot } from '../../src/metrics/metrics.ts';

async function scrape(m: Metrics): Promise<{ families: MetricFamily[]; body: string; contentType: string }> {
  const { body, contentType } = await m.render();
  return { families: parse(body), body, contentType };
}

function family(families: MetricFamily[], name: string): MetricFamily {
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`no metric family ${name}`);
  return f;
}

/** A counter or gauge family as { 'label=value,label=value': number }; '' keys the unlabelled series. */
function series(families: MetricFamily[], name: string): Record<string, number> {
  return Object.fromEntries(
    family(families, name).metrics.map((s) => [
      Object.entries(s.labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      Number(s.value),
    ]),
  );
}

/**
 * One series of a labelled histogram. parse-prometheus-text-format folds every label set of a histogram into one
 * buckets map and drops labelled _sum/_count (yunyu/parse-prometheus-text-format#13), so it is handed just that
 * family's lines for one label value, with the label taken out.
 */
function histogram(body: string, name: string, label: string, value: string) {
  const pair = `${label}="${value}"`;
  const lines = body.split('\n').filter((line) => {
    if (line.startsWith(`# HELP ${name} `) || line.startsWith(`# TYPE ${name} `)) return true;
    return line.startsWith(`${name}_`) && line.includes(pair);
  });
  const projected = lines.map((line) => line.replace(`,${pair}`, '').replace(`{${pair}}`, '')).join('\n');
  const [f, ...rest] = parse(`${projected}\n`);
  expect(rest).toEqual([]);
  expect(f?.type).toBe('HISTOGRAM');
  const [s] = f?.metrics ?? [];
  if (!s?.buckets) throw new Error(`no ${pair} series in ${name}`);
  return {
    buckets: Object.fromEntries(Object.entries(s.buckets).map(([le, n]) => [le, Number(n)])),
    sum: Number(s.sum),
    count: Number(s.count),
  };
}

/** A queue reader that answers each snapshot in turn, then keeps answering the last, and counts its calls. */
const fakeQueue = (snapshots: QueueSnapshot[]) => {
  const read = Object.assign(
    async (): Promise<QueueSnapshot> => {
      read.calls++;
      const next = snapshots.length > 1 ? snapshots.shift() : snapshots[0];
      if (!next) throw new Error('no snapshot');
      return next;
    },
    { calls: 0 },
  );
  return read;
};

describe('metrics', () => {
  it('serves the Prometheus text format, every family prefixed and explained', async () => {
    const { families, contentType } = await scrape(createMetrics());
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(families.length).toBeGreaterThan(10);
    for (const f of families) {
      expect(f.name).toMatch(/^llavero_/);
      expect(f.help).not.toBe('');
    }
    expect(family(families, 'llavero_turns_total').type).toBe('COUNTER');
    expect(family(families, 'llavero_turn_duration_seconds').type).toBe('HISTOGRAM');
    expect(family(families, 'llavero_certificate_checks_total').type).toBe('COUNTER');
    expect(family(families, 'llavero_certificate_check_failures_total').type).toBe('COUNTER');
    expect(family(families, 'llavero_websocket_connections').type).toBe('GAUGE');
    expect(family(families, 'llavero_refused_total').type).toBe('COUNTER');
    expect(family(families, 'llavero_scrape_errors_total').type).toBe('COUNTER');
  });

  it('counts turns by channel and flow, folding unknown channels and odd flow ids into "other"', async () => {
    const m = createMetrics({ defaults: false });
    m.turn('webchat', 'triage', 0.01);
    m.turn('webchat', 'triage', 0.02);
    m.turn('webchat', 'atv.generate-key', 0.03);
    m.turn('slack', 'sii.enable-certificate-login', 0.04);
    m.turn('teams', '<script>', 0.05);
    m.turn('teams', 'Triage', 0.05);
    m.turn('teams', 'x'.repeat(65), 0.05);
    m.turn('cli', 'y'.repeat(64), 0.05);
    m.turn('fax', 'triage', 0.05);
    m.turn('', '', 0.05);
    const { families } = await scrape(m);
    expect(series(families, 'llavero_turns_total')).toEqual({
      'channel=webchat,flow=triage': 2,
      'channel=webchat,flow=atv.generate-key': 1,
      'channel=slack,flow=sii.enable-certificate-login': 1,
      'channel=teams,flow=other': 3,
      [`channel=cli,flow=${'y'.repeat(64)}`]: 1,
      'channel=other,flow=triage': 1,
      'channel=other,flow=other': 1,
    });
  });

  it('puts turn durations in 1 ms–5 s buckets per channel, with their sum and count', async () => {
    const m = createMetrics({ defaults: false });
    for (const s of [0.0005, 0.001, 0.003, 0.2, 0.2, 4, 7]) m.turn('webchat', 'triage', s);
    m.turn('slack', 'triage', 1);
    m.turn('cli', 'triage', -0.5); // a clock going backwards counts as instant
    m.turn('cli', 'triage', Number.NaN); // counted as a turn, not timed
    const { families, body } = await scrape(m);

    const f = family(families, 'llavero_turn_duration_seconds');
    expect(f.help).toMatch(/seconds/);
    expect(new Set(Object.keys(f.metrics[0]?.buckets ?? {}))).toEqual(new Set([...TURN_BUCKETS.map(String), '+Inf']));

    const web = histogram(body, 'llavero_turn_duration_seconds', 'channel', 'webchat');
    expect(web.buckets).toEqual({
      '0.001': 2,
      '0.0025': 2,
      '0.005': 3,
      '0.01': 3,
      '0.025': 3,
      '0.05': 3,
      '0.1': 3,
      '0.25': 5,
      '0.5': 5,
      '1': 5,
      '2.5': 5,
      '5': 6,
      '+Inf': 7,
    });
    expect(web.count).toBe(7);
    expect(web.sum).toBeCloseTo(11.4045, 9);

    const slack = histogram(body, 'llavero_turn_duration_seconds', 'channel', 'slack');
    expect(slack).toMatchObject({ count: 1, sum: 1 });
    expect(slack.buckets['0.5']).toBe(0);
    expect(slack.buckets['1']).toBe(1);

    const cli = histogram(body, 'llavero_turn_duration_seconds', 'channel', 'cli');
    expect(cli).toMatchObject({ count: 1, sum: 0 });
    expect(cli.buckets['0.001']).toBe(1);
    expect(series(families, 'llavero_turns_total')['channel=cli,flow=triage']).toBe(2);

    // Known channels are present before their first turn.
    expect(histogram(body, 'llavero_turn_duration_seconds', 'channel', 'teams')).toMatchObject({ count: 0, sum: 0 });
  });

  it('counts certificate checks by verdict and each failed check once per check run', async () => {
    const m = createMetrics({ defaults: false });
    let { families } = await scrape(m);
    expect(series(families, 'llavero_certificate_checks_total')).toEqual({ 'verdict=ok': 0, 'verdict=warning': 0, 'verdict=fail': 0 });

    m.certificateCheck('ok', []);
    m.certificateCheck('ok', []);
    m.certificateCheck('warning', ['certificate.validity']);
    m.certificateCheck('fail', ['secret.correct', 'certificate.validity']);
    m.certificateCheck('fail', ['secret.correct', 'secret.correct']);
    m.certificateCheck('fail', ['Secret Correct!', '<img src=x>']);
    m.certificateCheck('maybe', []);
    ({ families } = await scrape(m));
    expect(series(families, 'llavero_certificate_checks_total')).toEqual({
      'verdict=ok': 2,
      'verdict=warning': 1,
      'verdict=fail': 3,
      'verdict=other': 1,
    });
    expect(series(families, 'llavero_certificate_check_failures_total')).toEqual({
      'check=certificate.validity': 2,
      'check=secret.correct': 2,
      'check=other': 2,
    });
  });

  it('tracks live web chat connections', async () => {
    const m = createMetrics({ defaults: false });
    expect(series((await scrape(m)).families, 'llavero_websocket_connections')).toEqual({ '': 0 });
    m.wsConnections(+1);
    m.wsConnections(+1);
    m.wsConnections(+1);
    m.wsConnections(-1);
    m.wsConnections(Number.NaN);
    expect(series((await scrape(m)).families, 'llavero_websocket_connections')).toEqual({ '': 2 });
  });

  it('counts refused channel messages by channel and reason', async () => {
    const m = createMetrics({ defaults: false });
    m.refused('slack', 'bad-signature');
    m.refused('slack', 'bad-signature');
    m.refused('teams', 'malformed');
    m.refused('webchat', 'rate_limited');
    m.refused('slack', 'Bad Signature');
    m.refused('irc', 'malformed');
    const { families } = await scrape(m);
    expect(series(families, 'llavero_refused_total')).toEqual({
      'channel=slack,reason=bad-signature': 2,
      'channel=teams,reason=malformed': 1,
      'channel=webchat,reason=rate_limited': 1,
      'channel=slack,reason=other': 1,
      'channel=other,reason=malformed': 1,
    });
  });

  it('reads the handoff queue and outbox at scrape time, one call per scrape for the three gauges', async () => {
    const queue = fakeQueue([
      { length: 3, oldestAgeSeconds: 42.5, outboxPending: 7 },
      { length: 0, oldestAgeSeconds: 0, outboxPending: 1 },
    ]);
    const m = createMetrics({ queue, defaults: false });
    expect(queue.calls).toBe(0);

    let { families } = await scrape(m);
    expect(queue.calls).toBe(1);
    expect(family(families, 'llavero_handoff_queue_length').type).toBe('GAUGE');
    expect(series(families, 'llavero_handoff_queue_length')).toEqual({ '': 3 });
    expect(series(families, 'llavero_handoff_queue_oldest_seconds')).toEqual({ '': 42.5 });
    expect(series(families, 'llavero_outbox_pending')).toEqual({ '': 7 });

    ({ families } = await scrape(m));
    expect(queue.calls).toBe(2);
    expect(series(families, 'llavero_handoff_queue_length')).toEqual({ '': 0 });
    expect(series(families, 'llavero_handoff_queue_oldest_seconds')).toEqual({ '': 0 });
    expect(series(families, 'llavero_outbox_pending')).toEqual({ '': 1 });
    expect(series(families, 'llavero_scrape_errors_total')).toEqual({ '': 0 });
  });

  it('still answers when reading the queue fails: the gauges keep their last value and the failure is counted', async () => {
    let mode: 'ok' | 'reject' | 'throw' | 'nan' = 'ok';
    let calls = 0;
    const queue = (): Promise<QueueSnapshot> => {
      calls++;
      if (mode === 'throw') throw new Error('pool exhausted (thrown before any promise)');
      if (mode === 'reject') return Promise.reject(new Error('connection refused'));
      if (mode === 'nan') return Promise.resolve({ length: Number.NaN, oldestAgeSeconds: 1, outboxPending: 1 });
      return Promise.resolve({ length: calls, oldestAgeSeconds: 60, outboxPending: 2 });
    };
    const m = createMetrics({ queue, defaults: false });
    const gauges = (families: MetricFamily[]) => [
      series(families, 'llavero_handoff_queue_length')[''],
      series(families, 'llavero_handoff_queue_oldest_seconds')[''],
      series(families, 'llavero_outbox_pending')[''],
      series(families, 'llavero_scrape_errors_total')[''],
    ];

    expect(gauges((await scrape(m)).families)).toEqual([1, 60, 2, 0]);
    mode = 'reject';
    expect(gauges((await scrape(m)).families)).toEqual([1, 60, 2, 1]);
    mode = 'throw';
    expect(gauges((await scrape(m)).families)).toEqual([1, 60, 2, 2]);
    mode = 'nan';
    expect(gauges((await scrape(m)).families)).toEqual([1, 60, 2, 3]);
    expect(calls).toBe(4);
    mode = 'ok';
    expect(gauges((await scrape(m)).families)).toEqual([5, 60, 2, 3]);
    expect(calls).toBe(5);
  });

  it('has no queue gauges without a queue to read', async () => {
    const { families } = await scrape(createMetrics({ defaults: false }));
    const names = families.map((f) => f.name);
    expect(names).not.toContain('llavero_handoff_queue_length');
    expect(names).not.toContain('llavero_handoff_queue_oldest_seconds');
    expect(names).not.toContain('llavero_outbox_pending');
  });

  it('keeps each instance on its own registry, away from prom-client\'s global one', async () => {
    const a = createMetrics();
    const b = createMetrics();
    expect(a.registry).not.toBe(b.registry);
    expect(a.registry).not.toBe(globalRegistry);
    a.turn('webchat', 'triage', 0.1);
    a.wsConnections(+1);
    a.refused('slack', 'bad-signature');
    b.certificateCheck('fail', ['secret.correct']);

    const fa = (await scrape(a)).families;
    const fb = (await scrape(b)).families;
    expect(series(fa, 'llavero_turns_total')).toEqual({ 'channel=webchat,flow=triage': 1 });
    expect(series(fb, 'llavero_turns_total')).toEqual({});
    expect(series(fa, 'llavero_websocket_connections')).toEqual({ '': 1 });
    expect(series(fb, 'llavero_websocket_connections')).toEqual({ '': 0 });
    expect(series(fa, 'llavero_refused_total')).toEqual({ 'channel=slack,reason=bad-signature': 1 });
    expect(series(fb, 'llavero_refused_total')).toEqual({});
    expect(series(fa, 'llavero_certificate_checks_total')['verdict=fail']).toBe(0);
    expect(series(fb, 'llavero_certificate_checks_total')['verdict=fail']).toBe(1);
    expect(globalRegistry.getSingleMetric('llavero_turns_total')).toBeUndefined();
    expect(globalRegistry.getSingleMetric('llavero_nodejs_eventloop_lag_seconds')).toBeUndefined();
  });

  it('includes Node\'s default metrics, event loop lag among them, unless turned off', async () => {
    const { families } = await scrape(createMetrics());
    const lag = family(families, 'llavero_nodejs_eventloop_lag_seconds');
    expect(lag.type).toBe('GAUGE');
    expect(Number(lag.metrics[0]?.value)).toBeGreaterThanOrEqual(0);
    expect(family(families, 'llavero_nodejs_eventloop_lag_p99_seconds').type).toBe('GAUGE');
    expect(family(families, 'llavero_nodejs_heap_size_used_bytes').type).toBe('GAUGE');
    expect(family(families, 'llavero_process_cpu_seconds_total').type).toBe('COUNTER');

    const bare = (await scrape(createMetrics({ defaults: false }))).families.map((f) => f.name);
    expect(bare.filter((n) => /^llavero_(nodejs|process)_/.test(n))).toEqual([]);
  });
});
