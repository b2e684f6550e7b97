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
  /** `activeMs`: how long the worker's thread was busy on it (event-loop utilisation), what the pool charges and learns its cost rate from. */
  | { type: 'result'; id: number; report: CertReport; activeMs: number }
  | { type: 'failed'; id: number };
