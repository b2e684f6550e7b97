/** `llavero teams-package`: the Teams app package (manifest with this bot's id and host, and the two icons) as a zip to upload. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { zip } from './zip.ts';

export interface PackageIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

export const TEAMS_DIR = fileURLToPath(new URL('../../teams/', import.meta.url));
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/i;

const USAGE = `usage: llavero teams-package [--app-id GUID] --host HOST [--out FILE]
  --app-id GUID  the bot's Microsoft App ID (default: MicrosoftAppId)
  --host HOST    the public host name that serves /api/messages, e.g. llavero.example.com
  --out FILE     where to write the zip (default: llavero-teams.zip)
`;

/** The manifest with its placeholders filled in. */
export function teamsManifest(appId: string, host: string, template = readFileSync(`${TEAMS_DIR}/manifest.json`, 'utf8')): string {
  const filled = template.replaceAll('{{MICROSOFT_APP_ID}}', appId).replaceAll('{{HOST}}', host);
  // Parse it back: a broken template must fail here, not in Teams' upload dialog.
  return `${JSON.stringify(JSON.parse(filled) as unknown, null, 2)}\n`;
}

export function teamsPackageCommand(args: string[], io: PackageIo, env: NodeJS.ProcessEnv = process.env): number {
  let values: { 'app-id'?: string; host?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { 'app-id': { type: 'string' }, host: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    io.stderr.write(`teams-package: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const appId = values['app-id'] ?? env.MicrosoftAppId ?? '';
  const host = values.host ?? '';
  const problems = [
    ...(GUID.test(appId) ? [] : ['--app-id (or MicrosoftAppId): expected the bot\'s App ID, a GUID like 00000000-0000-0000-0000-000000000000']),
    ...(HOST.test(host) ? [] : ['--host: expected a host name like llavero.example.com (no scheme, no path)']),
  ];
  if (problems.length > 0) {
    io.stderr.write(`teams-package:\n${problems.map((p) => `  - ${p}`).join('\n')}\n${USAGE}`);
    return 2;
  }
  const out = values.out ?? 'llavero-teams.zip';
  const bytes = zip([
    { name: 'manifest.json', data: Buffer.from(teamsManifest(appId, host), 'utf8') },
    { name: 'color.png', data: readFileSync(`${TEAMS_DIR}/color.png`) },
    { name: 'outline.png', data: readFileSync(`${TEAMS_DIR}/outline.png`) },
  ]);
  writeFileSync(out, bytes);
  io.stdout.write(`wrote ${out} (${bytes.length} bytes): upload it in Teams → Apps → Manage your apps → Upload an app\n`);
  return 0;
}
