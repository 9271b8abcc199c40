// status, list, show: read-only views of the catalog.
import type { Command } from 'commander';
import type { SidecarRecord } from '../../catalog/evidence-repo.js';
import { detail, summarize } from '../../catalog/views.js';
import { SealdockError } from '../../errors.js';
import { readStatus } from '../../status.js';
import type { DockReport } from '../../docks/dock-service.js';
import { NOT_TAKEN_EXPLAINED } from '../../docks/names.js';
import { isState, STATES } from '../../pipeline/states.js';
import { cliConfig, openCatalogFor, type GlobalOptions } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, printLines, printTable } from '../output.js';

export function registerEvidenceCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('status')
    .description('daemon, backlog per state and running jobs')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      const config = cliConfig(globals());
      const cat = openCatalogFor(config);
      try {
        const result = readStatus(config, cat.repo);
        const { states: backlog, inProgress, failed, alarms } = result;
        const daemon = result.daemon.running && !result.daemon.stale ? result.daemon : null;
        // Exit 1 when the daemon is not running or not responding, so `sealdock status` works as a check.
        if (!daemon) process.exitCode = EXIT.failure;
        if (opts.json) return printJson(result);
        printLines([
          daemon
            ? `daemon: running, pid ${String(daemon.pid)} since ${String(daemon.startedAt)}`
            : `daemon: ${result.daemon.stale ? 'NOT RESPONDING' : 'NOT RUNNING'} (${String(result.daemon.reason)})`,
          `archive: ${config.archive.backend}${degradedText(daemon)}`,
          ...(daemon && typeof daemon.docksPending === 'number'
            ? [`dock files waiting to settle: ${daemon.docksPending}`]
            : []),
          ...docksReportLines(daemon?.docks as DockReport | undefined),
          '',
        ]);
        printTable(
          ['state', 'items'],
          STATES.map((s) => [s, backlog[s]]),
        );
        if (inProgress.length) {
          printLines(['', 'in progress:']);
          printTable(
            ['id', 'state', 'progress'],
            inProgress.map((e) => [e.id, e.state, `${e.progress ?? 0}%`]),
          );
        }
        const lock = daemon?.archiveLock as { ok: boolean; checkedAt: string; problem?: string } | null | undefined;
        if (lock && !lock.ok)
          printLines(['', `NOT ARCHIVING: the Object Lock self-test failed at ${lock.checkedAt}: ${lock.problem}`]);
        if (alarms.total) {
          printLines([
            '',
            `ALARMS: ${alarms.total} in the audit log (integrity, tampering, lock self-test); newest:`,
            ...alarms.latest.map(
              (a) =>
                `  #${a.seq} ${a.at} ${a.action}${a.evidenceId ? ` ${a.evidenceId}` : ''}: ${a.key ?? ''} ${a.detail}`,
            ),
            '  (sealdock audit list --action <kind> shows them all)',
          ]);
        }
        if (failed.length) {
          printLines(['', 'failed (retried with back-off):']);
          printTable(
            ['id', 'stage', 'error'],
            failed.map((e) => [e.id, e.stage, e.error]),
          );
        }
      } finally {
        cat.close();
      }
    });

  program
    .command('list')
    .description('list evidence items')
    .option('--case <caseNumber>', 'only this case number')
    .option('--state <state>', `only this state (${STATES.join(', ')})`)
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'machine-readable output')
    .action((opts: { case?: string; state?: string; limit: string; json?: boolean }) => {
      if (opts.state !== undefined && !isState(opts.state))
        throw new SealdockError('USAGE', `unknown state "${opts.state}"; one of ${STATES.join(', ')}`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
        throw new SealdockError('USAGE', '--limit must be a whole number from 1 to 100000');
      const cat = openCatalogFor(cliConfig(globals()));
      try {
        const items = [];
        for (const e of cat.repo.iterate(
          { caseNumber: opts.case, state: opts.state as never },
          Math.min(1000, limit),
        )) {
          if (items.length >= limit) break;
          items.push(e);
        }
        const rows = items.map(summarize);
        if (opts.json) return printJson(rows);
        printTable(
          ['id', 'state', 'case', 'received', 'file', 'missing', 'unconfirmed'],
          rows.map((r) => [
            r.id,
            r.state,
            r.caseNumber,
            r.receivedAt,
            r.originalName,
            r.missing.join(',') || null,
            r.unconfirmed.join(',') || null,
          ]),
        );
      } finally {
        cat.close();
      }
    });

  program
    .command('show <id>')
    .description('one item: elements, hashes, state, archive objects, custody events')
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { json?: boolean }) => {
      const cat = openCatalogFor(cliConfig(globals()));
      try {
        const shown = cat.repo.itemView(id);
        if (!shown) throw new SealdockError('NOT_FOUND', `no evidence ${JSON.stringify(id)}`);
        const e = shown.item;
        const view = detail(e, shown.objects, shown.custody);
        if (opts.json) return printJson(view);
        const el = e.elements;
        printLines([
          `id:          ${e.id}`,
          `state:       ${e.state}${e.state === 'failed' ? ` (stage ${e.stage}: ${e.error}; next try ${e.nextAttemptAt})` : ''}`,
          `original:    ${e.originalName} (${e.size} bytes)`,
          ...(view.originalPath ? [`dock path:   ${view.originalPath.shown}`] : []),
          ...(e.originalNameExact?.encoding === 'base64'
            ? [`exact name:  not UTF-8; bytes (base64) ${e.originalNameExact.value}`]
            : []),
          `sha256:      ${e.sha256}`,
          `dock/device: ${e.dockId} / ${e.deviceId ?? '-'}`,
          `received:    ${e.receivedAt}`,
          `case:        ${el.caseNumber ?? '-'}  [${sourceLabel(view, 'caseNumber')}]`,
          `recorded at: ${el.recordedAt ? `${el.recordedAt.start}${el.recordedAt.durationSeconds !== undefined ? ` (${el.recordedAt.durationSeconds} s)` : ''}` : '-'}  [${sourceLabel(view, 'recordedAt')}]`,
          `place:       ${el.place ? `${el.place.text}${el.place.lat !== undefined ? ` (${el.place.lat}, ${el.place.lon})` : ''}` : '-'}  [${sourceLabel(view, 'place')}]`,
          `collector:   ${el.collector ? `${el.collector.name}${el.collector.id ? ` (${el.collector.id})` : ''}` : '-'}  [${sourceLabel(view, 'collector')}]`,
          `purpose:     ${el.purpose ?? '-'}  [${sourceLabel(view, 'purpose')}]`,
          ...(e.missing.length ? [`missing:     ${e.missing.join(', ')}`] : []),
          ...(view.unconfirmed.length
            ? [`unconfirmed: ${view.unconfirmed.join(', ')} (a default or a guess; confirm by annotation)`]
            : []),
          ...sidecarLines(e.sidecar),
          `manifest:    revision ${e.manifestRev}${e.legalHold ? ', legal hold' : ''}${e.retainUntil ? `, retained until ${e.retainUntil}` : ''}`,
          '',
          'archive:',
          ...view.archive.map((o) => `  ${o.verifiedAt ? 'verified' : 'UNVERIFIED'}  ${o.key}`),
          '',
          'custody:',
          ...view.custody.map((c) => `  #${c.seq} ${c.at} ${c.actor} ${c.action}`),
        ]);
      } finally {
        cat.close();
      }
    });
}

