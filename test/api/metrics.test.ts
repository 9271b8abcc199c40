// /metrics through the real API on a real pipeline: the text is valid for Prometheus' own
// checker (promtool), includes process and event-loop metrics, and counters only go up — an
// amendment that replaces an item's derivative counts one more derivative, it never resets one.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/tools.js';
import { waitFor } from '../helpers/workspace.js';
import { COMPLETE_SIDECAR, makeHarness, uniqueClip, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(async () => h?.close());

async function scrape(): Promise<string> {
  const res = await h.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${h.token('admin')}` } });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.body;
}

/** Sum of every sample of `name` whose labels include `labels` (a tiny text-format reader). */
function sample(body: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let seen = false;
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) {
      sum += Number(m[3]);
      seen = true;
    }
  }
  if (!seen) throw new Error(`no sample ${name}${JSON.stringify(labels)} in:\n${body}`);
  return sum;
}

describe('/metrics', () => {
  it('passes promtool check metrics, with process, event-loop, catalog and event metrics', async () => {
    const promtool = requireTool('promtool', 'prometheus');
    const item = await h.preserve('metrics-a.mp4', uniqueClip('metrics-a'), { sidecar: COMPLETE_SIDECAR });
    expect(item.state).toBe('archived');
    await h.app.inject({
      url: `/api/v1/evidence/${item.id}`,
      headers: { authorization: `Bearer ${h.token('admin')}` },
    });
    const body = await scrape();

    const check = spawnSync(promtool, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);

    expect(sample(body, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample(body, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(body, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(body, 'sealdock_evidence_items', { state: 'archived' })).toBe(1);
    expect(sample(body, 'sealdock_evidence_items', { state: 'failed' })).toBe(0);
    expect(sample(body, 'sealdock_failed_items', { stage: 'archive' })).toBe(0);
    expect(sample(body, 'sealdock_intake_files_total', { dock: 'dock1', outcome: 'new' })).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'sealdock_intake_bytes_total', { dock: 'dock1' })).toBeGreaterThanOrEqual(item.size);
    expect(sample(body, 'sealdock_derivatives_total')).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'sealdock_derive_duration_seconds_count')).toBe(sample(body, 'sealdock_derivatives_total'));
    expect(
      sample(body, 'sealdock_api_request_duration_seconds_count', {
        route: '/api/v1/evidence/:id',
        method: 'GET',
        status: '2xx',
      }),
    ).toBeGreaterThanOrEqual(1);
    // The old hand-written names are gone: a gauge named like a counter misleads rate().
    expect(body).not.toMatch(/^sealdock_archive_errors /m);
  });

  it('sealdock_derivatives_total goes up after an amendment replaces the derivative', async () => {
    const item = await h.preserve('metrics-b.mp4', uniqueClip('metrics-b'), { sidecar: COMPLETE_SIDECAR });
    const before = sample(await scrape(), 'sealdock_derivatives_total');
    const res = await h.app.inject({
      method: 'PATCH',
      url: `/api/v1/evidence/${item.id}/annotation`,
      headers: { authorization: `Bearer ${h.token('admin')}` },
      payload: { caseNumber: 'A-2026-0043', reason: 'corrected case number' },
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    await waitFor(
      'the amendment to be archived',
      () => {
        const e = h.repo.get(item.id);
        return e && e.state === 'archived' && e.manifestRev > item.manifestRev ? e : null;
      },
      40_000,
      100,
    );
    const after = sample(await scrape(), 'sealdock_derivatives_total');
    expect(after).toBe(before + 1);
  });
});
