/** Starts the server: reads the config, opens and migrates the store, wires the certificate checker, listens, and on SIGTERM drains and exits within the deadline. */
import { createAccounts } from './accounts/accounts.ts';
import { buildApp } from './app.ts';
import { createBot } from './bot.ts';
import { createCertificateChecker } from './certs/pool.ts';
import { printable, readConfig, redactUrl } from './config.ts';
import { loadResources } from './i18n/resources.ts';
import { startAbandonment } from './jobs/abandonment.ts';
import { startRetention } from './jobs/retention.ts';
import { loggerOptions } from './log.ts';
import { openStore } from './store/open.ts';
import type { SqlStore } from './store/sql-store.ts';

const result = readConfig();
if (!result.ok) {
  // Every problem at once, no stack trace: this is the operator's to fix, not a bug.
  process.stderr.write(`llavero: configuration problems (see .env.example):\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
const config = result.config;

let store: SqlStore;
try {
  store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, queryTimeoutMs: config.databaseQueryTimeoutMs, connectTimeoutMs: config.databaseConnectTimeoutMs });
  await store.migrate();
} catch (err) {
  const where = config.databaseUrl ? redactUrl(config.databaseUrl) : config.dataDir;
  process.stderr.write(`llavero: cannot open the store at ${where}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
const c = config.certs;
const checker = createCertificateChecker({
  maxBytes: config.maxCertBytes,
  ...(c.workers > 0 ? { size: c.workers } : {}),
  timeoutMs: c.timeoutMs,
  queueLimit: c.queue,
  costlyQueueLimit: c.costlyQueue,
  cheapMs: c.cheapMs,
  maxCostMs: c.maxCpuMs,
  keyBudgetMs: c.conversationBudgetMs,
  // Checks run only once the app is serving, so `app` is there by then.
  onRefused: (reason) => app.metrics.certificateRefused(reason),
});
const resources = loadResources();
const bot = createBot({ resources, verify: checker.verify, maxFileBytes: config.maxCertBytes });
const app = await buildApp({ config, store, bot, resources, accounts: createAccounts(store.sql), sql: store.sql, logger: loggerOptions(config.logLevel) });
const log = app.server.log;
const retention = startRetention({ store, days: config.retentionDays, log });
const abandonment = startAbandonment({ store, minutes: config.abandonAfterMinutes, log });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal, deadlineMs: config.shutdownTimeoutMs }, 'shutting down: draining');
  // Past the deadline, exit anyway: an acknowledged message is already committed, so nothing
  // acknowledged is lost; what was not acknowledged is resent by its client to another instance.
  const deadline = setTimeout(() => {
    log.error({ signal }, 'shutdown deadline passed; exiting with work in flight');
    process.exit(1);
  }, config.shutdownTimeoutMs);
  deadline.unref();
  try {
    await app.shutdown();
    await retention.stop();
    await abandonment.stop();
    await checker.close();
    await store.close();
    log.info({ signal }, 'stopped');
    process.exit(0);
  } catch (err) {
    log.error({ err, signal }, 'shutdown failed');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await app.server.listen({ port: config.port, host: config.host });
// Logged through `printable`: pino does not call toJSON, and the config holds secrets.
log.info({ config: printable(config) }, 'llavero ready');
