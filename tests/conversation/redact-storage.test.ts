/**
 * Secrets typed while waiting for a person, end to end: a web chat customer queued for an agent
 * types 40 sentences that carry a PIN or password among RUTs, invoice numbers and amounts. None of
 * the secrets is readable in the agent's transcript API, the dashboard's transcript, or the database
 * itself (every table of the embedded store; `pg_dump --data-only` of PostgreSQL when DATABASE_URL
 * is set); the RUTs, invoice numbers and amounts are.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createAccounts } from '../../src/accounts/accounts.ts';
import { openStore } from '../../src/store/open.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { signIn, type StaffSession } from '../support/staff.ts';
import { connect } from '../support/ws-client.ts';
import { DATABASE_URL, dropSchemas, schemaName } from '../store/support.ts';

const PASSWORD = 'una frase de acceso larga';
const PG_DUMP = '/usr/bin/pg_dump';

/** What the customer types, and the secrets in it (each part no one may read back). */
const SECRETS: Array<[string, ...string[]]> = [
  ['mi PIN nuevo es 915307', '915307'],
  ['el PIN de la llave es 1234 5678', '1234', '5678'],
  ['447120 es mi pin', '447120'],
  ['usé 482193 como pin', '482193'],
  ['la contraseña del certificado es Hola2024!', 'Hola2024'],
  ['the pin for the p12 is 730461', '730461'],
  ['mi pin 6 6 0 3 9', '6 6 0 3 9', '0 3 9'],
  ['password: correct horse', 'correct', 'horse'],
  ['mi clave tributaria es Perro.2024', 'Perro.2024'],
  ['olvidé mi clave, creo que era Lluvia.7788', 'Lluvia.7788'],
  ['mi RUT es 76.354.771-K y mi pin es 558102', '558102'],
  ['la factura 4821 no sale y mi pin es 390417', '390417'],
  ['pagué $45.000, el pin que puse fue 271828', '271828'],
  ['PIN: 161803', '161803'],
  ['pin:707342', '707342'],
  ['PIN=918273', '918273'],
  ['el código de la llave es 640028', '640028'],
  ['codigo del certificado: 3-3-8-1-9', '3-3-8-1-9'],
  ['contrasena: gatito4455', 'gatito4455'],
  ['mi contrasenia es mariposa azul', 'mariposa', 'azul'],
  ['ya intenté 802211 y 802212 como PIN', '802211', '802212'],
  ['probé con 119900 y con 229911 pero ninguno es el pin', '119900', '229911'],
  ['la clave del SII es Chile.2025x', 'Chile.2025x'],
  ['mi clave única es Rojo.Azul99', 'Rojo.Azul99'],
  ['cambié el pin a 505077 ayer', '505077'],
  ['le puse 313377 de pin', '313377'],
  ['¿el pin es 626262?', '626262'],
  ['la contraseña que le puse al .p12 es Llave2024*', 'Llave2024'],
  ['mi contraseña, por si acaso, es tortuga veloz', 'tortuga', 'veloz'],
  ['clave SII: Nube.Gris31', 'Nube.Gris31'],
  ['my pin is 846150', '846150'],
  ['my password is Hunter2299', 'Hunter2299'],
  ['my password is purple elephant dance', 'purple', 'elephant', 'dance'],
  ['the password for the certificate is Summer2024!', 'Summer2024'],
  ['975310 is my pin', '975310'],
  ['I used 864209 as the pin', '864209'],
  ['my pwd=Xy7#kkq', 'Xy7#kkq'],
  ['the passphrase is blue monkey', 'monkey'],
  ['passcode 739104', '739104'],
  ['Quokka.2026', 'Quokka.2026'],
];

/** What the agent must still read: RUTs, cédulas, invoice numbers, amounts, a date. */
const READABLE: Array<[string, string[]]> = [
  ['mi RUT es 76.354.771-K y la factura 4821 no sale', ['76.354.771-K', 'factura 4821']],
  ['folio 123456 por $45.000', ['folio 123456', '$45.000']],
  ['cédula 1-0054-1023, monto ₡15 000', ['1-0054-1023', '₡15 000']],
  ['el RUT de la empresa es 12345678-9, factura 99881 del 12/03/2025', ['12345678-9', 'factura 99881', '12/03/2025']],
];

const ESCAPE = /[.*+?^${}()|[\]\\]/gu;
/** The secret as text of its own (not a piece of a longer number such as a timestamp). */
const alone = (secret: string) => new RegExp(`(?<![\\p{L}\\p{N}])${secret.replace(ESCAPE, '\\$&')}(?![\\p{L}\\p{N}])`, 'u');

