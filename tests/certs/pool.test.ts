/** The worker pool: same reports as inspect(), main thread stays responsive, hard timeout, size cap before any hand-over. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inspect } from '../../src/certs/inspect.ts';
import { createCertificateChecker } from '../../src/certs/pool.ts';
import type { CertificateChecker } from '../../src/certs/pool.ts';
import { withMacIterations } from './support.ts';

const FIXTURES = new URL('../fixtures/public/', import.meta.url);
const fixture = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, FIXTURES)));

const HACIENDA = 'cr-hacienda/johann04-sandbox-cpf-0205860860.p12';
const ASCII = 'Red Hat Enterprise Linux 7.4';
const CORPUS: [string, string][] = [
  [HACIENDA, '5678'],
  ['pkcs12-corpus/legacy-rc2-40-3des-sha1mac.p12', ASCII],
  ['pkcs12-corpus/3des-only-sha1mac.p12', ASCII],
  ['pkcs12-corpus/pbes2-aes128-hmacsha256.p12', ASCII],
  ['pkcs12-corpus/pbes2-aes256-hmacsha1.p12', ASCII],
  ['pkcs12-corpus/no-encryption-sha256mac.p12', ASCII],
  ['pkcs12-corpus/cert-only-no-key.p12', ASCII],
  ['pkcs12-corpus/legacy-rc2-40-3des-empty-password.p12', ''],
  ['pkcs12-corpus/pbes2-aes256-sha512-1M-iterations.p12', ASCII],
  ['pkcs12-corpus/legacy-md4mac.p12', ASCII],
];
/** 50,000,000 MAC iterations: minutes of derivation on any machine, so a check of it outlasts every timeout below. */
const BOMB = withMacIterations(fixture('pkcs12-corpus/pbes2-aes256-hmacsha1.p12'), 50_000_000);
// Fixed instant so validity checks agree between the in-process and the pooled run.
const AT = new Date('2018-06-01T00:00:00Z');

const open: CertificateChecker[] = [];
function checker(opts: Parameters<typeof createCertificateChecker>[0]): CertificateChecker {
  const c = createCertificateChecker(opts);
  open.push(c);
  return c;
}
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(open.splice(0).map((c) => c.close()));
});

const codes = (r: { checks: { code: string; status: string }[] }): string[] => r.checks.filter((c) => c.status !== 'skip').map((c) => c.code);

describe('createCertificateChecker', () => {
  it('gives the same report as inspect() for the Hacienda sandbox file', async () => {
    const pool = checker({ size: 1 });
    const file = fixture(HACIENDA);
    const report = await pool.verify(file, '5678', { now: AT });
    expect(report).toEqual(inspect(fixture(HACIENDA), '5678', { now: AT }));
    expect(report.verdict).toBe('fail');
    expect(report.environment).toBe('staging');
    // The caller's buffer is copied, neither detached by the transfer nor touched by the worker.
    expect(Buffer.from(file).equals(Buffer.from(fixture(HACIENDA)))).toBe(true);
  });

  it('gives the same reports as inspect() for 20 concurrent checks', async () => {
    const pool = checker({});
    const files = Array.from({ length: 20 }, (_, i) => {
      const [f, pw] = CORPUS[i % CORPUS.length] ?? [HACIENDA, '5678'];
      return [fixture(f), pw] as const;
    });
    // Fresh copies for the in-process reference run: it must not share buffers with what the pool is given.
    const expected = files.map(([file, pw]) => inspect(file.slice(), pw, { now: AT }));
    const reports = await Promise.all(files.map(([file, pw]) => pool.verify(file, pw, { now: AT })));
    expect(reports).toEqual(expected);
  });

  it('keeps the main thread answering HTTP requests while a long check runs in a worker', async () => {
    // How long the event loop stalls is a figure for `npm run bench:certs`; here, the behaviour: requests are answered mid-check.
    const pool = checker({ size: 1, timeoutMs: 600_000, maxIterations: 100_000_000 });
    await pool.verify(fixture(HACIENDA), '5678', { now: AT }); // the worker is up, so the next check is handed over at once
    const server = createServer((_req, res) => res.end('pong'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      let settled = false;
      // Minutes of key derivation in any worker; a pool that ran it on the main thread would answer nothing until it ended.
      const long = pool.verify(BOMB, ASCII, { now: AT }).finally(() => (settled = true));
      for (let i = 0; i < 3; i++) expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('pong');
      await new Promise((r) => setImmediate(r));
      expect(settled).toBe(false);
      await pool.close();
      expect(codes(await long)).toEqual(['check.closed']);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('turns a check that overruns its time into a check.timeout report', async () => {
    const pool = checker({ size: 1, timeoutMs: 1, maxIterations: 100_000_000 });
    const report = await pool.verify(BOMB, ASCII, { now: AT });
    expect(report.verdict).toBe('fail');
    expect(report.checks).toContainEqual(expect.objectContaining({ id: 'file.limits', status: 'fail', code: 'check.timeout' }));
  });

  it('replaces a timed-out worker and keeps working', async () => {
    // The bomb takes minutes, an ordinary file milliseconds: 3 s sits far from both, even on a loaded machine.
    const pool = checker({ size: 1, timeoutMs: 3_000, maxIterations: 100_000_000 });
    const slow = await pool.verify(BOMB, ASCII, { now: AT });
    expect(codes(slow)).toContain('check.timeout');
    const after = await Promise.all([1, 2, 3].map(() => pool.verify(fixture(HACIENDA), '5678', { now: AT })));
    const expected = inspect(fixture(HACIENDA), '5678', { now: AT });
    expect(expected.environment).toBe('staging');
    for (const r of after) expect(r).toEqual(expected);
  });

  it('refuses an oversized file in the main thread without handing it to a worker', async () => {
    const pool = checker({ size: 1, maxBytes: 1024 });
    // Let the worker boot first so a post would be observable.
    await pool.verify(fixture(HACIENDA), '5678', { now: AT });
    const post = vi.spyOn(Worker.prototype, 'postMessage');
    const big = new Uint8Array(4096);
    const report = await pool.verify(big, 'secret', { now: AT });
    expect(post).not.toHaveBeenCalled();
    expect(report.verdict).toBe('fail');
    expect(report.checks).toContainEqual(expect.objectContaining({ id: 'file.limits', status: 'fail', code: 'file.too-large' }));
    // A caller cannot loosen the pool's cap.
    const loosened = await pool.verify(big, 'secret', { now: AT, maxBytes: 1_000_000 });
    expect(codes(loosened)).toContain('file.too-large');
    expect(post).not.toHaveBeenCalled();
  });

  it('resolves pending checks after close() and refuses new ones', async () => {
    const pool = checker({ size: 1 });
    const pending = pool.verify(fixture(HACIENDA), '5678', { now: AT });
    await pool.close();
    expect(codes(await pending)).toEqual(['check.closed']);
    expect(codes(await pool.verify(fixture(HACIENDA), '5678', {}))).toEqual(['check.closed']);
  });

  it('refuses checks beyond the queue limit instead of piling them up', async () => {
    const pool = checker({ size: 1, queueLimit: 1 });
    const file = fixture(HACIENDA);
    // The worker is still booting: the first check waits in the queue, the second finds it full.
    const [a, b] = await Promise.all([pool.verify(file, '5678', { now: AT }), pool.verify(file, '5678', { now: AT })]);
    expect(a.environment).toBe('staging');
    expect(codes(b)).toEqual(['check.busy']);
  });
});
