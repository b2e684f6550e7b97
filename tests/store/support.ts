// Store test helpers: a plausible conversation state, turn builders, and the backends the suite runs on.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { ConversationState } from '../../src/conversation/state.ts';
import { openStore } from '../../src/store/open.ts';
import type { NewConversation, TurnCommit } from '../../src/store/port.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';

export const DATABASE_URL = process.env.DATABASE_URL || undefined;

/** A state as the engine would save it at the start of triage, `n` marking which turn wrote it. */
export function stateAt(at: number, n = 0): ConversationState {
  return {
    schema: 1,
    locale: 'es',
    status: 'active',
    flow: { id: 'triage', version: 1, value: 'ask', context: { turn: n } },
    stack: [],
    trail: [],
    secretFailures: [],
    failures: {},
    stepSince: at,
    startedAt: at,
    updatedAt: at,
  };
}

export const newId = (): string => randomUUID();

export function newConversation(overrides: Partial<NewConversation> = {}): NewConversation {
  const at = overrides.at ?? 1_700_000_000_123;
  return {
    id: newId(),
    channel: 'webchat',
    tokenHash: newId().replace(/-/g, ''),
    state: stateAt(at),
    at,
    messages: [{ direction: 'out', body: { key: 'triage:welcome' }, at }],
    events: [{ name: 'conversation.started', at }],
    ...overrides,
  };
}

export function turn(conversationId: string, expectedVersion: number, text: string, extra: Partial<TurnCommit> = {}): TurnCommit {
  const at = 1_700_000_100_000 + expectedVersion;
  return {
    conversationId,
    expectedVersion,
    state: stateAt(at, expectedVersion),
    messages: [
      { direction: 'in', body: { type: 'text', text, display: text }, at },
      { direction: 'out', body: { key: 'triage:reply', echo: text }, at },
    ],
    events: [{ name: 'step.entered', at, flow: 'triage', step: 'ask', data: { n: expectedVersion } }],
    ...extra,
  };
}

/** A place the suite can open (and reopen) stores, and clean up after. */
export interface Backend {
  name: string;
  open(): Promise<SqlStore>;
  /** Only for durable backends: the same database opened again. */
  persistent: boolean;
  /** A second, empty database of the same kind (for migration tests). */
  fresh(): Promise<SqlStore>;
  cleanup(): Promise<void>;
}

export function pgliteDirBackend(): Backend {
  const dirs: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'llavero-store-'));
  dirs.push(dir);
  return {
    name: 'PGlite (data dir)',
    persistent: true,
    open: () => openStore({ dataDir: dir }),
    fresh: () => {
      const d = mkdtempSync(join(tmpdir(), 'llavero-store-'));
      dirs.push(d);
      return openStore({ dataDir: d });
    },
    cleanup: async () => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

export function pgliteMemoryBackend(): Backend {
  return {
    name: 'PGlite (in memory)',
    persistent: false,
    open: () => openStore({ dataDir: 'memory://' }),
    fresh: () => openStore({}),
    cleanup: async () => undefined,
  };
}

export const schemaName = (prefix = 'store'): string => `${prefix}_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;

export function postgresBackend(url: string): Backend {
  const schemas: string[] = [];
  const schema = schemaName();
  schemas.push(schema);
  return {
    name: 'PostgreSQL',
    persistent: true,
    open: () => openStore({ databaseUrl: url, schema }),
    fresh: () => {
      const s = schemaName('store_fresh');
      schemas.push(s);
      return openStore({ databaseUrl: url, schema: s });
    },
    cleanup: async () => {
      await dropSchemas(url, schemas);
    },
  };
}

export async function dropSchemas(url: string, schemas: string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await admin.end();
  }
}
