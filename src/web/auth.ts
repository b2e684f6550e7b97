/**
 * Staff sign-in for the agent console and the dashboard: a session cookie (HttpOnly, SameSite
 * Strict, Secure behind TLS), a CSRF token for every state-changing request, a rate-limited login,
 * `guard(roles)` for the routes that need a signed-in role, and the script and styles both staff pages
 * share at `/staff/`.
 */
import { timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Accounts, Role, Session } from '../accounts/accounts.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in staff member, set by `guard`. */
    staff?: Session;
  }
}

export const SESSION_COOKIE = 'llv_session';

/** What the agent console and the dashboard share (strings, requests, sign-in, header, notices, base styles), at `/staff/`. */
export const STAFF_DIR = fileURLToPath(new URL('./public/staff/', import.meta.url));

/** The value of one cookie in a Cookie header. */
export function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * 401 without a valid session, 403 for a role not in `roles`, and 403 for a state-changing request
 * without the session's CSRF token in `x-csrf-token`.
 */
export function guard(accounts: Accounts, roles: readonly Role[]): preHandlerAsyncHookHandler {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const token = cookie(req.headers.cookie, SESSION_COOKIE);
    const session = token ? await accounts.session(token) : undefined;
    if (!session) return reply.code(401).send({ error: 'auth.required' });
    if (!roles.includes(session.user.role)) return reply.code(403).send({ error: 'auth.forbidden' });
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !sameSecret(sent, session.csrf)) return reply.code(403).send({ error: 'auth.csrf' });
    }
    req.staff = session;
  };
}

function sessionCookie(req: FastifyRequest, value: string, maxAgeSec: number): string {
  // Secure whenever the customer-facing side is HTTPS (directly or per a trusted proxy's X-Forwarded-Proto).
  const secure = req.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSec}${secure}`;
}

export interface AuthOptions {
  accounts: Accounts;
  /** Login attempts per client address per minute. */
  loginsPerMinute?: number;
}

export async function authRoutes(app: FastifyInstance, { accounts, loginsPerMinute = 10 }: AuthOptions): Promise<void> {
  await app.register(fastifyStatic, { root: STAFF_DIR, prefix: '/staff/', decorateReply: false });

  app.post<{ Body: { email?: unknown; password?: unknown } }>(
    '/api/auth/login',
    { config: { rateLimit: { max: loginsPerMinute, timeWindow: '1 minute' } } },
    async (req, reply) => {
      const { email, password } = req.body ?? {};
      if (typeof email !== 'string' || typeof password !== 'string' || email.length > 320 || password.length > 1024) {
        return reply.code(400).send({ error: 'auth.fields' });
      }
      const signedIn = await accounts.login(email, password);
      if (!signedIn) {
        await accounts.audit({ action: 'login.failed', data: { email: email.slice(0, 320) } });
        // The same answer for an unknown e-mail, a wrong password and a disabled account.
        return reply.code(401).send({ error: 'auth.invalid' });
      }
      const { token, session } = signedIn;
      await accounts.audit({ actorId: session.user.id, action: 'login' });
      return reply
        .header('set-cookie', sessionCookie(req, token, Math.floor((session.expiresAt - Date.now()) / 1000)))
        .header('cache-control', 'no-store')
        .send({ user: session.user, csrf: session.csrf });
    },
  );

  app.get('/api/auth/me', { preHandler: guard(accounts, ['agent', 'manager', 'admin']) }, async (req, reply) => {
    const s = req.staff as Session;
    return reply.header('cache-control', 'no-store').send({ user: s.user, csrf: s.csrf });
  });

  app.post('/api/auth/logout', { preHandler: guard(accounts, ['agent', 'manager', 'admin']) }, async (req, reply) => {
    const token = cookie(req.headers.cookie, SESSION_COOKIE);
    if (token) await accounts.logout(token);
    await accounts.audit({ actorId: req.staff?.user.id, action: 'logout' });
    return reply.header('set-cookie', sessionCookie(req, '', 0)).send({ ok: true });
  });
}
