import type { RelayLogger } from '@postern/core';
import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Keys that must never be printed even if a field carrying them slips into a log call: the engine never
 * passes tokens or request headers to its logger, and this is the second line of defence.
 */
const REDACT = [
  'projectToken',
  '*.projectToken',
  'authorization',
  '*.authorization',
  'cookie',
  '*.cookie',
  'headers',
  '*.headers',
  'token',
  '*.token',
];

/** JSON lines on stdout (or `destination`), one object per event. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { level, base: { service: 'postern' }, redact: { paths: REDACT, censor: '[redacted]' } },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** The engine's logger interface on top of pino. */
export function relayLogger(logger: Logger): RelayLogger {
  return {
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}
