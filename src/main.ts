/** Starts the server: reads the config, opens and migrates the store, wires the certificate checker, listens, shuts down cleanly. */
import { buildApp } from './app.ts';
import { createBot } from './bot.ts';
import { createCertificateChecker } from './certs/pool.ts';
import { readConfig } from './config.ts';
import { loadResources } from './i18n/resources.ts';
import { openStore } from './store/open.ts';

const result = readConfig();
if (!result.ok) {
  console.error(`Configuration problems:\n${result.problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
const config = result.config;

const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
await store.migrate();
const checker = createCertificateChecker({ maxBytes: config.maxCertBytes });
const resources = loadResources();
const bot = createBot({ resources, verify: checker.verify, maxFileBytes: config.maxCertBytes });
const { server } = await buildApp({ config, store, bot, resources, logger: { level: config.logLevel } });

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  server.log.info({ signal }, 'shutting down');
  await server.close();
  await checker.close();
  await store.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await server.listen({ port: config.port, host: config.host });
