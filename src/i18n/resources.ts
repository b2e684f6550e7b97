/** Locale resources: every `locales/<lng>/<namespace>.json`, read once at start. */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LOCALES, type Locale } from '../conversation/messages.ts';

export type Resources = Record<Locale, Record<string, Record<string, unknown>>>;

export const LOCALES_DIR = fileURLToPath(new URL('../../locales/', import.meta.url));

export function loadResources(dir = LOCALES_DIR): Resources {
  const out = {} as Resources;
  for (const lng of LOCALES) {
    out[lng] = {};
    for (const file of readdirSync(`${dir}/${lng}`).filter((f) => f.endsWith('.json')).sort()) {
      out[lng][file.slice(0, -5)] = JSON.parse(readFileSync(`${dir}/${lng}/${file}`, 'utf8')) as Record<string, unknown>;
    }
  }
  return out;
}
