/** A web chat client over a real WebSocket, speaking the widget's protocol (for tests and the benchmark). */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { ServerMessage } from '../../src/adapters/webchat/protocol.ts';

export interface ChatClient {
  token: string;
  welcome: Extract<ServerMessage, { t: 'welcome' }>;
  /** Send a frame and resolve with the bot's answer (after the ack). */
  say(frame: Record<string, unknown>): Promise<Extract<ServerMessage, { t: 'bot' }>>;
  /** Send a frame and resolve when it is acknowledged (durably applied). */
  send(frame: Record<string, unknown>, mid?: string): Promise<void>;
  received: ServerMessage[];
  /** The first frame (already received or still to come) that `pred` accepts. */
  waitFor<T extends ServerMessage>(pred: (m: ServerMessage) => m is T, ms?: number): Promise<T>;
  close(): void;
}

export async function connect(baseUrl: string, { token, locale = 'es' }: { token?: string; locale?: 'es' | 'en' } = {}): Promise<ChatClient> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/webchat/ws`);
  const received: ServerMessage[] = [];
  const waiters: Array<(m: ServerMessage) => boolean> = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as ServerMessage;
    received.push(m);
    for (let i = 0; i < waiters.length; i++) {
      if ((waiters[i] as (m: ServerMessage) => boolean)(m)) waiters.splice(i--, 1);
    }
  });
  const next = <T extends ServerMessage>(pred: (m: ServerMessage) => m is T, ms = 15_000): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timeout waiting; got ${JSON.stringify(received.slice(-3))}`)), ms);
      waiters.push((m) => {
        if (!pred(m)) return false;
        clearTimeout(timer);
        resolve(m);
        return true;
      });
    });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const welcomeP = next((m): m is Extract<ServerMessage, { t: 'welcome' }> => m.t === 'welcome');
  ws.send(JSON.stringify({ t: 'hello', token, locale }));
  const welcome = await welcomeP;
  const send = async (frame: Record<string, unknown>, mid = randomUUID()) => {
    const acked = next((m): m is Extract<ServerMessage, { t: 'ack' }> => m.t === 'ack' && m.mid === mid);
    const failed = next((m): m is Extract<ServerMessage, { t: 'error' }> => m.t === 'error' && m.mid === mid).then((e) => {
      throw new Error(`refused: ${e.code}`);
    });
    failed.catch(() => undefined);
    ws.send(JSON.stringify({ ...frame, mid }));
    await Promise.race([acked, failed]);
  };
  return {
    token: welcome.token,
    welcome,
    received,
    send,
    waitFor: (pred, ms) => {
      const seen = received.find(pred);
      return seen ? Promise.resolve(seen) : next(pred, ms);
    },
    async say(frame) {
      const mid = randomUUID();
      const bot = next((m): m is Extract<ServerMessage, { t: 'bot' }> => m.t === 'bot');
      await send(frame, mid);
      return bot;
    },
    close: () => ws.close(),
  };
}
