/** The Sql interface over PGlite (embedded PostgreSQL): one connection, so every call takes its turn. */
import { PGlite } from '@electric-sql/pglite';
import { assertSchemaName, type Sql } from './sql-store.ts';

export interface PgliteOptions {
  /** A directory for the database files; absent or `memory://`: in memory. */
  dataDir?: string;
  schema?: string;
}

export interface PgliteSql extends Sql {
  db: PGlite;
}

export async function openPglite({ dataDir, schema }: PgliteOptions): Promise<PgliteSql> {
  const db = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
  await db.waitReady;
  if (schema !== undefined) {
    // The one connection keeps this for its lifetime. The schema must exist for search_path to
    // matter; on PGlite nothing else can race us to create it.
    await db.exec(`CREATE SCHEMA IF NOT EXISTS ${assertSchemaName(schema)}; SET search_path TO ${schema}`);
  }

  // One queue for statements and whole transactions: a lone query must never run between the
  // statements of someone else's transaction on the shared connection.
  let tail: Promise<unknown> = Promise.resolve();
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = tail.then(fn, fn);
    tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  const direct = async <T extends object>(text: string, params?: readonly unknown[]): Promise<T[]> =>
    (await db.query<T>(text, params ? [...params] : undefined)).rows;

  const listen: Sql['listen'] = async (channel, fn) => {
    // In our queue: a LISTEN run between someone's BEGIN and a ROLLBACK would be rolled back with it.
    const stop = await exclusive(() => db.listen(channel, fn));
    return () => exclusive(() => stop());
  };

  const tx: Sql = {
    query: direct,
    listen,
    transaction: (fn) => fn(tx),
    close: async () => undefined,
  };

  return {
    db,
    listen,
    query: (text, params) => exclusive(() => direct(text, params)),
    transaction: <T>(fn: (tx: Sql) => Promise<T>) =>
      exclusive(async () => {
        await db.query('BEGIN');
        try {
          const result = await fn(tx);
          await db.query('COMMIT');
          return result;
        } catch (err) {
          await db.query('ROLLBACK');
          throw err;
        }
      }),
    close: () => exclusive(() => db.close()),
  };
}
