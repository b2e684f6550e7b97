/**
 * Commands found in what the customer typed: the whole message ("ayuda"), or one clause of a
 * message that also carries a PIN ("quiero hablar con una persona, mi pin es 6620"), and what was
 * typed in a PIN field that cannot be a PIN ("hablar con una persona", "menú").
 */
import type { CommandMessage } from './commands.ts';
import { looksSecret } from './redact.ts';
import { matchCommand, type Lexicon } from './understand.ts';

/** Where a message splits into clauses: punctuation, and "and"/"but" between words. */
const CLAUSES = /[,.;:!?¡¿\n]+|\s+(?:y|and|pero|but)\s+/iu;

/** A command in typed text: the whole message, else (only when it carries a secret) a clause of it without the secret. */
export function commandIn(text: string, lex: Lexicon): CommandMessage | undefined {
  const whole = matchCommand(text, lex);
  if (whole) return whole;
  if (!looksSecret(text)) return undefined;
  for (const clause of text.split(CLAUSES)) {
    if (clause.trim() === '' || looksSecret(clause)) continue;
    const found = matchCommand(clause, lex);
    if (found) return found;
  }
  return undefined;
}

/**
 * What was typed in a masked PIN field, read as a command when it cannot be a PIN or a password:
 * a recognised command that is several words, or has no digit (PINs are digits; a certificate
 * password that is exactly "ayuda" or "menú" is not worth a customer's locked check).
 */
export function commandInSecret(text: string, lex: Lexicon): CommandMessage | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const found = commandIn(trimmed, lex);
  if (!found) return undefined;
  return /\s/u.test(trimmed) || !/\d/u.test(trimmed) ? found : undefined;
}
