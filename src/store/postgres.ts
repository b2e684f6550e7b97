/**
 * The Sql interface over a node-postgres pool, with every connection's search_path set to the
 * store's schema. Faults of the database or the network (a cut connection, a statement with no
 * answer in time, no connection to be had) come out as `StoreUnavailableError`, never as an
 * unhandled 'error' event: every client, pooled or checked out, has an error path.
 */
import pg from 'pg';
import { StoreUnavailableError } from './port.ts';
import { assertSchemaName, sqlState, type Sql } from './sql-store.ts';

export interface PostgresOptions {
  url: string;
  /** Tables live here (created by `migrate()`); otherwise the URL's `options=-c search_path=…`, else `public`. */
  schema?: string;
  /** Pool size: group commit needs few connections; reads take the rest. */
  max?: number;
  /**
   * A statement with no answer after this long fails (its connection is dropped): a stalled
   * database makes turns fail and be retried instead of hanging for ever. Migrations are exempt.
   */
  queryTimeoutMs?: number;
  /** Getting a connection (from the pool, or a new one) fails after this long. */
  connectTimeoutMs?: number;
}

/** Connection-level failure codes of Node's sockets and of the server (class 08, shutdowns, too many connections). */
const NET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const SERVER_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;
/** node-postgres's own messages for a connection that broke, timed out or was never made. */
const PG_MESSAGES = /Connection terminated|connection error|Query read timeout|timeout exceeded when trying to connect|is not queryable|Connection closed/i;

/** Whether `err` is the database or the network failing (rather than the statement or its data). */
export function isConnectionFault(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NET_CODES.has(code)) return true;
  const state = sqlState(err);
  if (state !== undefined) return SERVER_UNAVAILABLE.test(state);
  return err instanceof Error && PG_MESSAGES.test(err.message);
}

const unavailable = (err: unknown, applied: false | 'unknown'): StoreUnavailableError =>
  err instanceof StoreUnavailableError
    ? err
    : new StoreUnavailableError(`database unavailable: ${err instanceof Error ? err.message : String(err)}`, { applied, cause: err });

/** How long an in-doubt COMMIT's outcome is looked for (`txid_status`) before it is reported unknown. */
const OUTCOME_WINDOW_MS = 5_000;

