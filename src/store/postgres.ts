/** The Sql interface over a node-postgres pool, with every connection's search_path set to the store's schema. */
import pg from 'pg';
import { assertSchemaName, type Sql } from './sql-store.ts';

export interface PostgresOptions {
  url: string;
  /** Tables live here (created by `migrate()`); otherwise the URL's `options=-c search_path=…`, else `public`. */
  schema?: string;
  /** Pool size: group commit needs few connections; reads take the rest. */
  max?: number;
}

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

export function openPostgres({ url, schema, max = 10 }: PostgresOptions): PostgresSql {
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
  const pool = new pg.Pool({ ...clientOptions, max });
  // An idle client whose server went away emits 'error' on the pool; the pool drops it and the
  // next query reconnects, so there is nothing to do here but not crash the process.
  pool.on('error', () => undefined);

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
      const c = new pg.Client(clientOptions);
      c.on('error', () => undefined);
      c.on('notification', (m) => {
        if (m.channel === channel && m.payload !== undefined) fn(m.payload);
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${channel}`);
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

  const wrap = (client: pg.PoolClient): Sql => {
    const tx: Sql = {
      listen,
      query: async <T extends object>(text: string, params?: readonly unknown[]) => (await client.query(text, params ? [...params] : undefined)).rows as T[],
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
    query: async <T extends object>(text: string, params?: readonly unknown[]) => (await pool.query(text, params ? [...params] : undefined)).rows as T[],
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          // The connection is unusable: destroy it rather than return it to the pool.
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
