/**
 * Generated traffic for demos and the dashboard benchmark: simulated customers talk to the real
 * engine (`createBot`), so states, transcripts and analytics events are exactly what production
 * writes; only the customers, the agents, the clock and the certificate check are made up.
 *
 * Pure apart from what is injected (the locale resources, the end of the window, an observer of
 * the PINs typed): conversation `i` of seed `s` is the same whatever slice of indices a caller
 * asks for, so workers can each generate a slice and a writer can put them back in order.
 *
 * What a customer does is drawn at every step from the buttons the step really offers: some steps
 * fail often (Hacienda's sign-in, SII's upload, the e-mailed code), some customers type instead of
 * pressing, ask for a person, or go silent. Agents claim handed-off conversations after a wait
 * that depends on their business hours, reply, and close with a resolution tag or send the
 * customer back to the bot. Silence longer than the abandonment job's threshold becomes the
 * `flow.abandoned` event the job would have written.
 */
import { createBot, type Bot } from '../bot.ts';
import { parseCedula, parseRut, rutCheckDigit } from '../certs/identity.ts';
import { CHECK_IDS, type CertReport, type Check, type CheckId, type Country, type InspectOptions, type VerifyCertificate } from '../certs/report.ts';
import { describeInbound, STAFF_MARK } from '../chat/service.ts';
import { choicesOf, whereIs, type QueueOutlook, type StaffAction, type TurnResult } from '../conversation/engine.ts';
import type { AnalyticsEvent } from '../conversation/events.ts';
import { createFileHolds } from '../conversation/file-hold.ts';
import { pathOf, stepsOf } from '../conversation/flow-snapshot.ts';
import { CANCEL_HANDOFF, type Inbound, type Locale } from '../conversation/messages.ts';
import type { AgentRef, ConversationState } from '../conversation/state.ts';
import { FLOWS } from '../flows/catalog.ts';
import type { FlowId, Step } from '../flows/step.ts';
import { agentsAvailable, parseHours, wallClock, type BusinessHours } from '../handoff/hours.ts';
import { loadResources, type Resources } from '../i18n/resources.ts';
import type { Channel, TranscriptMessage } from '../store/port.ts';

// ---- what the generator yields -----------------------------------------------------------------

/** An analytics event as the store keeps it: stamped with the conversation's channel, language and country at that turn. */
export type SeededEvent = AnalyticsEvent & {
  channel: Channel;
  locale: Locale;
  /** Absent until the conversation's country is known (before triage routes it), as in production. */
  country?: Country;
};

/** A `conversations` row. */
export interface SeededConversationRow {
  id: string;
  channel: Channel;
  channelKey?: string;
  state: ConversationState;
  /** Commits the conversation went through (creation is 1), as the store counts them. */
  version: number;
  createdAt: number;
  updatedAt: number;
  /** Set when the conversation's last idle spell was marked abandoned (and no message came after). */
  abandonedAt?: number;
}

export interface SeededConversation {
  conversation: SeededConversationRow;
  /** Transcript lines as the chat service writes them; empty when retention would have dropped them. */
  messages: TranscriptMessage[];
  /** In commit order (the order the store would number them). */
  events: SeededEvent[];
}

export interface SeedOptions {
  seed: number;
  /** How many conversations. */
  count: number;
  /** Index of the first one (a worker's slice); default 0. */
  start?: number;
  /**
   * Conversations in the whole run (every slice's), default `start + count`: start times are spread
   * over the window by index, so a slice must know how many share it.
   */
  total?: number;
  /** Conversations start during the `days` days before `now`; default 90. */
  days?: number;
  /** The end of the window (ms since epoch): nothing happens after it. */
  now: number;
  /** Transcripts are kept for conversations started within this many days of `now` (default 14)… */
  transcriptDays?: number;
  /** …and for one in this many older ones (default 20). */
  olderTranscriptEvery?: number;
  /** Agents' hours per customer country (default: Chile mon-fri 09:00-18:00 and sat 09:00-13:00; Costa Rica mon-fri 08:00-17:00). */
  agentHours?: Partial<Record<Country, BusinessHours>>;
  /** The locale files (default: read from `locales/`). */
  resources?: Resources;
  /** Every PIN or password a simulated customer types, for tests that check none of them is stored. */
  onSecret?: (conversationId: string, secret: string) => void;
}

/** How long a conversation sits idle before the abandonment job marks it (ABANDON_AFTER_MINUTES' default). */
export const ABANDON_AFTER_MS = 30 * 60_000;

const DEFAULT_AGENT_HOURS: Readonly<Record<Country, string>> = {
  CL: 'America/Santiago mon-fri 09:00-18:00, sat 09:00-13:00',
  CR: 'America/Costa_Rica mon-fri 08:00-17:00',
};

// ---- randomness --------------------------------------------------------------------------------

/** A small, fast, seedable generator (sfc32), one stream per conversation. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream: number) {
    // splitmix32 spreads (seed, stream) over the four words of state.
    let s = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(stream | 0, 0x85ebca77) ^ 0x2545f491) | 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let t = s ^ (s >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(xs: readonly T[]): T {
    const x = xs[Math.floor(this.next() * xs.length)];
    if (x === undefined) throw new Error('pick from an empty list');
    return x;
  }

  /** A key drawn with the given weights (non-positive weights never). */
  weighted<K extends string>(weights: Readonly<Partial<Record<K, number>>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    const total = entries.reduce((n, [, w]) => n + Math.max(0, w), 0);
    let r = this.next() * total;
    for (const [k, w] of entries) {
      if (w <= 0) continue;
      r -= w;
      if (r < 0) return k;
    }
    const last = entries.filter(([, w]) => w > 0).at(-1);
    if (!last) throw new Error('no positive weight');
    return last[0];
  }

  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and spread (sigma of the underlying normal). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  hex(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }
}

