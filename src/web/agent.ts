/** The agents' side over HTTP: the live queue of conversations waiting for a person (agents, managers and admins). */
import type { FastifyInstance } from 'fastify';
import type { Accounts } from '../accounts/accounts.ts';
import type { Store } from '../store/port.ts';
import { guard } from './auth.ts';

export async function agentRoutes(app: FastifyInstance, { accounts, store, now }: { accounts: Accounts; store: Store; now: () => number }): Promise<void> {
  app.get('/api/agent/queue', { preHandler: guard(accounts, ['agent', 'manager', 'admin']) }, async (_req, reply) => {
    const queue = await store.handoffQueue();
    const at = now();
    return reply.header('cache-control', 'no-store').send({ at, queue: queue.map((q) => ({ ...q, waitingSeconds: Math.max(0, Math.round((at - q.since) / 1000)) })) });
  });
}
