/**
 * Secret redaction for transcripts and logs: PINs and passwords become `••••` before anything is
 * written, however the customer phrased them; the rest of the sentence stays readable for the agent.
 *
 * How it reads a message: the text is cut into tokens (words, numbers, punctuation) and clauses. A
 * clause ends at `. ! ? ;`, a line break, or "y/e/and/o/or/pero/but/aunque" when a new subject
 * starts ("y mi rut…", "but the invoice…"); "1234 y 4321" and "pero ninguno es el pin" stay one
 * clause. Then, for every secret keyword — pin, nip, clave, contraseña (and typos: contrasena,
 * contrasenia), password (passwd, pwd, pasword), passphrase, passcode, "código de la llave / del
 * certificado / de acceso", "frase de paso", and "pass" after "my/mi/the" or before "is/es/:" —
 * four rules mask spans:
 *
 *  1. Stated: keyword, up to six words ("mi PIN nuevo", "the pin for the p12"), then `es is era was
 *     : =`, then the value. A number, spaced digits or password-looking token is masked; otherwise
 *     the words up to the next comma or conjunction are ("password: correct horse" → both), unless
 *     they only describe it ("es incorrecta", "is not working", "es la misma de antes", "es que…",
 *     "is being rejected by…") or the keyword names a problem ("PIN olvidado: necesito ayuda").
 *  2. Adjacent: a number or password-looking token right after the keyword ("clave 4821", "pin 4 4 7 1").
 *  3. Near: in the keyword's clause, in any order and at any distance ("4471 es mi pin", "usé 4821
 *     como pin"), a number of 4–8 digits, spaced or dashed digits totalling 4–8 ("4 4 7 1", "4-4-7-1"),
 *     or a password-looking token (letters with digits, or mixed case with symbols: "Hola2024!").
 *  4. Bare: a message that is nothing but such a number, or a strong password-looking token
 *     ("Perro.2024": digits and two more kinds of character), when the step makes one plausible
 *     (the default; `bareNumberIsSecret: false` turns it off).
 *
 * What agents need and is not a secret is never taken by rules 2–4: RUTs (76.354.771-K, 12345678-9),
 * cédulas (1-0054-1023, 3-101-123456, ten-digit numbers), dates, times, amounts ($45.000, ₡15 000,
 * "45000 pesos"), phones (+506…, 8888-7777), e-mail addresses, URLs, file names (certificado.p12),
 * "p12"/"PKCS#12", counts ("4 dígitos", "3 veces"), years after "en/desde/del año", and any number
 * named by a label before it ("factura 4821", "folio: 123456", "mi teléfono es 8888 7777") or after
 * it ("4821 es mi factura"). "clave" as in "palabra clave", "clave pública", "clave numérica" (an
 * invoice's 50-digit key) is not a keyword; after "recuperar/olvidé/reset" it names the procedure,
 * so only rules 2–3 apply ("quiero recuperar mi clave" stays readable). Rule 1 wins over the
 * exceptions: what follows "mi contraseña es" is masked even when it looks like a date.
 *
 * Known limits: a PIN of 9+ digits is caught by rules 1–2 only; a multi-word passphrase only after
 * a keyword and `es/is/:`; a password with no keyword in its sentence is not recognised unless it is
 * the whole message; when unsure, a word too many is masked rather than a secret too few.
 */

export const MASK = '••••';

/** How to read a message. `expectsSecret`: the step asks for a PIN, so the whole text is one. */
export interface RedactOptions {
  expectsSecret?: boolean;
  /** A message that is only a 4–8 digit number (or a strong password-looking token) is a secret. Default true. */
  bareNumberIsSecret?: boolean;
}

interface Token {
  text: string;
  /** Lower case, accents stripped: what word lists are matched against. */
  norm: string;
  start: number;
  end: number;
  punct: boolean;
}

export interface Span {
  start: number;
  end: number;
}