/** The first schema of a `-c search_path=…` in libpq `options`, if it is a plain name. */
export function searchPathOf(options: string | undefined): string | undefined {
  const m = /(?:^|\s)-c\s*search_path=("?)([A-Za-z_][A-Za-z0-9_]*)\1(?:[,\s]|$)/.exec(options ?? '');
  return m?.[2];
}

export interface PostgresSql extends Sql {
  /** The schema tables are created in, when one was named (by option or URL). */
  schema?: string;
  pool: pg.Pool;
}

export function openPostgres({ url, schema, max = 10, queryTimeoutMs = 15_000, connectTimeoutMs = 5_000 }: PostgresOptions): PostgresSql {
  const u = new URL(url);
  const urlOptions = u.searchParams.get('options') ?? undefined;
  let options = urlOptions;
  if (schema !== undefined) {
    assertSchemaName(schema);
    // The connection string would override an explicit `options`, so move it out of the URL and merge.
    u.searchParams.delete('options');
    const others = (urlOptions ?? '').replace(/(?:^|\s)-c\s*search_path=\S+/g, '').trim();
    options = `${others} -c search_path=${schema}`.trim();
  }
  const clientOptions = { connectionString: u.toString(), ...(options ? { options } : {}) };
  // keepAlive: a connection whose peer vanished without a word (a failover) is noticed by the OS.
  const pool = new pg.Pool({ ...clientOptions, max, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true });
  // An idle client whose server went away emits 'error' on the pool; the pool drops it and the
  // next query reconnects, so there is nothing to do here but not crash the process.
  pool.on('error', () => undefined);
  // A client checked out for a transaction has no pool listener while it is out: a cut connection
  // would emit an unhandled 'error' and kill the process. The pending query is rejected anyway
  // (that is the error path); this listener only keeps the event from being fatal.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const timed = (text: string, values: unknown[] | undefined, timeout: number | undefined) => ({ text, ...(values ? { values } : {}), ...(timeout ? { query_timeout: timeout } : {}) });

  /** Runs one statement on the pool; a connection fault becomes `StoreUnavailableError` (not applied: it may have been, for a write, so callers do not retry writes blindly). */
  async function poolQuery<T extends object>(text: string, params?: readonly unknown[]): Promise<T[]> {
    try {
      return (await pool.query(timed(text, params ? [...params] : undefined, queryTimeoutMs))).rows as T[];
    } catch (err) {
      if (isConnectionFault(err)) throw unavailable(err, 'unknown');
      throw err;
    }
  }

  /**
   * The outcome of a transaction whose COMMIT got no answer, asked on another connection: the
   * server knows (`txid_status`). 'in progress' means its backend has not yet seen the connection
   * go; asked again until the window closes.
   */
  async function outcome(txid: string): Promise<'committed' | 'aborted' | undefined> {
    const deadline = Date.now() + OUTCOME_WINDOW_MS;
    while (Date.now() < deadline) {
      try {
        const rows = (await pool.query<{ s: string | null }>(timed('SELECT txid_status($1::bigint) AS s', [txid], Math.min(queryTimeoutMs || OUTCOME_WINDOW_MS, OUTCOME_WINDOW_MS)))).rows;
        const s = rows[0]?.s;
        if (s === 'committed' || s === 'aborted') return s;
      } catch {
        // Still unreachable: ask again until the window closes.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  }

  /**
   * LISTEN holds a connection of its own (outside the pool) for as long as anyone listens. When it
   * drops (a server restart, a failover) it reconnects with backoff and says so, because
   * notifications sent meanwhile are lost and listeners should re-read what they show.
   */
  const listen: Sql['listen'] = async (channel, fn, onReconnect = () => {}) => {
    let stopped = false;
    let client: pg.Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      // Bounded: a reconnect begun while the network stalls must fail and be retried, not hang for ever.
      const c = new pg.Client({ ...clientOptions, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true });
      c.on('error', () => undefined);
      c.on('notification', (m) => {
        if (m.channel === channel && m.payload !== undefined) fn(m.payload);
      });
      try {
        await c.connect();
        await c.query(timed(`LISTEN ${channel}`, undefined, connectTimeoutMs));
      } catch (err) {
        await c.end().catch(() => undefined);
        throw err;
      }
      // Stopped while this (re)connect was under way: nobody would end it.
      if (stopped) {
        await c.end().catch(() => undefined);
        return;
      }
      client = c;
      c.on('end', () => {
        if (stopped || client !== c) return;
        client = undefined;
        let delay = 250;
        const again = () => {
          if (stopped) return;
          connect().then(onReconnect, () => {
            delay = Math.min(delay * 2, 10_000);
            retry = setTimeout(again, delay);
          });
        };
        retry = setTimeout(again, delay);
      });
    };
    await connect();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    };
  };

  const wrap = (client: pg.PoolClient, timeout: number | undefined): Sql => {
    const tx: Sql = {
      listen,
      query: async <T extends object>(text: string, params?: readonly unknown[]) => (await client.query(timed(text, params ? [...params] : undefined, timeout))).rows as T[],
      // Already inside a transaction: nested calls share it.
      transaction: (fn) => fn(tx),
      close: async () => undefined,
    };
    return tx;
  };

  return {
    pool,
    listen,
    schema: schema ?? searchPathOf(urlOptions),
    query: poolQuery,
    async transaction<T>(fn: (tx: Sql) => Promise<T>, { unbounded = false }: { unbounded?: boolean } = {}): Promise<T> {
      const timeout = unbounded ? undefined : queryTimeoutMs;
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw isConnectionFault(err) ? unavailable(err, false) : err;
      }
      let broken: Error | undefined;
      let released = false;
      const release = () => {
        if (!released) client.release(broken);
        released = true;
      };
      let committing = false;
      let txid: string | undefined;
      let result: T | undefined;
      try {
        // The transaction's id comes with BEGIN (one round trip): if the COMMIT's answer is lost, the server can still say what became of it.
        const begun = (await client.query(timed('BEGIN; SELECT txid_current()::text AS x', undefined, timeout))) as unknown as Array<pg.QueryResult<{ x: string }>>;
        txid = begun[1]?.rows[0]?.x;
        result = await fn(wrap(client, timeout));
        committing = true;
        await client.query(timed('COMMIT', undefined, timeout));
        return result;
      } catch (err) {
        if (isConnectionFault(err)) {
          // No ROLLBACK on a broken connection: the server rolls back what was not committed when it goes.
          broken = err instanceof Error ? err : new Error(String(err));
          if (!committing) throw unavailable(err, false);
          release();
          const status = txid === undefined ? undefined : await outcome(txid);
          if (status === 'committed') return result as T;
          throw unavailable(err, status === 'aborted' ? false : 'unknown');
        }
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          // The connection is unusable: destroy it rather than return it to the pool.
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        }
        throw err;
      } finally {
        release();
      }
    },
    close: () => pool.end(),
  };
}
