/**
 * `bin/llavero chat --jsonl` as a script drives it: a real process, real locales, the real
 * certificate checker. Asserts what the customer would see and that the PIN never comes back out.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SANDBOX = fileURLToPath(new URL('../../fixtures/public/cr-hacienda/johann04-sandbox-cpf-0205860860.p12', import.meta.url));

interface Line {
  type: string;
  key?: string;
  text?: string;
  state?: string;
  flow?: string;
  options?: Array<{ id: string; label: string }>;
  environment?: string;
  verdict?: string;
  checks?: Array<{ id: string; status: string; message: string }>;
  code?: string;
}

/** Run a whole session: each input line is sent after the previous turn ended. */
async function session(inputs: Array<Record<string, string> | ((last: Line[]) => Record<string, string>)>, locale = 'es') {
  const child = spawn(process.execPath, ['bin/llavero', 'chat', '--jsonl', '--locale', locale], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let buf = '';
  let err = '';
  const turns: Line[][] = [[]];
  let waiting: (() => void) | undefined;
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, i)) as Line;
      buf = buf.slice(i + 1);
      turns.at(-1)?.push(line);
      if (line.type === 'turn-end') {
        turns.push([]);
        waiting?.();
      }
    }
  });
  const turnEnded = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (turns.length > n ? resolve() : (waiting = check));
      check();
    });
  await turnEnded(1); // the greeting
  for (const input of inputs) {
    const line = typeof input === 'function' ? input(turns.at(-2) ?? []) : input;
    const n = turns.length;
    child.stdin.write(`${JSON.stringify(line)}\n`);
    await turnEnded(n);
  }
  child.stdin.end();
  await new Promise((r) => child.once('exit', r));
  return { turns: turns.filter((t) => t.length > 0), stdout: JSON.stringify(turns), stderr: err };
}

const pick = (label: RegExp) => (last: Line[]) => {
  const opt = last.flatMap((l) => l.options ?? []).find((o) => label.test(o.label));
  if (!opt) throw new Error(`no option ${label} in ${JSON.stringify(last.flatMap((l) => l.options ?? []).map((o) => o.label))}`);
  return { type: 'choice', id: opt.id };
};

describe('llavero chat --jsonl', () => {
  it('walks atv.generate-key in Spanish and checks the downloaded key, never printing the PIN', async () => {
    const { turns, stdout, stderr } = await session([
      { type: 'text', text: 'se me venció la llave criptográfica' },
      { type: 'text', text: 'ATV clásico' },
      { type: 'text', text: 'sí' },
      { type: 'text', text: 'sí' },
      { type: 'text', text: 'listo' },
      pick(/plataforma/),
      pick(/funcionó/),
      pick(/funcionó/),
      pick(/lo tengo/),
      pick(/^Sí$/),
      { type: 'text', text: '2-0586-0860' },
      { type: 'file', path: SANDBOX },
      { type: 'secret', text: '5678' },
    ]);
    expect(stderr).toBe('');
    const last = turns.at(-1) ?? [];
    const report = last.find((l) => l.type === 'report');
    expect(report).toMatchObject({ verdict: 'fail', environment: 'staging' });
    const staging = report?.checks?.find((c) => c.id === 'environment.production');
    expect(staging?.status).toBe('fail');
    expect(staging?.message).toMatch(/pruebas/i);
    expect(last.at(-1)).toMatchObject({ type: 'turn-end', flow: 'verify-certificate', state: 'failed' });
    expect(stdout).not.toContain('5678');
  }, 30_000);

  it('answers a malformed line on stderr and carries on', async () => {
    const child = spawn(process.execPath, ['bin/llavero', 'chat', '--jsonl', '--locale', 'en'], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.write('{not json\n{"type":"text","text":"revoke my key"}\n');
    child.stdin.end();
    await new Promise((r) => child.once('exit', r));
    expect(JSON.parse(err.trim().split('\n')[0] ?? '{}')).toMatchObject({ type: 'error', code: 'jsonl.not-json' });
    expect(out).toContain('"flow":"atv.revoke-key"');
  }, 30_000);
});
