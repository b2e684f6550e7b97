// The Slack app manifest asks for exactly what the adapter uses: no missing scope, no extra one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SLACK_APP } from '../../../src/adapters/slack/slack.ts';

const manifest = readFileSync(new URL('../../../slack/manifest.yml', import.meta.url), 'utf8');

/** The items of the YAML list under `key:` (indented `- item` lines; comments skipped). */
function listUnder(key: string): string[] {
  const lines = manifest.split('\n');
  const start = lines.findIndex((l) => l.trim() === `${key}:`);
  if (start < 0) throw new Error(`no "${key}:" in the manifest`);
  const items: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const t = line.trim();
    if (t.startsWith('#') || t === '') continue;
    const m = /^- (\S+)$/.exec(t);
    if (!m?.[1]) break;
    items.push(m[1]);
  }
  return items;
}

describe('slack/manifest.yml', () => {
  it('subscribes to exactly the events the adapter handles', () => {
    expect(listUnder('bot_events').sort()).toEqual([...SLACK_APP.events].sort());
  });

  it('asks for exactly the bot scopes the adapter needs, and each method called is covered', () => {
    const scopes = listUnder('bot').sort();
    expect(scopes).toEqual([...SLACK_APP.scopes].sort());
    for (const scope of Object.values(SLACK_APP.methods)) if (scope) expect(scopes).toContain(scope);
  });

  it('sends events and button presses to the one endpoint the server mounts', () => {
    const urls = [...manifest.matchAll(/request_url: (\S+)/g)].map((m) => new URL(m[1] as string).pathname);
    expect(urls).toEqual(['/slack/events', '/slack/events']);
    expect(manifest).toMatch(/messages_tab_enabled: true/);
  });
});
