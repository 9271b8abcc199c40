import fs from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { Command } from 'commander';
import { sealConfigOf } from '../../config/adapters.js';
import { createLogger } from '../../logging.js';
import { DEV_SEAL_WARNING, createSealService, initDevSeal } from '../../seal/index.js';
import { devSealFiles } from '../../seal/dev-seal.js';
import { cliConfig, type GlobalOptions } from '../context.js';
import { printJson, printLines } from '../output.js';

export function registerSeal(program: Command, globals: () => GlobalOptions): void {
  const seal = program.command('seal').description('the electronic seal (电子签章) manifests are sealed with');

  seal
    .command('init')
    .description('make a DEVELOPMENT CA and seal certificate under dataDir (never for production)')
    .option('--organisation <name>', 'O= of the seal certificate')
    .action((o: { organisation?: string }) => {
      const config = cliConfig(globals());
      const cfg = sealConfigOf(config);
      const created = initDevSeal(cfg.devDir, o.organisation ?? cfg.organisation ?? undefined);
      const files = devSealFiles(cfg.devDir);
      process.stderr.write(`\n${DEV_SEAL_WARNING}\n`);
      printLines([
        created ? `development seal created in ${files.dir}` : `development seal already present in ${files.dir}`,
        `CA certificate (give this to auditors): ${files.caCertFile}`,
      ]);
    });

  seal
    .command('show')
    .description('the seal in use: subject, validity, fingerprint')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) => {
      const config = cliConfig(globals());
      const cfg = sealConfigOf(config);
      const service = createSealService(cfg, createLogger('silent'));
      const dev = devSealFiles(cfg.devDir);
      const caFile = service.info.development ? dev.caCertFile : (config.seal.chainFile ?? null);
      const ca = caFile && fs.existsSync(caFile) ? new X509Certificate(fs.readFileSync(caFile)) : null;
      const view = { ...service.info, caFile, caSubject: ca?.subject ?? null, tsaUrl: config.seal.tsaUrl };
      if (o.json) return printJson(view);
      printLines([
        `subject:     ${view.subject}`,
        `valid until: ${view.notAfter}`,
        `sha256:      ${view.certificateSha256}`,
        `kind:        ${view.development ? 'DEVELOPMENT seal — not for evidence that leaves this machine' : 'configured seal'}`,
        ...(caFile ? [`CA file:     ${caFile}`] : []),
        `timestamps:  ${view.tsaUrl ?? 'none (seal.tsaUrl not set)'}`,
      ]);
    });
}