/** Conversation `index` of `seed`'s id: a version-4 UUID drawn from its own stream. */
export function conversationId(seed: number, index: number): string {
  const r = new Rng(seed ^ 0x1d5eed, index);
  const h = r.hex(32).split('');
  h[12] = '4';
  h[16] = '89ab'[parseInt(h[16] ?? '0', 16) & 3] ?? '8';
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

// ---- who writes, and when ----------------------------------------------------------------------

type Procedure = 'sii.centralize-certificate' | 'sii.enable-certificate-login' | 'atv.revoke-key' | 'atv.generate-key';

/** What customers come for, per country (half the traffic each). */
const PROCEDURE_MIX: Readonly<Record<Country, Readonly<Partial<Record<Procedure, number>>>>> = {
  CL: { 'sii.centralize-certificate': 56, 'sii.enable-certificate-login': 44 },
  CR: { 'atv.generate-key': 68, 'atv.revoke-key': 32 },
};
const COUNTRY_SHARE: Readonly<Record<Country, number>> = { CL: 0.5, CR: 0.5 };
const COUNTRY_OF: Readonly<Record<Procedure, Country>> = {
  'sii.centralize-certificate': 'CL',
  'sii.enable-certificate-login': 'CL',
  'atv.revoke-key': 'CR',
  'atv.generate-key': 'CR',
};
const TRIAGE_OPTION: Readonly<Record<Procedure, string>> = {
  'sii.centralize-certificate': 'sii-centralize',
  'sii.enable-certificate-login': 'sii-login',
  'atv.revoke-key': 'atv-revoke',
  'atv.generate-key': 'atv-generate',
};
const TIME_ZONE: Readonly<Record<Country, string>> = { CL: 'America/Santiago', CR: 'America/Costa_Rica' };

interface Persona {
  procedure: Procedure;
  country: Country;
  channel: Channel;
  locale: Locale;
  /** Multiplies every "it didn't work" chance: below 1, a customer who finds their way. */
  clumsiness: number;
  /** Chance of typing an answer instead of pressing its button. */
  typing: number;
  /** Multiplies every chance of going silent. */
  quitting: number;
  /** Multiplies how long they wait for a person before giving up. */
  patience: number;
  /** Chance of accepting the certificate check when offered. */
  checks: number;
  /** Asks for a person at this action (about 4% of customers). */
  asksPersonAt?: number;
  /** Cannot remember the PIN or password (most tries are wrong). */
  forgotPin: boolean;
  /**
   * A web page visitor who never writes: the widget opens a conversation on page load (its
   * `hello`), so production has these too, idle at the greeting until the abandonment job marks them.
   */
  visitor: boolean;
  holder: Holder;
}

interface Holder {
  name: string;
  /** As the customer types it. */
  typed: string;
  /** Normalised, as the certificate carries it. */
  id: string;
  idType: 'rut' | 'cpf' | 'cpj';
}

// Hour-of-day (local) and weekday profiles: office hours, a lunch dip, quiet nights and weekends.
const HOUR_WEIGHT = [0.04, 0.03, 0.02, 0.02, 0.03, 0.06, 0.12, 0.3, 0.65, 0.95, 1, 1, 0.85, 0.6, 0.85, 0.95, 0.9, 0.75, 0.5, 0.35, 0.28, 0.22, 0.14, 0.08];
const WEEKDAY_WEIGHT = [0.18, 1.1, 1, 1, 0.97, 0.85, 0.32]; // Sunday first

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Local hour and weekday per UTC hour, per zone (both zones' offsets are whole hours, so this is exact). */
const localCache = new Map<string, Map<number, number>>();

function localHourAndDay(timeZone: string, at: number): { hour: number; weekday: number } {
  let cache = localCache.get(timeZone);
  if (!cache) localCache.set(timeZone, (cache = new Map()));
  const bucket = Math.floor(at / HOUR_MS);
  let v = cache.get(bucket);
  if (v === undefined) {
    const local = new Date(wallClock(timeZone, bucket * HOUR_MS));
    v = local.getUTCHours() * 10 + local.getUTCDay();
    cache.set(bucket, v);
  }
  return { hour: Math.floor(v / 10), weekday: v % 10 };
}

/**
 * One day in the window when Hacienda's sign-in misbehaved: more than twice the Costa Rican
 * traffic, and far more "it didn't work" at its login steps. Managers should see it as a spike.
 */
function incidentDay(seed: number, from: number, days: number): { from: number; to: number } | undefined {
  if (days < 10) return undefined;
  const r = new Rng(seed, 0x0171c1de);
  const day = Math.floor(from / DAY_MS) + r.int(Math.floor(days * 0.3), Math.floor(days * 0.8));
  const start = day * DAY_MS + 6 * HOUR_MS; // Costa Rica's midnight is 06:00 UTC
  return { from: start, to: start + DAY_MS };
}

/**
 * When conversations start: an hourly intensity per country over the window (office hours in the
 * customer's time zone, quiet weekends, slow growth, a noisy day-to-day and hour-to-hour level, the
 * incident day), and conversation `i` of `n` at the `(i + jitter) / n` quantile of it. Start times
 * thus rise with the index (a slice of indices is a stretch of time, written in time order as
 * production writes it), and any slice of indices gets the same times.
 */
interface Schedule {
  from: number;
  /** Cumulative intensity at the end of each hour, normalised to 1. */
  cdf: Float64Array;
  /** Chile's share of each hour's intensity (Costa Rica has the rest). */
  chile: Float64Array;
}

function scheduleOf(seed: number, from: number, days: number, incident: { from: number; to: number } | undefined): Schedule {
  const hours = Math.max(1, Math.round(days * 24));
  const cdf = new Float64Array(hours);
  const chile = new Float64Array(hours);
  const noise = new Rng(seed, 0x5c4ed);
  let dayLevel = 1;
  let total = 0;
  for (let h = 0; h < hours; h++) {
    const t = from + (h + 0.5) * HOUR_MS;
    if (h % 24 === 0) dayLevel = Math.exp(0.13 * noise.normal());
    const level = dayLevel * Math.exp(0.18 * noise.normal()) * (0.85 + 0.3 * (h / hours));
    const weight = (c: Country): number => {
      const { hour, weekday } = localHourAndDay(TIME_ZONE[c], t);
      const spike = c === 'CR' && incident && t >= incident.from && t < incident.to ? 2.4 : 1;
      return COUNTRY_SHARE[c] * (HOUR_WEIGHT[hour] ?? 0) * (WEEKDAY_WEIGHT[weekday] ?? 0) * spike;
    };
    const cl = weight('CL') * level;
    const cr = weight('CR') * level;
    total += cl + cr;
    cdf[h] = total;
    chile[h] = cl + cr > 0 ? cl / (cl + cr) : 0.5;
  }
  for (let h = 0; h < hours; h++) cdf[h] = (cdf[h] ?? 0) / total;
  return { from, cdf, chile };
}

/** The start and country of conversation `index` of `total`. */
function arrival(s: Schedule, index: number, total: number, r: Rng): { at: number; country: Country } {
  const u = Math.min(1 - 1e-12, (index + r.next()) / Math.max(1, total));
  let lo = 0;
  let hi = s.cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((s.cdf[mid] ?? 1) < u) lo = mid + 1;
    else hi = mid;
  }
  const before = lo > 0 ? (s.cdf[lo - 1] ?? 0) : 0;
  const within = (u - before) / Math.max(1e-15, (s.cdf[lo] ?? 1) - before);
  return { at: Math.floor(s.from + (lo + within) * HOUR_MS), country: r.chance(s.chile[lo] ?? 0.5) ? 'CL' : 'CR' };
}

const dotted = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '.');

const CL_COMPANIES = ['Comercial Los Andes SpA', 'Pérez y Soto Ltda.', 'Transportes Araucanía Ltda.', 'Ferretería El Roble SpA', 'Servicios Contables Vial SpA', 'Panadería La Espiga Ltda.', 'Constructora Cordillera SpA', 'Importadora del Pacífico Ltda.'];
const CL_PEOPLE = ['María José González Rojas', 'Juan Pablo Muñoz Contreras', 'Francisca Díaz Soto', 'Cristián Morales Fuentes', 'Carolina Silva Araya', 'Rodrigo Espinoza Vega', 'Javiera Torres Sepúlveda', 'Felipe Castro Reyes'];
const CR_PEOPLE = ['ANA MORA SOLANO', 'CARLOS JIMENEZ VARGAS', 'LAURA ROJAS CHAVES', 'JOSE ALFARO QUESADA', 'MARIA FERNANDA SOLIS ARAYA', 'LUIS DIEGO CAMPOS MORA', 'GABRIELA UMAÑA BRENES', 'ANDRES VARGAS ZUÑIGA'];
const CR_COMPANIES = ['SERVICIOS TECNICOS DEL VALLE S.A.', 'DISTRIBUIDORA LA ESPERANZA S.A.', 'SODA Y RESTAURANTE EL GUARCO S.R.L.', 'CONSULTORES UNIDOS DE OCCIDENTE S.A.'];

function holderOf(r: Rng, country: Country): Holder {
  if (country === 'CL') {
    const company = r.chance(0.55);
    const n = company ? r.int(76_000_000, 77_999_999) : r.int(5_000_000, 24_999_999);
    const dv = rutCheckDigit(String(n));
    const typed = r.weighted({ dotted: 60, plain: 30, bare: 10 });
    const text = typed === 'dotted' ? `${dotted(n)}-${dv}` : typed === 'plain' ? `${n}-${dv}` : `${n}${dv}`;
    const parsed = parseRut(text);
    return { name: r.pick(company ? CL_COMPANIES : CL_PEOPLE), typed: text, id: parsed.ok ? parsed.id : `${n}-${dv}`, idType: 'rut' };
  }
  if (r.chance(0.7)) {
    const p = r.int(1, 7);
    const tomo = String(r.int(100, 1999)).padStart(4, '0');
    const asiento = String(r.int(1, 999)).padStart(4, '0');
    const text = r.chance(0.6) ? `${p}-${tomo}-${asiento}` : `${p}${tomo}${asiento}`;
    const parsed = parseCedula(text);
    return { name: r.pick(CR_PEOPLE), typed: text, id: parsed.ok ? parsed.id : `0${p}${tomo}${asiento}`, idType: 'cpf' };
  }
  const digits = `3101${String(r.int(100_000, 999_999))}`;
  const text = r.chance(0.5) ? `3-101-${digits.slice(4)}` : digits;
  const parsed = parseCedula(text);
  return { name: r.pick(CR_COMPANIES), typed: text, id: parsed.ok ? parsed.id : digits, idType: 'cpj' };
}

function personaOf(r: Rng, country: Country): Persona {
  const procedure = r.weighted(PROCEDURE_MIX[country]);
  const channel = r.weighted<Channel>({ webchat: 60, teams: 25, slack: 15 });
  const locale: Locale = r.chance(0.85) ? 'es' : 'en';
  return {
    procedure,
    country,
    channel,
    locale,
    clumsiness: Math.min(2, Math.max(0.4, r.logNormal(1, 0.3))),
    typing: r.chance(0.3) ? 0.25 : 0.04,
    quitting: Math.min(3, Math.max(0.25, r.logNormal(0.78, 0.45))),
    patience: Math.min(4, Math.max(0.25, r.logNormal(1, 0.5))),
    checks: r.chance(0.6) ? 0.75 : 0.3,
    ...(r.chance(0.04) ? { asksPersonAt: r.int(1, 9) } : {}),
    forgotPin: r.chance(0.03),
    visitor: channel === 'webchat' && r.chance(0.15),
    holder: holderOf(r, country),
  };
}

function channelKeyOf(r: Rng, channel: Channel, at: number): string | undefined {
  const id = (n: number) => Array.from({ length: n }, () => '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ'[r.int(0, 33)]).join('');
  if (channel === 'slack') {
    const team = `T0${id(9)}`;
    // Most customers write to the app in a DM; some mention it in a channel (one conversation per thread).
    return r.chance(0.7) ? `${team}:D0${id(9)}` : `${team}:C0${id(9)}:${Math.floor(at / 1000)}.${String(r.int(0, 999_999)).padStart(6, '0')}`;
  }
  if (channel === 'teams') return `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-a${r.hex(3)}-${r.hex(12)}:a:1${id(30).toLowerCase()}`;
  return undefined;
}

