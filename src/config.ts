/**
 * Configuration: every environment variable the server reads, validated once at start with one
 * zod schema, as one frozen object whose JSON form hides the secrets. `.env.example` documents them.
 */
import { z } from 'zod';
import { parseHours, type BusinessHours } from './handoff/hours.ts';

export interface SlackConfig {
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  apiUrl?: string;
  /** The agents' desk: a channel id where each handed-off conversation gets a thread agents reply in. */
  handoffChannel?: string;
  /** The desk's language (default Spanish). */
  handoffLocale?: 'es' | 'en';
  /** The agent console's public address, linked from each desk thread (from PUBLIC_URL). */
  consoleUrl?: string;
}

export interface TeamsConfig {
  /** Absent only in local mode (TEAMS_LOCAL=1): requests are then not authenticated. */
  appId?: string;
  appPassword?: string;
  appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
  tenantId?: string;
}

export interface Config {
  port: number;
  host: string;
  /** `production` turns on the production-only rules (no unauthenticated Teams). */
  nodeEnv: string;
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
  /** New web chat conversations per client address per minute (a resumed one does not count); 0: no limit. */
  newConversationsPerMinute: number;
  logLevel: string;
  /** Transcripts (and the conversations they belong to) older than this many days are deleted; 0 keeps them. */
  retentionDays: number;
  /** A conversation with no message for this long counts as abandoned at its step (analytics); 0: never. */
  abandonAfterMinutes: number;
  /** On SIGTERM: how long turns in flight get to finish before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** /readyz answers 503 when the store has not answered within this long. */
  readyTimeoutMs: number;
  /** PostgreSQL: a statement with no answer after this long fails and its turn is retried or refused (0: no limit). */
  databaseQueryTimeoutMs: number;
  /** PostgreSQL: getting a connection fails after this long. */
  databaseConnectTimeoutMs: number;
  /** Certificate checks: the worker pool and its limits (see `CertificateCheckerOptions`). */
  certs: {
    /** Worker threads; 0: min(4, max(2, cores − 1)). */
    workers: number;
    /** A check's hard limit, waiting included. */
    timeoutMs: number;
    /** Ordinary checks that may wait; more are refused. */
    queue: number;
    /** Costly checks that may wait; more are refused. */
    costlyQueue: number;
    /** Estimated CPU ms above which a check is costly (its own queue, never the last worker). */
    cheapMs: number;
    /** Estimated CPU ms above which a check is refused before it starts. */
    maxCpuMs: number;
    /** CPU ms one conversation may spend on checks in 10 minutes. */
    conversationBudgetMs: number;
  };
  /**
   * Which proxies to believe about the client's address (X-Forwarded-For), for rate limits and
   * logs: false (none: direct exposure), a hop count (1 behind one load balancer), or addresses.
   */
  trustProxy: boolean | number | string[];
  /** Present when Slack is configured: HTTP mode (signing secret) or Socket Mode (app token). */
  slack?: SlackConfig;
  /** Present when Teams is configured: authenticated (an App ID) or the Emulator's local mode. */
  teams?: TeamsConfig;
  /**
   * When agents take a handoff: per country (CL, CR), else `default`; none for a country: agents
   * always available there. Outside them a customer asking for a person is told when agents are back.
   */
  agentHours: { default?: BusinessHours; CL?: BusinessHours; CR?: BusinessHours };
}

export type ConfigResult = { ok: true; config: Readonly<Config> } | { ok: false; problems: string[] };

const MASK = '••••';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const APP_TYPES = ['MultiTenant', 'SingleTenant', 'UserAssignedMSI'] as const;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An unset or empty variable is absent (an empty line in an env file must not mean "set to nothing"). */
const opt = <T extends z.ZodTypeAny>(t: T) => z.preprocess((v) => (v === '' ? undefined : v), t.optional());
const int = (fallback: number, min: number, max: number) =>
  z.preprocess(
    (v) => (v === undefined || v === '' ? fallback : Number(v)),
    z.number({ invalid_type_error: `expected a whole number from ${min} to ${max}` }).refine((n) => Number.isInteger(n) && n >= min && n <= max, `expected a whole number from ${min} to ${max}`),
  );
