// Slack payloads → the customer's input and conversation key, on the recorded fixtures and hostile variations.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromBlockAction, fromMention, fromMessageEvent, fromModalAction, fromViewSubmission, plainText } from '../../../src/adapters/slack/inbound.ts';
import { parseSlackBody } from '../../../src/adapters/slack/receiver.ts';

type Json = Record<string, unknown>;
const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(`../../fixtures/slack/${name}.json`, import.meta.url), 'utf8')) as Json;
const withEvent = (name: string, patch: Json): Json => {
  const body = fixture(name);
  body.event = { ...(body.event as Json), ...patch };
  return body;
};

describe('Slack text', () => {
  it('drops the mention of us, keeps links\' labels and unescapes what Slack escaped', () => {
    expect(plainText('<@U0BOT> ayuda con <https://www.sii.cl|el SII> &amp; mi firma &lt;ya&gt;', 'U0BOT')).toBe('ayuda con el SII & mi firma <ya>');
    expect(plainText('<!here> <#C0SUPPORT|soporte> hola <mailto:a@b.cl>', 'U0BOT')).toBe('#soporte hola mailto:a@b.cl');
  });
});

describe('message events', () => {
  it('a DM is one conversation per team and DM channel, with Slack\'s event id as the message id', () => {
    expect(fromMessageEvent(fixture('message_im'), 'U0BOT')).toMatchObject({
      key: 'T0LLAVERO:D0CUSTOMER',
      messageId: 'Ev0001',
      target: { channel: 'D0CUSTOMER' },
      continueOnly: false,
      input: { kind: 'text', text: 'hola' },
    });
  });

  it('a shared file carries its id, name and declared size, never a URL we would trust', () => {
    const m = fromMessageEvent(fixture('message_im_file_share'), 'U0BOT');
    expect(m?.input).toEqual({ kind: 'file', fileId: 'F0CERT', name: 'firma-electronica.p12', size: 3421 });
  });

  it('a thread reply continues the thread\'s conversation only; a mention in it is left to app_mention', () => {
    const m = fromMessageEvent(fixture('message_channel_thread'), 'U0BOT');
    expect(m?.continueOnly).toBe(true);
    expect(m?.key).toMatch(/^T0LLAVERO:C0SUPPORT:\d+\.\d+$/);
    expect(fromMessageEvent(withEvent('message_channel_thread', { text: '<@U0BOT> otra cosa' }), 'U0BOT')).toBeUndefined();
    // A channel message outside any thread is not for us.
    expect(fromMessageEvent(withEvent('message_channel_thread', { thread_ts: undefined }), 'U0BOT')).toBeUndefined();
  });

  it('ignores bots (ourselves included), edits, deletions and malformed events', () => {
    expect(fromMessageEvent(fixture('message_bot'), 'U0BOT')).toBeUndefined();
    expect(fromMessageEvent(fixture('message_changed'), 'U0BOT')).toBeUndefined();
    expect(fromMessageEvent(withEvent('message_im', { bot_id: 'B0BOT', subtype: undefined }), 'U0BOT')).toBeUndefined();
    expect(fromMessageEvent(withEvent('message_im', { subtype: 'message_deleted' }), 'U0BOT')).toBeUndefined();
    expect(fromMessageEvent(withEvent('message_im', { user: undefined }), 'U0BOT')).toBeUndefined();
    expect(fromMessageEvent({ event: 'nope' }, 'U0BOT')).toBeUndefined();
    expect(fromMessageEvent(null, 'U0BOT')).toBeUndefined();
  });
});

describe('mentions', () => {
  it('a mention in a channel starts a conversation in its own thread', () => {
    const m = fromMention(fixture('app_mention'), 'U0BOT');
    const ts = (fixture('app_mention').event as Json).ts as string;
    expect(m).toMatchObject({ key: `T0LLAVERO:C0SUPPORT:${ts}`, target: { channel: 'C0SUPPORT', threadTs: ts }, continueOnly: false });
    expect(m?.input).toEqual({ kind: 'text', text: 'I need help centralizing my certificate' });
    expect(fromMention(withEvent('app_mention', { text: '<@U0BOT>' }), 'U0BOT')?.input).toEqual({ kind: 'hello' });
  });
});

describe('interactions', () => {
  it('a button press names the option, the message to update and a per-click id', () => {
    const a = fromBlockAction(fixture('block_actions'));
    expect(a).toMatchObject({ key: 'T0LLAVERO:D0CUSTOMER', value: 'country.cl', label: 'Chile (SII)', message: { ts: '1700000700.000800' } });
    expect(a?.messageId).toMatch(/^action:/);
  });

  it('the PIN modal submission comes back to the conversation in its private metadata, and junk metadata is refused', () => {
    const body = fixture('view_submission');
    const view = body.view as Json;
    view.private_metadata = JSON.stringify({ k: 'T0LLAVERO:D0CUSTOMER', c: 'D0CUSTOMER' });
    view.state = { values: { pin: { pin: { type: 'plain_text_input', value: '1234' } } } };
    expect(fromViewSubmission(body, { block: 'pin', action: 'pin' })).toMatchObject({ context: { key: 'T0LLAVERO:D0CUSTOMER', target: { channel: 'D0CUSTOMER' } }, value: '1234' });
    view.private_metadata = '{not json';
    expect(fromViewSubmission(body, { block: 'pin', action: 'pin' })).toBeUndefined();
  });

  it('a button inside the PIN box: the conversation comes from the box, the press from the trigger; a message button is not that', () => {
    const body = fixture('block_actions_view');
    expect(fromModalAction(body)).toEqual({
      context: { key: 'T0LLAVERO:D0CUSTOMER', target: { channel: 'D0CUSTOMER' } },
      team: 'T0LLAVERO',
      user: 'U0CUSTOMER',
      messageId: `action:${String(body.trigger_id)}`,
      viewId: 'V0PIN',
      hash: '1700000815.Zx8cVb7n',
      actionId: 'llavero.command:handoff',
      value: 'handoff',
      label: 'Hablar con una persona',
    });
    // No channel in a view's press: never mistaken for a press on a message.
    expect(fromBlockAction(body)).toBeUndefined();
    expect(fromModalAction(fixture('block_actions'))).toBeUndefined();
    (body.view as Json).private_metadata = 'not ours';
    expect(fromModalAction(body)).toBeUndefined();
  });

  it('interactivity arrives as a form with a JSON payload; anything else is refused', () => {
    const payload = JSON.stringify({ type: 'block_actions', x: 1 });
    expect(parseSlackBody(`payload=${encodeURIComponent(payload)}`, 'application/x-www-form-urlencoded')).toEqual({ ok: true, body: { type: 'block_actions', x: 1 } });
    expect(parseSlackBody('payload=%7Bnope', 'application/x-www-form-urlencoded')).toEqual({ ok: false });
    expect(parseSlackBody('[1,2]', 'application/json')).toEqual({ ok: false });
    expect(parseSlackBody('', 'application/json')).toEqual({ ok: false });
  });
});
