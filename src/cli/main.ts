// `sealdock <command>`. Exit codes: 0 ok, 1 failure, 2 usage error, 3 verification failed.
import { Command, CommanderError } from 'commander';
import { errorMessage, isSealdockError } from '../errors.js';
import { SEALDOCK_VERSION } from '../util/version.js';
import type { GlobalOptions } from './context.js';
import { EXIT } from './exit-codes.js';

type Register = (program: Command, globals: () => GlobalOptions) => void;
type RegisterLoader = () => Promise<Register>;

const evidence: RegisterLoader = async () => (await import('./commands/evidence.js')).registerEvidenceCommands;
const archiveAdmin: RegisterLoader = async () => (await import('./commands/archive-admin.js')).registerArchiveAdmin;
/**
 * Each top-level command and the module that registers it, in the order `--help` lists them.
 * Only the module of the command asked for is loaded: loading them all (the daemon, the S3 SDK,
 * node-forge, pkijs, prom-client) took ~0.4 s before any command ran, a third of
 * `sealdock report --year` at 1M items. Help, and a name we do not know, load them all.
 */
const COMMANDS: [name: string, load: RegisterLoader][] = [
  ['start', async () => (await import('./commands/start.js')).registerStart],
  ['status', evidence],
  ['list', evidence],
  ['show', evidence],
  ['annotate', async () => (await import('./commands/annotate.js')).registerAnnotate],
  ['devices', async () => (await import('./commands/devices.js')).registerDevices],
  ['docks', async () => (await import('./commands/docks.js')).registerDocks],
  ['audit', async () => (await import('./commands/audit.js')).registerAudit],
  ['verify', async () => (await import('./commands/verify.js')).registerVerify],
  ['seal', async () => (await import('./commands/seal.js')).registerSeal],
  ['hold', archiveAdmin],
  ['release', archiveAdmin],
  ['retain', archiveAdmin],
  ['reindex', archiveAdmin],
  ['export', async () => (await import('./commands/export.js')).registerExport],
  ['report', async () => (await import('./commands/report.js')).registerReport],
  ['tokens', async () => (await import('./commands/tokens.js')).registerTokens],
];

/** The command named on the line (the first word that is not a global option or its value). */
export function commandNamed(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c' || a === '--config') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

export async function buildProgram(args: readonly string[] = []): Promise<Command> {
  const program = new Command();
  program
    .name('sealdock')
    .description('Preserve, stamp, seal and immutably archive body-worn camera footage.')
    .version(SEALDOCK_VERSION)
    .option('-c, --config <file>', 'config file overriding the embedded defaults (or SEALDOCK_CONFIG)')
    .showHelpAfterError()
    .exitOverride();
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const named = commandNamed(args);
  const wanted = COMMANDS.filter(([name]) => name === named);
  const loaders = [...new Set((wanted.length > 0 ? wanted : COMMANDS).map(([, load]) => load))];
  for (const register of await Promise.all(loaders.map((load) => load()))) register(program, globals);
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
  const program = await buildProgram(argv.slice(2));
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (!(err instanceof CommanderError)) process.stderr.write(`sealdock: ${errorMessage(err)}\n`);
    return exitCodeFor(err);
  }
}
