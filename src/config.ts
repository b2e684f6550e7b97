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
  /** Present when Slack is configured: HTTP mode (signing secret) or Socket Mode (app token). */
  slack?: SlackConfig;
  /** Present when Teams is configured: authenticated (an App ID) or the Emulator's local mode. */
  teams?: TeamsConfig;
}

export interface TeamsConfig {
  /** Absent only in local mode (TEAMS_LOCAL=1): requests are then not authenticated. */
  appId?: string;
  appPassword?: string;
  appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
  tenantId?: string;
}

export interface SlackConfig {
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  apiUrl?: string;
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
  const slack = readSlack(env, problems);
  const teams = readTeams(env, problems);
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
      ...(slack ? { slack } : {}),
      ...(teams ? { teams } : {}),
    }),
  };
}

/** Slack is off when none of its variables is set; half a configuration is a problem, not a silent "off". */
function readSlack(env: NodeJS.ProcessEnv, problems: string[]): SlackConfig | undefined {
  const botToken = env.SLACK_BOT_TOKEN || undefined;
  const signingSecret = env.SLACK_SIGNING_SECRET || undefined;
  const appToken = env.SLACK_APP_TOKEN || undefined;
  const apiUrl = env.SLACK_API_URL || undefined;
  if (!botToken && !signingSecret && !appToken) return undefined;
  if (!botToken) problems.push('SLACK_BOT_TOKEN: required when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set (xoxb-…)');
  else if (!botToken.startsWith('xoxb-')) problems.push('SLACK_BOT_TOKEN: expected a bot token starting with xoxb-');
  if (!signingSecret && !appToken) problems.push('SLACK_SIGNING_SECRET: required for Slack over HTTP (or set SLACK_APP_TOKEN for Socket Mode)');
  if (appToken && !appToken.startsWith('xapp-')) problems.push('SLACK_APP_TOKEN: expected an app-level token starting with xapp-');
  if (apiUrl && !/^https?:\/\/[^/]+(\/.*)?\/$/.test(apiUrl)) problems.push('SLACK_API_URL: expected a base URL ending in /, like https://slack.com/api/');
  if (!botToken) return undefined;
  return { botToken, ...(signingSecret ? { signingSecret } : {}), ...(appToken ? { appToken } : {}), ...(apiUrl ? { apiUrl } : {}) };
}

const APP_TYPES = ['MultiTenant', 'SingleTenant', 'UserAssignedMSI'] as const;

/** Bot Framework's usual variables. Without an App ID Teams is off, unless TEAMS_LOCAL=1 (the Emulator, never in production). */
function readTeams(env: NodeJS.ProcessEnv, problems: string[]): TeamsConfig | undefined {
  const appId = env.MicrosoftAppId || undefined;
  const appPassword = env.MicrosoftAppPassword || undefined;
  const rawType = env.MicrosoftAppType || 'MultiTenant';
  const tenantId = env.MicrosoftAppTenantId || undefined;
  const local = env.TEAMS_LOCAL === '1' || env.TEAMS_LOCAL === 'true';
  const appType = (APP_TYPES as readonly string[]).includes(rawType) ? (rawType as TeamsConfig['appType']) : undefined;
  if (!appId) {
    if (appPassword) problems.push('MicrosoftAppId: required when MicrosoftAppPassword is set');
    if (!local) return undefined;
    if (env.NODE_ENV === 'production') problems.push('TEAMS_LOCAL=1: turns off authentication of Teams requests; refused when NODE_ENV=production (set MicrosoftAppId and MicrosoftAppPassword)');
    return { appType: 'MultiTenant' };
  }
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(appId)) problems.push('MicrosoftAppId: expected the bot\'s App ID, a GUID');
  if (!appType) problems.push(`MicrosoftAppType=${rawType}: expected one of ${APP_TYPES.join(', ')}`);
  if (appType !== 'UserAssignedMSI' && !appPassword) problems.push('MicrosoftAppPassword: required with MicrosoftAppId (the client secret of the app registration)');
  if (appType === 'SingleTenant' && !tenantId) problems.push('MicrosoftAppTenantId: required when MicrosoftAppType=SingleTenant');
  return { appId, appType: appType ?? 'MultiTenant', ...(appPassword ? { appPassword } : {}), ...(tenantId ? { tenantId } : {}) };
}