const flag = opt(z.enum(['0', '1', 'true', 'false'], { errorMap: () => ({ message: 'expected 1 or 0' }) }));
/** "America/Santiago mon-fri 09:00-18:00, sat 09:00-13:00"; parseHours names what is wrong. */
const hours = opt(
  z.string().transform((spec, ctx): BusinessHours => {
    const r = parseHours(spec);
    if (r.ok) return r.value;
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: r.problem });
    return z.NEVER;
  }),
);

const Env = z
  .object({
    PORT: int(3000, 0, 65535),
    HOST: opt(z.string()),
    NODE_ENV: opt(z.string()),
    DATABASE_URL: opt(z.string().regex(/^postgres(ql)?:\/\/.+/, 'expected postgres://user@host:port/database')),
    DATA_DIR: opt(z.string()),
    WIDGET_ORIGINS: opt(z.string()),
    MAX_CERT_BYTES: int(64 * 1024, 1024, 10 * 1024 * 1024),
    RATE_LIMIT_PER_MINUTE: int(300, 1, 10_000_000),
    CHAT_BURST: int(20, 1, 1_000_000),
    CHAT_PER_SECOND: int(2, 1, 1_000_000),
    NEW_CONVERSATIONS_PER_MINUTE: int(20, 0, 10_000_000),
    LOG_LEVEL: opt(z.enum(LOG_LEVELS, { errorMap: () => ({ message: `expected one of ${LOG_LEVELS.join(', ')}` }) })),
    RETENTION_DAYS: int(365, 0, 36_500),
    ABANDON_AFTER_MINUTES: int(30, 0, 7 * 24 * 60),
    SHUTDOWN_TIMEOUT_MS: int(10_000, 100, 600_000),
    READY_TIMEOUT_MS: int(1_500, 50, 60_000),
    DATABASE_QUERY_TIMEOUT_MS: int(15_000, 0, 3_600_000),
    DATABASE_CONNECT_TIMEOUT_MS: int(5_000, 100, 600_000),
    CERT_WORKERS: int(0, 0, 64),
    CERT_TIMEOUT_MS: int(5_000, 100, 600_000),
    CERT_QUEUE: int(64, 1, 100_000),
    CERT_COSTLY_QUEUE: int(4, 0, 10_000),
    CERT_CHEAP_MS: int(250, 1, 600_000),
    CERT_MAX_CPU_MS: int(3_000, 1, 3_600_000),
    CERT_CONVERSATION_BUDGET_MS: int(20_000, 1, 36_000_000),
    TRUST_PROXY: opt(
      z
        .string()
        .regex(/^(true|false|\d{1,2}|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/, 'expected false, a number of proxy hops (1 behind one load balancer), or proxy addresses/CIDRs separated by commas'),
    ),
    SLACK_BOT_TOKEN: opt(z.string().startsWith('xoxb-', 'expected a bot token starting with xoxb-')),
    SLACK_SIGNING_SECRET: opt(z.string()),
    SLACK_APP_TOKEN: opt(z.string().startsWith('xapp-', 'expected an app-level token starting with xapp-')),
    SLACK_HANDOFF_CHANNEL: opt(z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'expected a Slack channel id like C0123ABCD (channel details → About; not the #name)')),
    SLACK_HANDOFF_LOCALE: opt(z.enum(['es', 'en'], { errorMap: () => ({ message: 'expected es or en' }) })),
    PUBLIC_URL: opt(z.string().regex(/^https?:\/\/[^/\s]+(\/\S*)?$/, 'expected the address people open the server at, like https://soporte.example.com')),
    SLACK_API_URL: opt(z.string().regex(/^https?:\/\/[^/]+(\/.*)?\/$/, 'expected a base URL ending in /, like https://slack.com/api/')),
    MicrosoftAppId: opt(z.string().regex(GUID, "expected the bot's App ID, a GUID")),
    MicrosoftAppPassword: opt(z.string()),
    MicrosoftAppType: opt(z.enum(APP_TYPES, { errorMap: () => ({ message: `expected one of ${APP_TYPES.join(', ')}` }) })),
    MicrosoftAppTenantId: opt(z.string()),
    TEAMS_LOCAL: flag,
    AGENT_HOURS: hours,
    AGENT_HOURS_CL: hours,
    AGENT_HOURS_CR: hours,
  });

