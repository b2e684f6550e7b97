// The web chat wire protocol: what the widget may send, and how hostile frames are refused.
import { describe, expect, it } from 'vitest';
import { parseClient } from '../../../src/adapters/webchat/protocol.ts';

describe('parseClient', () => {
  it('reads hello with or without a token, defaulting to Spanish', () => {
    expect(parseClient('{"t":"hello","locale":"en","token":"abc"}')).toEqual({ ok: true, msg: { t: 'hello', locale: 'en', token: 'abc' } });
    expect(parseClient('{"t":"hello","locale":"fr"}')).toEqual({ ok: true, msg: { t: 'hello', locale: 'es' } });
  });

  it('reads text, choice, secret, command and file frames into inbound messages', () => {
    expect(parseClient('{"t":"text","mid":"m1","text":"hola"}')).toMatchObject({ ok: true, msg: { mid: 'm1', inbound: { type: 'text', text: 'hola' } } });
    expect(parseClient('{"t":"choice","mid":"m2","id":"triage/greeting/atv-revoke"}')).toMatchObject({
      msg: { inbound: { type: 'choice', id: 'triage/greeting/atv-revoke' } },
    });
    expect(parseClient('{"t":"secret","mid":"m3","text":"1234"}')).toMatchObject({ msg: { inbound: { type: 'secret', text: '1234' } } });
    expect(parseClient('{"t":"command","mid":"m4","command":"language","value":"en"}')).toMatchObject({
      msg: { inbound: { type: 'command', command: 'language', value: 'en' } },
    });
    const file = parseClient(`{"t":"file","mid":"m5","name":"a.p12","data":"${Buffer.from([1, 2, 3]).toString('base64')}"}`);
    expect(file.ok && file.msg.t === 'inbound' && file.msg.inbound.type === 'file' && [...file.msg.inbound.bytes]).toEqual([1, 2, 3]);
  });

  it.each([
    ['not JSON', '{nope', 'protocol.not-json'],
    ['a JSON scalar', '42', 'protocol.not-json'],
    ['no message id', '{"t":"text","text":"x"}', 'protocol.field'],
    ['a message id with odd characters', '{"t":"text","mid":"<script>","text":"x"}', 'protocol.field'],
    ['an unknown type', '{"t":"launch","mid":"m1"}', 'protocol.unknown'],
    ['text that is not a string', '{"t":"text","mid":"m1","text":{"a":1}}', 'protocol.field'],
    ['an unknown command', '{"t":"command","mid":"m1","command":"drop-tables"}', 'protocol.field'],
    ['a file that is not base64', '{"t":"file","mid":"m1","name":"a.p12","data":"%%%"}', 'protocol.file-encoding'],
  ])('refuses %s', (_name, raw, code) => {
    expect(parseClient(raw)).toMatchObject({ ok: false, code });
  });
});
