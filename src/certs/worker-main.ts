/** Worker thread body: runs `inspect()` for one request at a time and posts the report back. Never logs the secret. */
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { inspect } from './inspect.ts';
import type { CheckRequest, WorkerMessage } from './pool-protocol.ts';

const port = parentPort;
if (!port) throw new Error('worker-main.ts must run in a worker thread');

const send = (msg: WorkerMessage): void => port.postMessage(msg);

port.on('message', (req: CheckRequest) => {
  let msg: WorkerMessage;
  // This thread's own busy time (inspect() is synchronous, so it is the check's): process.cpuUsage() would count every thread.
  const before = performance.eventLoopUtilization();
  try {
    const report = inspect(new Uint8Array(req.file), req.secret, req.options);
    msg = { type: 'result', id: req.id, report, activeMs: performance.eventLoopUtilization(before).active };
  } catch {
    // inspect() promises never to throw; if it does anyway, the error text could quote file contents, so only say that it failed.
    msg = { type: 'failed', id: req.id };
  }
  send(msg);
});

// Tells the pool the (slow) loader and module graph are in place, so boot time never counts against a check's timeout.
send({ type: 'ready' });
