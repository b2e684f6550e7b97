/** The certificate report: what `inspect()` returns and what flows, channels and the CLI render. No key material, ever. */

export const CHECK_IDS = [
  'file.format',
  'file.limits',
  'secret.correct',
  'key.present',
  'key.matches-certificate',
  'certificate.validity',
  'identity.present',
  'identity.valid',
  'identity.matches',
  'environment.production',
  'key.usage',
  'key.strength',
  'file.name',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export type Verdict = 'ok' | 'warning' | 'fail';
export type Country = 'CL' | 'CR';
/** rut: Chile; cpf: cédula física; cpj: cédula jurídica; dimex: foreign resident; nite: tax-only id. */
export type IdType = 'rut' | 'cpf' | 'cpj' | 'dimex' | 'nite';

export interface Check {
  id: CheckId;
  status: CheckStatus;
  /** Stable outcome code, e.g. `secret.incorrect`, `certificate.expired`; tests assert it. */
  code: string;
  /** i18next key (namespace `certs`) that says what it means and what to do. */
  messageKey: string;
  params?: Record<string, string | number>;
}

export interface Holder {
  name?: string;
  country?: Country;
  idType?: IdType;
  /** Normalised id: RUT `12345678-5`; cédula digits as the tax authority writes them. */
  id?: string;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string; // ISO-8601
  notAfter: string; // ISO-8601
  fingerprintSha256: string;
  keyType?: string; // 'rsa' | 'ec' | 'rsa-pss' | 'ed25519' ...
  keyBits?: number;
  chainLength: number;
}

export type Environment = 'production' | 'staging' | 'unknown';

export interface CertReport {
  verdict: Verdict;
  checks: Check[];
  holder?: Holder;
  certificate?: CertificateInfo;
  environment: Environment;
}

export interface InspectOptions {
  /** Country the customer is in; decides which identity and environment rules apply. Guessed from the issuer when absent. */
  country?: Country;
  /** The RUT or cédula the customer says is theirs (or their company's legal representative's). */
  expectedId?: string;
  /** Original file name, for the `file.name` check (Costa Rica). */
  fileName?: string;
  /** The instant validity is judged at (tests, `--at`). Defaults to the real clock at the edge. */
  now?: Date;
  /** Size cap in bytes, checked before parsing. Default 64 KiB. */
  maxBytes?: number;
  /** Cap on any PBKDF/MAC iteration count read from the file, checked before deriving keys. Default 600,000. */
  maxIterations?: number;
}

/** The port the conversation engine calls. Implemented by `src/certs` (worker pool); absent means "no check offered". */
export type VerifyCertificate = (
  file: Uint8Array,
  secret: string,
  options: InspectOptions,
) => Promise<CertReport>;
