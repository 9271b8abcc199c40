import type { Command } from 'commander';
import { summarize } from '../../catalog/views.js';
import { annotate } from '../../usecases/annotate.js';
import { SealdockError } from '../../errors.js';
import { cliActor, cliConfig, openCatalogFor, type GlobalOptions } from '../context.js';
import { printJson, printLines } from '../output.js';

interface AnnotateOptions {
  case?: string;
  purpose?: string;
  place?: string;
  lat?: string;
  lon?: string;
  collector?: string;
  collectorId?: string;
  recordedAt?: string;
  duration?: string;
  reason?: string;
  json?: boolean;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new SealdockError('USAGE', `${name} must be a number`);
  return n;
}

export function registerAnnotate(program: Command, globals: () => GlobalOptions): void {
  program
    .command('annotate <id>')
    .description('set elements explicitly (strongest source); every change is audited')
    .option('--case <caseNumber>', '案件编号')
    .option('--purpose <text>', '证明对象')
    .option('--place <text>', '采集地点')
    .option('--lat <deg>', 'latitude of the place')
    .option('--lon <deg>', 'longitude of the place')
    .option('--collector <name>', '采集人')
    .option('--collector-id <id>', 'badge / staff id of the collector')
    .option('--recorded-at <iso>', '采集时间, ISO 8601 with offset')
    .option('--duration <seconds>', 'duration of the recording')
    .option('--reason <text>', 'why, for the audit log')
    .option('--json', 'machine-readable output')
    .action((id: string, o: AnnotateOptions) => {
      const input: Record<string, unknown> = {};
      if (o.case !== undefined) input.caseNumber = o.case;
      if (o.purpose !== undefined) input.purpose = o.purpose;
      if (o.place !== undefined) input.place = { text: o.place, lat: num('--lat', o.lat), lon: num('--lon', o.lon) };
      else if (o.lat !== undefined || o.lon !== undefined)
        throw new SealdockError('USAGE', '--lat/--lon go with --place');
      if (o.collector !== undefined) input.collector = { name: o.collector, id: o.collectorId };
      else if (o.collectorId !== undefined) throw new SealdockError('USAGE', '--collector-id goes with --collector');
      if (o.recordedAt !== undefined)
        input.recordedAt = { start: o.recordedAt, durationSeconds: num('--duration', o.duration) };
      for (const v of Object.values(input)) {
        if (v && typeof v === 'object')
          for (const [k, x] of Object.entries(v)) if (x === undefined) delete (v as Record<string, unknown>)[k];
      }
      const config = cliConfig(globals());
      const cat = openCatalogFor(config);
      try {
        const { item, changes } = annotate(
          { repo: cat.repo, devices: cat.devices, config },
          id,
          input,
          cliActor(),
          o.reason,
        );
        if (o.json) return printJson({ ...summarize(item), elements: item.elements, changes });
        printLines([
          changes.length
            ? `${changes.length} element(s) changed: ${changes.map((c) => c.key).join(', ')}`
            : 'no element changed',
          `state: ${item.state}${item.missing.length ? ` (still missing: ${item.missing.join(', ')})` : ''}`,
        ]);
      } finally {
        cat.close();
      }
    });
}
