// One process-wide answer to "something threw and nobody caught it": log it, try to seal the audit
// tail (bounded in time: a broken process must not hang on the way out), and exit non-zero so the
// supervisor (systemd, a container runtime) restarts us. Carrying on after an unknown failure
// could mean archiving with a half-updated catalog; every stage is idempotent, so a restart loses
// nothing.
import type { Logger } from 'pino';
import { errorMessage } from './errors.js';

/** EX_SOFTWARE (sysexits.h): an internal error, distinct from a usage or verification failure. */
export const EXIT_CRASH = 70;

export interface CrashPolicy {
  /** What to try before exiting (seal the audit tail); given at most `graceMs`. */
  setLastWords(fn: (() => Promise<void>) | null): void;
  uninstall(): void;
}

export function installCrashPolicy(
  log: Logger,
  opts: { graceMs?: number; exit?: (code: number) => void } = {},
): CrashPolicy {
  const graceMs = opts.graceMs ?? 5000;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let lastWords: (() => Promise<void>) | null = null;
  let crashing = false;

  const crash = (kind: 'uncaughtException' | 'unhandledRejection', err: unknown) => {
    if (crashing) {
      log.fatal({ kind, err: errorMessage(err) }, 'second fatal error while exiting');
      return;
    }
    crashing = true;
    log.fatal({ kind, err }, `fatal ${kind}: exiting with code ${EXIT_CRASH} so the supervisor restarts sealdock`);
    const words = lastWords;
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
    void Promise.race([words ? words().then(() => 'done' as const) : Promise.resolve('none' as const), timeout])
      .then((how) => {
        if (how === 'done') log.info('audit tail sealed before exiting');
        if (how === 'timeout') log.error({ graceMs }, 'could not seal the audit tail in time; exiting anyway');
      })
      .catch((e: unknown) => log.error({ err: errorMessage(e) }, 'could not seal the audit tail before exiting'))
      .finally(() => {
        log.flush();
        exit(EXIT_CRASH);
      });
  };
  const onException = (err: unknown) => crash('uncaughtException', err);
  const onRejection = (err: unknown) => crash('unhandledRejection', err);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return {
    setLastWords(fn) {
      lastWords = fn;
    },
    uninstall() {
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
    },
  };
}
