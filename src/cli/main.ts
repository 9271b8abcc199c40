// `sealdock <command>`. Exit codes: 0 ok, 1 failure, 2 usage error, 3 verification failed.
import { Command, CommanderError } from 'commander';
import { errorMessage, isSealdockError } from '../errors.js';
import { SEALDOCK_VERSION } from '../util/version.js';
import { registerEvidenceCommands } from './commands/evidence.js';
import { registerStart } from './commands/start.js';
import type { GlobalOptions } from './context.js';
import { EXIT } from './exit-codes.js';
import { registerAnnotate } from './commands/annotate.js';
import { registerAudit } from './commands/audit.js';
import { registerDevices } from './commands/devices.js';
import { registerDocks } from './commands/docks.js';
import { registerSeal } from './commands/seal.js';
import { registerArchiveAdmin } from './commands/archive-admin.js';
import { registerExport } from './commands/export.js';
import { registerReport } from './commands/report.js';
import { registerTokens } from './commands/tokens.js';
import { registerVerify } from './commands/verify.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('sealdock')
    .description('Preserve, stamp, seal and immutably archive body-worn camera footage.')
    .version(SEALDOCK_VERSION)
    .option('-c, --config <file>', 'config file overriding the embedded defaults (or SEALDOCK_CONFIG)')
    .showHelpAfterError()
    .exitOverride();
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  registerStart(program, globals);
  registerEvidenceCommands(program, globals);
  registerAnnotate(program, globals);
  registerDevices(program, globals);
  registerDocks(program, globals);
  registerAudit(program, globals);
  registerVerify(program, globals);
  registerSeal(program, globals);
  registerArchiveAdmin(program, globals);
  registerExport(program, globals);
  registerReport(program, globals);
  registerTokens(program, globals);
  const override = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  return program;
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (isSealdockError(err, 'USAGE') || isSealdockError(err, 'BAD_INPUT') || isSealdockError(err, 'ELEMENT_INVALID'))
    return EXIT.usage;
  if (isSealdockError(err, 'VERIFY_FAILED')) return EXIT.verifyFailed;
  return EXIT.failure;
}

/** `sealdock list | head -1`: the reader left, so there is nothing more to say; exit quietly. */
function exitQuietlyOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(EXIT.ok);
      throw err;
    });
}

export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnBrokenPipe();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (!(err instanceof CommanderError)) process.stderr.write(`sealdock: ${errorMessage(err)}\n`);
    return exitCodeFor(err);
  }
}