function expectNoSecret(where: string, text: string): void {
  const leaked = SECRETS.flatMap(([said, ...secrets]) => [...(text.includes(said) ? [said] : []), ...secrets.filter((s) => alone(s).test(text))]);
  expect(leaked, `secrets readable in ${where}`).toEqual([]);
  for (const [, keep] of READABLE) for (const k of keep) expect(text, `${k} in ${where}`).toContain(k);
}

/** Every row of every table in the store's schema, as text. */
async function everyRow(store: SqlStore): Promise<string> {
  const tables = await store.sql.query<{ name: string }>(
    "SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
  );
  expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['messages', 'conversations']));
  const rows = await Promise.all(tables.map((t) => store.sql.query<{ row: string }>(`SELECT t::text AS row FROM ${t.name} t`)));
  return rows.flat().map((r) => r.row).join('\n');
}

/** A customer queued for a person types everything; returns the conversation id. */
async function typeWhileWaiting(server: TestServer, staff: StaffSession): Promise<string> {
  const c = await connect(server.url, { locale: 'es' });
  try {
    await c.say({ t: 'text', text: 'necesito revocar mi llave criptográfica' });
    const asked = await c.say({ t: 'text', text: 'quiero hablar con una persona' });
    expect(asked.messages.some((m) => m.type === 'handoff')).toBe(true);
    const { queue } = (await (await staff.get('/api/agent/queue')).json()) as { queue: Array<{ id: string }> };
    expect(queue).toHaveLength(1);
    for (const [text] of READABLE.slice(0, 2)) await c.send({ t: 'text', text });
    for (const [text] of SECRETS) await c.send({ t: 'text', text });
    for (const [text] of READABLE.slice(2)) await c.send({ t: 'text', text });
    return queue[0]?.id ?? '';
  } finally {
    c.close();
  }
}

async function expectStaffViewsClean(server: TestServer, staff: StaffSession, id: string): Promise<void> {
  const agent = (await (await staff.get(`/api/agent/conversations/${id}?lng=es`)).json()) as { status: string; transcript: Array<{ author: string; text: string }> };
  expect(agent.status).toBe('queued');
  const said = agent.transcript.filter((l) => l.author === 'customer').map((l) => l.text);
  // Every sentence reached the agent, each with its secret masked and the rest of it readable.
  expect(said).toHaveLength(2 + SECRETS.length + READABLE.length);
  expect(said.filter((l) => l.includes('••••'))).toHaveLength(SECRETS.length);
  expect(said).toContain('mi RUT es 76.354.771-K y mi pin es ••••');
  expectNoSecret('the agent transcript API', JSON.stringify(agent));
  const dashboard = await staff.get(`/api/analytics/conversations/${id}`);
  expect(dashboard.status).toBe(200);
  expectNoSecret('the dashboard transcript', await dashboard.text());
}

async function run(server: TestServer): Promise<{ staff: StaffSession; id: string }> {
  const store = server.store as SqlStore;
  expect((await createAccounts(store.sql).addUser({ email: 'root@soporte.example', name: 'Root', role: 'admin', password: PASSWORD })).ok).toBe(true);
  const staff = await signIn(server.url, 'root@soporte.example', PASSWORD);
  const id = await typeWhileWaiting(server, staff);
  await expectStaffViewsClean(server, staff, id);
  expectNoSecret('the database rows', await everyRow(store));
  return { staff, id };
}

// Well above the 40 lines typed here, so the web chat's rate limit does not refuse them.
const env = { CHAT_BURST: '100', CHAT_PER_SECOND: '100' };

describe('secrets typed while waiting for a person (embedded store)', () => {
  let server: TestServer | undefined;
  afterAll(() => server?.close());

  it('are masked in the agent transcript, the dashboard and every stored row; RUTs, invoices and amounts stay readable', async () => {
    server = await startServer({ env });
    await run(server);
  }, 60_000);
});

describe.skipIf(!DATABASE_URL)('secrets typed while waiting for a person (PostgreSQL, pg_dump)', () => {
  const url = DATABASE_URL ?? '';
  const schema = schemaName('redact');
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.close();
    await dropSchemas(url, [schema]);
  });

  it('leave no secret in a pg_dump of the data, and the RUTs, invoices and amounts in it', async () => {
    const store = await openStore({ databaseUrl: url, schema });
    server = await startServer({ store, env });
    try {
      await run(server);
    } finally {
      await server.close();
      server = undefined;
      await store.close();
    }
    expect(existsSync(PG_DUMP), `${PG_DUMP} is needed to dump the database`).toBe(true);
    const { stdout } = await promisify(execFile)(PG_DUMP, ['--data-only', `--schema=${schema}`, url], { maxBuffer: 64 * 1024 * 1024 });
    expect(stdout).toContain('COPY');
    expectNoSecret('pg_dump', stdout);
  }, 60_000);
});

if (!DATABASE_URL) console.warn('redact-storage: DATABASE_URL is not set; the PostgreSQL pg_dump check is SKIPPED');
