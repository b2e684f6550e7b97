/** `atv.generate-key`: both routes to the end, every troubleshooting branch and its way back, persistence, locale keys. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createActor, type AnyStateNode } from 'xstate';
import { machine } from '../../src/flows/atv-generate-key.ts';
import { ENGINE_CHOICES, type ChoiceOption, type Step } from '../../src/flows/step.ts';
import { DID_IT_WORK } from '../../src/flows/shared/choices.ts';

type Json = { [key: string]: Json } | string;
const locale = (lang: 'es' | 'en', ns: string): Json =>
  JSON.parse(readFileSync(new URL(`../../locales/${lang}/${ns}.json`, import.meta.url), 'utf8')) as Json;

/** Resolve `ns:a.b.c` against the locale files. */
function lookup(lang: 'es' | 'en', key: string): string | undefined {
  const [ns, path] = key.split(':') as [string, string];
  let node: Json | undefined = locale(lang, ns);
  for (const part of path.split('.')) node = typeof node === 'object' ? node[part] : undefined;
  return typeof node === 'string' ? node : undefined;
}

function flatKeys(node: Json, prefix = ''): string[] {
  if (typeof node === 'string') return [prefix];
  return Object.entries(node).flatMap(([k, v]) => flatKeys(v, prefix ? `${prefix}.${k}` : k));
}

/**
 * Send answers as the engine would. At `checkFile` the engine runs the certificate-check
 * sub-flow; without a checker it finishes at once as skipped, which is what happens here.
 */
const answer = (actor: ReturnType<typeof createActor<typeof machine>>, type: string) => {
  actor.send({ type });
  if (actor.getSnapshot().value === 'checkFile') actor.send({ type: 'subflow.done', output: { result: 'skipped' } });
};
const start = (...events: string[]) => {
  const actor = createActor(machine, { input: {} }).start();
  for (const type of events) answer(actor, type);
  return actor;
};
type Actor = ReturnType<typeof start>;
const send = (actor: Actor, ...events: string[]) => {
  for (const type of events) answer(actor, type);
  return actor.getSnapshot().value;
};
const stepOf = (actor: Actor): Step | undefined => {
  const meta = actor.getSnapshot().getMeta() as Record<string, { step?: Step }>;
  return Object.values(meta)[0]?.step;
};

// Prefixes that reach each step with a fresh actor.
const ATV_PIN = ['atv', 'worked', 'worked'];
const ATV_GENERATE = [...ATV_PIN, 'worked', 'our-platform'];
const ATV_DOWNLOAD = [...ATV_GENERATE, 'worked'];
const TRIBU_PIN = ['tribu', 'worked'];
const TRIBU_DOWNLOAD = [...TRIBU_PIN, 'worked', 'worked'];
const PLATFORM = [...ATV_DOWNLOAD, 'worked', 'found'];

const steps = (Object.values(machine.root.states) as AnyStateNode[]).map((node) => ({
  node,
  step: (node.meta as { step?: Step } | undefined)?.step,
}));

