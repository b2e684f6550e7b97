/** Secret redaction for transcripts and logs: PINs and passwords become `••••` before anything is written. */

export const MASK = '••••';

// A PIN or password mentioned in passing: "mi pin es 1234", "password: hunter2", "clave 4821".
const WORD = String.raw`\b(pin|clave|contrase(?:ñ|n)a|password|passphrase|passcode)`;
const STATED = new RegExp(`${WORD}(\\s*(?::|=|\\bes\\b|\\bis\\b|\\bera\\b|\\bwas\\b)\\s*)(\\S+)`, 'giu');
const WITH_DIGITS = new RegExp(`${WORD}(\\s+)(\\S*\\d\\S*)`, 'giu');
// A message that is nothing but 4–8 digits is, here, almost always a PIN.
const BARE_PIN = /^\s*\d{4,8}\s*$/u;

/** Redact what a customer typed. `expectsSecret`: the step was asking for a PIN, so the whole text is one. */
export function redactText(text: string, expectsSecret = false): string {
  if (expectsSecret || BARE_PIN.test(text)) return MASK;
  const mask = (_m: string, word: string, sep: string) => `${word}${sep}${MASK}`;
  return text.replace(STATED, mask).replace(WITH_DIGITS, mask);
}

/** Did the customer type something that looks like a secret in plain view? */
export const looksSecret = (text: string): boolean => redactText(text) !== text;
