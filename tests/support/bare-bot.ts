/**
 * A bare botbuilder bot on Node's own HTTP server: any path takes an activity, parses its JSON body and hands it to
 * the REAL CloudAdapter's `process` (which awaits the whole turn before answering). The Teams bench's echo baseline
 * and the fake connector's tests run on it.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { CloudAdapter, Response, TurnContext } from 'botbuilder';
import { closeServer, listenLocal, readText } from './fake-http.ts';

export interface BareBot {
  /** `http://127.0.0.1:PORT/api/messages` */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** botbuilder's Response (express/restify-like: status, header, send, end) over Node's ServerResponse. */
export function responseOf(res: ServerResponse): Response {
  return {
    socket: res.socket,
    status: (code: number) => {
      res.statusCode = code;
    },
    header: (name: string, value: unknown) => {
      res.setHeader(name, String(value));
    },
    send: (body: unknown) => {
      res.write(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    },
    end: () => {
      res.end();
    },
  };
}

export async function startBareBot(adapter: CloudAdapter, logic: (context: TurnContext) => Promise<void>): Promise<BareBot> {
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readText(req);
      let body: Record<string, unknown> | undefined;
      try {
        body = raw === '' ? undefined : (JSON.parse(raw) as Record<string, unknown>);
      } catch {
        body = undefined;
      }
      // `process` REJECTS (instead of answering 400) when the body has no `type`: catch it.
      await adapter.process({ method: req.method, headers: req.headers, body }, responseOf(res), logic).catch(() => {
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
    })();
  });
  const port = await listenLocal(server);
  return { url: `http://127.0.0.1:${port}/api/messages`, port, close: () => closeServer(server) };
}
