/** Certificate checks: inspect() beside OpenSSL's own PKCS#12 loader, pool throughput, main-thread delay, how fast an iteration bomb is refused, and an ordinary check's latency while hostile checks run. */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createSecureContext } from 'node:tls';
import { inspect } from '../src/certs/inspect.ts';
import { createCertificateChecker } from '../src/certs/pool.ts';
import { withMacIterations } from '../tests/certs/support.ts';
import { median, percentile } from './support.ts';

const FIXTURES = new URL('../tests/fixtures/public/', import.meta.url);
const fixture = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, FIXTURES)));

const RUNS = 30;
const WARMUP = 5;

interface Sample {
  label: string;
  file: Uint8Array;
  secret: string;
}

/** Median wall time of `fn` over RUNS runs after WARMUP; `prepare` runs outside the timed part. */
function timeMedian<P>(prepare: () => P, fn: (p: P) => void): number {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const p = prepare();
    const t0 = performance.now();
    fn(p);
    const dt = performance.now() - t0;
    if (i >= WARMUP) times.push(dt);
  }
  return median(times);
}

/** tls.createSecureContext on the same file, or why not: OpenSSL 3 lacks RC2-40 without the legacy provider. */
function nativeMedian(s: Sample): number | string {
  try {
    createSecureContext({ pfx: Buffer.from(s.file), passphrase: s.secret });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    return code === 'ERR_CRYPTO_UNSUPPORTED_OPERATION' ? 'n/a (unsupported by OpenSSL 3)' : `n/a (${code || 'error'})`;
  }
  return timeMedian(
    () => Buffer.from(s.file),
    (pfx) => createSecureContext({ pfx, passphrase: s.secret }),
  );
}


const ms = (x: number): string => `${x.toFixed(2)} ms`;

