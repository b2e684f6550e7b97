/**
 * A TCP proxy for fault tests: sits between a process and a server (PostgreSQL) and, on demand,
 * cuts every connection at once (a failover, a network blip) or stalls (stops forwarding in both
 * directions without closing anything, as a hung network or an overloaded database looks).
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections made through the proxy so far (clients reconnecting after a cut show up here). */
  accepted(): number;
  /** Open connections right now. */
  open(): number;
  /** Destroys every open connection (both sides); new connections are accepted as before. */
  cut(): number;
  /**
   * The next time a client sends bytes containing `marker` (a statement's text), breaks that
   * connection: with `deliver`, the bytes reach the server first and only its answer is lost (the
   * client cannot know whether the statement ran); without, they are dropped. Resolves when done.
   */
  cutOn(marker: string, opts: { deliver: boolean }): Promise<void>;
  /** Stops forwarding: bytes are held (and new connections wait) until `resume()`. */
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  server?: net.Socket;
  /** Chunks held while stalled, per direction. */
  toServer: Buffer[];
  toClient: Buffer[];
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let stalled = false;
  let accepted = 0;
  let trap: { marker: Buffer; deliver: boolean; done: () => void } | undefined;

  const flush = (p: Pair) => {
    if (!p.server) return;
    for (const b of p.toServer.splice(0)) p.server.write(b);
    for (const b of p.toClient.splice(0)) p.client.write(b);
  };
  const drop = (p: Pair) => {
    pairs.delete(p);
    p.client.destroy();
    p.server?.destroy();
  };
  const dial = (p: Pair) => {
    const server = net.connect(target.port, target.host);
    p.server = server;
    server.on('data', (b: Buffer) => (stalled ? p.toClient.push(b) : p.client.write(b)));
    server.on('error', () => drop(p));
    server.on('close', () => drop(p));
    server.once('connect', () => {
      if (!stalled) flush(p);
    });
  };

  const listener = net.createServer((client) => {
    accepted++;
    const p: Pair = { client, toServer: [], toClient: [] };
    pairs.add(p);
    client.on('data', (b: Buffer) => {
      const t = trap;
      if (t && b.includes(t.marker) && p.server) {
        trap = undefined;
        pairs.delete(p);
        // The server gets the bytes and then end-of-file; the client never hears back.
        if (t.deliver) p.server.end(b);
        else p.server.destroy();
        p.client.destroy();
        t.done();
        return;
      }
      if (stalled || !p.server?.writable) p.toServer.push(b);
      else p.server.write(b);
    });
    client.on('error', () => drop(p));
    client.on('close', () => drop(p));
    // A connection made during a stall reaches the server only when it ends: the client sees a
    // TCP connection that never answers, as it would on a hung network.
    if (!stalled) dial(p);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (listener.address() as net.AddressInfo).port;

  return {
    port,
    accepted: () => accepted,
    open: () => pairs.size,
    cut() {
      const n = pairs.size;
      for (const p of [...pairs]) drop(p);
      return n;
    },
    cutOn(marker, { deliver }) {
      return new Promise<void>((done) => {
        trap = { marker: Buffer.from(marker), deliver, done };
      });
    },
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const p of pairs) {
        if (p.server) flush(p);
        else dial(p);
      }
    },
    async close() {
      for (const p of [...pairs]) drop(p);
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