// ---- what customers say ------------------------------------------------------------------------

type Words = Readonly<Record<Locale, readonly string[]>>;

/** A procedure asked for in the customer's own words (checked against the real routing vocabulary). */
const ASKS: Readonly<Record<Procedure, Words>> = {
  'sii.centralize-certificate': {
    es: ['hola, necesito subir mi firma electrónica al SII', 'cómo centralizo el certificado digital en el SII?', 'no puedo subir el certificado al SII', 'quiero cargar mi firma electrónica en el sii', 'necesito centralizar la firma', 'tengo que subir el pfx al sii'],
    en: ['how do I upload my certificate to SII', 'I need to centralize my certificate', 'upload signature to SII please'],
  },
  'sii.enable-certificate-login': {
    es: ['olvidé mi clave del SII', 'no me llega el código provisorio', 'quiero ingresar con certificado al SII', 'necesito recuperar clave', 'cómo habilito la autenticación con certificado'],
    en: ['the provisional code never arrived', 'I want to log in with certificate', 'recover password for SII'],
  },
  'atv.revoke-key': {
    es: ['necesito revocar la llave criptográfica', 'quiero anular la llave de hacienda', 'cómo revoco la llave en ATV'],
    en: ['I need to revoke my key', 'how do I revoke the cryptographic key'],
  },
  'atv.generate-key': {
    es: ['se me venció la llave criptográfica', 'necesito generar una llave nueva en hacienda', 'olvidé el pin de la llave', 'cómo descargo el p12', 'tengo que renovar la llave', 'llave vencida hacienda'],
    en: ['my key expired', 'I need to generate a new key', 'forgot the pin of my key'],
  },
};
/** Naming only the country (routing asks which procedure). */
const COUNTRY_HINTS: Readonly<Record<Country, Words>> = {
  CL: { es: ['es sobre el SII', 'tengo un problema con el SII', 'es del SII, Chile'], en: ['it is about SII in Chile'] },
  CR: { es: ['tengo un problema con hacienda', 'es de Hacienda, Costa Rica', 'es sobre la llave criptográfica'], en: ['it is about Hacienda in Costa Rica'] },
};
const GREETINGS: Words = { es: ['hola', 'buenas tardes', 'buenos días', 'necesito ayuda', 'tengo una consulta', 'hola, ayuda por favor'], en: ['hi', 'hello, I need help', 'hello'] };
const PERSON_PLEASE: Words = { es: ['hablar con una persona', 'quiero hablar con un ejecutivo', 'necesito hablar con alguien', 'atención humana por favor'], en: ['talk to a person', 'I want to talk to a human', 'speak to a person please'] };
const HELP: Words = { es: ['ayuda', 'no entiendo', 'explícame'], en: ['help', 'more detail'] };
const BACK: Words = { es: ['atrás', 'volver'], en: ['back', 'go back'] };
const NONSENSE: Words = { es: ['???', 'hola?', 'qué?', 'no sé'], en: ['???', 'what?', 'hm'] };
/** Typed answers the vocabulary knows, per choice id. */
const SYNONYMS: Readonly<Record<string, Words>> = {
  worked: { es: ['listo', 'ya', 'funcionó', 'ok'], en: ['done', 'it worked', 'ok'] },
  failed: { es: ['no funcionó', 'no me deja', 'no pude'], en: ["it didn't work", 'no'] },
  error: { es: ['me da error', 'sale un error'], en: ['error', 'i get an error'] },
  yes: { es: ['si', 'sí', 'dale', 'ok'], en: ['yes', 'yeah', 'sure'] },
  no: { es: ['no', 'todavía no'], en: ['no', 'not yet'] },
  retry: { es: ['de nuevo', 'otra vez'], en: ['try again', 'again'] },
};
const WAITING: Words = { es: ['hola, ¿hay alguien?', 'sigo esperando', 'es urgente, tengo que facturar hoy', '¿cuánto falta?'], en: ['hello, anyone there?', 'still waiting', 'it is urgent, I need to invoice today'] };
const TO_AGENT: Words = {
  es: ["me sale 'usuario o clave incorrecta'", 'ya lo intenté dos veces', 'ok, lo pruebo', 'sigue sin funcionar', 'no me aparece esa opción', 'estoy usando Chrome', 'gracias'],
  en: ["it says 'wrong user or password'", 'I tried twice already', 'ok, trying now', 'still not working', 'I do not see that option', 'thanks'],
};
const THANKS: Words = { es: ['listo, funcionó. ¡Gracias!', 'perfecto, muchas gracias', 'ya quedó, gracias'], en: ['it worked, thank you!', 'great, thanks', 'done, thanks'] };
const AGENT_LINES: Readonly<Record<Country, Words>> = {
  CL: {
    es: [
      '¿Me cuentas qué mensaje te aparece exactamente en la pantalla del SII?',
      'En el SII usa Chrome o Edge actualizado; con otros navegadores la carga del certificado falla a menudo.',
      'Revisé tu caso: el certificado tiene que estar a nombre del representante legal que figura en el SII.',
      'Prueba cerrando sesión en Mi SII y entrando de nuevo con el RUT de la empresa.',
      'Lo escalo al equipo técnico y te escribimos por correo en cuanto tengamos respuesta.',
    ],
    en: [
      'Could you tell me the exact message SII shows you?',
      'Please use an up-to-date Chrome or Edge; other browsers often fail to upload the certificate.',
      "The certificate must belong to the company's legal representative as registered with SII.",
      "I'm escalating this to our technical team; we'll e-mail you as soon as we know more.",
    ],
  },
  CR: {
    es: [
      '¿Me cuentas qué mensaje te aparece exactamente en ATV?',
      'En ATV la llave activa debe revocarse antes de generar una nueva; te guío.',
      'Ese error suele salir cuando la sesión de Hacienda expiró: cierra sesión, borra las cookies y vuelve a ingresar.',
      'El PIN de la llave son 4 dígitos y es distinto de tu contraseña de ATV.',
      'Lo escalo al equipo técnico y te escribimos por correo en cuanto tengamos respuesta.',
    ],
    en: [
      'Could you tell me the exact message ATV shows you?',
      'In ATV the active key has to be revoked before generating a new one; I will guide you.',
      "That error usually means Hacienda's session expired: sign out, clear cookies and sign in again.",
      "I'm escalating this to our technical team; we'll e-mail you as soon as we know more.",
    ],
  },
};
const EMAIL_DOMAINS = ['gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.com', 'empresa.cl', 'contador.cl', 'racsa.co.cr', 'ice.co.cr'];

const say = (r: Rng, words: Words, locale: Locale): string => r.pick(words[locale]);

function emailOf(r: Rng, holder: Holder): string {
  const base = holder.name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z ]/g, '')
    .split(' ')
    .filter((w) => w.length > 2)
    .slice(0, 2)
    .join('.');
  return `${base || 'contacto'}${r.chance(0.4) ? r.int(1, 99) : ''}@${r.pick(EMAIL_DOMAINS)}`;
}

// ---- agents ------------------------------------------------------------------------------------

interface Agent extends AgentRef {
  /** Countries they mostly serve. */
  serves: readonly Country[];
  /** How often they send the customer back to the bot instead of closing. */
  returns: number;
}

/** About eight agents; a few of them like to send customers back to the bot. */
export const SEED_AGENTS: readonly Agent[] = [
  { id: 'seed-agent-camila-rojas', name: 'Camila Rojas', serves: ['CL'], returns: 0.04 },
  { id: 'seed-agent-diego-fuentes', name: 'Diego Fuentes', serves: ['CL'], returns: 0.3 },
  { id: 'seed-agent-valentina-munoz', name: 'Valentina Muñoz', serves: ['CL'], returns: 0.06 },
  { id: 'seed-agent-ignacio-tapia', name: 'Ignacio Tapia', serves: ['CL', 'CR'], returns: 0.15 },
  { id: 'seed-agent-maria-jose-vargas', name: 'María José Vargas', serves: ['CR'], returns: 0.05 },
  { id: 'seed-agent-luis-jimenez', name: 'Luis Jiménez', serves: ['CR'], returns: 0.3 },
  { id: 'seed-agent-daniela-solis', name: 'Daniela Solís', serves: ['CR'], returns: 0.04 },
  { id: 'seed-agent-pablo-araya', name: 'Pablo Araya', serves: ['CL', 'CR'], returns: 0.1 },
];

const CLOSE_TAGS = { solved: 55, workaround: 15, escalated: 10, 'no-response': 15, 'out-of-scope': 5 } as const;

const agentRef = (a: Agent): AgentRef => ({ id: a.id, name: a.name });

// ---- the certificate check ---------------------------------------------------------------------