/** A hostile file within the iteration cap: legacy 3DES for the bags, SHA-1 MAC, 600,000 iterations each (seconds of CPU). */
function hostileFile(password: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'bench-certs-'));
  try {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    execFileSync('openssl', ['req', '-new', '-x509', '-key', join(dir, 'key.pem'), '-subj', '/CN=hostile', '-days', '30', '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const out = join(dir, 'out.p12');
    const args = ['pkcs12', '-export', '-inkey', join(dir, 'key.pem'), '-in', join(dir, 'cert.pem'), '-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-iter', '600000'];
    execFileSync('openssl', [...args, '-passout', `pass:${password}`, '-out', out], { stdio: 'ignore' });
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Latencies (ms) of `n` ordinary checks one after another. */
async function ordinaryLatencies(verify: (f: Uint8Array, s: string, o: { now: Date }) => Promise<unknown>, s: Sample, n: number, now: Date): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await verify(s.file, s.secret, { now });
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * An ordinary customer's check, idle and while six hostile checks run (the cost cap lifted so they
 * do run: the scheduling is the subject), with the default pool; then with the server's default
 * cap (CERT_MAX_CPU_MS=3000), where the hostile files are refused before any derivation.
 */
async function benchUnderAbuse(s: Sample, now: Date): Promise<void> {
  let hostile: Uint8Array;
  try {
    hostile = hostileFile('hostile');
  } catch {
    console.log('  under abuse: skipped (openssl not found)');
    return;
  }
  const pool = createCertificateChecker({ timeoutMs: 600_000, costlyQueueLimit: 6 });
  try {
    await pool.verify(s.file, s.secret, { now });
    const idle = await ordinaryLatencies(pool.verify, s, 20, now);
    let hostileDone = 0;
    const six = Array.from({ length: 6 }, () => pool.verify(hostile, 'hostile', { now }).finally(() => hostileDone++));
    const busy = await ordinaryLatencies(pool.verify, s, 20, now);
    const st = pool.stats();
    console.log(
      `  ordinary check (default pool): idle median ${ms(median(idle))} p90 ${ms(percentile(idle, 90))}; ` +
        `while six hostile 3DES 600,000-it. checks run: median ${ms(median(busy))} p90 ${ms(percentile(busy, 90))} max ${ms(Math.max(...busy))} ` +
        `(meanwhile ${hostileDone} of the six finished; ${st.costlyRunning} running, ${st.costlyQueued} waiting)`,
    );
    // Their figure is not the subject: stop them rather than wait a minute.
    await pool.close();
    await Promise.all(six);
  } finally {
    await pool.close();
  }
  const capped = createCertificateChecker({ maxCostMs: 3_000 });
  try {
    await capped.verify(s.file, s.secret, { now });
    const t0 = performance.now();
    const refused = await capped.verify(hostile, 'hostile', { now });
    const code = refused.checks.find((c) => c.status === 'fail')?.code ?? refused.verdict;
    console.log(`  with CERT_MAX_CPU_MS=3000 (the server's default) a hostile file is refused in ${ms(performance.now() - t0)} (code ${code})`);
  } finally {
    await capped.close();
  }
}

export async function benchCerts(): Promise<void> {
  const samples: Sample[] = [
    { label: 'Hacienda sandbox (RC2-40 + 3DES, SHA-1 MAC, 1024 it.)', file: fixture('cr-hacienda/johann04-sandbox-cpf-0205860860.p12'), secret: '5678' },
    { label: 'PBES2 AES-256-CBC (PBKDF2-SHA1, 2048 it.)', file: fixture('pkcs12-corpus/pbes2-aes256-hmacsha1.p12'), secret: 'Red Hat Enterprise Linux 7.4' },
  ];
  const now = new Date('2018-06-01T00:00:00Z');

  console.log(`\ncerts: inspect() vs tls.createSecureContext — median of ${RUNS} runs after ${WARMUP} warm-up`);
  for (const s of samples) {
    // inspect() gets a fresh copy each run: the copy is outside the timed part, and no run can see another's buffer.
    const ours = timeMedian(
      () => s.file.slice(),
      (f) => inspect(f, s.secret, { now }),
    );
    const native = nativeMedian(s);
    const ratio = typeof native === 'number' ? `×${(ours / native).toFixed(1)}` : '—';
    console.log(`  ${s.label}\n    inspect ${ms(ours)}   native ${typeof native === 'number' ? ms(native) : native}   ratio ${ratio}`);
  }

  // Pool: throughput and the main thread's worst event-loop delay while it works.
  const checks = 200;
  const pool = createCertificateChecker({});
  try {
    await Promise.all(samples.map((s) => pool.verify(s.file, s.secret, { now })));
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const t0 = performance.now();
    const reports = await Promise.all(
      Array.from({ length: checks }, (_, i) => {
        const s = samples[i % samples.length] ?? samples[0];
        return s ? pool.verify(s.file, s.secret, { now }) : Promise.resolve(undefined);
      }),
    );
    const elapsed = performance.now() - t0;
    h.disable();
    const timeouts = reports.filter((r) => r?.checks.some((c) => c.code === 'check.timeout')).length;
    console.log(
      `  pool (default size): ${checks} checks in ${elapsed.toFixed(0)} ms = ${((checks * 1000) / elapsed).toFixed(0)} checks/s; ` +
        `main-thread event-loop delay max ${ms(h.max / 1e6)}, p99 ${ms(h.percentile(99) / 1e6)}${timeouts ? `; ${timeouts} timeouts` : ''}`,
    );
  } finally {
    await pool.close();
  }

  // Iteration bomb: a real file with its MAC iteration count set to 10,000,000, refused before any key derivation.
  const bomb = withMacIterations(samples[1]?.file ?? new Uint8Array(), 10_000_000);
  const refusal = inspect(bomb.slice(), samples[1]?.secret ?? '', { now });
  const code = refusal.checks.find((c) => c.status === 'fail')?.code ?? refusal.verdict;
  const refuse = timeMedian(
    () => bomb.slice(),
    (f) => inspect(f, samples[1]?.secret ?? '', { now }),
  );
  console.log(`  10,000,000-iteration file refused in ${ms(refuse)} (median; code ${code})`);

  await benchUnderAbuse(samples[0] as Sample, now);
}
