/** Worker bootstrap: plain JS so it loads without a TypeScript loader (vitest does not transform worker entry files), then loads the .ts worker. */
import { register } from 'tsx/esm/api';

// Idempotent enough when the parent already runs under `--import tsx` (execArgv is inherited): a second loader hook only re-resolves .ts files.
register();
await import('./worker-main.ts');
