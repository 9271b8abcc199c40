// JSON logs with pino. Secrets never reach a log line: tokens, passphrases, keys and
// Authorization headers are redacted wherever they appear.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'token',
  '*.token',
  'passphrase',
  '*.passphrase',
  'secretAccessKey',
  '*.secretAccessKey',
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  '*.authorization',
  'privateKey',
  '*.privateKey',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'sealdock', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
