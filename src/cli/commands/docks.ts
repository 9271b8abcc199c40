// `sealdock docks check [--json]`: run before wiping a dock. Exit 0 only when it is safe (every
// file with content is archived and verified); 1 with the list of what is not, otherwise.
import type { Command } from 'commander';
import { checkDock, type CheckedEntry } from '../../docks/check.js';
import { SealdockError } from '../../errors.js';
import { cliConfig, openCatalogFor, type GlobalOptions } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, printLines, printTable } from '../output.js';

export function registerDocks(program: Command, globals: () => GlobalOptions): void {
  const docks = program.command('docks').description('the dock folders');
  docks
    .command('check')
    .description(
      'every file on every dock: archived (by SHA-256), pending, or not taken and why; run before wiping a dock',
    )
    .option('--dock <id>', 'only this dock')
    .option('--json', 'machine-readable output')
    .action(async (o: { dock?: string; json?: boolean }) => {
      const config = cliConfig(globals());
      const chosen = config.docks.filter((d) => !o.dock || d.id === o.dock);
      if (o.dock && chosen.length === 0) throw new SealdockError('USAGE', `no dock ${o.dock} in the configuration`);
      const cat = openCatalogFor(config);
      const entries: CheckedEntry[] = [];
      try {
        const lookups = {
          itemBySha256: (sha256: string) => {
            const e = cat.repo.findBySha256(sha256);
            return e ? { id: e.id, state: e.state, originalVerified: originalVerified(e.id, e.sha256) } : null;
          },
          itemBySidecarSha256: (sha256: string) => {
            const e = cat.repo.findByAcceptedSidecarSha256(sha256);
            return e ? { id: e.id, originalVerified: originalVerified(e.id, e.sha256) } : null;
          },
        };
        const originalVerified = (id: string, sha256: string) =>
          cat.repo.archiveObjects.ofItem(id).some((a) => a.kind === 'original' && a.sha256 === sha256 && a.verifiedAt);
        for (const dock of chosen) entries.push(...(await checkDock(dock, config.intake.maxDepth, lookups)));
      } finally {
        cat.close();
      }
      const unsafe = entries.filter((e) => !e.safeToWipe);
      const verdict =
        unsafe.length === 0
          ? `SAFE TO WIPE: every file with content on ${chosen.map((d) => d.id).join(', ')} is archived and verified`
          : `NOT SAFE TO WIPE: ${unsafe.length} of ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} would be lost`;
      process.exitCode = unsafe.length === 0 ? EXIT.ok : EXIT.failure;
      if (o.json) return printJson({ safeToWipe: unsafe.length === 0, verdict, entries });
      printTable(
        ['status', 'safe', 'dock', 'path', 'detail'],
        entries.map((e) => [
          e.status + (e.reason ? ` (${e.reason})` : ''),
          e.safeToWipe ? 'yes' : 'NO',
          e.dockId,
          e.path,
          e.detail,
        ]),
      );
      printLines(['', verdict]);
    });
}
