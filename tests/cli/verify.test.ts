/** `llavero verify` end to end: the real binary on the real Hacienda sandbox file; exit codes, JSON shape, the PIN never echoed. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HACIENDA = fileURLToPath(new URL('../fixtures/public/cr-hacienda/johann04-sandbox-cpf-0205860860.p12', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function llavero(args: string[], stdin = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/llavero', 'verify', ...args], {
      cwd: ROOT,
      env: { ...process.env, LANG: 'es_CL.UTF-8', NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

interface JsonReport {
  verdict: string;
  checks: { id: string; status: string; message: string }[];
  holder: { id?: string; idType?: string; country?: string } | null;
  certificate: { notAfter: string } | null;
  environment: string;
}

const statusOf = (r: JsonReport, id: string): string | undefined => r.checks.find((c) => c.id === id)?.status;

describe('llavero verify', () => {
  it('reports the Hacienda sandbox key as failing, staging, expired (PIN from stdin, JSON)', async () => {
    const run = await llavero([HACIENDA, '--pin-stdin', '--json'], '5678\n');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.verdict).toBe('fail');
    expect(report.environment).toBe('staging');
    expect(report.holder).toMatchObject({ country: 'CR', idType: 'cpf', id: '0205860860' });
    expect(statusOf(report, 'secret.correct')).toBe('pass');
    expect(statusOf(report, 'certificate.validity')).toBe('fail');
    for (const c of report.checks) {
      expect(Object.keys(c).sort()).toEqual(expect.arrayContaining(['id', 'message', 'status']));
      // Localised text, not a bare key.
      expect(c.message).not.toMatch(/^certs:/);
    }
  });

  it('judges validity at --at: valid in June 2018, still failing as a sandbox key', async () => {
    const run = await llavero([HACIENDA, '--pin', '5678', '--at', '2018-06-01', '--json', '--expect-id', '2-0586-0860']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(statusOf(report, 'certificate.validity')).toBe('pass');
    expect(statusOf(report, 'identity.matches')).toBe('pass');
    expect(statusOf(report, 'environment.production')).toBe('fail');
    expect(report.environment).toBe('staging');
  });

  it('prints a readable report in English without echoing a wrong PIN', async () => {
    const pin = 'Wr0ng-PIN-9731';
    const run = await llavero([HACIENDA, '--pin-stdin', '--locale', 'en'], `${pin}\n`);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Result:');
    expect(run.stdout + run.stderr).not.toContain(pin);
  });

  it.each([
    ['no file', []],
    ['both PIN options', [HACIENDA, '--pin', '5678', '--pin-stdin']],
    ['a malformed --at', [HACIENDA, '--at', 'next tuesday']],
    ['an impossible --at', [HACIENDA, '--at', '2018-13-45']],
    ['an unknown --country', [HACIENDA, '--country', 'PE']],
    ['an unknown option', [HACIENDA, '--frobnicate']],
    ['an unreadable file', ['/nonexistent/cert.p12']],
    ['a directory', [ROOT]],
  ])('exits 2 on %s', async (_label, args) => {
    const run = await llavero(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.length).toBeGreaterThan(0);
    expect(run.stderr).not.toContain('5678');
  });
});
