/**
 * Posting to Slack in order: every call for one channel waits for the previous one, so a reply
 * held back by a 429 (the Web API client waits `Retry-After` and retries) is never overtaken.
 */
import type { WebClient } from '@slack/web-api';
import type { OutboxPayload } from '../../chat/service.ts';
import type { Locale } from '../../conversation/messages.ts';
import type { Rendered } from '../../conversation/render.ts';
import { createKeyedQueue } from '../channel.ts';
import { toSlackMessages, type SlackT } from './blocks.ts';
import type { SlackTarget } from './inbound.ts';

export interface SlackSender {
  /** An outbox row's messages, in order, on the customer's DM or thread. */
  replies(payload: OutboxPayload): Promise<void>;
  /** Rendered messages that are not a turn's answer (a notice). */
  post(target: SlackTarget, locale: Locale, messages: Rendered[]): Promise<void>;
  /** Replace a message's blocks (a pressed button's message loses its buttons). */
  update(channel: string, ts: string, text: string, blocks: unknown[]): Promise<void>;
  /** Everything queued so far has been sent (or failed). */
  idle(): Promise<void>;
}

export function createSlackSender(client: WebClient, tOf: (locale: Locale) => SlackT): SlackSender {
  const queue = createKeyedQueue();

  const post = (target: SlackTarget, locale: Locale, messages: Rendered[]): Promise<void> =>
    queue.run(target.channel, async () => {
      for (const m of toSlackMessages(messages, tOf(locale))) {
        await client.chat.postMessage({
          channel: target.channel,
          ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
          text: m.text,
          // Our blocks are built to Slack's limits in blocks.ts; the client's types are stricter than JSON.
          blocks: m.blocks as never,
          unfurl_links: false,
          unfurl_media: false,
        });
      }
    });

  return {
    replies: (payload) => post(payload.target as SlackTarget, payload.locale, payload.messages),
    post,
    update: (channel, ts, text, blocks) =>
      queue.run(channel, async () => {
        await client.chat.update({ channel, ts, text, blocks: blocks as never });
      }),
    idle: () => queue.idle(),
  };
}
