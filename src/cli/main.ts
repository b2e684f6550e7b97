/** `bin/llavero`: sub-commands (chat, verify, migrate, teams-package, users) over one composition of the bot. */
import { parseArgs } from 'node:util';
import { runChat } from '../adapters/cli/chat.ts';
import { createBot } from '../bot.ts';
import { createCertificateChecker } from '../certs/pool.ts';
import type { Locale } from '../conversation/messages.ts';
import { loadResources } from '../i18n/resources.ts';
import { createTranslator } from '../i18n/translator.ts';
import { migrateCommand } from './migrate.ts';
import { teamsPackageCommand } from './teams-package.ts';
import { usersCommand } from './users.ts';
import { verifyCommand } from './verify.ts';

const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

const envLocale = (): Locale => ((process.env.LANG ?? '').startsWith('en') ? 'en' : 'es');

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'chat': {
      const { values } = parseArgs({
        args: rest,
        options: { jsonl: { type: 'boolean', default: false }, locale: { type: 'string' } },
        strict: true,
      });
      const locale: Locale = values.locale === 'en' || values.locale === 'es' ? values.locale : envLocale();
      const maxFileBytes = 64 * 1024;
      const checker = createCertificateChecker({ maxBytes: maxFileBytes });
      const bot = createBot({ maxFileBytes, verify: checker.verify });
      try {
        return await runChat(bot, { jsonl: values.jsonl ?? false, locale, maxFileBytes }, io);
      } finally {
        await checker.close();
      }
    }
    case 'verify':
      return verifyCommand(rest, io, createTranslator(loadResources()).t);
    case 'migrate':
      return migrateCommand(rest, io);
    case 'teams-package':
      return teamsPackageCommand(rest, io);
    case 'users':
      return usersCommand(rest, io);
    default: {
      const t = createTranslator(loadResources()).t;
      process.stderr.write(`${t('cli:usage', envLocale())}\n`);
      return command === undefined || command === '--help' ? 0 : 2;
    }
  }
}

// A closed pipe (`llavero chat --jsonl | head`) ends the program quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 2;
  },
);