/**
 * Rules across variables, on the raw values, so they are reported together with every
 * per-variable problem (zod would skip a refinement once any field failed).
 */
function crossProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const problem = (name: string, message: string) => problems.push(`${name}: ${message}`);
  const e = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')) as Record<string, string | undefined>;
  {
    for (const o of splitList(e.WIDGET_ORIGINS)) {
      if (!/^https?:\/\/[^/]+$/.test(o)) problem('WIDGET_ORIGINS', `"${o}" is not an origin like https://example.com`);
    }
    // Slack is off when none of its variables is set; half a configuration is a problem, not a silent "off".
    if (e.SLACK_SIGNING_SECRET || e.SLACK_APP_TOKEN) {
      if (!e.SLACK_BOT_TOKEN) problem('SLACK_BOT_TOKEN', 'required when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set (xoxb-…)');
    }
    if (e.SLACK_HANDOFF_CHANNEL && !e.SLACK_BOT_TOKEN) {
      problem('SLACK_HANDOFF_CHANNEL', 'the agents\' desk is a Slack channel: set SLACK_BOT_TOKEN (and SLACK_SIGNING_SECRET or SLACK_APP_TOKEN) too, or unset it');
    }
    if (e.SLACK_BOT_TOKEN && !e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
      problem('SLACK_SIGNING_SECRET', 'required for Slack over HTTP (or set SLACK_APP_TOKEN for Socket Mode)');
    }
    // Teams: an App ID with its secret, or the Emulator's local mode, never in production.
    const local = e.TEAMS_LOCAL === '1' || e.TEAMS_LOCAL === 'true';
    if (e.MicrosoftAppPassword && !e.MicrosoftAppId) problem('MicrosoftAppId', 'required when MicrosoftAppPassword is set');
    if (!e.MicrosoftAppId && local && e.NODE_ENV === 'production') {
      problem('TEAMS_LOCAL', 'turns off authentication of Teams requests; refused when NODE_ENV=production (set MicrosoftAppId and MicrosoftAppPassword)');
    }
    if (e.MicrosoftAppId) {
      const type = e.MicrosoftAppType ?? 'MultiTenant';
      if (type !== 'UserAssignedMSI' && !e.MicrosoftAppPassword) problem('MicrosoftAppPassword', 'required with MicrosoftAppId (the client secret of the app registration)');
      if (type === 'SingleTenant' && !e.MicrosoftAppTenantId) problem('MicrosoftAppTenantId', 'required when MicrosoftAppType=SingleTenant');
    }
  }
  return problems;
}

function splitList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function trustProxyOf(raw: string | undefined): boolean | number | string[] {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return splitList(raw);
}

/** The URL with its password masked, for logs and `/readyz`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    // '***' rather than the bullet: a URL would percent-encode the bullet into noise.
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return MASK;
  }
}

/** The config as it may be printed or logged: every secret masked. Also its `toJSON`. */
export function printable(c: Config): unknown {
  return {
    ...c,
    ...(c.databaseUrl ? { databaseUrl: redactUrl(c.databaseUrl) } : {}),
    ...(c.slack
      ? {
          slack: {
            ...c.slack,
            botToken: MASK,
            ...(c.slack.signingSecret ? { signingSecret: MASK } : {}),
            ...(c.slack.appToken ? { appToken: MASK } : {}),
          },
        }
      : {}),
    ...(c.teams?.appPassword ? { teams: { ...c.teams, appPassword: MASK } } : {}),
  };
}

