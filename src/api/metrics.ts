// Prometheus text exposition, written by hand (no client library needed for a handful of series).
// Catalog figures are read at scrape time, so they are never stale; latency is kept in memory.
import type { EvidenceRepo } from '../catalog/evidence-repo.js';
import { STATES } from '../pipeline/states.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Series {
  counts: number[];
  sum: number;
  count: number;
}

export class LatencyHistogram {
  private readonly series = new Map<string, { labels: Record<string, string>; s: Series }>();

  observe(labels: Record<string, string>, seconds: number): void {
    const key = JSON.stringify(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, s: { counts: BUCKETS.map(() => 0), sum: 0, count: 0 } };
      this.series.set(key, entry);
    }
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) entry.s.counts[i]!++;
    });
    entry.s.sum += seconds;
    entry.s.count++;
  }

  render(name: string): string[] {
    const lines = [`# HELP ${name} API request latency by route, method and status class.`, `# TYPE ${name} histogram`];
    for (const { labels, s } of this.series.values()) {
      BUCKETS.forEach((b, i) => lines.push(`${name}_bucket${fmt({ ...labels, le: String(b) })} ${s.counts[i]}`));
      lines.push(`${name}_bucket${fmt({ ...labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${name}_sum${fmt(labels)} ${s.sum}`);
      lines.push(`${name}_count${fmt(labels)} ${s.count}`);
    }
    return lines;
  }
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function fmt(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

export function catalogMetrics(repo: EvidenceRepo): string[] {
  const counts = repo.countsByState();
  const db = repo.db;
  const bytes = db.prepare('SELECT COALESCE(SUM(size), 0) AS b, COUNT(*) AS n FROM evidence').get() as {
    b: number;
    n: number;
  };
  const archiveErrors = (
    db.prepare(`SELECT COUNT(*) AS n FROM evidence WHERE state = 'failed' AND stage = 'archive'`).get() as { n: number }
  ).n;
  const failedByStage = db
    .prepare(
      `SELECT COALESCE(stage, 'unknown') AS stage, COUNT(*) AS n FROM evidence WHERE state = 'failed' GROUP BY stage`,
    )
    .all() as { stage: string; n: number }[];
  // Wall-clock seconds of every derivative made, by method, from its provenance (制作方法/时间).
  const derive = db
    .prepare(
      `SELECT json_extract(derivative, '$.provenance.method') AS method,
              SUM((julianday(json_extract(derivative, '$.provenance.finishedAt')) - julianday(json_extract(derivative, '$.provenance.startedAt'))) * 86400.0) AS s,
              COUNT(*) AS n
         FROM evidence WHERE derivative IS NOT NULL AND json_extract(derivative, '$.provenance.method') IS NOT NULL GROUP BY method`,
    )
    .all() as { method: string; s: number | null; n: number }[];
  const lines = [
    '# HELP sealdock_evidence_items Evidence items by state (the backlog is everything not archived).',
    '# TYPE sealdock_evidence_items gauge',
  ];
  for (const s of STATES) lines.push(`sealdock_evidence_items${fmt({ state: s })} ${counts[s] ?? 0}`);
  lines.push(
    '# HELP sealdock_ingested_bytes_total Bytes of original footage catalogued.',
    '# TYPE sealdock_ingested_bytes_total counter',
    `sealdock_ingested_bytes_total ${bytes.b}`,
  );
  lines.push(
    '# HELP sealdock_ingested_items_total Items catalogued.',
    '# TYPE sealdock_ingested_items_total counter',
    `sealdock_ingested_items_total ${bytes.n}`,
  );
  lines.push(
    '# HELP sealdock_archive_errors Items currently failed in the archive stage.',
    '# TYPE sealdock_archive_errors gauge',
    `sealdock_archive_errors ${archiveErrors}`,
  );
  lines.push('# HELP sealdock_failed_items Items currently failed, by stage.', '# TYPE sealdock_failed_items gauge');
  for (const f of failedByStage) lines.push(`sealdock_failed_items${fmt({ stage: f.stage })} ${f.n}`);
  lines.push(
    '# HELP sealdock_derive_seconds_total Wall-clock seconds spent making derivatives, by method.',
    '# TYPE sealdock_derive_seconds_total counter',
  );
  for (const d of derive)
    lines.push(`sealdock_derive_seconds_total${fmt({ method: d.method })} ${(d.s ?? 0).toFixed(3)}`);
  lines.push(
    '# HELP sealdock_derivatives_total Derivatives made, by method.',
    '# TYPE sealdock_derivatives_total counter',
  );
  for (const d of derive) lines.push(`sealdock_derivatives_total${fmt({ method: d.method })} ${d.n}`);
  return lines;
}
