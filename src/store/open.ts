/** Opens the store the configuration asks for: PostgreSQL when there is a DATABASE_URL, else embedded PGlite. */
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import { createSqlStore, type SqlStore } from './sql-store.ts';

export interface OpenStoreOptions {
  databaseUrl?: string;
  /** PGlite's directory (the server passes DATA_DIR, default `./data`); absent or `memory://`: in memory. */
  dataDir?: string;
  /** Tables in this schema (created by `migrate()`) instead of the connection's default. */
  schema?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /** PostgreSQL: a statement with no answer after this long fails (migrations exempt). 0: no limit. */
  queryTimeoutMs?: number;
  /** PostgreSQL: getting a connection fails after this long. */
  connectTimeoutMs?: number;
}

export async function openStore(opts: OpenStoreOptions): Promise<SqlStore> {
  if (opts.databaseUrl) {
    const sql = openPostgres({ url: opts.databaseUrl, schema: opts.schema, max: opts.poolSize, queryTimeoutMs: opts.queryTimeoutMs, connectTimeoutMs: opts.connectTimeoutMs });
    // Four batches in flight keep both the pool and the server's cores busy while one batch commits.
    return createSqlStore(sql, { schema: sql.schema, concurrency: 4, maxBatch: 250 });
  }
  const sql = await openPglite({ dataDir: opts.dataDir, schema: opts.schema });
  return createSqlStore(sql, { concurrency: 1, maxBatch: 1000 });
}