type FileKind = 'ok' | 'expired' | 'staging' | 'mismatch' | 'expires-soon';

/** What a simulated file is; carried in its bytes, which never leave memory (the transcript keeps name and size). */
interface FileSpec {
  k: FileKind;
  /** The PIN or password that opens it. */
  p: string;
  c: Country;
  /** Holder. */
  n: string;
  i: string;
  t: Holder['idType'];
  /** Validity (ms). */
  nb: number;
  na: number;
  s: string;
  f: string;
}

const FILE_MAGIC = [0x30, 0x82, 0x5e, 0xed];

function fileBytes(spec: FileSpec, size: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(spec));
  const bytes = new Uint8Array(Math.max(size, json.length + 8));
  bytes.set(FILE_MAGIC, 0);
  bytes[4] = json.length & 0xff;
  bytes[5] = json.length >> 8;
  bytes.set(json, 6);
  return bytes;
}

function specOf(bytes: Uint8Array): FileSpec | undefined {
  if (bytes.length < 8 || FILE_MAGIC.some((b, i) => bytes[i] !== b)) return undefined;
  const len = (bytes[4] ?? 0) | ((bytes[5] ?? 0) << 8);
  try {
    return JSON.parse(new TextDecoder().decode(bytes.subarray(6, 6 + len))) as FileSpec;
  } catch {
    return undefined;
  }
}