type Kind = 'digits' | 'spaced' | 'password' | 'word';

/** A value a rule may mask: one token, or a run of spaced digits ("4 4 7 1"). */
interface Candidate {
  first: number;
  last: number;
  kind: Kind;
  digits: number;
  /** A format or label says this is not a secret (RUT, invoice number, amount…). */
  guarded: boolean;
  /** Has a digit, or looks like a password: enough right after a keyword. */
  weak: boolean;
}

const words = (s: string): Set<string> => new Set(s.split(/\s+/u).filter(Boolean));
const fold = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

const PASSWORD_WORD = /^(?:pass?w(?:or|ro|ow)r?d|passwd|pwd|passphrase|passcode|cons?tra[scz]e(?:n|ni|nh)as?|contrasna|pins?|nip|claves?)$/u;
const CODE_QUALIFIER = words('llave certificado acceso seguridad verificacion activacion firma pin secreto');
const CODE_PREFIX = words('security access verification secret pin key');
const CLAVE_NOT_SECRET_NEXT = words('publica public numerica numerico');
const CLAVE_NOT_SECRET_PREV = words('palabra punto paso tema dato pieza factor elemento momento idea pregunta');
const DOCUMENT = words('factura comprobante documento nota');
const TOPIC = words(
  'recuperar recupero recuperacion recupere restablecer resetear reset recover recovery forgot forgotten olvide olvidado ' +
    'olvidada perdi perdido perdida lost bloqueado bloqueada blocked locked vencido vencida expired problema problem ayuda help',
);
const POSSESSIVE = words('my mi your tu the el la su his her our nuestra nuestro');
const SEPARATOR = words("es is 's era was sera seria queda quedo : =");
const ARTICLE = words('el la los las un una lo the a an');
const NOT_A_VALUE = words('no not nunca never que that cuando when porque because si if como how donde where');
const FUNCTION = words(
  'el la los las un una lo de del al a en con sin por para que y o ni mi mis tu su sus me se te le mas muy tan ' +
    'the a an of to in on for with as and or my your its it this that than so too very same antes before ahora now ' +
    'segun since desde hasta until cuando when then siempre always ayer hoy yesterday today soon again anymore pronto ya',
);
const DESCRIPTOR = words(
  'mismo misma igual nuevo nueva viejo vieja anterior antiguo antigua actual correcto correcta incorrecto incorrecta ' +
    'invalido invalida erroneo erronea valido valida malo mala mal bien largo larga corto corta secreto secreta ' +
    'obligatorio obligatoria distinto distinta diferente otro otra este esta ese esa eso esto cual numerico numerica ' +
    'digitos digito numeros letras caracteres mayusculas minusculas simbolos bloqueado bloqueada vencido vencida ' +
    'caducado caducada expirado expirada demasiado facil dificil seguro segura debil ' +
    'new old wrong incorrect invalid correct right long short required different another other numeric digits ' +
    'characters letters numbers expired locked blocked case sensitive weak strong easy secure same',
);
const LABEL = words(
  'factura facturas folio folios boleta boletas nota credito debito documento doc dte comprobante consecutivo ' +
    'invoice invoices bill receipt recibo orden order pedido ticket caso case solicitud request tramite ' +
    'rut run ruc cedula dimex nite pasaporte passport id identificacion telefono tel fono celular cel movil ' +
    'phone mobile whatsapp monto total amount precio price pago payment valor saldo cuota error resolucion ' +
    'linea line version pagina page contrato contract cliente customer cuenta account referencia reference ref ' +
    'postal zip actividad ano anio year fecha date oficina sucursal llamame llamar llame llamen contactar contactame wsp call text',
);
const LABEL_SKIP = words('n° nº no no. nro nro. num num. numero number # : de del la el mi my the es is su of con with al a me at on');
const YEAR_LEAD = words('en in desde since hasta until del de año ano anio year antes before');
const UNIT = words(
  'digitos digito digits digit caracteres characters letras letters numeros numbers veces vez times time intentos ' +
    'intento attempts tries dias days horas hours minutos minutes min segundos seconds meses months anos years ' +
    'semanas weeks pesos colones clp crc usd dolares dollars euros mil lucas millones k mb kb gb % empresas ' +
    'certificados facturas archivos files usuarios users',
);
const SUBJECT = words('mi mis el la los las su sus tu tus yo este esta ese esa nuestro nuestra my the i his her our your their this that it we he she');
const CONJUNCTION = words('y e and o or');
const BUT = words('pero but aunque although though sino however');

