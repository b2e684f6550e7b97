/** Configuration: every environment variable the server reads, validated once at start, as one frozen object. */

export interface Config {
  port: number;
  host: string;
  /** PostgreSQL in production; absent: the embedded store in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  /** Origins allowed to embed the web chat widget; empty: any. */
  widgetOrigins: string[];
  /** Largest certificate file accepted, in bytes. */
  maxCertBytes: number;
  /** HTTP requests (and WebSocket connections) per client address per minute. */
  requestsPerMinute: number;
  /** Web chat messages per conversation: burst, then per second. */
  chatBurst: number;
  chatPerSecond: number;
  logLevel: string;
}

export type ConfigResult = { ok: true; config: Readonly<Config> } | { ok: false; problems: string[] };

/** A pure function of the environment, so tests and the CLI read it the same way. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) problems.push(`${name}=${raw}: expected a whole number from ${min} to ${max}`);
    return n;
  };
  const port = int('PORT', 3000, 0, 65535);
  const maxCertBytes = int('MAX_CERT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024);
  const requestsPerMinute = int('RATE_LIMIT_PER_MINUTE', 300, 1, 10_000_000);
  const chatBurst = int('CHAT_BURST', 20, 1, 1_000_000);
  const chatPerSecond = int('CHAT_PER_SECOND', 2, 1, 1_000_000);
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\/.+/.test(databaseUrl)) {
    problems.push('DATABASE_URL: expected postgres://user@host:port/database');
  }
  const widgetOrigins = (env.WIDGET_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of widgetOrigins) {
    if (!/^https?:\/\/[^/]+$/.test(o)) problems.push(`WIDGET_ORIGINS: "${o}" is not an origin like https://example.com`);
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: Object.freeze({
      port,
      host: env.HOST || '0.0.0.0',
      databaseUrl,
      dataDir: env.DATA_DIR || './data',
      widgetOrigins,
      maxCertBytes,
      requestsPerMinute,
      chatBurst,
      chatPerSecond,
      logLevel: env.LOG_LEVEL || 'info',
    }),
  };
}
