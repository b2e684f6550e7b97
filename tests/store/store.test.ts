// The store contract, run the same on embedded PGlite (data dir and in memory) and on PostgreSQL when DATABASE_URL is set.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrateCommand } from '../../src/cli/migrate.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { openStore } from '../../src/store/open.ts';
import type { CommitResult, TurnCommit } from '../../src/store/port.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import {
  type Backend,
  DATABASE_URL,
  dropSchemas,
  newConversation,
  newId,
  pgliteDirBackend,
  pgliteMemoryBackend,
  postgresBackend,
  schemaName,
  stateAt,
  turn,
} from './support.ts';

if (!DATABASE_URL) console.warn('\n*** SKIPPED: PostgreSQL store tests — set DATABASE_URL ***\n');

const count = async (store: SqlStore, table: 'messages' | 'events' | 'inbox', conversationId: string): Promise<number> => {
  const rows = await store.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE conversation_id = $1`, [conversationId]);
  return Number(rows[0]?.n);
};

const texts = async (store: SqlStore, id: string): Promise<string[]> =>
  (await store.transcript(id)).filter((m) => m.direction === 'in').map((m) => (m.body as { text: string }).text);

function storeSuite(backend: () => Backend, skip = false): void {
  const b = skip ? undefined : backend();
  describe.skipIf(skip)(`store on ${b?.name ?? 'PostgreSQL'}`, () => {
    let store: SqlStore;
    const be = (): Backend => b as Backend;

    beforeAll(async () => {
      store = await be().open();
      await store.migrate();
    });
    afterAll(async () => {
      await store?.close();
      await b?.cleanup();
    });

    it('creates a conversation and finds it by id, token and channel key', async () => {
      const web = newConversation();
      expect(await store.createConversation(web)).toEqual({ ok: true, version: 1 });
      const got = await store.getConversation(web.id);
      expect(got).toEqual({ id: web.id, channel: 'webchat', state: web.state, version: 1, createdAt: web.at, updatedAt: web.at });
      expect((await store.findByToken(web.tokenHash as string))?.id).toBe(web.id);

      const key = newId();
      const slack = newConversation({ channel: 'slack', channelKey: key, tokenHash: undefined });
      expect(await store.createConversation(slack)).toEqual({ ok: true, version: 1 });
      expect((await store.findByChannelKey('slack', key))?.id).toBe(slack.id);
      expect(await store.findByChannelKey('teams', key)).toBeUndefined();
      expect(await store.getConversation(newId())).toBeUndefined();
      expect(await store.findByToken('nope')).toBeUndefined();

      const transcript = await store.transcript(web.id);
      expect(transcript.map(({ direction, body, at }) => ({ direction, body, at }))).toEqual(web.messages);
      expect(await count(store, 'events', web.id)).toBe(1);
    });

    it('refuses a second conversation with the same id, channel key or token', async () => {
      const key = newId();
      const first = newConversation({ channel: 'teams', channelKey: key });
      expect((await store.createConversation(first)).ok).toBe(true);
      expect(await store.createConversation({ ...first, channelKey: newId(), tokenHash: undefined })).toEqual({ ok: false, code: 'conversation.exists' });
      const sameKey = newConversation({ channel: 'teams', channelKey: key, tokenHash: undefined });
      expect(await store.createConversation(sameKey)).toEqual({ ok: false, code: 'conversation.exists' });
      expect(await store.getConversation(sameKey.id)).toBeUndefined();
      expect(await count(store, 'messages', sameKey.id)).toBe(0);
      const sameToken = newConversation({ tokenHash: first.tokenHash });
      expect(await store.createConversation(sameToken)).toEqual({ ok: false, code: 'conversation.exists' });
      // Web chat conversations have no key: any number of them.
      expect((await store.createConversation(newConversation())).ok).toBe(true);
      expect((await store.createConversation(newConversation())).ok).toBe(true);
    });

    it('commits a turn: version + 1, state, transcript, events and inbox id', async () => {
      const c = newConversation();
      await store.createConversation(c);
      const t = turn(c.id, 1, 'hola', { inbox: { channel: 'webchat', messageId: newId() } });
      expect(await store.commitTurn(t)).toEqual({ ok: true, version: 2 });
      const got = await store.getConversation(c.id);
      expect(got?.version).toBe(2);
      expect(got?.state).toEqual(t.state);
      expect(got?.updatedAt).toBe(t.state.updatedAt);
      expect(got?.createdAt).toBe(c.at);
      expect(await texts(store, c.id)).toEqual(['hola']);
      expect(await count(store, 'events', c.id)).toBe(2);
      expect(await store.inboxSeen('webchat', t.inbox?.messageId as string)).toBe(true);
      expect(await store.commitTurn(turn(c.id, 2, 'otra'))).toEqual({ ok: true, version: 3 });
      expect(await texts(store, c.id)).toEqual(['hola', 'otra']);
    });

    it('rejects a stale expected version and writes nothing', async () => {
      const c = newConversation();
      await store.createConversation(c);
      await store.commitTurn(turn(c.id, 1, 'first'));
      const messageId = newId();
      const stale = turn(c.id, 1, 'stale', { inbox: { channel: 'slack', messageId } });
      expect(await store.commitTurn(stale)).toEqual({ ok: false, code: 'version.conflict' });
      expect((await store.getConversation(c.id))?.version).toBe(2);
      expect(await texts(store, c.id)).toEqual(['first']);
      expect(await count(store, 'events', c.id)).toBe(2);
      // The inbox id is not taken, so the redelivery (recomputed on the new version) still applies.
      expect(await store.inboxSeen('slack', messageId)).toBe(false);
      expect(await store.commitTurn({ ...turn(c.id, 2, 'retried'), inbox: { channel: 'slack', messageId } })).toEqual({ ok: true, version: 3 });
    });

    it('reports a missing conversation', async () => {
      const id = newId();
      expect(await store.commitTurn(turn(id, 1, 'x'))).toEqual({ ok: false, code: 'conversation.missing' });
      const messageId = newId();
      expect(await store.commitTurn(turn(id, 1, 'x', { inbox: { channel: 'webchat', messageId } }))).toEqual({ ok: false, code: 'conversation.missing' });
      expect(await store.inboxSeen('webchat', messageId)).toBe(false);
      expect(await store.transcript(id)).toEqual([]);
    });

    it('applies a redelivered message once', async () => {
      const c = newConversation();
      await store.createConversation(c);
      const inbox = { channel: 'teams' as const, messageId: newId() };
      expect(await store.inboxSeen(inbox.channel, inbox.messageId)).toBe(false);
      expect(await store.commitTurn(turn(c.id, 1, 'once', { inbox }))).toEqual({ ok: true, version: 2 });
      const before = await store.transcript(c.id);
      expect(await store.commitTurn(turn(c.id, 2, 'again', { inbox }))).toEqual({ ok: false, code: 'inbox.duplicate' });
      expect(await store.transcript(c.id)).toEqual(before);
      expect((await store.getConversation(c.id))?.version).toBe(2);
      // The same message id on another channel is another message.
      expect(await store.commitTurn(turn(c.id, 2, 'other channel', { inbox: { channel: 'slack', messageId: inbox.messageId } }))).toEqual({ ok: true, version: 3 });
    });

    it('writes an outbox row with its turn, and a crashed sender\'s row is claimed once its lease runs out', async () => {
      const c = newConversation();
      const opened = await store.createConversation({ ...c, inbox: { channel: 'slack', messageId: `first-${c.id}` }, outbox: { channel: 'slack', payload: { n: 0 }, leaseUntil: 1_000 } });
      expect(opened).toMatchObject({ ok: true, version: 1 });
      expect(await store.inboxSeen('slack', `first-${c.id}`)).toBe(true);
      const r = await store.commitTurn(turn(c.id, 1, 'with reply', { outbox: { channel: 'slack', payload: { n: 1 }, leaseUntil: 5_000 } }));
      expect(r).toMatchObject({ ok: true, version: 2 });
      const id = r.ok ? r.outboxId : undefined;
      expect(typeof id).toBe('number');
      // A rejected turn leaves no outbox row behind.
      expect(await store.commitTurn(turn(c.id, 1, 'stale', { outbox: { channel: 'slack', payload: { n: 2 }, leaseUntil: 0 } }))).toEqual({ ok: false, code: 'version.conflict' });

      const mine = <T extends { conversationId: string }>(items: T[]): T[] => items.filter((i) => i.conversationId === c.id);
      // At t=2000 only the creation's row (lease until 1000) is free; the turn's writer still owns its own.
      const first = mine(await store.claimOutbox('slack', { now: 2_000, leaseUntil: 60_000 }));
      expect(first.map((i) => i.payload)).toEqual([{ n: 0 }]);
      expect(first[0]?.attempts).toBe(1);
      // Leased now: a second sweeper at the same moment gets nothing of it.
      expect(mine(await store.claimOutbox('slack', { now: 2_000, leaseUntil: 60_000 }))).toEqual([]);
      expect(mine(await store.claimOutbox('teams', { now: 99_999_999, leaseUntil: 1e9 }))).toEqual([]);
      await store.outboxDelivered([first[0]?.id as number], 3_000);
      const later = mine(await store.claimOutbox('slack', { now: 70_000, leaseUntil: 130_000 }));
      expect(later.map((i) => [i.id, i.payload])).toEqual([[id, { n: 1 }]]);
      await store.outboxDelivered([id as number], 71_000);
      expect(mine(await store.claimOutbox('slack', { now: 1e12, leaseUntil: 2e12 }))).toEqual([]);
    });

    it('keeps the channel\'s reply address: set on creation, replaced by a turn that brings one, kept by one that does not', async () => {
      const c = newConversation();
      await store.createConversation({ ...c, channelKey: `key-${c.id}`, replyTo: { channel: 'D1' } });
      expect((await store.getConversation(c.id))?.replyTo).toEqual({ channel: 'D1' });
      await store.commitTurn(turn(c.id, 1, 'no address'));
      expect((await store.getConversation(c.id))?.replyTo).toEqual({ channel: 'D1' });
      await store.commitTurn(turn(c.id, 2, 'new address', { replyTo: { channel: 'D1', threadTs: '2.0' } }));
      expect((await store.findByChannelKey(c.channel, `key-${c.id}`))?.replyTo).toEqual({ channel: 'D1', threadTs: '2.0' });
    });

    it('retention deletes old conversations with their transcript, and old lines of live ones, but keeps analytics events', async () => {
      const fresh = await be().fresh();
      try {
        await fresh.migrate();
        const old = newConversation({ at: 1_000_000 });
        const live = newConversation({ at: 1_000_000 });
        await fresh.createConversation(old);
        await fresh.createConversation(live);
        // The live one talked again recently: its new line stays, its old greeting goes.
        const recent = turn(live.id, 1, 'still here');
        const at = 9_000_000;
        await fresh.commitTurn({ ...recent, state: stateAt(at, 1), messages: recent.messages.map((m) => ({ ...m, at })), events: recent.events.map((e) => ({ ...e, at })) });
        const r = await fresh.deleteOlderThan(5_000_000, { batch: 1 });
        expect(r).toEqual({ conversations: 1, messages: 1 });
        expect(await fresh.getConversation(old.id)).toBeUndefined();
        expect((await fresh.transcript(live.id)).map((m) => m.at)).toEqual([at, at]);
        const events = await fresh.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE conversation_id = $1', [old.id]);
        expect(Number(events[0]?.n)).toBe(1);
        expect(await fresh.deleteOlderThan(5_000_000)).toEqual({ conversations: 0, messages: 0 });
      } finally {
        await fresh.close();
      }
    });

    it('reports health and queue figures', async () => {
      expect(await store.health()).toEqual({ reachable: true, pendingMigrations: 0 });
      const c = newConversation();
      await store.createConversation({ ...c, state: { ...c.state, handoff: { reason: 'asked', at: 1_234 } } });
      const q = await store.queueStats();
      expect(q.handoffWaiting).toBeGreaterThanOrEqual(1);
      expect(q.oldestHandoffAt).toBeLessThanOrEqual(1_234);
    });

    it('tells a customer joining the queue how many queued before them, and the median wait of recent claims', async () => {
      const base = 2_000_000_000_000;
      const since = base + 10_000;
      const before = await store.handoffOutlook({ since, now: base });
      const waitingBefore = (await store.queueStats()).handoffWaiting;
      const make = async (handoff: Record<string, unknown>, status: 'active' | 'ended' = 'active') => {
        const c = newConversation();
        await store.createConversation({ ...c, state: { ...c.state, status, handoff: handoff as never } });
      };
      await make({ reason: 'asked', at: base + 1, status: 'queued' });
      await make({ reason: 'asked', at: base + 2 }); // saved before statuses existed: queued
      await make({ reason: 'asked', at: base + 3, status: 'queued' });
      await make({ reason: 'asked', at: base + 4, status: 'assigned', agent: { id: 'u1', name: 'Ana' } }); // an agent has it
      await make({ reason: 'asked', at: base + 5, status: 'queued' }, 'ended');
      await make({ reason: 'asked', at: base + 20_000, status: 'queued' }); // asked later
      const after = await store.handoffOutlook({ since, now: base });
      expect(after.ahead - before.ahead).toBe(3);
      expect(after.typicalWaitMs).toBeUndefined();

      // Claims: with four in the window there is no figure; with seven, their median.
      const claims = newConversation({ at: base });
      const minute = 60_000;
      const claim = (i: number) => ({ name: 'handoff.claimed' as const, at: base - 1_000 * i, data: { reason: 'asked', waitMs: i * minute } });
      await store.createConversation({ ...claims, events: [1, 2, 3, 4].map(claim) });
      expect((await store.handoffOutlook({ since, now: base })).typicalWaitMs).toBeUndefined();
      const more = newConversation({ at: base });
      await store.createConversation({ ...more, events: [5, 6, 7].map(claim) });
      expect((await store.handoffOutlook({ since, now: base })).typicalWaitMs).toBe(4 * minute);
      // Only the latest `sample` claims count: the three most recent are 1, 2 and 3 minutes.
      expect((await store.handoffOutlook({ since, now: base, sample: 5 })).typicalWaitMs).toBe(3 * minute);
      // Claims older than the window are history, not "recent".
      expect((await store.handoffOutlook({ since, now: base + 30 * 24 * 3_600_000 })).typicalWaitMs).toBeUndefined();
      // Waiting for a person = queued only (not assigned, not ended), whenever they asked.
      const stats = await store.queueStats();
      expect(stats.handoffWaiting - waitingBefore).toBe(4);
    });

    it('delivers notices to its listeners, and ignores malformed ones', async () => {
      const heard: unknown[] = [];
      const stop = await store.listen((n) => heard.push(n));
      try {
        await store.notify({ conversationId: 'c-1', queue: true });
        await store.notify({ conversationId: 'c-2', push: true });
        const channel = (await store.sql.query<{ c: string }>("SELECT 'llavero_' || lower(current_schema()) AS c"))[0]?.c ?? '';
        await store.sql.query('SELECT pg_notify($1, $2)', [channel, 'not json']);
        await store.sql.query('SELECT pg_notify($1, $2)', [channel, '{"conversationId": 42}']);
        await store.notify({ conversationId: 'c-3' });
        await expect.poll(() => heard.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
        expect(heard).toEqual([{ conversationId: 'c-1', queue: true }, { conversationId: 'c-2', push: true }, { conversationId: 'c-3' }]);
      } finally {
        await stop();
      }
      // A listener still subscribed hears c-4, so it was delivered; the stopped one did not get it.
      const still: unknown[] = [];
      const stopStill = await store.listen((n) => still.push(n));
      try {
        await store.notify({ conversationId: 'c-4' });
        await expect.poll(() => still, { timeout: 15_000 }).toContainEqual({ conversationId: 'c-4' });
      } finally {
        await stopStill();
      }
      expect(heard).toHaveLength(3);
    });

    it('lands 200 concurrent turns on 50 conversations, each conversation in order', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) {
        const c = newConversation();
        await store.createConversation(c);
        ids.push(c.id);
      }
      // A queue per conversation, as the chat service keeps: each turn starts from the last one's version.
      const chains = ids.map(async (id) => {
        const results: CommitResult[] = [];
        let version = 1;
        for (let k = 0; k < 4; k++) {
          const r = await store.commitTurn(turn(id, version, `${id}:${k}`, { inbox: { channel: 'webchat', messageId: `${id}:${k}` } }));
          results.push(r);
          if (r.ok) version = r.version;
        }
        return results;
      });
      const all = (await Promise.all(chains)).flat();
      expect(all).toHaveLength(200);
      expect(all.every((r) => r.ok)).toBe(true);
      for (const id of ids) {
        expect((await store.getConversation(id))?.version).toBe(5);
        expect(await texts(store, id)).toEqual([0, 1, 2, 3].map((k) => `${id}:${k}`));
        expect(await count(store, 'events', id)).toBe(5);
        expect(await count(store, 'inbox', id)).toBe(4);
      }
    });

    it('lets exactly one of several racing turns on one version win, and fails only the losers', async () => {
      const c = newConversation();
      await store.createConversation(c);
      const others = await Promise.all([0, 1, 2].map(async () => {
        const o = newConversation();
        await store.createConversation(o);
        return o.id;
      }));
      const racing: TurnCommit[] = [0, 1, 2, 3, 4].map((k) => turn(c.id, 1, `race ${k}`));
      const results = await Promise.all([...racing.map((t) => store.commitTurn(t)), ...others.map((id) => store.commitTurn(turn(id, 1, 'bystander')))]);
      expect(results.slice(0, 5).filter((r) => r.ok)).toEqual([{ ok: true, version: 2 }]);
      expect(results.slice(0, 5).filter((r) => !r.ok)).toEqual(Array(4).fill({ ok: false, code: 'version.conflict' }));
      expect(results.slice(5)).toEqual(Array(3).fill({ ok: true, version: 2 }));
      expect(await texts(store, c.id)).toHaveLength(1);
    });

    it('isolates a turn the database rejects from the rest of its batch', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const c = newConversation();
        await store.createConversation(c);
        ids.push(c.id);
      }
      const [a, bad, z] = ids as [string, string, string];
      // A NUL in JSON text is valid JSON but not storable in jsonb: the database refuses it.
      const poisoned = turn(bad, 1, 'bad', { messages: [{ direction: 'in', body: { text: 'nul \u0000 here' }, at: 1 }] });
      const settled = await Promise.allSettled([store.commitTurn(turn(a, 1, 'fine')), store.commitTurn(poisoned), store.commitTurn(turn(z, 1, 'fine too'))]);
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((await store.getConversation(bad))?.version).toBe(1);
      expect(await texts(store, a)).toEqual(['fine']);
      expect(await texts(store, z)).toEqual(['fine too']);
    });

    it('returns the last N transcript lines, oldest first', async () => {
      const c = newConversation({ messages: [] });
      await store.createConversation(c);
      let version = 1;
      for (let k = 0; k < 5; k++) {
        const r = await store.commitTurn(turn(c.id, version, `m${k}`));
        if (r.ok) version = r.version;
      }
      const last3 = await store.transcript(c.id, { limit: 3 });
      expect(last3.map((m) => m.direction)).toEqual(['out', 'in', 'out']);
      expect(last3.map((m) => (m.body as { echo?: string; text?: string }).echo ?? (m.body as { text?: string }).text)).toEqual(['m3', 'm4', 'm4']);
      expect(last3.map((m) => m.seq)).toEqual([...last3.map((m) => m.seq)].sort((x, y) => x - y));
      expect(await store.transcript(c.id)).toHaveLength(10);
      expect(await store.transcript(c.id, { limit: 100 })).toHaveLength(10);
    });

    it('runs migrations once: a second migrate is a no-op', async () => {
      expect(await store.applyMigrations()).toEqual([]);
      await store.migrate();
      const rows = await store.sql.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));
    });

    it('migrates an empty database from two stores at once', async () => {
      const one = await be().fresh();
      const two = b?.name === 'PostgreSQL' ? await be().fresh() : one;
      try {
        // On PostgreSQL the two use different schemas but share the advisory lock; same schema is covered below.
        const ran = await Promise.all([one.applyMigrations(), two.applyMigrations()]);
        expect(ran.flat().length).toBe(two === one ? MIGRATIONS.length : 2 * MIGRATIONS.length);
      } finally {
        await one.close();
        if (two !== one) await two.close();
      }
    });

    it.runIf(b?.persistent)('keeps everything across close and reopen', async () => {
      const c = newConversation();
      await store.createConversation(c);
      await store.commitTurn(turn(c.id, 1, 'durable', { inbox: { channel: 'webchat', messageId: `durable-${c.id}` } }));
      await store.close();
      store = await be().open();
      await store.migrate();
      expect((await store.getConversation(c.id))?.version).toBe(2);
      expect(await texts(store, c.id)).toEqual(['durable']);
      expect(await store.inboxSeen('webchat', `durable-${c.id}`)).toBe(true);
      expect(await store.applyMigrations()).toEqual([]);
    });

    it('resolves a lone commit without waiting for a timer (no batching partner needed)', async () => {
      const c = newConversation();
      await store.createConversation(c);
      // Timers frozen: a commit that lingered for a partner (setTimeout) would never resolve; a duration would be load-dependent.
      vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
      try {
        expect(await store.commitTurn(turn(c.id, 1, 'alone'))).toEqual({ ok: true, version: 2 });
      } finally {
        vi.useRealTimers();
      }
    });
  });
}

storeSuite(pgliteDirBackend);
storeSuite(pgliteMemoryBackend);
storeSuite(() => postgresBackend(DATABASE_URL as string), !DATABASE_URL);

describe.skipIf(!DATABASE_URL)('PostgreSQL specifics', () => {
  const url = DATABASE_URL as string;
  const schemas: string[] = [];
  afterAll(async () => {
    await dropSchemas(url, schemas);
  });

  it('two processes migrating one schema at once both succeed, and it is applied once', async () => {
    const schema = schemaName('store_race');
    schemas.push(schema);
    const stores = await Promise.all([0, 1, 2].map(() => openStore({ databaseUrl: url, schema })));
    try {
      const ran = await Promise.all(stores.map((s) => s.applyMigrations()));
      expect(ran.flat().map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
      const rows = await stores[0]?.sql.query('SELECT version FROM schema_migrations');
      expect(rows).toHaveLength(MIGRATIONS.length);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('notices stay within their schema, and a listener whose connection is killed reconnects and hears again', async () => {
    const [x, y] = [schemaName('store_nx'), schemaName('store_ny')];
    schemas.push(x, y);
    const a = await openStore({ databaseUrl: url, schema: x });
    const b = await openStore({ databaseUrl: url, schema: y });
    await Promise.all([a.migrate(), b.migrate()]);
    const heardA: string[] = [];
    let reconnects = 0;
    const stop = await a.listen(
      (n) => heardA.push(n.conversationId),
      () => reconnects++,
    );
    try {
      await b.notify({ conversationId: 'other-schema' });
      await a.notify({ conversationId: 'mine' });
      await expect.poll(() => heardA, { timeout: 15_000 }).toEqual(['mine']);
      // The server drops the listening connection (a restart, a failover).
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN llavero_${x.toLowerCase()}'`);
      await admin.end();
      await expect.poll(() => reconnects, { timeout: 15_000 }).toBe(1);
      await a.notify({ conversationId: 'after' });
      await expect.poll(() => heardA, { timeout: 15_000 }).toEqual(['mine', 'after']);
    } finally {
      await stop();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('honours ?options=-c search_path=… in DATABASE_URL', async () => {
    const schema = schemaName('store_url');
    schemas.push(schema);
    const u = new URL(url);
    u.searchParams.set('options', `-c search_path=${schema}`);
    const store = await openStore({ databaseUrl: u.toString() });
    try {
      await store.migrate();
      const c = newConversation();
      expect((await store.createConversation(c)).ok).toBe(true);
    } finally {
      await store.close();
    }
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const tables = await admin.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema]);
      expect(tables.rows.map((r) => r.table_name)).toEqual(['audit', 'conversations', 'desk_threads', 'events', 'inbox', 'journey_steps', 'journeys', 'messages', 'milestones', 'outbox', 'schema_migrations', 'sessions', 'users']);
      const n = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.conversations`);
      expect(n.rows[0]?.n).toBe(1);
    } finally {
      await admin.end();
    }
  });

  it('migrate CLI applies to DATABASE_URL and then reports up to date', async () => {
    const schema = schemaName('store_cli');
    schemas.push(schema);
    const u = new URL(url);
    u.searchParams.set('options', `-c search_path=${schema}`);
    const out: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) } };
    expect(await migrateCommand([], io, { DATABASE_URL: u.toString() })).toBe(0);
    expect(out.join('')).toMatch(/applied 1 /);
    out.length = 0;
    expect(await migrateCommand([], io, { DATABASE_URL: u.toString() })).toBe(0);
    expect(out.join('')).toMatch(/up to date/);
  });
});

describe('migrate CLI on the embedded store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llavero-migrate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('applies pending migrations to DATA_DIR, then has nothing to do', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } };
    expect(await migrateCommand([], io, { DATA_DIR: dir })).toBe(0);
    expect(out.join('')).toContain(`applied 1 ${MIGRATIONS[0]?.name}`);
    out.length = 0;
    expect(await migrateCommand([], io, { DATA_DIR: dir })).toBe(0);
    expect(out.join('')).toContain('up to date');
    expect(err).toEqual([]);
    const store = await openStore({ dataDir: dir });
    try {
      const c = newConversation({ state: stateAt(1) });
      expect((await store.createConversation(c)).ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('rejects unknown arguments', async () => {
    const err: string[] = [];
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => err.push(s) } };
    expect(await migrateCommand(['--bogus'], io, {})).toBe(2);
    expect(err.join('')).toContain('--bogus');
  });
});
