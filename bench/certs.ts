/** Certificate checks: inspect() beside OpenSSL's own PKCS#12 loader, pool throughput, main-thread delay, and how fast an iteration bomb is refused. */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createSecureContext } from 'node:tls';
import forge from 'node-forge';
import { inspect } from '../src/certs/inspect.ts';
import { createCertificateChecker } from '../src/certs/pool.ts';
import { median } from './support.ts';

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

/** A real file whose MAC iteration count is rewritten to `iterations` (re-encoded, so lengths stay right). */
function withMacIterations(file: Uint8Array, iterations: number): Uint8Array {
  const pfx = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(file).toString('binary')));
  const macData = Array.isArray(pfx.value) ? pfx.value[2] : undefined;
  const iterNode = macData && Array.isArray(macData.value) ? macData.value[2] : undefined;
  if (!iterNode) throw new Error('no MacData iterations in the sample file');
  iterNode.value = forge.asn1.integerToDer(iterations).getBytes();
  return new Uint8Array(Buffer.from(forge.asn1.toDer(pfx).getBytes(), 'binary'));
}

const ms = (x: number): string => `${x.toFixed(2)} ms`;

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
}