describe('atv.generate-key: happy paths', () => {
  it('walks the classic ATV route from the menu to the key loaded in the platform', () => {
    const actor = start();
    const seen: unknown[] = [actor.getSnapshot().value];
    for (const e of ['atv', 'worked', 'worked', 'worked', 'our-platform', 'worked', 'worked', 'found']) {
      answer(actor, e);
      seen.push(actor.getSnapshot().value);
    }
    expect(seen).toEqual(['portal', 'login', 'menu', 'pin', 'freeInvoicer', 'generate', 'download', 'fileName', 'platform']);
    expect(actor.getSnapshot().value).toBe('platform');
    actor.send({ type: 'worked' });
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output).toEqual({ result: 'completed', country: 'CR' });
  });

  it('walks the TRIBU-CR route (Tico Factura) to completed, without the free-invoicer question', () => {
    const actor = start('tribu');
    expect(stepOf(actor)?.prompt).toBe('atv:generate.tribuMenu.prompt');
    expect(send(actor, 'worked')).toBe('tribuPin');
    expect(send(actor, 'worked')).toBe('tribuGenerate');
    expect(send(actor, 'worked')).toBe('tribuDownload');
    expect(send(actor, 'worked')).toBe('fileName');
    expect(send(actor, 'found')).toBe('platform');
    send(actor, 'worked');
    expect(actor.getSnapshot().output).toEqual({ result: 'completed', country: 'CR' });
  });

  it('free-invoicer users are told the free invoicer signs by itself, and may still load the platform', () => {
    const free = [...ATV_PIN, 'worked', 'free-invoicer', 'worked', 'worked', 'found'];
    const noPlatform = start(...free);
    expect(noPlatform.getSnapshot().value).toBe('freeInvoicerReady');
    send(noPlatform, 'no');
    expect(noPlatform.getSnapshot().output).toEqual({ result: 'completed', country: 'CR' });

    const alsoPlatform = start(...free);
    expect(send(alsoPlatform, 'yes')).toBe('platform');
  });

  it('platform users skip the free-invoicer note and go straight to loading the key', () => {
    expect(start(...PLATFORM).getSnapshot().value).toBe('platform');
  });

  it('"not sure which screen" explains both and then follows the chosen one', () => {
    const actor = start('not-sure');
    expect(actor.getSnapshot().value).toBe('portalUnsure');
    expect(send(actor, 'tribu')).toBe('tribuMenu');
    expect(start('not-sure', 'atv').getSnapshot().value).toBe('login');
  });
});

