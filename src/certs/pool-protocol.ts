/** Messages between the certificate checker pool and its worker threads. */
import type { CertReport, InspectOptions } from './report.ts';

/** Main → worker. `file` is transferred, not copied. */
export interface CheckRequest {
  id: number;
  file: ArrayBuffer;
  secret: string;
  options: InspectOptions;
}

/** Worker → main. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; report: CertReport }
  | { type: 'failed'; id: number };
