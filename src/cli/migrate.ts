/** `llavero migrate`: applies pending schema migrations to DATABASE_URL (or the embedded store in DATA_DIR) and says what ran. */
import { openStore } from '../store/open.ts';
import type { SqlStore } from '../store/sql-store.ts';

export interface MigrateIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

/** Where the migrations (or the seed) go, without the password. */
export function describeTarget(databaseUrl: string | undefined, dataDir: string): string {
  if (!databaseUrl) return `embedded database in ${dataDir}`;
  try {
    const u = new URL(databaseUrl);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'DATABASE_URL';
  }
}

export async function migrateCommand(args: string[], io: MigrateIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write('usage: llavero migrate\n  Applies pending migrations to DATABASE_URL, or to the embedded database in DATA_DIR (default ./data).\n');
    return 0;
  }
  if (args.length > 0) {
    io.stderr.write(`migrate: unexpected argument ${JSON.stringify(args[0])} (try --help)\n`);
    return 2;
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\/.+/.test(databaseUrl)) {
    io.stderr.write('migrate: DATABASE_URL: expected postgres://user@host:port/database\n');
    return 2;
  }
  const dataDir = env.DATA_DIR || './data';
  const target = describeTarget(databaseUrl, dataDir);
  let store: SqlStore;
  try {
    store = await openStore(databaseUrl ? { databaseUrl } : { dataDir });
  } catch (err) {
    io.stderr.write(`migrate: cannot open ${target}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  try {
    const ran = await store.applyMigrations();
    if (ran.length === 0) io.stdout.write(`${target}: up to date\n`);
    for (const m of ran) io.stdout.write(`${target}: applied ${m.version} ${m.name}\n`);
    return 0;
  } catch (err) {
    io.stderr.write(`migrate: ${target}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await store.close();
  }
}