/** Exactly which sidecar values were refused and why, or why the whole file was. */
function sidecarLines(sidecar: SidecarRecord | null): string[] {
  if (!sidecar?.problems) return [];
  if (!sidecar.elements) return [`sidecar ${sidecar.name} rejected whole: ${sidecar.problems.join('; ')}`];
  const applied = Object.keys(sidecar.elements);
  return [
    `sidecar ${sidecar.name}: applied ${applied.length ? applied.join(', ') : 'nothing'}; refused:`,
    ...(sidecar.rejected ?? []).map((r) => `  ${r.key}: ${r.reason}`),
  ];
}

/** `[sidecar]`, `[dock, unconfirmed]` or `[missing]`. */
function sourceLabel(view: { elementSources: Record<string, string | undefined>; unconfirmed: string[] }, key: string) {
  const source = view.elementSources[key];
  if (!source) return 'missing';
  return view.unconfirmed.includes(key) ? `${source}, unconfirmed` : source;
}

/** ` — DEGRADED since …` when the running daemon cannot reach its archive. */
function degradedText(daemon: Record<string, unknown> | null): string {
  const h = daemon?.archiveHealth as { ready: boolean; reason: string | null; since: string } | undefined;
  if (!h || h.ready) return '';
  return ` — DEGRADED since ${h.since}: ${h.reason ?? 'unreachable'} (footage is kept in the spool until it returns)`;
}

/** What the daemon saw on its docks and did not take, and incomplete copies it is waiting on. */
function docksReportLines(r: DockReport | undefined): string[] {
  if (!r) return [];
  const lines: string[] = [];
  for (const w of r.waiting) lines.push(`waiting: ${w.dockId}/${w.path}: ${w.why}`);
  if (r.notTaken.total === 0) return [...lines, 'dock files not taken: none'];
  const counts = Object.entries(r.notTaken.byReason).map(([reason, n]) => `${n} ${reason}`);
  lines.push(`dock files not taken: ${r.notTaken.total} (${counts.join(', ')})`);
  for (const f of r.notTaken.files)
    lines.push(`  ${f.dockId}/${f.path}: ${f.reason} — ${NOT_TAKEN_EXPLAINED[f.reason]}`);
  if (r.notTaken.total > r.notTaken.files.length)
    lines.push(`  … and ${r.notTaken.total - r.notTaken.files.length} more (sealdock docks check lists all)`);
  return lines;
}
