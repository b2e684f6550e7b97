/** `llavero chat`: the terminal channel, interactive (numbered choices, hidden PIN) or JSONL for scripts and tests. */
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Bot } from '../../bot.ts';
import { whereIs } from '../../conversation/engine.ts';
import { createFileHolds } from '../../conversation/file-hold.ts';
import type { Inbound, Locale } from '../../conversation/messages.ts';
import type { Rendered } from '../../conversation/render.ts';
import type { ConversationState } from '../../conversation/state.ts';
import { formatLine, parseLine, type JsonlInput } from './jsonl.ts';

export interface ChatIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  now?: () => number;
}

export interface ChatOptions {
  jsonl: boolean;
  locale: Locale;
  maxFileBytes: number;
}

/** Read at most `max + 1` bytes: enough for the engine to say "too large" without loading 50 MB. */
async function readCapped(path: string, max: number): Promise<Uint8Array | undefined> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(max + 1);
      const { bytesRead } = await fh.read(buf, 0, max + 1, 0);
      return new Uint8Array(buf.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

export async function runChat(bot: Bot, options: ChatOptions, io: ChatIO): Promise<number> {
  const now = io.now ?? Date.now;
  const holds = createFileHolds({ now });
  const hold = holds.forConversation('cli');
  let state: ConversationState | undefined;
  let pending: Rendered[] = [];

  const t = (key: string) => bot.translator.t(key, state?.locale ?? options.locale);

  async function send(inbound: Inbound): Promise<void> {
    const r = await bot.engine.turn(state, inbound, { now: now(), locale: options.locale, hold });
    state = r.state;
    pending = bot.render(r.outbound, state.locale);
  }

  async function toInbound(input: JsonlInput): Promise<Inbound | undefined> {
    if (input.type !== 'file') return input;
    const bytes = await readCapped(input.path, options.maxFileBytes);
    if (!bytes) {
      io.stderr.write(`${t('cli:file-unreadable')} ${input.path}\n`);
      return undefined;
    }
    return { type: 'file', name: input.name, bytes };
  }

  await send({ type: 'command', command: 'start' });

  if (options.jsonl) {
    const emit = () => {
      for (const m of pending) io.stdout.write(`${formatLine(m)}\n`);
      const s = state as ConversationState;
      const w = whereIs(s);
      io.stdout.write(`${formatLine({ type: 'turn-end', flow: w.flow, state: w.step, done: s.status === 'ended' })}\n`);
    };
    emit();
    const rl = createInterface({ input: io.stdin, crlfDelay: Infinity });
    for await (const line of rl) {
      if (line.trim() === '') continue;
      const parsed = parseLine(line);
      if (!parsed.ok) {
        io.stderr.write(`${JSON.stringify({ type: 'error', code: parsed.code })}\n`);
        continue;
      }
      const inbound = await toInbound(parsed.input);
      if (!inbound) continue;
      await send(inbound);
      emit();
    }
    return 0;
  }

  // Interactive: a muted output stream hides what is typed at a PIN prompt.
  let muted = false;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) io.stdout.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: io.stdin, output: out, terminal: Boolean((io.stdin as { isTTY?: boolean }).isTTY) });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (prompt: string, hidden = false): Promise<string | undefined> => {
    io.stdout.write(prompt);
    muted = hidden;
    const next = await lines.next();
    muted = false;
    if (hidden) io.stdout.write('\n');
    return next.done ? undefined : (next.value as string);
  };

  for (;;) {
    let options: Array<{ id: string; label: string }> = [];
    let mode: 'text' | 'file' | 'secret' = 'text';
    for (const m of pending) {
      io.stdout.write(`\n${m.text}\n`);
      if (m.type === 'choices') {
        options = m.options;
        m.options.forEach((o, i) => io.stdout.write(`  ${i + 1}) ${o.label}\n`));
      }
      if (m.type === 'report') for (const c of m.checks) if (c.status !== 'pass' && c.status !== 'skip') io.stdout.write(`  - ${c.message}\n`);
      if (m.type === 'request-file') mode = 'file';
      if (m.type === 'request-secret') mode = 'secret';
    }
    if (state?.status === 'ended') return 0;
    const line = await ask(mode === 'secret' ? `${t('cli:prompt.secret')} ` : mode === 'file' ? `${t('cli:prompt.file')} ` : '> ', mode === 'secret');
    if (line === undefined) return 0;
    const n = Number(line.trim());
    let inbound: Inbound | undefined;
    if (mode === 'secret') inbound = { type: 'secret', text: line };
    else if (Number.isInteger(n) && n >= 1 && n <= options.length) inbound = { type: 'choice', id: (options[n - 1] as { id: string }).id };
    else if (mode === 'file' && /\.(p12|pfx)\s*$/i.test(line)) {
      const path = line.trim();
      inbound = await toInbound({ type: 'file', path, name: path.split(/[\\/]/).pop() ?? path });
    } else inbound = { type: 'text', text: line };
    if (inbound) await send(inbound);
  }
}
