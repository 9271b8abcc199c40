// Logs with pino: JSON lines (for journald, Docker, log shippers), or readable lines from
// pino-pretty when a person watches a terminal. Secrets never reach a log line: tokens,
// passphrases, keys and Authorization headers are redacted wherever they appear.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

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

/** `auto`: readable on a terminal (stderr is a TTY), JSON otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

function defaultDestination(format: LogFormat): pino.DestinationStream {
  const readable = format === 'pretty' || (format === 'auto' && process.stderr.isTTY === true);
  if (!readable) return pino.destination({ fd: 2, sync: false });
  // In-process and synchronous (no worker thread): a terminal is slow anyway, and a line is
  // never lost when the process exits.
  return pretty({
    destination: 2,
    sync: true,
    colorize: process.stderr.isTTY === true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
    ignore: 'pid,hostname,service',
  });
}

export function createLogger(level: string, destination?: pino.DestinationStream, format: LogFormat = 'auto'): Logger {
  return pino(
    {
      level,
      base: { service: 'sealdock', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination ?? defaultDestination(format),
  );
}