describe('atv.generate-key: troubleshooting branches and the way back', () => {
  it.each([
    // [how to get there, where it lands, answer, where that leads]
    ['sign-in fails', ['atv', 'failed'], 'loginTrouble', 'retry', 'login'],
    ['menu not found, then found', ['atv', 'worked', 'error'], 'menuTrouble', 'found', 'pin'],
    ['menu missing: the account is on TRIBU-CR', ['atv', 'worked', 'failed'], 'menuTrouble', 'tribu', 'tribuMenu'],
    ['ATV says a key already exists (menu)', ['atv', 'worked', 'failed'], 'menuTrouble', 'has-key', 'existingKey'],
    ['already revoked: back to the menu path', [...ATV_PIN.slice(0, 2), 'failed', 'has-key'], 'existingKey', 'already-revoked', 'menu'],
    ['ATV PIN rejected', [...ATV_PIN, 'failed'], 'pinTrouble', 'retry', 'pin'],
    ['TRIBU-CR PIN rejected', [...TRIBU_PIN, 'error'], 'pinTrouble', 'retry', 'tribuPin'],
    ['"Generar" rejects the PIN', [...ATV_GENERATE, 'error'], 'generateTrouble', 'pin-rejected', 'pinTrouble'],
    ['"Generar" says a key already exists', [...ATV_GENERATE, 'error'], 'generateTrouble', 'has-key', 'existingKey'],
    ['"Generar" does nothing', [...ATV_GENERATE, 'failed'], 'generateTrouble', 'other', 'generateFailed'],
    ['ATV generate retry re-types the PIN', [...ATV_GENERATE, 'failed', 'other'], 'generateFailed', 'retry', 'pin'],
    ['TRIBU-CR generate fails', [...TRIBU_PIN, 'worked', 'failed'], 'tribuGenerateTrouble', 'other', 'generateFailed'],
    ['TRIBU-CR generate retry', [...TRIBU_PIN, 'worked', 'failed', 'other'], 'generateFailed', 'retry', 'tribuPin'],
    ['TRIBU-CR rejects the PIN', [...TRIBU_PIN, 'worked', 'error'], 'tribuGenerateTrouble', 'pin-rejected', 'pinTrouble'],
    ['ATV download did not start', [...ATV_DOWNLOAD, 'failed'], 'downloadTrouble', 'retry', 'download'],
    ['TRIBU-CR download did not start', [...TRIBU_DOWNLOAD, 'error'], 'downloadTrouble', 'retry', 'tribuDownload'],
    ['download found after all', [...ATV_DOWNLOAD, 'failed'], 'downloadTrouble', 'found', 'fileName'],
    ['left the page: ATV needs the old key revoked', [...ATV_DOWNLOAD, 'failed', 'page-gone'], 'downloadLost', 'new-key', 'existingKey'],
    ['left the page: TRIBU-CR generates again', [...TRIBU_DOWNLOAD, 'failed', 'page-gone'], 'downloadLost', 'new-key', 'tribuMenu'],
    ['cannot find the .p12', [...ATV_DOWNLOAD, 'worked'], 'fileName', 'not-found', 'downloadTrouble'],
    ['double-click opened the import wizard', [...ATV_DOWNLOAD, 'worked', 'wizard'], 'importWizard', 'continue', 'platform'],
    ['TRIBU-CR sections not found: back to the classic ATV', ['tribu', 'failed'], 'tribuMenuTrouble', 'atv', 'login'],
    ['TRIBU-CR sections not found, retry', ['tribu', 'error'], 'tribuMenuTrouble', 'retry', 'tribuMenu'],
    ['platform rejects the PIN', [...PLATFORM, 'failed', 'pin-rejected'], 'pinLost', 'retry', 'platform'],
    ['PIN forgotten (ATV): new key, revoke first', [...PLATFORM, 'error', 'pin-rejected'], 'pinLost', 'new-key', 'existingKey'],
    ['PIN forgotten (TRIBU-CR): new key', [...TRIBU_DOWNLOAD, 'worked', 'found', 'failed', 'pin-rejected'], 'pinLost', 'new-key', 'tribuMenu'],
    ['PIN vs. API password', [...PLATFORM, 'failed'], 'platformTrouble', 'which-password', 'passwordConfusion'],
    ['after the password explanation', [...PLATFORM, 'failed', 'which-password'], 'passwordConfusion', 'continue', 'platform'],
    ['platform: just retry', [...PLATFORM, 'error'], 'platformTrouble', 'retry', 'platform'],
  ])('%s', (_name, path, landing, answer, next) => {
    const actor = start(...path);
    expect(actor.getSnapshot().value).toBe(landing);
    expect(stepOf(actor)?.prompt).toBe(`atv:generate.${landing}.prompt`);
    expect(send(actor, answer)).toBe(next);
  });

  it('revoking first ends this flow and hands over to atv.revoke-key (which offers generate at its end)', () => {
    const actor = start('atv', 'worked', 'failed', 'has-key', 'revoke-first');
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output).toEqual({ result: 'completed', next: 'atv.revoke-key', country: 'CR' });
  });

  it('moving to TRIBU-CR forgets the free-invoicer checkbox (TRIBU-CR has no such box here)', () => {
    const actor = start(...ATV_PIN, 'worked', 'free-invoicer', 'error', 'has-key', 'already-revoked', 'failed', 'tribu');
    expect(actor.getSnapshot().value).toBe('tribuMenu');
    send(actor, 'worked', 'worked', 'worked', 'worked');
    expect(send(actor, 'found')).toBe('platform');
  });

  it('a button from another step does not move the conversation', () => {
    const actor = start(...ATV_PIN);
    for (const stale of ['yes', 'atv', 'found', 'free-invoicer', 'person']) {
      expect(send(actor, stale)).toBe('pin');
    }
  });
});

describe('atv.generate-key: persistence', () => {
  it('a snapshot saved mid-flow (TRIBU-CR, PIN trouble) resumes in a new actor on the same route', () => {
    const first = start(...TRIBU_PIN, 'failed');
    expect(first.getSnapshot().value).toBe('pinTrouble');
    const saved = JSON.parse(JSON.stringify(first.getPersistedSnapshot())) as ReturnType<Actor['getPersistedSnapshot']>;
    first.stop();

    const resumed = createActor(machine, { snapshot: saved, input: {} }).start();
    expect(resumed.getSnapshot().value).toBe('pinTrouble');
    expect(send(resumed, 'retry')).toBe('tribuPin');
    send(resumed, 'worked', 'worked', 'worked', 'found', 'worked');
    expect(resumed.getSnapshot().output).toEqual({ result: 'completed', country: 'CR' });
  });

  it('a snapshot saved after the checkbox answer keeps it', () => {
    const first = start(...ATV_PIN, 'worked', 'free-invoicer', 'worked', 'worked');
    const saved = JSON.parse(JSON.stringify(first.getPersistedSnapshot())) as ReturnType<Actor['getPersistedSnapshot']>;
    const resumed = createActor(machine, { snapshot: saved, input: {} }).start();
    expect(send(resumed, 'found')).toBe('freeInvoicerReady');
  });
});

