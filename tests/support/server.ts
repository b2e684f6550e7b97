/** A real server for tests: the app on an ephemeral port over an embedded (in-memory) or PostgreSQL store. */
import type { AddressInfo } from 'node:net';
import { buildApp, type App, type AppDeps } from '../../src/app.ts';
import { createBot } from '../../src/bot.ts';
import { createCertificateChecker } from '../../src/certs/pool.ts';
import { readConfig } from '../../src/config.ts';
import { loadResources } from '../../src/i18n/resources.ts';
import { openStore } from '../../src/store/open.ts';
import { createAccounts } from '../../src/accounts/accounts.ts';
import type { Store } from '../../src/store/port.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';

export interface TestServer {
  url: string;
  app: App;
  store: Store;
  close(): Promise<void>;
}

const isSql = (s: Store): s is SqlStore => 'sql' in s;

export async function startServer({
  store,
  env = {},
  options = {},
}: { store?: Store; env?: NodeJS.ProcessEnv; options?: Pick<AppDeps, 'slackOptions' | 'teamsOptions' | 'now' | 'logger'> } = {}): Promise<TestServer> {
  const cfg = readConfig({ PORT: '0', ...env });
  if (!cfg.ok) throw new Error(cfg.problems.join('; '));
  const s = store ?? (await openStore({}));
  await s.migrate();
  const checker = createCertificateChecker({ maxBytes: cfg.config.maxCertBytes });
  const resources = loadResources();
  const bot = createBot({ resources, verify: checker.verify, maxFileBytes: cfg.config.maxCertBytes });
  const app = await buildApp({ config: cfg.config, store: s, bot, resources, ...(isSql(s) ? { accounts: createAccounts(s.sql), sql: s.sql } : {}), ...options });
  await app.server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    store: s,
    close: async () => {
      await app.server.close();
      await checker.close();
      if (!store) await s.close();
    },
  };
}