/** Codes whose advice depends on the country, as the real checker names their messages. */
const COUNTRY_MESSAGES = new Set(['secret.incorrect', 'key.missing', 'certificate.expired', 'certificate.expires-soon', 'certificate.not-yet-valid', 'identity.mismatch']);
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The check the generator's bot runs: the report the real checker would write for the simulated
 * file (wrong PIN, expired, a sandbox key, someone else's, expiring soon, or fine), without
 * opening any PKCS#12.
 */
const seedVerify: VerifyCertificate = async (file: Uint8Array, secret: string, options: InspectOptions): Promise<CertReport> => {
  const spec = specOf(file);
  const country = options.country ?? spec?.c;
  const checks = new Map<CheckId, Check>();
  const pass = (id: CheckId, params?: Record<string, string | number>) => checks.set(id, { id, status: 'pass', code: 'ok', messageKey: `certs:ok.${id}`, ...(params ? { params } : {}) });
  const problem = (id: CheckId, status: 'warn' | 'fail', code: string, params?: Record<string, string | number>) =>
    checks.set(id, { id, status, code, messageKey: `certs:${country && COUNTRY_MESSAGES.has(code) ? `${code}-${country.toLowerCase()}` : code}`, ...(params ? { params } : {}) });
  const skip = (id: CheckId, code = 'skip.earlier-failure') => checks.set(id, { id, status: 'skip', code, messageKey: `certs:${code}` });
  const report = (extra: Partial<CertReport> = {}): CertReport => {
    const list = CHECK_IDS.map((id) => checks.get(id) ?? { id, status: 'skip' as const, code: 'skip.earlier-failure', messageKey: 'certs:skip.earlier-failure' });
    const verdict = list.some((c) => c.status === 'fail') ? 'fail' : list.some((c) => c.status === 'warn') ? 'warning' : 'ok';
    return { verdict, checks: list, environment: extra.environment ?? 'unknown', ...(extra.holder ? { holder: extra.holder } : {}), ...(extra.certificate ? { certificate: extra.certificate } : {}) };
  };
  if (!spec) {
    problem('file.format', 'fail', 'file.not-pkcs12');
    return report();
  }
  pass('file.format');
  if (secret !== spec.p) {
    pass('file.limits');
    problem('secret.correct', 'fail', 'secret.incorrect');
    return report();
  }
  pass('file.limits', { iterations: 2048 });
  pass('secret.correct');
  pass('key.present', { keyType: 'rsa' });
  pass('key.matches-certificate');
  const now = (options.now ?? new Date()).getTime();
  if (now > spec.na) problem('certificate.validity', 'fail', 'certificate.expired', { date: isoDate(spec.na), days: Math.floor((now - spec.na) / DAY_MS) });
  else if (spec.na - now < 30 * DAY_MS) problem('certificate.validity', 'warn', 'certificate.expires-soon', { date: isoDate(spec.na), days: Math.floor((spec.na - now) / DAY_MS) });
  else pass('certificate.validity', { date: isoDate(spec.na), days: Math.floor((spec.na - now) / DAY_MS) });
  pass('identity.present', { idType: spec.t });
  pass('identity.valid');
  if (!options.expectedId) skip('identity.matches', 'skip.not-requested');
  else if (spec.i === options.expectedId) pass('identity.matches', { expected: options.expectedId });
  else problem('identity.matches', 'fail', 'identity.mismatch', { expected: options.expectedId, found: spec.i });
  const staging = spec.k === 'staging';
  if (staging) problem('environment.production', 'fail', 'environment.staging');
  else if (country === 'CR') pass('environment.production');
  else skip('environment.production', 'skip.not-applicable');
  pass('key.usage');
  if (staging) problem('key.strength', 'warn', 'key.weak', { keyType: 'rsa', bits: 1024 });
  else pass('key.strength', { keyType: 'rsa', bits: 2048 });
  const digits = spec.i.replace(/\D/g, '');
  if (!options.fileName) skip('file.name', 'skip.no-file-name');
  else if (country !== 'CR') skip('file.name', 'skip.not-applicable');
  else if ((options.fileName.match(/\d+/g) ?? []).some((run) => run.startsWith(digits))) pass('file.name', { expected: digits });
  else problem('file.name', 'warn', 'file.name-mismatch', { expected: digits, found: options.fileName });
  const issuer =
    spec.c === 'CL'
      ? 'CN=E-CERTCHILE CA FIRMA ELECTRONICA AVANZADA - G5, O=E-CERTCHILE, C=CL'
      : staging
        ? 'CN=CA PERSONA FISICA - SANDBOX, O=MINISTERIO DE HACIENDA, C=CR'
        : 'CN=CA PERSONA FISICA - PRODUCCION, O=MINISTERIO DE HACIENDA, C=CR';
  return report({
    environment: staging ? 'staging' : country === 'CR' ? 'production' : 'unknown',
    holder: { name: spec.n, country: spec.c, idType: spec.t, id: spec.i },
    certificate: {
      subject: `CN=${spec.n}, C=${spec.c}, serialNumber=${spec.t === 'rut' ? spec.i : `${spec.t.toUpperCase()}-${spec.i}`}`,
      issuer,
      serial: spec.s,
      notBefore: new Date(spec.nb).toISOString(),
      notAfter: new Date(spec.na).toISOString(),
      fingerprintSha256: spec.f,
      keyType: 'rsa',
      keyBits: staging ? 1024 : 2048,
      chainLength: 3,
    },
  });
};

// ---- how customers behave at each step -----------------------------------------------------------

interface StepPolicy {
  /** Weights of the offered choices (absent: 1; `person` absent: a small default). */
  weights?: Readonly<Record<string, number>>;
  /** For "did it work?" steps: the chance it did not. */
  fail?: number;
  /** Chance of going silent here instead of answering. */
  quit?: number;
  /** Median think time (ms) and its spread. */
  think?: number;
  sigma?: number;
}

/** Keyed `flow/step`. Failure chances are before the customer's own clumsiness (0.4–2, median 1). */
const POLICY: Readonly<Record<string, StepPolicy>> = {
  // SII: centralize the certificate
  'sii.centralize-certificate/hasFile': { weights: { 'have-both': 72, 'no-file': 16, 'no-password': 10, person: 0.25 } },
  'sii.centralize-certificate/noFile': { weights: { installed: 55, none: 43, person: 0.33 } },
  'sii.centralize-certificate/exportFile': { fail: 0.3, think: 150_000 },
  'sii.centralize-certificate/exportTrouble': { weights: { retry: 55, 'get-new': 35, person: 1.67 } },
  'sii.centralize-certificate/getCertificate': { weights: { 'have-it': 35, later: 60, person: 0.83 }, think: 90_000 },
  'sii.centralize-certificate/forgotPassword': { weights: { remembered: 30, export: 30, 'get-new': 35, person: 0.83 } },
  'sii.centralize-certificate/legalRep': { weights: { yes: 78, no: 10, 'not-sure': 12 } },
  'sii.centralize-certificate/holderUnsure': { weights: { yes: 60, no: 35, person: 0.83 } },
  'sii.centralize-certificate/notLegalRep': { weights: { 'rep-will-do': 60, 'get-new': 30, person: 1.67 } },
  'sii.centralize-certificate/knowsPassword': { weights: { yes: 75, no: 25 } },
  'sii.centralize-certificate/recoverPassword': { weights: { 'guide-me': 70, recovered: 25, person: 0.83 } },
  'sii.centralize-certificate/mySii': { fail: 0.1, think: 60_000 },
  'sii.centralize-certificate/mySiiTrouble': { weights: { retry: 80, person: 3.33 } },
  'sii.centralize-certificate/login': { fail: 0.24, think: 80_000 },
  'sii.centralize-certificate/loginTrouble': { weights: { retry: 50, recover: 40, person: 1.67 } },
  'sii.centralize-certificate/onlineServices': { fail: 0.12 },
  'sii.centralize-certificate/learnMore': { fail: 0.15 },
  'sii.centralize-certificate/certificateMenu': { fail: 0.18 },
  'sii.centralize-certificate/menuTrouble': { weights: { retry: 60, 'start-over': 30, person: 1.67 } },
  // The notorious one: SII rejects the file or the password, or shows nothing at all.
  'sii.centralize-certificate/upload': { fail: 0.4, think: 120_000, quit: 0.05 },
  'sii.centralize-certificate/uploadTrouble': { weights: { 'wrong-password': 40, 'file-rejected': 30, 'no-message': 20, person: 1.67 }, quit: 0.12 },
  'sii.centralize-certificate/wrongCertPassword': { weights: { retry: 60, forgot: 30, person: 1.67 }, quit: 0.12 },
  'sii.centralize-certificate/fileRejected': { weights: { retry: 40, 'only-cer': 25, 'get-new': 25, person: 1.67 }, quit: 0.14 },
  'sii.centralize-certificate/noMessage': { weights: { retry: 60, 'start-over': 30, person: 1.67 } },
  'sii.centralize-certificate/saved': { weights: { yes: 60, no: 40 } },
  'sii.centralize-certificate/updatePlatform': { weights: { updated: 70, later: 25, person: 0.83 }, think: 90_000 },
  'sii.centralize-certificate/offerLogin': { weights: { yes: 30, already: 30, 'not-now': 40 } },
  // SII: enable sign-in with the certificate (Recuperar clave)
  'sii.enable-certificate-login/goal': { weights: { 'enable-certificate': 55, 'recover-password': 42, person: 0.5 } },
  'sii.enable-certificate-login/centralized': { weights: { yes: 65, no: 20, 'not-sure': 15 } },
  'sii.enable-certificate-login/centralizedUnsure': { weights: { 'saw-it': 50, centralize: 45, person: 0.83 } },
  'sii.enable-certificate-login/notCentralized': { weights: { 'knows-password': 55, 'forgot-password': 40, person: 0.83 } },
  'sii.enable-certificate-login/emailAccess': { weights: { yes: 75, 'not-sure': 15, no: 10 } },
  'sii.enable-certificate-login/mySii': { fail: 0.1, think: 60_000 },
  'sii.enable-certificate-login/mySiiTrouble': { weights: { retry: 80, person: 3.33 } },
  'sii.enable-certificate-login/requestCode': { fail: 0.2 },
  'sii.enable-certificate-login/requestTrouble': { weights: { 'rut-rejected': 30, 'email-problem': 30, retry: 30, person: 1.67 } },
  'sii.enable-certificate-login/rutRejected': { weights: { retry: 80, person: 3.33 } },
  // Waiting for SII's e-mail: minutes, and often it does not come.
  'sii.enable-certificate-login/waitCode': { fail: 0.35, think: 5 * MINUTE_MS, sigma: 0.3, quit: 0.08, weights: { person: 0.5 } },
  'sii.enable-certificate-login/codeMissing': { weights: { arrived: 35, resend: 40, 'old-email': 20, person: 0.83 }, quit: 0.14, think: 3 * MINUTE_MS },
  'sii.enable-certificate-login/outdatedEmail': { weights: { updated: 30, later: 60, person: 1.67 }, quit: 0.12 },
  'sii.enable-certificate-login/reenter': { fail: 0.12 },
  'sii.enable-certificate-login/reenterTrouble': { weights: { retry: 60, 'new-code': 30, person: 1.67 } },
  'sii.enable-certificate-login/enterCode': { fail: 0.22 },
  'sii.enable-certificate-login/codeRejected': { weights: { retry: 45, 'new-code': 45, person: 1.67 }, quit: 0.12 },
  'sii.enable-certificate-login/setPassword': { fail: 0.15 },
  'sii.enable-certificate-login/passwordTrouble': { weights: { retry: 80, person: 3.33 } },
  'sii.enable-certificate-login/sendForm': { fail: 0.12 },
  'sii.enable-certificate-login/sendTrouble': { weights: { retry: 60, 'start-over': 30, person: 1.67 } },
  'sii.enable-certificate-login/nowCentralize': { weights: { 'centralize-now': 60, 'not-now': 40 } },
  // Hacienda: revoke the key
  'atv.revoke-key/portal': { weights: { atv: 65, tribu: 35 } },
  'atv.revoke-key/tribuReplaces': { weights: { generate: 70, 'not-now': 30 } },
  'atv.revoke-key/login': { fail: 0.36, think: 90_000, quit: 0.04 },
  'atv.revoke-key/loginTrouble': { weights: { retry: 75, person: 4.17 }, quit: 0.12 },
  'atv.revoke-key/menu': { fail: 0.2 },
  'atv.revoke-key/menuMissing': { weights: { found: 50, tribu: 35, person: 2.5 } },
  'atv.revoke-key/confirm': { fail: 0.15 },
  'atv.revoke-key/confirmTrouble': { weights: { retry: 75, person: 4.17 } },
  'atv.revoke-key/revoked': { weights: { yes: 80, no: 20 } },
  // Hacienda: generate a key
  'atv.generate-key/portal': { weights: { atv: 55, tribu: 35, 'not-sure': 10 } },
  'atv.generate-key/portalUnsure': { weights: { atv: 50, tribu: 45, person: 0.83 } },
  'atv.generate-key/login': { fail: 0.38, think: 90_000, quit: 0.04 },
  'atv.generate-key/loginTrouble': { weights: { retry: 75, person: 4.17 }, quit: 0.12 },
  'atv.generate-key/menu': { fail: 0.2 },
  'atv.generate-key/menuTrouble': { weights: { found: 40, 'has-key': 30, tribu: 20, person: 1.67 } },
  'atv.generate-key/existingKey': { weights: { 'revoke-first': 60, 'already-revoked': 35, person: 0.83 } },
  'atv.generate-key/pin': { fail: 0.15 },
  'atv.generate-key/freeInvoicer': { weights: { 'free-invoicer': 25, 'our-platform': 75 } },
  'atv.generate-key/generate': { fail: 0.2 },
  'atv.generate-key/generateTrouble': { weights: { 'pin-rejected': 35, 'has-key': 35, other: 20, person: 1.67 }, quit: 0.1 },
  'atv.generate-key/download': { fail: 0.18, think: 70_000 },
  'atv.generate-key/tribuMenu': { fail: 0.25, think: 90_000 },
  'atv.generate-key/tribuMenuTrouble': { weights: { retry: 60, atv: 30, person: 1.67 } },
  'atv.generate-key/tribuPin': { fail: 0.12 },
  'atv.generate-key/tribuGenerate': { fail: 0.22 },
  'atv.generate-key/tribuGenerateTrouble': { weights: { 'pin-rejected': 45, other: 45, person: 1.67 } },
  'atv.generate-key/tribuDownload': { fail: 0.15, think: 70_000 },
  'atv.generate-key/pinTrouble': { weights: { retry: 85, person: 2.5 } },
  'atv.generate-key/generateFailed': { weights: { retry: 75, person: 4.17 } },
  'atv.generate-key/downloadTrouble': { weights: { found: 35, retry: 35, 'page-gone': 20, person: 1.67 } },
  'atv.generate-key/downloadLost': { weights: { 'new-key': 80, person: 3.33 } },
  'atv.generate-key/fileName': { weights: { found: 75, wizard: 12, 'not-found': 10, person: 0.5 } },
  'atv.generate-key/importWizard': { weights: { continue: 90, person: 1.67 } },
  'atv.generate-key/freeInvoicerReady': { weights: { yes: 30, no: 70 } },
  'atv.generate-key/platform': { fail: 0.25, think: 120_000 },
  'atv.generate-key/platformTrouble': { weights: { 'pin-rejected': 30, 'which-password': 30, retry: 30, person: 1.67 } },
  'atv.generate-key/pinLost': { weights: { retry: 40, 'new-key': 50, person: 1.67 }, quit: 0.12 },
  'atv.generate-key/passwordConfusion': { weights: { continue: 90, person: 1.67 } },
  // The certificate check
  'verify-certificate/askId': { think: 30_000 },
  'verify-certificate/askFile': { think: 75_000, quit: 0.07 },
  'verify-certificate/askSecret': { think: 25_000, quit: 0.03 },
  'verify-certificate/wrongSecret': { think: 25_000, quit: 0.06 },
  'verify-certificate/passed': { weights: { continue: 1 }, think: 8_000 },
  'verify-certificate/failed': { weights: { fix: 55, 'another-file': 20, 'continue-anyway': 15, person: 1.67 }, quit: 0.1 },
  'verify-certificate/locked': { weights: { 'continue-anyway': 60, person: 6.67 } },
  // Wrap-up
  'wrap-up/solved': { think: 12_000, quit: 0.04 },
  'wrap-up/notSolved': { weights: { restart: 30, finish: 60, person: 1.67 }, think: 15_000 },
  'wrap-up/rating': { think: 8_000, quit: 0.06 },
};

const TROUBLE = /(Trouble|Missing|Rejected|Lost|Failed|Confusion)$/;

/** Ratings skew positive when solved, lower when not. */
const RATING_SOLVED = { 'rate-1': 2, 'rate-2': 3, 'rate-3': 8, 'rate-4': 27, 'rate-5': 60 };
const RATING_UNSOLVED = { 'rate-1': 32, 'rate-2': 24, 'rate-3': 24, 'rate-4': 12, 'rate-5': 8 };

/** Where a step's prompt sits in the catalog: `flow/path` → its step. */
const STEPS: ReadonlyMap<string, Step<unknown>> = new Map(Object.values(FLOWS).flatMap((def) => stepsOf(def.machine).map((s) => [`${def.id}/${s.path}`, s.step] as const)));

// ---- agents' hours ---------------------------------------------------------------------------------

const DEFAULT_HOURS: Partial<Record<Country, BusinessHours>> = Object.fromEntries(
  (['CL', 'CR'] as const).flatMap((c) => {
    const parsed = parseHours(DEFAULT_AGENT_HOURS[c]);
    return parsed.ok ? [[c, parsed.value]] : [];
  }),
);

type Availability = { open: boolean; reopensAt?: number };
const availability = new WeakMap<BusinessHours, Map<number, Availability>>();

/** Agents in or not, and when they are back; cached per hour when the windows start and end on the hour. */
function availableAt(h: BusinessHours, at: number): Availability {
  const of = (t: number): Availability => {
    const a = agentsAvailable(h, t);
    return a.open ? { open: true } : { open: false, ...(a.reopensAt !== undefined ? { reopensAt: a.reopensAt } : {}) };
  };
  if (!h.windows.every((w) => w.from % 60 === 0 && w.to % 60 === 0)) return of(at);
  let cache = availability.get(h);
  if (!cache) availability.set(h, (cache = new Map()));
  const bucket = Math.floor(at / HOUR_MS);
  let v = cache.get(bucket);
  if (!v) {
    // Both ends of the hour agree (a zone whose offset is not whole hours would not): the hour is one answer.
    const first = of(bucket * HOUR_MS);
    const last = of((bucket + 1) * HOUR_MS - 1);
    if (first.open !== last.open || first.reopensAt !== last.reopensAt) return of(at);
    cache.set(bucket, (v = first));
  }
  return v;
}

// ---- the generator -----------------------------------------------------------------------------

/** What the customer does next: a message after some thought, nothing more, or nothing for hours and then carry on. */
type Decision = { inbound: Inbound; think: number } | { silent: true } | { later: number };

/** Conversations `start`…`start + count - 1` of `seed`, one at a time, deterministically. */
export async function* generateConversations(opts: SeedOptions): AsyncGenerator<SeededConversation> {
  const { seed, count, start = 0, days = 90, now: end, transcriptDays = 14, olderTranscriptEvery = 20, onSecret } = opts;
  const from = end - days * DAY_MS;
  const incident = incidentDay(seed, from, days);
  const total = opts.total ?? start + count;
  const schedule = scheduleOf(seed, from, days, incident);
  const hours: Partial<Record<Country, BusinessHours>> = { ...DEFAULT_HOURS, ...opts.agentHours };
  const available = (country: Country | undefined, at: number): Availability => {
    const h = country ? hours[country] : undefined;
    return h ? availableAt(h, at) : { open: true };
  };
  const bot: Bot = createBot({ resources: opts.resources ?? loadResources(), verify: seedVerify });
  let clock = 0;
  const holds = createFileHolds({ now: () => clock });

  for (let index = start; index < start + count; index++) {
    yield await simulate(index);
  }

  async function simulate(index: number): Promise<SeededConversation> {
    const r = new Rng(seed, index);
    const id = conversationId(seed, index);
    const { at: t0, country } = arrival(schedule, index, total, r);
    const p = personaOf(r, country);
    const channelKey = channelKeyOf(r, p.channel, t0);
    // Drawn either way, so the retention settings change which transcripts are kept, never the traffic.
    const sampled = r.chance(1 / Math.max(1, olderTranscriptEvery));
    const keep = t0 >= end - transcriptDays * DAY_MS || sampled;
    const hold = holds.forConversation(id);
    const labelIn = (locale: Locale) => (key: string) => bot.translator.t(key, locale);

    let state: ConversationState | undefined;
    let version = 0;
    let abandonedAt: number | undefined;
    /** When the last turn was committed (a turn that changed nothing commits without moving `updatedAt`). */
    let committedAt = t0;
    let actions = 0;
    let handoffs = 0;
    let fileNo = 0;
    let secretTries = 0;
    const events: SeededEvent[] = [];
    const messages: TranscriptMessage[] = [];
    /** Per step, how many times the customer answered it (a second try fails less often). */
    const tries = new Map<string, number>();
    /** How the last procedure ended, for "was it solved?". */
    let lastResult: string | undefined;
    /** The PIN (Costa Rica) or password (Chile) that opens this customer's certificate. */
    const filePin = pinOf(true);

    const stamp = (list: readonly AnalyticsEvent[], st: ConversationState) => {
      for (const e of list) {
        events.push({ ...e, channel: p.channel, locale: st.locale, ...(st.country ? { country: st.country } : {}) });
        if (e.name === 'flow.completed' && e.flow && e.flow in COUNTRY_OF) lastResult = String(e.data?.result ?? '');
      }
    };

    /** The abandonment job's mark, when the conversation sat idle long enough before `at`. */
    const idleUntil = (at: number) => {
      if (!state || state.status !== 'active' || state.handoff || abandonedAt !== undefined) return;
      // The job's next pass after the conversation has been idle long enough. A turn that changed
      // nothing cleared the previous mark without moving `updated_at`, so the job marks it again
      // on its next pass after that turn.
      const mark = Math.max(state.updatedAt + ABANDON_AFTER_MS, committedAt);
      if (mark > at || mark > end) return;
      const st = state;
      events.push({
        name: 'flow.abandoned',
        at: mark,
        flow: st.flow.id,
        step: pathOf(st.flow.value as never),
        data: { idleMs: Math.max(0, mark - st.updatedAt), ...(st.stack[0] ? { within: st.stack[0].id } : {}) },
        channel: p.channel,
        locale: st.locale,
        ...(st.country ? { country: st.country } : {}),
      });
      abandonedAt = mark;
    };

    const outlook = async ({ country, since }: { country?: Country; since: number }): Promise<QueueOutlook> => {
      const h = country ? hours[country] : undefined;
      const a = available(country, since);
      const busy = h ? localHourAndDay(h.timeZone, since).hour : 12;
      const ahead = a.open ? Math.floor(r.next() * (busy >= 9 && busy <= 16 ? 5 : 2)) : r.int(0, 9);
      return {
        ahead,
        ...(r.chance(0.9) ? { typicalWaitMs: Math.round(r.logNormal(3.5 * MINUTE_MS, 0.35)) } : {}),
        open: a.open,
        ...(!a.open && a.reopensAt !== undefined ? { reopensAt: a.reopensAt } : {}),
        ...(h && !a.open ? { timeZone: h.timeZone } : {}),
      };
    };

    /** A customer's message, as the chat service applies and commits it. */
    async function customer(inbound: Inbound, at: number): Promise<TurnResult> {
      idleUntil(at);
      clock = at;
      const prev = state;
      const res = await bot.engine.turn(prev, inbound, { now: at, ...(prev ? {} : { locale: p.locale }), hold, outlook });
      if (keep) {
        const outbound = bot.render(res.outbound, res.state.locale);
        if (!prev && inbound.type === 'command') {
          for (const body of outbound) messages.push({ direction: 'out', body, at });
        } else {
          const shown = describeInbound(res.transcript, labelIn((prev ?? res.state).locale));
          messages.push({ direction: 'in', body: { ...res.transcript, display: shown }, at });
          for (const body of outbound) messages.push({ direction: 'out', body, at });
        }
      }
      stamp(res.events, res.state);
      // Every turn is committed (a version), and a committed turn clears the abandonment mark.
      version = prev ? version + 1 : 1;
      abandonedAt = undefined;
      committedAt = at;
      state = res.state;
      actions++;
      return res;
    }

    /** An agent's action from the console; false when the engine refused it. */
    function staff(action: StaffAction, at: number): boolean {
      if (!state) return false;
      const res = bot.engine.staff(state, action, { now: at });
      if (!res.ok) return false;
      clock = at;
      if (!res.changed) return true;
      if (keep) for (const body of bot.render(res.outbound, res.state.locale)) messages.push({ direction: 'out', body: { ...body, via: STAFF_MARK }, at });
      stamp(res.events, res.state);
      version++;
      committedAt = at;
      state = res.state;
      return true;
    }

    const think = (median: number, sigma = 0.8): number => {
      // Now and then a long pause (a meeting, lunch): longer than the abandonment threshold at times.
      const t = r.chance(0.008) ? r.logNormal(20 * MINUTE_MS, 0.8) : r.logNormal(median, sigma);
      return Math.round(Math.min(8 * HOUR_MS, Math.max(2_000, t)));
    };

    // ---- the opening: web chat opens with the greeting; Slack and Teams with the customer's first message.
    if (p.channel === 'webchat') await customer({ type: 'command', command: 'start' }, t0);
    else await customer({ type: 'text', text: r.chance(0.55) ? say(r, ASKS[p.procedure], p.locale) : say(r, GREETINGS, p.locale) }, t0);

    // ---- the conversation, until it ends, the customer leaves, or the window closes.
    while (state && state.status === 'active' && actions < 90 && !p.visitor) {
      if (state.handoff) {
        if (!(await withPerson())) break;
        continue;
      }
      const d = decide();
      if ('silent' in d) break;
      if ('later' in d) {
        if (clock + d.later > end) break;
        clock += d.later;
        continue;
      }
      const at = clock + d.think;
      if (at > end) break;
      await customer(d.inbound, at);
    }
    idleUntil(end);
    hold.clear();

    const final = state as ConversationState;
    return {
      conversation: {
        id,
        channel: p.channel,
        ...(channelKey ? { channelKey } : {}),
        state: final,
        version,
        createdAt: t0,
        updatedAt: final.updatedAt,
        ...(abandonedAt !== undefined ? { abandonedAt } : {}),
      },
      messages,
      events,
    };

    // ---- the customer at a step ------------------------------------------------------------------

    function decide(): Decision {
      const st = state as ConversationState;
      const where = whereIs(st);
      const key = `${where.flow}/${where.step}`;
      const step = STEPS.get(key);
      if (!step) return { silent: true };
      const pol = POLICY[key] ?? {};
      const median = pol.think ?? (where.flow === 'triage' ? 22_000 : step.canFail ? 80_000 : 35_000);
      const wait = think(median, pol.sigma ?? 0.8);
      const n = tries.get(key) ?? 0;
      tries.set(key, n + 1);
      if (n > 6) return { silent: true };

      // Going silent: more likely where it is hard, and when they have been here before.
      const quit = (pol.quit ?? (TROUBLE.test(where.step) ? 0.05 : step.canFail ? 0.007 : where.flow === 'triage' ? 0.012 : 0.003)) * p.quitting * (n > 0 ? 1.4 : 1);
      if (r.chance(quit)) {
        // Some come back hours later and carry on (the abandonment mark is then cleared).
        return r.chance(0.12) ? { later: Math.round(r.logNormal(2.5 * HOUR_MS, 1)) } : { silent: true };
      }
      if (p.asksPersonAt !== undefined && actions >= p.asksPersonAt && where.flow !== 'wrap-up') {
        delete p.asksPersonAt;
        const offered = choicesOf(step, st.flow.context).some((c) => c.id === 'person');
        if (offered && r.chance(0.5)) return { inbound: { type: 'choice', id: `${key}/person` }, think: wait };
        return { inbound: { type: 'text', text: say(r, PERSON_PLEASE, p.locale) }, think: wait };
      }
      if (step.canFail && r.chance(0.025)) return { inbound: { type: 'text', text: say(r, HELP, p.locale) }, think: wait };
      if (st.trail.length > 0 && r.chance(0.006)) return { inbound: { type: 'text', text: say(r, BACK, p.locale) }, think: wait };
      if (r.chance(0.004)) return { inbound: { type: 'text', text: say(r, NONSENSE, p.locale) }, think: wait };
      if (p.locale === 'en' && r.chance(0.01)) {
        // A Spanish speaker whose browser or Teams is in English: the bot in Spanish, and they write Spanish from now on.
        p.locale = 'es';
        return { inbound: { type: 'text', text: r.pick(['español', 'en español']) }, think: wait };
      }

      switch (step.expects) {
        case 'text':
          return { inbound: typedId(step, key), think: wait };
        case 'file':
          return { inbound: upload(key), think: wait };
        case 'secret':
          return { inbound: pin(key), think: wait };
        case 'choice':
          return { inbound: answer(step, key, where.flow, where.step, n), think: wait };
      }
    }

    function answer(step: Step<unknown>, key: string, flow: FlowId, path: string, n: number): Inbound {
      const st = state as ConversationState;
      const options = choicesOf(step, st.flow.context);
      const ids = options.map((o) => o.id);
      let choice: string;
      if (flow === 'triage') {
        return triage(path, ids);
      } else if (flow === 'wrap-up' && path === 'solved') {
        const solvedChance = lastResult === 'completed' ? 0.91 : lastResult === 'ended' ? 0.55 : 0.6;
        choice = r.chance(solvedChance) ? 'yes' : 'no';
      } else if (flow === 'wrap-up' && path === 'rating') {
        choice = r.weighted(st.flow.context && (st.flow.context as { solved?: boolean }).solved ? RATING_SOLVED : RATING_UNSOLVED);
      } else if (flow === 'verify-certificate' && path === 'offer') {
        choice = r.chance(p.checks) ? 'yes' : 'no';
      } else {
        const pol = POLICY[key] ?? {};
        const weights: Record<string, number> = {};
        if (step.canFail && pol.fail !== undefined && ids.includes('worked') && ids.includes('failed')) {
          let fail = pol.fail * p.clumsiness * (n > 0 ? 0.5 : 1);
          if (incident && clock >= incident.from && clock < incident.to && /(^|\.)login$/.test(path) && flow.startsWith('atv.')) fail += 0.3;
          fail = Math.min(0.85, fail);
          const person = ids.includes('person') ? (pol.weights?.person ?? 1) / 100 : 0;
          weights.worked = 1 - fail - person;
          weights.failed = ids.includes('error') ? fail * 0.6 : fail;
          if (ids.includes('error')) weights.error = fail * 0.4;
          if (person > 0) weights.person = person;
        } else {
          // Listed weights; an unlisted option a little, a person rarely.
          const listed = Object.values(pol.weights ?? {}).reduce((a, b) => a + b, 0);
          for (const id of ids) weights[id] = pol.weights?.[id] ?? (listed > 0 ? listed * (id === 'person' ? 0.02 : 0.05) : id === 'person' ? 0.05 : 1);
        }
        choice = r.weighted(weights);
      }
      // Sometimes typed rather than pressed: the label's words, a synonym the vocabulary knows, or its number.
      if (choice !== 'person' && !choice.startsWith('rate-') && r.chance(p.typing)) {
        const option = options.find((o) => o.id === choice);
        const how = r.weighted({ label: 55, synonym: SYNONYMS[choice] ? 30 : 0, number: 15 });
        if (how === 'synonym') return { type: 'text', text: say(r, SYNONYMS[choice] as Words, p.locale) };
        if (how === 'number') return { type: 'text', text: String(ids.indexOf(choice) + 1) };
        if (option) return { type: 'text', text: bot.translator.t(option.label, p.locale) };
      }
      return { type: 'choice', id: `${key}/${choice}` };
    }

    /** At triage: their procedure's button, their own words, "not sure", or the country. */
    function triage(path: string, ids: readonly string[]): Inbound {
      const mine = TRIAGE_OPTION[p.procedure];
      const choice = (id: string): Inbound => ({ type: 'choice', id: `triage/${path}/${id}` });
      if (path === 'askCountry') return choice(p.country === 'CL' ? 'cl' : 'cr');
      if (!ids.includes(mine)) {
        // Routed to the wrong country: say which one they mean.
        return { type: 'text', text: say(r, COUNTRY_HINTS[p.country], p.locale) };
      }
      if (path === 'greeting' || path === 'notUnderstood') {
        const how = r.weighted({ button: path === 'greeting' ? 55 : 75, words: 33, unsure: 7, country: 3, hello: path === 'greeting' ? 2 : 0 });
        if (how === 'words') return { type: 'text', text: say(r, ASKS[p.procedure], p.locale) };
        if (how === 'unsure' && ids.includes('not-sure')) return choice('not-sure');
        if (how === 'country') return { type: 'text', text: say(r, COUNTRY_HINTS[p.country], p.locale) };
        if (how === 'hello') return { type: 'text', text: say(r, GREETINGS, p.locale) };
      }
      return choice(mine);
    }

    /** The RUT or cédula the check asks for: typed (sometimes mistyped), or skipped. */
    function typedId(step: Step<unknown>, key: string): Inbound {
      const offered = choicesOf(step, (state as ConversationState).flow.context).map((c) => c.id);
      if (offered.includes('skip-id') && r.chance(0.25)) return { type: 'choice', id: `${key}/skip-id` };
      if (r.chance(0.08)) {
        // A digit wrong: the check digit (RUT) or the length (cédula) gives it away.
        const t = p.holder.typed;
        return { type: 'text', text: p.country === 'CL' ? `${t.slice(0, -1)}${t.endsWith('1') ? '2' : '1'}` : `${t}9` };
      }
      return { type: 'text', text: p.holder.typed };
    }

    /** A certificate file: the right kind most of the time; a wrong type now and then. */
    function upload(key: string): Inbound {
      if (r.chance(0.08)) return { type: 'choice', id: `${key}/skip` };
      if (r.chance(0.01)) {
        // The PIN mentioned in passing, in plain view: masked by the engine before it is written.
        const secret = pinOf(false);
        onSecret?.(id, secret);
        return { type: 'text', text: p.locale === 'es' ? `mi pin es ${secret}` : `my pin is ${secret}` };
      }
      fileNo++;
      if (r.chance(0.05)) return { type: 'file', name: r.pick(['certificado.cer', 'firma.pdf', 'llave.zip', 'certificado.crt']), bytes: new Uint8Array(r.int(900, 4000)) };
      const cr = p.country === 'CR';
      const digits = p.holder.id.replace(/\D/g, '');
      const name = cr
        ? r.weighted({ [`${digits}.p12`]: 70, [`${digits} (1).p12`]: 10, 'llave_criptografica.p12': 20 })
        : r.weighted({ [`firma_${digits}.pfx`]: 45, 'certificado.pfx': 30, 'FirmaElectronica.p12': 25 });
      // Later files are more often the right one.
      const first = fileNo === 1;
      const kind = r.weighted<FileKind>({
        ok: first ? 84 : 93,
        expired: first ? 5 : 2,
        staging: cr ? (first ? 5 : 2) : 0,
        mismatch: first ? 3 : 1,
        'expires-soon': 3,
      });
      const issued = clock - r.int(20, 700) * DAY_MS;
      const notAfter = kind === 'expired' ? clock - r.int(1, 120) * DAY_MS : kind === 'expires-soon' ? clock + r.int(2, 28) * DAY_MS : clock + r.int(40, 700) * DAY_MS;
      const other = holderOf(r, p.country);
      const spec: FileSpec = {
        k: kind,
        p: filePin,
        c: p.country,
        n: kind === 'mismatch' ? other.name : p.holder.name,
        i: kind === 'mismatch' ? other.id : p.holder.id,
        t: kind === 'mismatch' ? other.idType : p.holder.idType,
        nb: Math.min(issued, notAfter - 30 * DAY_MS),
        na: notAfter,
        s: r.hex(16).toUpperCase(),
        f: Array.from({ length: 32 }, () => r.hex(2).toUpperCase()).join(':'),
      };
      return { type: 'file', name, bytes: fileBytes(spec, r.int(2_500, 6_500)) };
    }

    /** The PIN or password: right most of the time, unless they forgot it. */
    function pin(key: string): Inbound {
      if (r.chance(0.04)) return { type: 'choice', id: `${key}/skip` };
      const wrong = r.chance(p.forgotPin ? 0.85 : secretTries === 0 ? 0.2 : 0.12);
      secretTries++;
      const secret = wrong ? pinOf(false) : filePin;
      onSecret?.(id, secret);
      // On Slack a few type it as a message instead of the private box: taken, masked, and they are told to delete it.
      if (p.channel === 'slack' && r.chance(0.1)) return { type: 'text', text: secret };
      return { type: 'secret', text: secret };
    }

    function pinOf(real: boolean): string {
      if (p.country === 'CR') {
        let s = String(r.int(0, 9999)).padStart(4, '0');
        // Avoid a "wrong" PIN that happens to be the right one.
        if (!real && s === filePin) s = String((Number(s) + 1) % 10_000).padStart(4, '0');
        return s;
      }
      const words = ['Firma', 'Clave', 'Empresa', 'Sii', 'Cert', 'Pyme'];
      return `${r.pick(words)}${r.pick(['.', '_', '#', '-', '!'])}${r.int(1000, 9999)}${r.pick(['', 'a', 'x', 'Z'])}`;
    }

    // ---- with a person -------------------------------------------------------------------------

    /** Waits for an agent, talks, and ends (false) or goes back to the bot (true). */
    async function withPerson(): Promise<boolean> {
      handoffs++;
      const st = state as ConversationState;
      const h = st.handoff;
      if (!h) return true;
      const asked = h.at;
      const country = st.country;
      const avail = available(country, asked);
      let t = clock;

      if (h.status !== 'assigned') {
        if (h.awaitingEmail && r.chance(0.45)) {
          t += think(50_000);
          if (t > end) return false;
          const email = emailOf(r, p.holder);
          await customer({ type: 'text', text: r.chance(0.5) ? email : p.locale === 'es' ? `mi correo es ${email}` : `my email is ${email}` }, t);
        }
        // Inside hours a few minutes; outside, until agents are back and work through the night's queue.
        const claimAt = avail.open
          ? asked + Math.round(r.logNormal(3 * MINUTE_MS, 0.9))
          : (avail.reopensAt ?? asked + 14 * HOUR_MS) + Math.round(r.logNormal(25 * MINUTE_MS, 0.8));
        const patience = r.logNormal(avail.open ? 9 * MINUTE_MS : 30 * MINUTE_MS, 0.7) * p.patience;
        if (claimAt - asked > patience && r.chance(avail.open ? 0.5 : 0.12) && handoffs <= 2) {
          // Tired of waiting: back to the assistant where they were.
          const at = Math.max(t + 2_000, asked + Math.round(patience));
          if (at > end) return false;
          await customer(r.chance(0.8) ? { type: 'choice', id: CANCEL_HANDOFF } : { type: 'text', text: p.locale === 'es' ? 'volver al asistente' : 'back to the assistant' }, at);
          return !(state as ConversationState).handoff;
        }
        if (r.chance(0.35)) {
          const at = Math.max(t + 2_000, asked + Math.round((claimAt - asked) * (0.2 + 0.6 * r.next())));
          if (at < claimAt && at <= end) {
            await customer({ type: 'text', text: say(r, WAITING, p.locale) }, at);
            t = at;
          }
        }
        if (claimAt > end) return false;
        t = Math.max(t, claimAt);
        if (!staff({ type: 'claim', agent: agentRef(pickAgent(country)) }, t)) return false;
      }

      let agent = SEED_AGENTS.find((a) => a.id === (state as ConversationState).handoff?.agent?.id) ?? pickAgent(country);
      const goesBack = handoffs <= 2 && r.chance(agent.returns);
      const tag = r.weighted(CLOSE_TAGS);
      const engaged = goesBack || tag !== 'no-response';
      const lines = AGENT_LINES[country ?? p.country];

      t += Math.round(r.logNormal(50_000, 0.6));
      if (t > end || !staff({ type: 'reply', agent: agentRef(agent), text: say(r, lines, (state as ConversationState).locale) }, t)) return false;
      if (engaged) {
        t += think(45_000);
        if (t > end) return false;
        await customer({ type: 'text', text: say(r, TO_AGENT, p.locale) }, t);
      }
      if (r.chance(0.05)) {
        const to = pickAgent(country, agent.id);
        t += Math.round(r.logNormal(2 * MINUTE_MS, 0.6));
        if (t > end || !staff({ type: 'transfer', agent: agentRef(agent), to: agentRef(to) }, t)) return false;
        agent = to;
      }
      if (r.chance(0.55)) {
        t += Math.round(r.logNormal(2.5 * MINUTE_MS, 0.7));
        if (t > end || !staff({ type: 'reply', agent: agentRef(agent), text: say(r, lines, (state as ConversationState).locale) }, t)) return false;
        if (engaged && r.chance(0.7)) {
          t += think(60_000);
          if (t > end) return false;
          await customer({ type: 'text', text: tag === 'solved' && !goesBack ? say(r, THANKS, p.locale) : say(r, TO_AGENT, p.locale) }, t);
        }
      }
      if (goesBack) {
        // "Let the bot walk you through it": where they were, or the start of their procedure.
        t += Math.round(r.logNormal(MINUTE_MS, 0.6));
        if (t > end) return false;
        const cur = state as ConversationState;
        const procedure = [cur.flow.id, ...cur.stack.map((s) => s.id)].find((f): f is Procedure => f in COUNTRY_OF);
        const action: StaffAction = procedure && r.chance(0.3) ? { type: 'return', agent: agentRef(agent), flow: procedure } : { type: 'return', agent: agentRef(agent) };
        if (!staff(action, t)) return false;
        return !(state as ConversationState).handoff;
      }
      t += Math.round(r.logNormal(tag === 'no-response' ? 15 * MINUTE_MS : 2 * MINUTE_MS, 0.6));
      if (t > end) return false;
      staff({ type: 'close', agent: agentRef(agent), tag }, t);
      return false;
    }

    function pickAgent(country: Country | undefined, not?: string): Agent {
      const pool = SEED_AGENTS.filter((a) => a.id !== not && (!country || a.serves.includes(country)));
      return r.pick(pool.length > 0 ? pool : SEED_AGENTS);
    }
  }
}