describe('atv.generate-key: steps', () => {
  it('every non-final state is a step with a prompt; finals carry none', () => {
    for (const { node, step } of steps) {
      // A call state runs a sub-flow (the certificate check); it says nothing itself.
      if ((node.meta as { call?: unknown } | undefined)?.call) continue;
      if (node.type === 'final') expect(step, node.key).toBeUndefined();
      else expect(step?.prompt, node.key).toBe(`atv:generate.${node.key}.prompt`);
    }
  });

  it('every button leads somewhere and every transition has a button', () => {
    for (const { node, step } of steps) {
      if (!step) continue;
      expect(step.expects, node.key).toBe('choice');
      const offered = (step.choices as readonly ChoiceOption[]).map((c) => c.id);
      expect(new Set(offered).size, node.key).toBe(offered.length);
      const handled = Object.keys(node.on).sort();
      const flowChoices = offered.filter((id) => !(ENGINE_CHOICES as readonly string[]).includes(id)).sort();
      expect(flowChoices, node.key).toEqual(handled);
    }
  });

  it('steps asking "did it work?" are marked canFail and have a detailed help', () => {
    const failing = steps.filter(({ step }) => step?.choices === DID_IT_WORK);
    expect(failing.map(({ node }) => node.key).sort()).toEqual(
      ['login', 'menu', 'pin', 'generate', 'download', 'tribuMenu', 'tribuPin', 'tribuGenerate', 'tribuDownload', 'platform'].sort(),
    );
    for (const { node, step } of failing) {
      expect(step?.canFail, node.key).toBe(true);
      expect(step?.help, node.key).toBe(`atv:generate.${node.key}.help`);
    }
  });
});

describe('atv.generate-key: locale strings', () => {
  const used = [
    ...new Set(
      steps.flatMap(({ step }) =>
        step
          ? [step.prompt, step.help, step.invalid, ...(step.choices as readonly ChoiceOption[]).map((c) => c.label)].filter(
              (k): k is string => typeof k === 'string',
            )
          : [],
      ),
    ),
  ];

  it.each(['es', 'en'] as const)('every key the steps use exists in %s and is not empty', (lang) => {
    const missing = used.filter((key) => !lookup(lang, key)?.trim());
    expect(missing).toEqual([]);
  });

  it('es and en atv.json have the same keys', () => {
    expect(flatKeys(locale('es', 'atv')).sort()).toEqual(flatKeys(locale('en', 'atv')).sort());
  });

  it('the generate section uses no interpolation (the steps pass no params)', () => {
    for (const lang of ['es', 'en'] as const) {
      const generate = (locale(lang, 'atv') as Record<string, Json>).generate as Json;
      const strings = flatKeys(generate).map((k) => lookup(lang, `atv:generate.${k}`) ?? '');
      expect(strings.filter((s) => s.includes('{{'))).toEqual([]);
    }
  });

  it('both PIN steps tell the customer never to send the PIN in the chat and to keep it safe', () => {
    for (const state of ['pin', 'tribuPin']) {
      expect(lookup('es', `atv:generate.${state}.prompt`)).toMatch(/nunca me envíe el PIN por este chat/);
      expect(lookup('es', `atv:generate.${state}.prompt`)).toMatch(/exactamente 4 números.*lugar seguro.*no se puede recuperar/s);
      expect(lookup('en', `atv:generate.${state}.prompt`)).toMatch(/never send me the PIN in this chat/);
      expect(lookup('en', `atv:generate.${state}.prompt`)).toMatch(/exactly 4 digits.*somewhere safe.*cannot be recovered/s);
    }
  });

  it('the file step names the .p12 the way ATV does (cédula with zeros + two check digits)', () => {
    expect(lookup('es', 'atv:generate.fileName.prompt')).toContain('060123045612.p12');
    expect(lookup('en', 'atv:generate.fileName.prompt')).toContain('060123045612.p12');
  });
});
