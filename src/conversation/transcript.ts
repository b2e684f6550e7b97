/** The customer's message as the transcript keeps it: PINs masked (typed or in a PIN field), files by name, buttons by label. */
import type { TranscriptEntry } from './contract.ts';
import type { Inbound } from './messages.ts';
import { MASK, redactText } from './redact.ts';
import { SEP, choicesOf, type Turn } from './turn.ts';
import { commandInSecret } from './typed-commands.ts';

/** `t`: the turn at the step the message arrived at (absent: the step is unknown, so typed text is read as a possible PIN). */
export function transcriptOf(inbound: Inbound, t: Turn | undefined, lexicon: Turn['cfg']['lexicon']): TranscriptEntry {
  const cur = t?.step;
  switch (inbound.type) {
    case 'text':
      return { type: 'text', text: redactText(inbound.text, t ? cur?.step.expects === 'secret' : true) };
    case 'secret': {
      // A command typed in the PIN field is shown as that command, never as what was typed.
      const cmd = commandInSecret(inbound.text, lexicon);
      return cmd ? { type: 'command', command: cmd.command } : { type: 'secret', text: MASK };
    }
    case 'file':
      return { type: 'file', name: inbound.name, size: inbound.bytes.byteLength };
    case 'file-refused':
      return { type: 'file-refused', name: inbound.name, reason: inbound.reason };
    case 'choice': {
      const bare = inbound.id.split(SEP).at(-1);
      const label = cur && t ? choicesOf(cur.step, t.snap.context).find((c) => c.id === bare)?.label : undefined;
      return label ? { type: 'choice', id: inbound.id, label } : { type: 'choice', id: inbound.id };
    }
    case 'command':
      return { type: 'command', command: inbound.command };
  }
}
