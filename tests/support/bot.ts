/** Test helpers: a bot over the real locales, and a tiny driver that keeps state between turns like a channel does. */
import { createBot, type BotOptions } from '../../src/bot.ts';
import { whereIs, type StaffAction, type StaffResult, type TurnContext, type TurnResult } from '../../src/conversation/engine.ts';
import { createFileHolds } from '../../src/conversation/file-hold.ts';
import type { Inbound, Locale } from '../../src/conversation/messages.ts';
import type { Rendered } from '../../src/conversation/render.ts';
import type { ConversationState } from '../../src/conversation/state.ts';

export const bot = createBot();

export interface Driver {
  state: ConversationState | undefined;
  last: TurnResult | undefined;
  /** Rendered messages of the last turn. */
  said: Rendered[];
  now: number;
  /** The queue as the customer joins it, passed in every turn's context (absent: no place in line). */
  outlook?: TurnContext['outlook'];
  send(inbound: Inbound | string): Promise<Rendered[]>;
  /** Press the button whose label (in the conversation's language) contains `label`. */
  press(label: string | RegExp): Promise<Rendered[]>;
  where(): { flow: string; step: string };
  keys(): string[];
  /** The buttons on screen now: those of the last choices message. */
  options(): Array<{ id: string; label: string }>;
  /** An agent's action on this conversation; when it is taken, the state and what the customer sees move on. */
  staff(action: StaffAction): StaffResult;
}

export function driver(locale: Locale = 'es', options?: BotOptions): Driver {
  const b = options ? createBot(options) : bot;
  const d: Driver = {
    state: undefined,
    last: undefined,
    said: [],
    now: Date.UTC(2026, 10, 23, 12, 0, 0),
    async send(inbound) {
      const msg: Inbound = typeof inbound === 'string' ? { type: 'text', text: inbound } : inbound;
      d.now += 5_000;
      const holds = holdsFor(d);
      d.last = await b.engine.turn(d.state, msg, { now: d.now, locale, hold: holds, ...(d.outlook ? { outlook: d.outlook } : {}) });
      d.state = d.last.state;
      d.said = b.render(d.last.outbound, d.state.locale);
      return d.said;
    },
    async press(label) {
      const opts = d.options();
      const o = opts.find((x) => (typeof label === 'string' ? x.label.includes(label) : label.test(x.label)));
      if (!o) throw new Error(`no button ${String(label)} among ${opts.map((x) => x.label).join(' | ')}`);
      return d.send({ type: 'choice', id: o.id });
    },
    where: () => whereIs(d.state as ConversationState),
    keys: () => d.said.map((m) => m.key),
    options: () => d.said.filter((m) => m.type === 'choices').at(-1)?.options ?? [],
    staff(action) {
      const r = b.engine.staff(d.state as ConversationState, action, { now: (d.now += 5_000) });
      if (r.ok) {
        d.state = r.state;
        d.said = b.render(r.outbound, r.state.locale);
      }
      return r;
    },
  };
  return d;
}

/** A Spanish conversation that revoked a key through TRIBU, said it was solved and rated it: ended. */
export async function endedConversation(): Promise<Driver> {
  const d = driver('es');
  await d.send('revocar llave');
  await d.press('TRIBU');
  await d.press('Ahora no');
  await d.press('Sí');
  await d.press('4');
  return d;
}

const holds = new WeakMap<Driver, ReturnType<ReturnType<typeof createFileHolds>['forConversation']>>();
function holdsFor(d: Driver) {
  let h = holds.get(d);
  if (!h) {
    h = createFileHolds({ now: () => d.now }).forConversation('test');
    holds.set(d, h);
  }
  return h;
}
