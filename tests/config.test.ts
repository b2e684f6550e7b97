// Configuration from the environment: channels are off, on, or refused with every problem named.
import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config.ts';

const problems = (env: NodeJS.ProcessEnv): string[] => {
  const r = readConfig(env);
  return r.ok ? [] : r.problems;
};

describe('configuration', () => {
  it('starts with nothing set: web chat on the embedded store, Slack and Teams off', () => {
    const r = readConfig({});
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.config.databaseUrl).toBeUndefined();
      expect(r.config.slack).toBeUndefined();
      expect(r.config.teams).toBeUndefined();
    }
  });

  it('turns Slack on over HTTP or Socket Mode, and names what half a Slack setup lacks', () => {
    const http = readConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' });
    expect(http.ok && http.config.slack).toEqual({ botToken: 'xoxb-1', signingSecret: 's' });
    const socket = readConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' });
    expect(socket.ok && socket.config.slack).toEqual({ botToken: 'xoxb-1', appToken: 'xapp-1' });
    expect(problems({ SLACK_BOT_TOKEN: 'xoxb-1' })).toEqual([expect.stringMatching(/^SLACK_SIGNING_SECRET/)]);
    expect(problems({ SLACK_SIGNING_SECRET: 's' })).toEqual([expect.stringMatching(/^SLACK_BOT_TOKEN/)]);
    expect(problems({ SLACK_BOT_TOKEN: 'xoxp-user-token', SLACK_APP_TOKEN: 'nope', SLACK_API_URL: 'slack.com' })).toHaveLength(3);
  });

  it('takes SLACK_HANDOFF_CHANNEL (a channel id) only with Slack on', () => {
    const desk = readConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_HANDOFF_CHANNEL: 'C0123ABCD' });
    expect(desk.ok && desk.config.slack).toEqual({ botToken: 'xoxb-1', signingSecret: 's', handoffChannel: 'C0123ABCD' });
    const none = readConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_HANDOFF_CHANNEL: '' });
    expect(none.ok && none.config.slack).toEqual({ botToken: 'xoxb-1', signingSecret: 's' });
    expect(problems({ SLACK_HANDOFF_CHANNEL: 'C0123ABCD' })).toEqual([expect.stringMatching(/^SLACK_HANDOFF_CHANNEL: .*SLACK_BOT_TOKEN/)]);
    expect(problems({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_HANDOFF_CHANNEL: '#soporte' })).toEqual([expect.stringMatching(/^SLACK_HANDOFF_CHANNEL: expected a Slack channel id/)]);
    // Listed with the other problems, not instead of them.
    expect(problems({ SLACK_HANDOFF_CHANNEL: 'soporte', PORT: 'x' })).toHaveLength(3);
  });

  it('gives the desk its language and, from PUBLIC_URL, the console link', () => {
    const env = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_HANDOFF_CHANNEL: 'C0123ABCD', SLACK_HANDOFF_LOCALE: 'en', PUBLIC_URL: 'https://soporte.example.com/llavero' };
    const desk = readConfig(env);
    expect(desk.ok && desk.config.slack).toMatchObject({ handoffLocale: 'en', consoleUrl: 'https://soporte.example.com/llavero/agent/' });
    expect(problems({ ...env, SLACK_HANDOFF_LOCALE: 'pt', PUBLIC_URL: 'soporte.example.com' })).toEqual([
      expect.stringMatching(/^SLACK_HANDOFF_LOCALE: expected es or en/),
      expect.stringMatching(/^PUBLIC_URL: expected the address/),
    ]);
  });

  it('turns Teams on with an App ID and secret, or in local mode outside production only', () => {
    const id = '6f1c2b3a-5d6e-4f80-91a2-b3c4d5e6f7a8';
    const on = readConfig({ MicrosoftAppId: id, MicrosoftAppPassword: 'p' });
    expect(on.ok && on.config.teams).toEqual({ appId: id, appPassword: 'p', appType: 'MultiTenant' });
    const local = readConfig({ TEAMS_LOCAL: '1' });
    expect(local.ok && local.config.teams).toEqual({ appType: 'MultiTenant' });
    expect(problems({ TEAMS_LOCAL: '1', NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^TEAMS_LOCAL: .*NODE_ENV=production/)]);
    expect(problems({ MicrosoftAppId: id })).toEqual([expect.stringMatching(/^MicrosoftAppPassword/)]);
    expect(problems({ MicrosoftAppId: id, MicrosoftAppPassword: 'p', MicrosoftAppType: 'SingleTenant' })).toEqual([expect.stringMatching(/^MicrosoftAppTenantId/)]);
    expect(problems({ MicrosoftAppId: 'x', MicrosoftAppPassword: 'p', MicrosoftAppType: 'Other' })).toHaveLength(2);
  });

  it('lists every problem at once', () => {
    expect(problems({ PORT: 'eighty', DATABASE_URL: 'mysql://x', SLACK_SIGNING_SECRET: 's', TEAMS_LOCAL: '1', NODE_ENV: 'production' })).toHaveLength(4);
  });
});

