/**
 * Staff accounts: users with a role, sessions (found by the hash of their cookie), and the audit
 * log of who did what. Written over the store's SQL interface, in the tables of migration 5.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Sql } from '../store/sql-store.ts';
import { hashPassword, passwordProblem, verifyPassword } from './password.ts';

export const ROLES = ['agent', 'manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: number;
  disabled: boolean;
}

export interface Session {
  user: User;
  /** Sent back in `x-csrf-token` on every state-changing request. */
  csrf: string;
  expiresAt: number;
}

export type AccountError = 'email.invalid' | 'email.taken' | 'role.invalid' | 'password.too-short' | 'password.too-long' | 'user.missing';
export type Result<T> = { ok: true; value: T } | { ok: false; code: AccountError };

export interface Accounts {
  addUser(u: { email: string; name?: string; role: string; password: string }): Promise<Result<User>>;
  listUsers(): Promise<User[]>;
  /** Disables the account and ends its sessions. */
  disableUser(email: string): Promise<Result<User>>;
  /** A new session for a right password of an enabled account; undefined otherwise (which one is not said). */
  login(email: string, password: string): Promise<{ token: string; session: Session } | undefined>;
  session(token: string): Promise<Session | undefined>;
  logout(token: string): Promise<void>;
  audit(entry: { actorId?: string; action: string; conversationId?: string; data?: Record<string, unknown> }): Promise<void>;
  auditLog(opts?: { conversationId?: string; limit?: number }): Promise<Array<{ at: number; actorId?: string; action: string; conversationId?: string; data?: unknown }>>;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{2,}$/;
const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const ms = (col: string) => `(extract(epoch from ${col}) * 1000)::float8`;

interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  created_at: number;
  disabled_at: number | null;
}
const USER_COLUMNS = `u.id, u.email, u.name, u.role, ${ms('u.created_at')} AS created_at, ${ms('u.disabled_at')} AS disabled_at`;
const toUser = (r: UserRow): User => ({ id: r.id, email: r.email, name: r.name, role: r.role, createdAt: Number(r.created_at), disabled: r.disabled_at !== null });

export function createAccounts(sql: Sql, { now = Date.now, sessionMs = 12 * 60 * 60 * 1000 }: { now?: () => number; sessionMs?: number } = {}): Accounts {
  // A fixed hash to verify against when the e-mail is unknown, so timing does not tell which e-mails exist.
  const decoy = hashPassword(randomBytes(16).toString('hex'));

  async function findByEmail(email: string): Promise<(UserRow & { password_hash: string }) | undefined> {
    const rows = await sql.query<UserRow & { password_hash: string }>(`SELECT ${USER_COLUMNS}, u.password_hash FROM users u WHERE lower(u.email) = lower($1)`, [email]);
    return rows[0];
  }

  return {
    async addUser({ email, name, role, password }) {
      const e = email.trim();
      if (!EMAIL.test(e)) return { ok: false, code: 'email.invalid' };
      if (!(ROLES as readonly string[]).includes(role)) return { ok: false, code: 'role.invalid' };
      const weak = passwordProblem(password);
      if (weak) return { ok: false, code: weak };
      const id = randomUUID();
      const rows = await sql.query<UserRow>(
        `INSERT INTO users (id, email, name, role, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, ('epoch'::timestamptz + $6::float8 * interval '1 millisecond'))
         ON CONFLICT DO NOTHING
         RETURNING id, email, name, role, ${ms('created_at')} AS created_at, NULL::float8 AS disabled_at`,
        [id, e, name?.trim() || e.split('@')[0], role, await hashPassword(password), now()],
      );
      return rows[0] ? { ok: true, value: toUser(rows[0]) } : { ok: false, code: 'email.taken' };
    },

    async listUsers() {
      return (await sql.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u ORDER BY lower(u.email)`)).map(toUser);
    },

    async disableUser(email) {
      return sql.transaction(async (tx) => {
        const rows = await tx.query<UserRow>(
          `UPDATE users u SET disabled_at = COALESCE(u.disabled_at, ('epoch'::timestamptz + $2::float8 * interval '1 millisecond'))
           WHERE lower(u.email) = lower($1) RETURNING ${USER_COLUMNS}`,
          [email.trim(), now()],
        );
        const row = rows[0];
        if (!row) return { ok: false, code: 'user.missing' } as const;
        await tx.query('DELETE FROM sessions WHERE user_id = $1', [row.id]);
        return { ok: true, value: toUser(row) } as const;
      });
    },

    async login(email, password) {
      const row = await findByEmail(email.trim());
      const good = await verifyPassword(password, row?.password_hash ?? (await decoy));
      if (!row || !good || row.disabled_at !== null) return undefined;
      const token = randomBytes(32).toString('base64url');
      const csrf = randomBytes(24).toString('base64url');
      const expiresAt = now() + sessionMs;
      await sql.query(
        `INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at)
         VALUES ($1, $2, $3, ('epoch'::timestamptz + $4::float8 * interval '1 millisecond'), ('epoch'::timestamptz + $5::float8 * interval '1 millisecond'))`,
        [hash(token), row.id, csrf, now(), expiresAt],
      );
      return { token, session: { user: toUser(row), csrf, expiresAt } };
    },

    async session(token) {
      if (!token || token.length > 200) return undefined;
      const rows = await sql.query<UserRow & { csrf: string; expires_at: number }>(
        `SELECT ${USER_COLUMNS}, s.csrf, ${ms('s.expires_at')} AS expires_at FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND u.disabled_at IS NULL`,
        [hash(token)],
      );
      const r = rows[0];
      if (!r || Number(r.expires_at) <= now()) return undefined;
      return { user: toUser(r), csrf: r.csrf, expiresAt: Number(r.expires_at) };
    },

    async logout(token) {
      await sql.query('DELETE FROM sessions WHERE token_hash = $1', [hash(token)]);
    },

    async audit({ actorId, action, conversationId, data }) {
      await sql.query(
        `INSERT INTO audit (at, actor_id, action, conversation_id, data)
         VALUES (('epoch'::timestamptz + $1::float8 * interval '1 millisecond'), $2, $3, $4, $5::text::jsonb)`,
        [now(), actorId ?? null, action, conversationId ?? null, data === undefined ? null : JSON.stringify(data)],
      );
    },

    async auditLog({ conversationId, limit = 200 } = {}) {
      const rows = await sql.query<{ at: number; actor_id: string | null; action: string; conversation_id: string | null; data: unknown }>(
        `SELECT ${ms('at')} AS at, actor_id, action, conversation_id, data FROM audit
         WHERE ($1::text IS NULL OR conversation_id = $1) ORDER BY seq DESC LIMIT $2::int`,
        [conversationId ?? null, limit],
      );
      return rows.map((r) => ({
        at: Number(r.at),
        action: r.action,
        ...(r.actor_id ? { actorId: r.actor_id } : {}),
        ...(r.conversation_id ? { conversationId: r.conversation_id } : {}),
        ...(r.data !== null ? { data: r.data } : {}),
      }));
    },
  };
}
