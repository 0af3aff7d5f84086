import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs to stdout. `app` and `component` are the labels Loki selects on; request-scoped
 * fields (reqId, userId, operation, symbol, orderId, durationMs, outcome) are plain fields.
 * Secrets never reach a log line: the redact list is a safety net, not a licence.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'trading-api' },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'variables'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
