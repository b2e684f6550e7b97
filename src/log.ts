/** Log options: JSON lines (pino) with the request id, and every place a secret could hide redacted. */

/**
 * Headers and fields that may carry credentials. Request bodies are never logged (Fastify logs
 * method, URL and status); turns log ids, not what the customer wrote.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-slack-signature"]',
  'res.headers["set-cookie"]',
  '*.token',
  '*.pin',
  '*.password',
  '*.secret',
];

export function loggerOptions(level: string): object {
  return {
    level,
    base: { service: 'llavero' },
    redact: { paths: REDACT_PATHS, censor: '••••' },
    // ISO timestamps read better in any log store than epoch ms.
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
  };
}
