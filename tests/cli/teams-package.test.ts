// `llavero teams-package`: a zip Teams accepts (checked with Python's zipfile), holding the manifest filled in and both icons.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEAMS_DIR, teamsPackageCommand } from '../../src/cli/teams-package.ts';

const APP_ID = '6f1c2b3a-5d6e-4f80-91a2-b3c4d5e6f7a8';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } }, out, err };
}

/** Lists and reads the archive with an independent implementation. */
function readZip(path: string): Record<string, string> {
  const script = [
    'import zipfile, sys, json, base64',
    'z = zipfile.ZipFile(sys.argv[1])',
    'assert z.testzip() is None',
    'print(json.dumps({n: base64.b64encode(z.read(n)).decode() for n in z.namelist()}))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' })) as Record<string, string>;
}

describe('teams-package', () => {
  it('writes manifest.json (this bot, this host, personal scope with files) and the two icons', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'llavero-teams-')), 'app.zip');
    const c = capture();
    expect(teamsPackageCommand(['--app-id', APP_ID, '--host', 'llavero.example.cl', '--out', out], c.io, {})).toBe(0);
    const files = readZip(out);
    expect(Object.keys(files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(Buffer.from(files['manifest.json'] as string, 'base64').toString('utf8')) as {
      id: string;
      bots: Array<{ botId: string; scopes: string[]; supportsFiles: boolean }>;
      validDomains: string[];
      developer: { websiteUrl: string };
    };
    expect(manifest.id).toBe(APP_ID);
    expect(manifest.bots[0]).toMatchObject({ botId: APP_ID, scopes: ['personal'], supportsFiles: true });
    expect(manifest.validDomains).toEqual(['llavero.example.cl']);
    expect(JSON.stringify(manifest)).not.toContain('{{');
    expect(Buffer.from(files['color.png'] as string, 'base64')).toEqual(readFileSync(join(TEAMS_DIR, 'color.png')));
    // Teams wants a 192×192 color icon and a 32×32 outline icon: the PNG header says so.
    const size = (b64: string) => {
      const png = Buffer.from(b64, 'base64');
      return [png.readUInt32BE(16), png.readUInt32BE(20)];
    };
    expect(size(files['color.png'] as string)).toEqual([192, 192]);
    expect(size(files['outline.png'] as string)).toEqual([32, 32]);
  });

  it('takes the app id from MicrosoftAppId, and lists every problem with the arguments at once', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'llavero-teams-')), 'app.zip');
    expect(teamsPackageCommand(['--host', 'llavero.example.cl', '--out', out], capture().io, { MicrosoftAppId: APP_ID })).toBe(0);
    const c = capture();
    expect(teamsPackageCommand(['--app-id', 'not-a-guid', '--host', 'https://x/y'], c.io, {})).toBe(2);
    expect(c.err.join('')).toMatch(/--app-id[\s\S]*--host/);
    expect(teamsPackageCommand(['--bogus'], capture().io, {})).toBe(2);
  });
});