const NOT_SECRET_FORMAT = [
  /^\d{1,2}(?:\.\d{3}){2}-[\dkK]$/u, // RUT with dots
  /^\d{7,8}-[\dkK]$/u, // RUT without dots
  /^\d-\d{4}-\d{4}$/u, // cédula física
  /^\d-\d{3}-\d{6}$/u, // cédula jurídica
  /^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$/u, // 12/03/2025
  /^\d{4}-\d{2}-\d{2}$/u, // 2025-03-12
  /^\d{1,2}[:h]\d{2}(?:hrs?)?$/iu, // 10:30
  /^(?:US)?[$₡€£]/u, // $45.000, ₡15
  /^\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?$/u, // 1.250.000
  /^\+\d/u, // +506…
  /^\d{4}-\d{4}$/u, // 8888-7777
  /%$/u,
  /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/iu, // e-mail
  /^(?:https?:\/\/|www\.)/iu,
  /\.(?:p12|pfx|pem|cer|crt|key|zip|pdf|xml|png|jpe?g|docx?|xlsx?|csv|txt)$/iu, // file names
  /^(?:\.?p12|pfx|pkcs#?12|x\.?509|sha-?\d+|md5|utf-?8|2fa|win(?:dows)?\d+|ios\d*|android\d*|v\d+(?:\.\d+)*|covid-?19)$/iu,
  /^\d+(?:ro|do|ra|er|to|ta|vo|va|no|st|nd|rd|th|°|º|am|pm|hrs?|h|mb|kb|gb|k|mil)$/iu, // 1ro, 3pm, 10mb, 45k
];

const LEAD = /^[¿¡("'«“‘[{]+/u;
const TRAIL = /[.,;:!?)"'»”’\]}]+$/u;
const HARD_BREAK = new Set(['.', '!', '?', ';']);

/** Words and punctuation with their offsets; "pin:4471" splits at the colon. */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const push = (t: string, start: number, punct: boolean) => out.push({ text: t, norm: fold(t), start, end: start + t.length, punct });
  const puncts = (s: string, at: number) => [...s].forEach((c, i) => push(c, at + i, true));
  for (const m of text.matchAll(/\S+/gu)) {
    const chunk = m[0];
    const lead = LEAD.exec(chunk)?.[0] ?? '';
    const rest = chunk.slice(lead.length);
    const trail = TRAIL.exec(rest)?.[0] ?? '';
    const core = rest.slice(0, rest.length - trail.length);
    const at = m.index + lead.length;
    puncts(lead, m.index);
    // "pin:4471", "password=x", "PIN's 4471": the keyword apart from what is stuck to it.
    const split = /^(\p{L}+)(?:([:=])(.+)|(['’]s))$/u.exec(core);
    if (split?.[1] && isKeywordWord(fold(split[1]))) {
      push(split[1], at, false);
      if (split[2] && split[3]) push(split[2], at + split[1].length, true);
      if (split[2] && split[3]) push(split[3], at + split[1].length + 1, false);
      if (split[4]) push(split[4], at + split[1].length, false);
    } else if (core) push(core, at, false);
    puncts(trail, at + core.length);
  }
  return out;
}

const isKeywordWord = (n: string): boolean => PASSWORD_WORD.test(n) || n === 'pass';

/** Clause number of every token: a keyword reaches only the values in its own clause. */
function clauses(text: string, tokens: Token[]): number[] {
  let clause = 0;
  return tokens.map((t, i) => {
    const prev = tokens[i - 1];
    if (prev && text.slice(prev.end, t.start).includes('\n')) clause++;
    if (breaksClause(tokens, i)) clause++;
    return clause;
  });
}

function breaksClause(tokens: Token[], i: number): boolean {
  const t = tokens[i];
  if (!t) return false;
  if (t.punct) return HARD_BREAK.has(t.text);
  // "y mi rut…", "pero el folio…": a new subject; "1234 y 4321", "pero ninguno es el pin" stay one clause.
  const next = tokens[i + 1];
  return (CONJUNCTION.has(t.norm) || BUT.has(t.norm)) && next !== undefined && !next.punct && SUBJECT.has(next.norm);
}

const digitCount = (s: string): number => s.replace(/\D/gu, '').length;
const isSmallNumber = (t: Token | undefined): t is Token => t !== undefined && !t.punct && /^\d{1,2}$/u.test(t.text);

/** Letters with digits ("hunter2", "Perro.2024"), or mixed case with symbols ("xK#mq!"). */
function looksLikePassword(s: string): boolean {
  if ([...s].length < 5 || !/\p{L}/u.test(s)) return false;
  if (/\d/u.test(s)) return true;
  return /[^\p{L}\p{N}'’.-]/u.test(s) && /\p{Lu}/u.test(s) && /\p{Ll}/u.test(s);
}

/** Strong enough to be a password on its own, with nothing around it: digits and three kinds of character. */
function strongPassword(s: string): boolean {
  if ([...s].length < 6 || /[:/@{}"]/u.test(s) || !/\d/u.test(s)) return false;
  return [/\p{Ll}/u, /\p{Lu}/u, /[^\p{L}\p{N}._-]/u].filter((re) => re.test(s)).length >= 2;
}

function kindOf(s: string): Kind {
  if (/^\d+$/u.test(s)) return 'digits';
  if (/^\d{1,2}(?:[-.]\d{1,2}){3,}$/u.test(s)) return 'spaced';
  if (looksLikePassword(s)) return 'password';
  return /\d/u.test(s) ? 'digits' : 'word';
}

/** Every token's candidate value; the tokens of a spaced-digit run share one. */
function candidates(tokens: Token[]): Array<Candidate | undefined> {
  const out: Array<Candidate | undefined> = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.punct) {
      out.push(undefined);
      continue;
    }
    let last = i;
    while (isSmallNumber(tokens[i]) && isSmallNumber(tokens[last + 1])) last++;
    const run = tokens.slice(i, last + 1).map((x) => x.text).join('');
    const spaced = last > i && run.length >= 4;
    const c: Candidate = { first: i, last: spaced ? last : i, kind: spaced ? 'spaced' : kindOf(t.text), digits: digitCount(spaced ? run : t.text), guarded: false, weak: false };
    c.guarded = c.kind !== 'word' && guarded(tokens, c, out[i - 1]);
    c.weak = c.kind !== 'word' && !c.guarded;
    for (let j = i; j <= c.last; j++) out.push(c);
    i = c.last;
  }
  return out;
}

/** Does a format or a nearby word say this value is not a secret (RUT, invoice number, amount, count…)? */
function guarded(tokens: Token[], c: Candidate, before: Candidate | undefined): boolean {
  const text = (tokens[c.first] as Token).text;
  if (c.first === c.last && NOT_SECRET_FORMAT.some((re) => re.test(text))) return true;
  // "teléfono 8888 7777", "₡15 000": the rest of a guarded number.
  if (before?.guarded && before.kind !== 'word' && before.last === c.first - 1) return true;
  return labelledBefore(tokens, c) || labelledAfter(tokens, c);
}

/** "factura 4821", "folio: 123456", "mi RUT es 12345678", "desde 2019". */
function labelledBefore(tokens: Token[], c: Candidate): boolean {
  const prev = tokens[c.first - 1];
  const text = (tokens[c.first] as Token).text;
  if (prev && /^(?:19|20)\d{2}$/u.test(text) && YEAR_LEAD.has(prev.norm)) return true;
  for (let j = c.first - 1, skipped = 0; j >= 0 && skipped <= 3; j--, skipped++) {
    const t = tokens[j] as Token;
    if (LABEL.has(t.norm)) return true;
    if (!LABEL_SKIP.has(t.norm)) return false;
  }
  return false;
}

/** "4 dígitos", "45000 pesos", "3 veces", "4821 es mi factura". */
function labelledAfter(tokens: Token[], c: Candidate): boolean {
  const next = tokens[c.last + 1];
  if (!next || next.punct) return false;
  if (UNIT.has(next.norm)) return true;
  if (!SEPARATOR.has(next.norm)) return false;
  const after = tokens.slice(c.last + 2, c.last + 4).map((t) => t.norm);
  const noun = after[0] !== undefined && POSSESSIVE.has(after[0]) ? after[1] : after[0];
  return noun !== undefined && LABEL.has(noun);
}

interface Keyword {
  first: number;
  last: number;
  /** Names the procedure or the problem ("recuperar mi clave") rather than giving a value. */
  topic: boolean;
}

const wordAt = (tokens: Token[], i: number): string | undefined => {
  const t = tokens[i];
  return t && !t.punct ? t.norm : undefined;
};
const has = (set: Set<string>, w: string | undefined): boolean => w !== undefined && set.has(w);

/** The keyword starting at token `i`, if there is one: its last token. */
function keywordEnd(tokens: Token[], i: number): number | undefined {
  const w = wordAt(tokens, i);
  const next = (k: number) => wordAt(tokens, i + k);
  if (w === undefined) return undefined;
  if (w === 'clave' || w === 'claves') return claveIsSecret(tokens, i) ? i : undefined;
  if (PASSWORD_WORD.test(w)) return i;
  if (w === 'pass') return has(POSSESSIVE, wordAt(tokens, i - 1)) || next(1) === 'phrase' || has(SEPARATOR, tokens[i + 1]?.norm) ? i : undefined;
  if (w === 'code' || w === 'codes') return has(CODE_PREFIX, wordAt(tokens, i - 1)) ? i : undefined;
  if (w === 'frase') return next(1) === 'secreta' || (next(1) === 'de' && (next(2) === 'paso' || next(2) === 'contrasena')) ? i + 1 : undefined;
  if (w !== 'codigo' && w !== 'codigos') return undefined;
  // "código de la llave", "código del certificado", "código secreto"; not "código de error / postal".
  let k = 1;
  if (next(k) === 'de' || next(k) === 'del') k++;
  if (has(ARTICLE, next(k))) k++;
  return has(CODE_QUALIFIER, next(k)) ? i + k : undefined;
}

/** "clave" is a password, except "palabra clave", "clave pública", "clave numérica", "clave de la factura". */
function claveIsSecret(tokens: Token[], i: number): boolean {
  const at = (k: number) => wordAt(tokens, i + k);
  if (has(CLAVE_NOT_SECRET_NEXT, at(1)) || has(CLAVE_NOT_SECRET_PREV, at(-1))) return false;
  if (at(1) !== 'de' && at(1) !== 'del') return true;
  return !(has(DOCUMENT, at(2)) || (has(ARTICLE, at(2)) && has(DOCUMENT, at(3))));
}

function keywords(tokens: Token[]): Keyword[] {
  const out: Keyword[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const last = keywordEnd(tokens, i);
    if (last === undefined) continue;
    const before = [wordAt(tokens, i - 1), wordAt(tokens, i - 2), wordAt(tokens, i - 3)];
    out.push({ first: i, last, topic: before.some((w) => has(TOPIC, w)) });
    i = last;
  }
  return out;
}

interface Reading {
  tokens: Token[];
  cands: Array<Candidate | undefined>;
  clause: number[];
}

/** Where a stated value stops: a clause break, a comma, or a conjunction ("es 4821 y no funciona"). */
function endsValue(r: Reading, i: number): boolean {
  const t = r.tokens[i] as Token;
  if (r.clause[i] !== r.clause[i - 1]) return true;
  return t.punct ? t.text === ',' || HARD_BREAK.has(t.text) : CONJUNCTION.has(t.norm) || BUT.has(t.norm);
}

const spanOf = (r: Reading, first: number, last: number): Span => ({ start: (r.tokens[first] as Token).start, end: (r.tokens[last] as Token).end });

/** After the keyword: a value right there (rule 2), or where the stated value starts (rule 1). */
type Lead = { adjacent: Candidate } | { from: number; strict: boolean; topic: boolean };

function leadOf(r: Reading, k: Keyword): Lead | undefined {
  let j = k.last + 1;
  let topic = k.topic;
  for (let fillers = 0; ; j++, fillers++) {
    const t = r.tokens[j];
    // Commas may sit in between ("mi contraseña, por si acaso, es…"); a new clause may not.
    if (!t || r.clause[j] !== r.clause[k.first] || fillers > 6) return undefined;
    if (SEPARATOR.has(t.norm)) break;
    const c = r.cands[j];
    if (c?.weak) return fillers === 0 ? { adjacent: c } : undefined;
    // "PIN olvidado: …", "password locked: …" name the problem, not the value.
    topic ||= TOPIC.has(t.norm);
  }
  const strict = (r.tokens[j] as Token).punct;
  while (SEPARATOR.has(r.tokens[j + 1]?.norm ?? '')) j++;
  j++;
  while (j < r.tokens.length && (ARTICLE.has((r.tokens[j] as Token).norm) || LEAD.test((r.tokens[j] as Token).text))) j++;
  return { from: j, strict, topic };
}

/** Rules 1 and 2: the value after "pin es", "password:", "clave 4821". */
function stated(r: Reading, k: Keyword): Span | undefined {
  const lead = leadOf(r, k);
  if (!lead) return undefined;
  if ('adjacent' in lead) return spanOf(r, lead.adjacent.first, lead.adjacent.last);
  const c = r.cands[lead.from];
  if (c && c.kind !== 'word') return spanOf(r, c.first, c.last);
  return lead.topic ? undefined : statedWords(r, lead.from, lead.strict);
}

/** "password: correct horse": the words up to the value's end, unless they only describe it. */
function statedWords(r: Reading, from: number, strict: boolean): Span | undefined {
  let to = from;
  while (to < r.tokens.length && !endsValue(r, to)) to++;
  while (to > from && (r.tokens[to - 1] as Token).punct) to--;
  const items: Item[] = [];
  for (let i = from; i < to; i++) if (!(r.tokens[i] as Token).punct) items.push({ norm: (r.tokens[i] as Token).norm, cand: r.cands[i] });
  if (items.length === 0 || describesOnly(items, strict)) return undefined;
  return spanOf(r, from, to - 1);
}

interface Item {
  norm: string;
  cand: Candidate | undefined;
}

const PARTICIPLE = /(?:ing|ed|ado|ada|ido|ida)$/u;

/**
 * "es incorrecta", "is not working", "es la misma de antes", "es que no tengo el archivo", "es de 4
 * dígitos", "is rejected by Hacienda". After `:` or `=` (`strict`) a value is expected, so only
 * "que…", a label or nothing but plain words stop it.
 */
function describesOnly(items: Item[], strict: boolean): boolean {
  const [w0, w1] = items.map((x) => x.norm);
  if (has(NOT_A_VALUE, w0) || has(LABEL, w0)) return true;
  const plain = (x: Item) => FUNCTION.has(x.norm) || DESCRIPTOR.has(x.norm) || x.cand?.guarded === true;
  if (items.every(plain)) return true;
  if (strict || w0 === undefined) return false;
  if (DESCRIPTOR.has(w0) && (w1 === undefined || FUNCTION.has(w1))) return true;
  // "is being rejected", "es rechazada por Hacienda"; but "is dancing queen" is a passphrase.
  const followsOn = w1 !== undefined && (FUNCTION.has(w1) || PARTICIPLE.test(w1));
  return PARTICIPLE.test(w0) && followsOn && !items.some((x) => x.cand?.weak);
}

/** Rule 3: a value that would be a PIN or password, anywhere in the keyword's clause. */
const nearValue = (c: Candidate | undefined): c is Candidate =>
  c !== undefined && !c.guarded && (c.kind === 'password' || (c.kind !== 'word' && c.digits >= 4 && c.digits <= 8));

function near(r: Reading, k: Keyword): Span[] {
  const out: Span[] = [];
  const clause = r.clause[k.first];
  r.cands.forEach((c, i) => {
    if (nearValue(c) && c.first === i && r.clause[i] === clause) out.push(spanOf(r, c.first, c.last));
  });
  return out;
}

/** Rule 4: the whole message is one number ("4471", "4 4 7 1") or one strong password ("Perro.2024"). */
function bare(r: Reading): boolean {
  const words = r.tokens.map((t, i) => (t.punct ? undefined : r.cands[i])).filter((c) => c !== undefined);
  const c = words[0];
  if (!c || words.some((x) => x !== c) || c.guarded) return false;
  const text = (r.tokens[c.first] as Token).text;
  if (c.kind === 'password') return strongPassword(text);
  return (c.kind === 'spaced' || /^\d+$/u.test(text)) && c.digits >= 4 && c.digits <= 8;
}

/** Mask the spans (merged where only spaces separate them), taking a "!" stuck to a value with it. */
function mask(text: string, spans: Span[]): string {
  const sorted = spans.map((s) => ({ start: s.start, end: s.end + (/^!*/u.exec(text.slice(s.end))?.[0].length ?? 0) })).sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const s of sorted) {
    const prev = merged.at(-1);
    if (prev && text.slice(prev.end, s.start).trim() === '' && s.start >= prev.start) prev.end = Math.max(prev.end, s.end);
    else merged.push({ ...s });
  }
  let out = '';
  let at = 0;
  for (const s of merged) {
    out += text.slice(at, s.start) + MASK;
    at = s.end;
  }
  return out + text.slice(at);
}

/** The spans of `text` that hold a secret, by rules 1–4 above. */
export function secretSpans(text: string, { bareNumberIsSecret = true }: Pick<RedactOptions, 'bareNumberIsSecret'> = {}): Span[] {
  const tokens = tokenize(text);
  const r: Reading = { tokens, cands: candidates(tokens), clause: clauses(text, tokens) };
  if (bareNumberIsSecret && bare(r)) return [{ start: 0, end: text.length }];
  return keywords(tokens).flatMap((k) => [stated(r, k), ...near(r, k)].filter((s) => s !== undefined));
}

/**
 * Redact what a customer typed. The second argument is either `expectsSecret` (the step was asking
 * for a PIN, so the whole text is one) or the options.
 */
export function redactText(text: string, options: boolean | RedactOptions = false): string {
  const o = typeof options === 'boolean' ? { expectsSecret: options } : options;
  if (o.expectsSecret) return MASK;
  const spans = secretSpans(text, o);
  if (spans.length === 0) return text;
  return spans.some((s) => s.start === 0 && s.end === text.length) ? MASK : mask(text, spans);
}

/** Did the customer type something that looks like a secret in plain view? */
export const looksSecret = (text: string, options: Pick<RedactOptions, 'bareNumberIsSecret'> = {}): boolean => secretSpans(text, options).length > 0;