/** A pure function of the environment, so tests and the CLI read it the same way. Every problem is listed, not just the first. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const parsed = Env.safeParse(env);
  const problems = [...(parsed.success ? [] : parsed.error.issues.map((i) => `${String(i.path[0] ?? 'environment')}: ${i.message}`)), ...crossProblems(env)];
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  const e = parsed.data;
  const slack: SlackConfig | undefined = e.SLACK_BOT_TOKEN
    ? {
        botToken: e.SLACK_BOT_TOKEN,
        ...(e.SLACK_SIGNING_SECRET ? { signingSecret: e.SLACK_SIGNING_SECRET } : {}),
        ...(e.SLACK_APP_TOKEN ? { appToken: e.SLACK_APP_TOKEN } : {}),
        ...(e.SLACK_API_URL ? { apiUrl: e.SLACK_API_URL } : {}),
        ...(e.SLACK_HANDOFF_CHANNEL ? { handoffChannel: e.SLACK_HANDOFF_CHANNEL } : {}),
        ...(e.SLACK_HANDOFF_CHANNEL && e.SLACK_HANDOFF_LOCALE ? { handoffLocale: e.SLACK_HANDOFF_LOCALE } : {}),
        ...(e.SLACK_HANDOFF_CHANNEL && e.PUBLIC_URL ? { consoleUrl: new URL('agent/', e.PUBLIC_URL.replace(/\/?$/, '/')).href } : {}),
      }
    : undefined;
  const local = e.TEAMS_LOCAL === '1' || e.TEAMS_LOCAL === 'true';
  const teams: TeamsConfig | undefined = e.MicrosoftAppId
    ? {
        appId: e.MicrosoftAppId,
        appType: e.MicrosoftAppType ?? 'MultiTenant',
        ...(e.MicrosoftAppPassword ? { appPassword: e.MicrosoftAppPassword } : {}),
        ...(e.MicrosoftAppTenantId ? { tenantId: e.MicrosoftAppTenantId } : {}),
      }
    : local
      ? { appType: 'MultiTenant' }
      : undefined;
  const config: Config = {
    port: e.PORT as number,
    host: e.HOST ?? '0.0.0.0',
    nodeEnv: e.NODE_ENV ?? 'development',
    ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}),
    dataDir: e.DATA_DIR ?? './data',
    widgetOrigins: splitList(e.WIDGET_ORIGINS),
    maxCertBytes: e.MAX_CERT_BYTES as number,
    requestsPerMinute: e.RATE_LIMIT_PER_MINUTE as number,
    chatBurst: e.CHAT_BURST as number,
    chatPerSecond: e.CHAT_PER_SECOND as number,
    newConversationsPerMinute: e.NEW_CONVERSATIONS_PER_MINUTE as number,
    logLevel: e.LOG_LEVEL ?? 'info',
    retentionDays: e.RETENTION_DAYS as number,
    abandonAfterMinutes: e.ABANDON_AFTER_MINUTES as number,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS as number,
    readyTimeoutMs: e.READY_TIMEOUT_MS as number,
    databaseQueryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS as number,
    databaseConnectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS as number,
    certs: {
      workers: e.CERT_WORKERS as number,
      timeoutMs: e.CERT_TIMEOUT_MS as number,
      queue: e.CERT_QUEUE as number,
      costlyQueue: e.CERT_COSTLY_QUEUE as number,
      cheapMs: e.CERT_CHEAP_MS as number,
      maxCpuMs: e.CERT_MAX_CPU_MS as number,
      conversationBudgetMs: e.CERT_CONVERSATION_BUDGET_MS as number,
    },
    trustProxy: trustProxyOf(e.TRUST_PROXY),
    ...(slack ? { slack } : {}),
    ...(teams ? { teams } : {}),
    agentHours: {
      ...(e.AGENT_HOURS ? { default: e.AGENT_HOURS } : {}),
      ...(e.AGENT_HOURS_CL ? { CL: e.AGENT_HOURS_CL } : {}),
      ...(e.AGENT_HOURS_CR ? { CR: e.AGENT_HOURS_CR } : {}),
    },
  };
  // Non-enumerable: spreading or comparing the config ignores it; JSON.stringify and loggers use it.
  Object.defineProperty(config, 'toJSON', { value: () => printable(config), enumerable: false });
  return { ok: true, config: Object.freeze(config) };
}
