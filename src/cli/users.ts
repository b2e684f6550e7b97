/** `llavero users add|list|disable`: staff accounts from a shell; the password is read from standard input, never from the command line. */
import { parseArgs } from 'node:util';
import { createAccounts, ROLES } from '../accounts/accounts.ts';
import { openStore } from '../store/open.ts';

export interface UsersIo {
  stdin: AsyncIterable<string | Buffer>;
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

const USAGE = `usage:
  llavero users add EMAIL --role agent|manager|admin [--name NAME]   (password: first line of standard input)
  llavero users list
  llavero users disable EMAIL
Uses DATABASE_URL, or the embedded store in DATA_DIR (default ./data).
`;

const MESSAGES: Record<string, string> = {
  'email.invalid': 'that is not an e-mail address',
  'email.taken': 'a user with that e-mail already exists',
  'role.invalid': `the role must be one of ${ROLES.join(', ')}`,
  'password.too-short': 'the password must have at least 12 characters',
  'password.too-long': 'the password must have at most 256 characters',
  'user.missing': 'no user with that e-mail',
};

async function firstLine(stdin: AsyncIterable<string | Buffer>): Promise<string> {
  let buf = '';
  for await (const chunk of stdin) {
    buf += String(chunk);
    const nl = buf.indexOf('\n');
    if (nl >= 0) return buf.slice(0, nl).replace(/\r$/, '');
  }
  return buf;
}

export async function usersCommand(args: string[], io: UsersIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { role: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  } catch (err) {
    io.stderr.write(`users: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  const [sub, email, ...extra] = parsed.positionals;
  if (parsed.values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const needsEmail = sub === 'add' || sub === 'disable';
  if (!sub || !['add', 'list', 'disable'].includes(sub) || (needsEmail && !email) || extra.length > 0 || (sub === 'list' && email) || (sub === 'add' && !parsed.values.role)) {
    io.stderr.write(USAGE);
    return 2;
  }
  const password = sub === 'add' ? await firstLine(io.stdin) : '';
  const databaseUrl = env.DATABASE_URL || undefined;
  const store = await openStore(databaseUrl ? { databaseUrl } : { dataDir: env.DATA_DIR || './data' });
  try {
    await store.migrate();
    const accounts = createAccounts(store.sql);
    if (sub === 'list') {
      for (const u of await accounts.listUsers()) io.stdout.write(`${u.email}\t${u.role}\t${u.name}\t${u.disabled ? 'disabled' : 'active'}\n`);
      return 0;
    }
    const r = sub === 'add' ? await accounts.addUser({ email: email as string, role: parsed.values.role as string, password, ...(parsed.values.name ? { name: parsed.values.name } : {}) }) : await accounts.disableUser(email as string);
    if (!r.ok) {
      io.stderr.write(`users ${sub}: ${MESSAGES[r.code] ?? r.code}\n`);
      return 1;
    }
    await accounts.audit({ action: sub === 'add' ? 'user.added' : 'user.disabled', data: { userId: r.value.id, via: 'cli' } });
    io.stdout.write(sub === 'add' ? `added ${r.value.email} (${r.value.role})\n` : `disabled ${r.value.email}; their sessions are ended\n`);
    return 0;
  } finally {
    await store.close();
  }
}
