/** `llavero verify FILE`: checks a .p12/.pfx in-process and prints a localised report (or JSON); exit 0 ok/warning, 1 fail, 2 usage. */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { inspect } from '../certs/inspect.ts';
import type { CertReport, Check, Country, InspectOptions } from '../certs/report.ts';

type Locale = 'es' | 'en';
/** Narrower params than Record<string, unknown> on purpose: the app's Translate takes string/number values, and so it fits here. */
type T = (key: string, locale: Locale, params?: Record<string, string | number>) => string;
interface IO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Same cap the pool and the chat use; the file is read only up to one byte past it. */
const MAX_BYTES = 64 * 1024;

const EXIT_OK = 0;
const EXIT_FAIL = 1;
const EXIT_USAGE = 2;

const STATUS_MARK: Record<Check['status'], string> = { pass: '✓', warn: '!', fail: '✗', skip: '-' };

type UsageError = { code: 'missing-file' | 'extra-args' | 'pin-conflict' | 'bad-at' | 'bad-country' | 'bad-locale' | 'bad-args'; value?: string };

interface Parsed {
  file: string;
  pin: { from: 'arg'; value: string } | { from: 'stdin' } | { from: 'none' };
  options: InspectOptions;
  json: boolean;
  locale: Locale;
}

const envLocale = (): Locale => ((process.env.LANG ?? '').startsWith('en') ? 'en' : 'es');

function parse(args: string[]): { ok: true; value: Parsed } | { ok: false; error: UsageError; locale: Locale } {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        'pin-stdin': { type: 'boolean' },
        pin: { type: 'string' },
        'expect-id': { type: 'string' },
        country: { type: 'string' },
        at: { type: 'string' },
        json: { type: 'boolean' },
        locale: { type: 'string' },
      },
    }));
  } catch (err) {
    // parseArgs' messages name the offending option, never its value, so they are safe to show even for --pin.
    const reason = err instanceof Error ? err.message : '';
    return { ok: false, error: { code: 'bad-args', value: reason }, locale: envLocale() };
  }
  const rawLocale = values.locale;
  const locale: Locale = rawLocale === 'es' || rawLocale === 'en' ? rawLocale : envLocale();
  const fail = (code: UsageError['code'], value?: string) => ({ ok: false as const, error: { code, ...(value !== undefined ? { value } : {}) }, locale });

  if (rawLocale !== undefined && rawLocale !== 'es' && rawLocale !== 'en') return fail('bad-locale', String(rawLocale));
  const [file, ...extra] = positionals;
  if (file === undefined || file === '') return fail('missing-file');
  // Extra words are not echoed: a PIN typed without --pin would land there.
  if (extra.length > 0) return fail('extra-args');
  if (values.pin !== undefined && values['pin-stdin'] === true) return fail('pin-conflict');

  const options: InspectOptions = { fileName: basename(file), maxBytes: MAX_BYTES };
  const country = values.country;
  if (country !== undefined) {
    const c = String(country).toUpperCase();
    if (c !== 'CL' && c !== 'CR') return fail('bad-country', String(country));
    options.country = c as Country;
  }
  const at = values.at;
  if (at !== undefined) {
    // Only ISO-8601 dates/date-times: Date.parse alone would also take "June 1" and locale-dependent forms.
    const s = String(at);
    const d = new Date(s);
    if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) || Number.isNaN(d.getTime())) {
      return fail('bad-at', s);
    }
    options.now = d;
  }
  const expectId = values['expect-id'];
  if (typeof expectId === 'string' && expectId.trim() !== '') options.expectedId = expectId;

  const pin: Parsed['pin'] =
    typeof values.pin === 'string' ? { from: 'arg', value: values.pin } : values['pin-stdin'] === true ? { from: 'stdin' } : { from: 'none' };
  return { ok: true, value: { file, pin, options, json: values.json === true, locale } };
}

/** Reads at most `max + 1` bytes: enough for inspect() to say "too large" without loading a huge file. */
async function readCapped(path: string, max: number): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; reason: string }> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = new Uint8Array(max + 1);
      let filled = 0;
      while (filled < buf.length) {
        const { bytesRead } = await fh.read(buf, filled, buf.length - filled, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return { ok: true, bytes: buf.subarray(0, filled) };
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: code ?? (err instanceof Error ? err.message : 'error') };
  }
}

/** First line of stdin, without its line ending; '' when stdin is empty. */
async function firstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  const rl = createInterface({ input: stdin, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}

const messageOf = (check: Check, t: T, locale: Locale): string =>
  t(`certs:${check.messageKey.replace(/^certs:/, '')}`, locale, check.params);

function toJson(report: CertReport, t: T, locale: Locale): unknown {
  return {
    verdict: report.verdict,
    checks: report.checks.map((c) => ({ id: c.id, status: c.status, code: c.code, message: messageOf(c, t, locale) })),
    holder: report.holder ?? null,
    certificate: report.certificate ?? null,
    environment: report.environment,
  };
}

function toText(file: string, report: CertReport, t: T, locale: Locale): string {
  const l = (key: string, params?: Record<string, string | number>) => t(`cli:verify.${key}`, locale, params);
  const lines = [`${l('label.file')}: ${file}`, `${l('label.verdict')}: ${t(`certs:verdict.${report.verdict}`, locale)}`, ''];
  for (const c of report.checks) lines.push(`  ${STATUS_MARK[c.status]} ${messageOf(c, t, locale)}`);
  lines.push('');
  const h = report.holder;
  if (h && (h.name || h.id)) {
    const id = h.id ? `${h.idType ? `${h.idType.toUpperCase()} ` : ''}${h.id}` : '';
    lines.push(`${l('label.holder')}: ${[h.name, id].filter(Boolean).join(' · ')}${h.country ? ` (${h.country})` : ''}`);
  }
  const c = report.certificate;
  if (c) {
    lines.push(`${l('label.issuer')}: ${c.issuer}`);
    lines.push(`${l('label.validity')}: ${c.notBefore.slice(0, 10)} → ${c.notAfter.slice(0, 10)}`);
    lines.push(`${l('label.serial')}: ${c.serial}`);
    lines.push(`${l('label.fingerprint')}: ${c.fingerprintSha256}`);
  }
  lines.push(`${l('label.environment')}: ${l(`environment.${report.environment}`)}`);
  return `${lines.join('\n')}\n`;
}

export async function verifyCommand(args: string[], io: IO, t: T): Promise<number> {
  const parsed = parse(args);
  if (!parsed.ok) {
    const { error, locale } = parsed;
    io.stderr.write(`${t(`cli:verify.error.${error.code}`, locale, { value: error.value ?? '' })}\n${t('cli:verify.usage', locale)}\n`);
    return EXIT_USAGE;
  }
  const { file, pin, options, json, locale } = parsed.value;

  const read = await readCapped(file, options.maxBytes ?? MAX_BYTES);
  if (!read.ok) {
    io.stderr.write(`${t('cli:verify.error.unreadable', locale, { file, reason: read.reason })}\n`);
    return EXIT_USAGE;
  }
  const secret = pin.from === 'arg' ? pin.value : pin.from === 'stdin' ? await firstLine(io.stdin) : '';
  // --at pins the clock; otherwise "now" is the real clock, decided here at the edge.
  const report = inspect(read.bytes, secret, { ...options, now: options.now ?? new Date() });

  io.stdout.write(json ? `${JSON.stringify(toJson(report, t, locale), null, 2)}\n` : toText(file, report, t, locale));
  return report.verdict === 'fail' ? EXIT_FAIL : EXIT_OK;
}
