/** User administration over HTTP (admins only): list, add, disable. The CLI (`llavero users`) does the same from a shell. */
import type { FastifyInstance } from 'fastify';
import type { Accounts } from '../accounts/accounts.ts';
import { guard } from './auth.ts';

export async function adminRoutes(app: FastifyInstance, { accounts }: { accounts: Accounts }): Promise<void> {
  const admins = guard(accounts, ['admin']);

  app.get('/api/admin/users', { preHandler: admins }, async () => ({ users: await accounts.listUsers() }));

  app.post<{ Body: { email?: unknown; name?: unknown; role?: unknown; password?: unknown } }>('/api/admin/users', { preHandler: admins }, async (req, reply) => {
    const { email, name, role, password } = req.body ?? {};
    if (typeof email !== 'string' || typeof role !== 'string' || typeof password !== 'string' || (name !== undefined && typeof name !== 'string')) {
      return reply.code(400).send({ error: 'user.fields' });
    }
    const r = await accounts.addUser({ email, role, password, ...(typeof name === 'string' ? { name } : {}) });
    if (!r.ok) return reply.code(r.code === 'email.taken' ? 409 : 400).send({ error: r.code });
    await accounts.audit({ actorId: req.staff?.user.id, action: 'user.added', data: { userId: r.value.id, role: r.value.role } });
    return reply.code(201).send({ user: r.value });
  });

  app.post<{ Params: { email: string } }>('/api/admin/users/:email/disable', { preHandler: admins }, async (req, reply) => {
    const r = await accounts.disableUser(req.params.email);
    if (!r.ok) return reply.code(404).send({ error: r.code });
    await accounts.audit({ actorId: req.staff?.user.id, action: 'user.disabled', data: { userId: r.value.id } });
    return { user: r.value };
  });
}
