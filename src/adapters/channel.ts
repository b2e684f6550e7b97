/** What the posting channel adapters (Slack, Teams) share: their dependencies, the turn they run, its deadline, and ordered sending. */
import type { FastifyBaseLogger } from 'fastify';
import type { OutboxWorker } from '../chat/outbox.ts';
import type { ChatService } from '../chat/service.ts';
import type { Inbound, Locale } from '../conversation/messages.ts';
import type { Translate } from '../conversation/render.ts';
import type { Channel, Store } from '../store/port.ts';

export interface ChannelDeps {
  chat: ChatService;
  /** For the outbox (its sweep) and saved reply addresses. */
  store: Store;
  t: Translate;
  maxFileBytes: number;
  log: FastifyBaseLogger;
  now?: () => number;
  /** How often the outbox sweep looks for answers another process failed to send. */
  outboxIntervalMs?: number;
}

export interface KeyedQueue {
  /** Run `fn` after everything queued before under the same key (whether that succeeded or not). */
  run(key: string, fn: () => Promise<void>): Promise<void>;
  /** Everything queued so far has finished. */
  idle(): Promise<void>;
}

/** Messages to one channel or conversation go out one at a time, so a slow or retried send is never overtaken. */
export function createKeyedQueue(): KeyedQueue {
  const chains = new Map<string, Promise<unknown>>();
  return {
    run(key, fn) {
      const prev = chains.get(key) ?? Promise.resolve();
      const run = prev.then(fn, fn);
      const tail = run.catch(() => undefined);
      chains.set(key, tail);
      void tail.then(() => {
        if (chains.get(key) === tail) chains.delete(key);
      });
      return run;
    },
    async idle() {
      await Promise.all([...chains.values()]);
    },
  };
}

/**
 * Wait for `work` at most `ms`. 'done': it finished (a rejection is rethrown, so the caller can
 * ask the platform to deliver again); 'late': the platform is answered now and the work goes on,
 * a later failure going to `onLateError`.
 */
export async function within(work: Promise<unknown>, ms: number, onLateError: (err: unknown) => void): Promise<'done' | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  try {
    const outcome = await Promise.race([work.then(() => 'done' as const), late]);
    if (outcome === 'late') work.catch(onLateError);
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

/** One input from a channel that posts its answers (Slack, Teams). */
export interface ChannelInput {
  /** The conversation's key on the channel (a DM, a thread, a personal chat). */
  key: string;
  /** The channel's id for this delivery, the same on a redelivery: the inbox key. */
  messageId: string;
  /** Where the answer goes (saved as the conversation's reply address). */
  target: unknown;
  /** The language of a new conversation. */
  locale: () => Promise<Locale> | Locale;
  /** What the customer did; undefined: nothing to apply (a bare mention, an install, an empty message). */
  inbound: () => Promise<Inbound | undefined>;
  /** Only an existing conversation takes it (a thread reply, a button press, the PIN box). */
  continueOnly?: boolean;
  /** Fetching the input costs (a file download): skip a redelivery before doing it. */
  costly?: boolean;
  /** With nothing to apply: whether a new conversation opens (with its greeting), and what an existing one is sent. */
  whenEmpty?: { open: boolean; existing?: Inbound };
}

/**
 * The turn every posting channel runs: find or open the conversation by its key, apply the input
 * once (the inbox), and hand the committed answer to the outbox. A conversation deleted meanwhile
 * (retention) is opened again. Throws when the turn could not be applied, so the platform's
 * redelivery tries again.
 */
export function createChannelTurns({ channel, chat, outbox, log }: { channel: Channel; chat: ChatService; outbox: OutboxWorker; log: FastifyBaseLogger }) {
  return async function run(input: ChannelInput): Promise<void> {
    const { key, messageId, target, whenEmpty = { open: true } } = input;
    let conv = await chat.find(channel, key);
    if (!conv && input.continueOnly) return;
    if (input.costly && (await chat.seen(channel, messageId))) return;
    const inbound = await input.inbound();
    if (!inbound && (conv ? !whenEmpty.existing : !whenEmpty.open)) return;
    const reply = { target };
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!conv) {
        const opened = await chat.open({ channel, channelKey: key, locale: await input.locale(), ...(inbound ? { inbound } : {}), messageId, reply });
        if (opened.created) {
          log.debug({ conversationId: opened.id, channel, messageId, opened: true }, 'turn');
          outbox.deliver(opened.outboxId, opened.id, { target, locale: opened.state.locale, messages: opened.outbound });
          return;
        }
        conv = opened;
      }
      const said = inbound ?? whenEmpty.existing;
      if (!said) return;
      const r = await chat.send(conv.id, said, { messageId, channel, reply });
      if (r.ok) {
        log.debug({ conversationId: conv.id, channel, messageId, duplicate: r.duplicate }, 'turn');
        if (!r.duplicate) outbox.deliver(r.outboxId, conv.id, { target, locale: r.locale, messages: r.outbound });
        return;
      }
      if (r.code === 'conversation.missing' && !input.continueOnly) {
        conv = undefined;
        continue;
      }
      throw new Error(`${channel} turn not applied: ${r.code}`);
    }
  };
}
