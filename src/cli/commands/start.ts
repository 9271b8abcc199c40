import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { installCrashPolicy } from '../../crash-policy.js';
import { startDaemon } from '../../daemon.js';
import { createLogger } from '../../logging.js';
import type { GlobalOptions } from '../context.js';

export function registerStart(program: Command, globals: () => GlobalOptions): void {
  program
    .command('start')
    .description('run the daemon: docks, pipeline and API')
    .action(async () => {
      const { config, sources, unknownEnv } = loadConfig({ file: globals().config });
      const log = createLogger(config.log.level, undefined, config.log.format);
      const crashPolicy = installCrashPolicy(log);
      log.info({ sources }, 'configuration loaded');
      if (unknownEnv.length)
        log.warn({ variables: unknownEnv }, 'SEALDOCK_* variables that name no configuration key were ignored (typo?)');
      const daemon = await startDaemon(config, log);
      crashPolicy.setLastWords(() => daemon.sealAuditTail());
      await new Promise<void>((resolve) => {
        const onSignal = (sig: string) => {
          log.info({ signal: sig }, 'signal received');
          void daemon.stop().then(resolve);
        };
        process.once('SIGTERM', () => onSignal('SIGTERM'));
        process.once('SIGINT', () => onSignal('SIGINT'));
      });
      crashPolicy.uninstall();
      log.flush();
    });
}
