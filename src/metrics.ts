// Every Prometheus metric sealdock exposes, in one typed registry (the only module that knows
// prom-client). To add one: declare it in `metrics` below (counters end in `_total`, durations in
// `_seconds`, sizes in `_bytes`), import `metrics` where the event happens, and list it in
// docs/operations.md. test/unit/metrics.test.ts runs `promtool check metrics` on the output.
//
// Two kinds:
// - events (`metrics`): counters and histograms of this process, incremented where the event
//   happens. They only go up; a restart resets them, which Prometheus' rate()/increase() handle.
// - catalog gauges (`catalogMetrics`): read from the catalog at scrape time (collect()), so
//   they are never stale and survive restarts; one set per API server, bound to its catalog.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { STATES, type Stage } from './pipeline/states.js';

const processRegistry = new Registry();
const registers = [processRegistry];

const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const DERIVE_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];

export const metrics = {
  intakeFiles: new Counter({
    name: 'sealdock_intake_files_total',
    help: 'Dock files taken into the spool, by dock and outcome (new item or re-dock of known content).',
    labelNames: ['dock', 'outcome'] as const,
    registers,
  }),
  intakeBytes: new Counter({
    name: 'sealdock_intake_bytes_total',
    help: 'Bytes of new originals taken into the spool, by dock.',
    labelNames: ['dock'] as const,
    registers,
  }),
  derivatives: new Counter({
    name: 'sealdock_derivatives_total',
    help: 'Playback derivatives made, by method (remux or transcode); amendments count again.',
    labelNames: ['method'] as const,
    registers,
  }),
  deriveDuration: new Histogram({
    name: 'sealdock_derive_duration_seconds',
    help: 'Wall-clock time to make one playback derivative, by method.',
    labelNames: ['method'] as const,
    buckets: DERIVE_BUCKETS,
    registers,
  }),
  stageFailures: new Counter({
    name: 'sealdock_stage_failures_total',
    help: 'Pipeline stage attempts that failed and will be retried, by stage (archive = archive errors).',
    labelNames: ['stage'] as const,
    registers,
  }),
  alarms: new Counter({
    name: 'sealdock_alarms_total',
    help: 'Archive alarms: integrity-alarm (bytes that are not the record), tamper-detected (versions or delete markers someone else added), lock-self-test-failed.',
    labelNames: ['kind'] as const,
    registers,
  }),
  archiveLockEnforced: new Gauge({
    name: 'sealdock_archive_lock_enforced',
    help: 'Last Object Lock self-test: 1 the store refused to shorten or delete a locked canary, 0 it allowed it (nothing is archived then). Absent before the first test and on the local backend.',
    registers,
  }),
  archiveReachable: new Gauge({
    name: 'sealdock_archive_reachable',
    help: 'Last archive check: 1 the archive answered, 0 degraded (unreachable or unfit: footage is taken into the spool and waits there). Set from the first check at start.',
    registers,
  }),
  docksNotTaken: new Gauge({
    name: 'sealdock_dock_files_not_taken',
    help: 'Entries on a dock deliberately not taken (symlink, fifo, socket, device, hidden, temp, too-deep, unreadable, empty), by dock and reason.',
    labelNames: ['dock', 'reason'] as const,
    registers,
  }),
  docksWaiting: new Gauge({
    name: 'sealdock_dock_files_waiting',
    help: 'Files on a dock seen but not taken yet (settling, or an incomplete MP4/MOV within its stalled-copy grace), by dock.',
    labelNames: ['dock'] as const,
    registers,
  }),
  apiRequestDuration: new Histogram({
    name: 'sealdock_api_request_duration_seconds',
    help: 'API request latency by route, method and status class.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: SECONDS_BUCKETS,
    registers,
  }),
};

/** What the catalog gauges read at scrape time (implemented by the evidence repository). */
export interface CatalogMetricsSource {
  countsByState(): Record<string, number>;
  failedByStage(): Record<string, number>;
}

const NO_FAILURES = { preserve: 0, classify: 0, derive: 0, archive: 0 } satisfies Record<Stage, number>;

let processMetricsStarted = false;

/**
 * Process and event-loop metrics (CPU, memory, handles, GC, event-loop lag). Started by the API
 * server, not at import, so a CLI command does not start the event-loop monitor.
 */
function startProcessMetrics(): void {
  if (processMetricsStarted) return;
  processMetricsStarted = true;
  collectDefaultMetrics({ register: processRegistry });
  // Gauges that prom-client names like counters (promtool rejects them); sum(nodejs_active_handles)
  // and friends, by type, say the same.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    processRegistry.removeSingleMetric(name);
}

export interface MetricsEndpoint {
  contentType: string;
  render(): Promise<string>;
}

/** The /metrics body for one API server: process events plus gauges read from its catalog. */
export function metricsEndpoint(catalog: CatalogMetricsSource): MetricsEndpoint {
  startProcessMetrics();
  const catalogRegistry = new Registry();
  new Gauge({
    name: 'sealdock_evidence_items',
    help: 'Evidence items in the catalog by state (the backlog is everything not archived).',
    labelNames: ['state'] as const,
    registers: [catalogRegistry],
    collect() {
      const counts = catalog.countsByState();
      for (const state of STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'sealdock_failed_items',
    help: 'Evidence items currently failed and waiting for a retry, by stage.',
    labelNames: ['stage'] as const,
    registers: [catalogRegistry],
    collect() {
      // Every stage always has a series (0 when none failed), so an alert sees a value, not absence.
      const byStage: Record<string, number> = { ...NO_FAILURES, ...catalog.failedByStage() };
      this.reset();
      for (const [stage, n] of Object.entries(byStage)) this.set({ stage }, n);
    },
  });
  return {
    contentType: processRegistry.contentType,
    render: () => Registry.merge([processRegistry, catalogRegistry]).metrics(),
  };
}
