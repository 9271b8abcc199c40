import type { Command } from 'commander';
import { collectorSchema } from '../../elements/validate.js';
import { formatWithOffset } from '../../media/recorded-at.js';
import { SealdockError } from '../../errors.js';
import { applyBindingBackwards } from '../../usecases/annotate.js';
import { cliActor, cliConfig, cliTimeZone, openCatalogFor, whenFlag, type GlobalOptions } from '../context.js';
import { printJson, printTable } from '../output.js';

export function registerDevices(program: Command, globals: () => GlobalOptions): void {
  const devices = program.command('devices').description('recorders and who carries them');

  devices
    .command('add <deviceId>')
    .description('register a recorder')
    .option('--label <text>', 'a human label')
    .option('--clock-offset <seconds>', 'how far the device clock runs ahead of true time (negative: behind)')
    .option('--json', 'machine-readable output')
    .action((deviceId: string, o: { label?: string; clockOffset?: string; json?: boolean }) => {
      if (!/^[\p{L}\p{N}][\p{L}\p{N}_.-]{0,63}$/u.test(deviceId))
        throw new SealdockError('USAGE', 'device id: letters, digits, _ . - (max 64)');
      const offset = o.clockOffset === undefined ? undefined : Number(o.clockOffset);
      if (offset !== undefined && !Number.isFinite(offset))
        throw new SealdockError('USAGE', '--clock-offset must be a number of seconds');
      const cat = openCatalogFor(cliConfig(globals()), { mustExist: false });
      try {
        const d = cat.devices.add({ id: deviceId, label: o.label, clockOffsetSeconds: offset }, cliActor());
        if (o.json) printJson(d);
        else process.stdout.write(`device ${d.id} added\n`);
      } finally {
        cat.close();
      }
    });

  devices
    .command('list')
    .description('recorders with their bindings')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) => {
      const cat = openCatalogFor(cliConfig(globals()), { mustExist: false });
      try {
        const list = cat.devices.list();
        if (o.json) return printJson(list);
        printTable(
          ['device', 'label', 'clock offset', 'collector', 'from', 'to'],
          list.flatMap((d) =>
            d.bindings.length
              ? d.bindings.map((b) => [
                  d.id,
                  d.label,
                  d.clockOffsetSeconds,
                  `${b.collector.name}${b.collector.id ? ` (${b.collector.id})` : ''}`,
                  b.validFrom,
                  b.validTo ?? 'open',
                ])
              : [[d.id, d.label, d.clockOffsetSeconds, null, null, null]],
          ),
        );
      } finally {
        cat.close();
      }
    });

  devices
    .command('bind <deviceId>')
    .description('bind a recorder to a collector (采集人) for a period')
    .requiredOption('--collector <name>', 'name of the person')
    .option('--collector-id <id>', 'badge / staff id')
    .requiredOption(
      '--from <when>',
      'start: a date (from its first instant, in the configured zone), a local time or an ISO instant',
    )
    .option('--to <when>', 'end: a date (that day included), a local time or an ISO instant (open-ended if absent)')
    .option('--json', 'machine-readable output')
    .action(
      (deviceId: string, o: { collector: string; collectorId?: string; from: string; to?: string; json?: boolean }) => {
        const collector = collectorSchema.safeParse({
          name: o.collector,
          ...(o.collectorId ? { id: o.collectorId } : {}),
        });
        if (!collector.success)
          throw new SealdockError('USAGE', `--collector: ${collector.error.issues.map((i) => i.message).join('; ')}`);
        const config = cliConfig(globals());
        const zone = cliTimeZone(config);
        // Stored with the zone's offset, as typed times are read: 2026-11-01 → 2026-11-01T00:00:00+08:00.
        const at = (flag: string, v: string, bound: 'start' | 'end') =>
          formatWithOffset(whenFlag(config, flag, v, { bound, span: null }).getTime(), zone);
        const validFrom = at('--from', o.from, 'start');
        const validTo = o.to === undefined ? undefined : at('--to', o.to, 'end');
        if (validTo !== undefined && Date.parse(validTo) <= Date.parse(validFrom))
          throw new SealdockError('USAGE', '--to must be after --from');
        const cat = openCatalogFor(config, { mustExist: false });
        try {
          const b = cat.devices.bind({ deviceId, collector: collector.data, validFrom, validTo }, cliActor());
          // Footage already taken from this recorder in the bound period gets its collector now.
          const updated = applyBindingBackwards(
            { repo: cat.repo, devices: cat.devices, config },
            deviceId,
            cliActor(),
          ).map((r) => r.item.id);
          if (o.json) printJson({ ...b, updatedEvidence: updated });
          else
            process.stdout.write(
              `device ${deviceId} bound to ${b.collector.name} from ${b.validFrom}${b.validTo ? ` to ${b.validTo}` : ''}` +
                `${updated.length ? `; collector filled in for ${updated.length} item(s) already taken` : ''}\n`,
            );
        } finally {
          cat.close();
        }
      },
    );
}