describe('proxies', () => {
  it('believes X-Forwarded-For only from the proxies named', () => {
    const of = (v?: string) => {
      const r = readConfig(v === undefined ? {} : { TRUST_PROXY: v });
      return r.ok ? r.config.trustProxy : r.problems;
    };
    expect(of()).toBe(false);
    expect(of('1')).toBe(1);
    expect(of('10.0.0.0/8, 192.168.1.7')).toEqual(['10.0.0.0/8', '192.168.1.7']);
    expect(of('everyone')).toEqual([expect.stringMatching(/^TRUST_PROXY:/)]);
  });
});

describe("agents' business hours", () => {
  it('are absent unless set (agents always available), and per country override the default', () => {
    const none = readConfig({});
    expect(none.ok && none.config.agentHours).toEqual({});
    const r = readConfig({ AGENT_HOURS: 'America/Santiago mon-fri 09:00-18:00', AGENT_HOURS_CR: 'America/Costa_Rica lun-vie 08:00-17:00, sáb 08:00-12:00', AGENT_HOURS_CL: '' });
    expect(r.ok && r.config.agentHours).toEqual({
      default: { timeZone: 'America/Santiago', windows: [{ days: [1, 2, 3, 4, 5], from: 540, to: 1080 }] },
      CR: {
        timeZone: 'America/Costa_Rica',
        windows: [
          { days: [1, 2, 3, 4, 5], from: 480, to: 1020 },
          { days: [6], from: 480, to: 720 },
        ],
      },
    });
  });

  it('refuse a bad value at start, naming the variable and the mistake, with the other problems', () => {
    expect(problems({ AGENT_HOURS_CL: 'Mars/Base mon-fri 09:00-18:00' })).toEqual(['AGENT_HOURS_CL: unknown time zone "Mars/Base"']);
    expect(problems({ AGENT_HOURS: 'America/Santiago mon-fri 9-18', AGENT_HOURS_CR: 'America/Costa_Rica lun-vie 17:00-08:00', PORT: 'eighty' })).toEqual([
      expect.stringMatching(/^PORT:/),
      'AGENT_HOURS: bad hours "9-18" (use HH:MM-HH:MM)',
      expect.stringMatching(/^AGENT_HOURS_CR: window ends before it starts/),
    ]);
  });
});

describe('printing the configuration', () => {
  it('shows no secret: tokens, passwords and the database password are masked', () => {
    const r = readConfig({
      DATABASE_URL: 'postgres://llavero:s3cret-db@db:5432/llavero',
      SLACK_BOT_TOKEN: 'xoxb-very-secret',
      SLACK_SIGNING_SECRET: 'signing-secret-value',
      MicrosoftAppId: '6f1c2b3a-5d6e-4f80-91a2-b3c4d5e6f7a8',
      MicrosoftAppPassword: 'teams-secret-value',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const printed = JSON.stringify(r.config);
    for (const secret of ['s3cret-db', 'xoxb-very-secret', 'signing-secret-value', 'teams-secret-value']) expect(printed).not.toContain(secret);
    expect(printed).toContain('db:5432');
    // The code still reads the real values.
    expect(r.config.slack?.botToken).toBe('xoxb-very-secret');
    expect(Object.isFrozen(r.config)).toBe(true);
  });
});
