// The admin endpoints the web console reads and acts through: status as the CLI shows it, activity
// per day, the yearly report, legal hold and retention through the same use cases as the CLI,
// and the per-item access list auditors see. Real pipeline, real archive, real catalog.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvidenceRecord } from '../../src/catalog/evidence-repo.js';
import { zoneOffsetMinutes } from '../../src/util/time.js';
import { COMPLETE_SIDECAR, makeHarness, uniqueClip, type Harness } from './harness.js';

let h: Harness;
let item: EvidenceRecord;
let admin: Record<string, string>;

beforeAll(async () => {
  h = await makeHarness();
  item = await h.preserve('管理.mp4', uniqueClip('console-admin'), { sidecar: COMPLETE_SIDECAR, states: ['archived'] });
  admin = { authorization: `Bearer ${h.token('admin')}` };
}, 120_000);
afterAll(async () => h?.close());

const get = async (url: string, headers = admin) => {
  const r = await h.app.inject({ url, headers });
  expect(r.statusCode, r.body).toBe(200);
  return r.json<Record<string, never>>();
};

describe('console admin API', () => {
  it('status: backlog per state, failed, docks, archive reachability', async () => {
    const s = await get('/api/v1/status');
    expect(s.states).toMatchObject({ archived: 1, failed: 0 });
    expect(s.failed).toEqual([]);
    expect(s.archive).toEqual({ backend: 'local', ok: true });
    expect(s.docks).toEqual([
      expect.objectContaining({ id: 'dock1', place: '东街派出所' }),
      expect.objectContaining({ id: 'dock2', lastSeenAt: null, files: 0 }),
    ]);
    expect(s.timezone).toBe('Asia/Shanghai');
  });

  it('activity per day and the yearly report count the item', async () => {
    const a = await get('/api/v1/activity?days=3');
    const days = a.days as unknown as { day: string; received: number; settled: number; backlog: number }[];
    expect(days).toHaveLength(3);
    const today = new Date(Date.now() + zoneOffsetMinutes('Asia/Shanghai') * 60_000).toISOString().slice(0, 10);
    expect(days.at(-1)).toEqual({ day: today, received: 1, settled: 1, backlog: 0 });
    const year = new Date().getUTCFullYear();
    const r = await get(`/api/v1/report?year=${year}`);
    expect(r).toMatchObject({ year, items: 1, cases: 1, legalHolds: 0 });
    expect((await h.app.inject({ url: '/api/v1/report?year=1999', headers: admin })).statusCode).toBe(400);
    expect(zoneOffsetMinutes('Asia/Shanghai')).toBe(480);
    expect(zoneOffsetMinutes('UTC')).toBe(0);
  });

  it('legal hold and retention go through the CLI use cases and are audited with actor and reason', async () => {
    const tokenId = admin.authorization!.split('_')[1]!;
    const hold = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/evidence/${item.id}/legal-hold`,
      headers: admin,
      payload: { hold: true, reason: '作为证据永久保存' },
    });
    expect(hold.statusCode, hold.body).toBe(200);
    expect(h.repo.get(item.id)!.legalHold).toBe(true);
    const set = h.repo.audit.list({ evidenceId: item.id, action: 'legal-hold-set', limit: 10 });
    expect(set.map((r) => [r.actor, r.details.reason])).toEqual([[`token:${tokenId}`, '作为证据永久保存']]);

    const retain = (until: string) =>
      h.app.inject({
        method: 'POST',
        url: `/api/v1/evidence/${item.id}/retention`,
        headers: admin,
        payload: { until, reason: '复议期' },
      });
    expect((await retain('2099-01-01T00:00:00+08:00')).statusCode).toBe(200);
    const shorter = await retain('2098-01-01T00:00:00+08:00');
    expect(shorter.statusCode).toBe(409);
    expect(shorter.json<{ detail: string }>().detail).toMatch(/never shortened/);
    expect((await retain('next year')).statusCode).toBe(400);
  });

  it('auditors see who accessed an item and why, newest first, including this look', async () => {
    const auditor = { authorization: `Bearer ${h.token('auditor')}` };
    await h.app.inject({
      url: `/api/v1/evidence/${item.id}/original`,
      headers: { ...auditor, 'x-access-reason': encodeURIComponent('调取原始录像'), range: 'bytes=0-9' },
    });
    const list = (await get(`/api/v1/evidence/${item.id}/access`, auditor)).items as unknown as {
      what: string;
      reason: string | null;
      status: number;
    }[];
    expect(list.slice(0, 2)).toEqual([
      expect.objectContaining({ what: 'access-log', reason: null, status: 200 }),
      expect.objectContaining({ what: 'original', reason: '调取原始录像', status: 206 }),
    ]);
    expect(await get('/api/v1/session', auditor)).toMatchObject({ role: 'auditor', label: 'test auditor' });
    expect(await get('/api/v1/console-config', {})).toMatchObject({
      timezone: 'Asia/Shanghai',
      playbackTicketMinutes: 10,
    });
  });
});
