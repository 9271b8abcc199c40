// The API at scale, correctness only (the figures come from bench/api.mjs): custody events stay
// complete however often an item is read, reads page apart, access rows of concurrent requests
// share commits yet none is answered before its row is durable, and every listing filter walks an
// index in keyset order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvidenceRecord } from '../../src/catalog/evidence-repo.js';
import { COMPLETE_SIDECAR, makeHarness, uniqueClip, type Harness } from './harness.js';

let h: Harness;
let item: EvidenceRecord;
let auditor: Record<string, string>;

beforeAll(async () => {
  h = await makeHarness();
  item = await h.preserve('scale.mp4', uniqueClip('scale'), { sidecar: COMPLETE_SIDECAR, states: ['archived'] });
  auditor = { authorization: `Bearer ${h.token('auditor')}` };
}, 120_000);
afterAll(async () => h?.close());

/** Every row about the item, walked page by page (the audit list caps a page at 10,000). */
function allRowsOf(id: string) {
  const rows = [];
  for (let after = 0; ;) {
    const page = h.repo.audit.list({ evidenceId: id, afterSeq: after, limit: 10_000 });
    rows.push(...page);
    if (page.length < 10_000) return rows;
    after = page.at(-1)!.seq;
  }
}

describe('an item read more than 10,000 times', () => {
  it('still shows every custody event, the newest included, and pages its reads apart', async () => {
    // 10,050 reads on record (as the API writes them), then a custody event after all of them.
    h.db.transaction(() => {
      for (let i = 0; i < 10_050; i++)
        h.repo.audit.append({
          actor: 'token:earlier',
          action: 'access',
          evidenceId: item.id,
          details: { what: 'detail', method: 'GET', status: 200 },
        });
    })();
    const hold = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/evidence/${item.id}/legal-hold`,
      headers: { authorization: `Bearer ${h.token('admin')}` },
      payload: { hold: true, reason: '法院调取' },
    });
    expect(hold.statusCode, hold.body).toBe(200);

    const custodyOnRecord = allRowsOf(item.id).filter((r) => r.action !== 'access');
    const res = await h.app.inject({ url: `/api/v1/evidence/${item.id}`, headers: auditor });
    expect(res.statusCode).toBe(200);
    const custody = (res.json() as { custody: { seq: number; action: string }[] }).custody;
    expect(custody.map((c) => c.seq)).toEqual(custodyOnRecord.map((r) => r.seq));
    expect(custody.map((c) => c.action)).toEqual(expect.arrayContaining(['received', 'archived', 'legal-hold-set']));
    expect(custody.at(-1)!.action).toBe('legal-hold-set');

    // Reads, newest first, 1000 a page, until nextBefore is null: every one of them, once.
    const readsBefore = allRowsOf(item.id).filter((r) => r.action === 'access').length;
    const seen: number[] = [];
    let before: number | null = null;
    do {
      const page = await h.app.inject({
        url: `/api/v1/evidence/${item.id}/access?limit=1000${before ? `&before=${before}` : ''}`,
        headers: auditor,
      });
      expect(page.statusCode).toBe(200);
      const body = page.json() as { items: { seq: number }[]; nextBefore: number | null };
      seen.push(...body.items.map((r) => r.seq));
      before = body.nextBefore;
    } while (before !== null);
    // the first page's own look is on it; later pages' looks are newer than the page they read
    expect(seen).toHaveLength(readsBefore + 1);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
  });
});

describe('durable access rows with group commit', () => {
  it('concurrent reads share commits, each answered read has its row, and the chain stays gap-free', async () => {
    const rowsBefore = allRowsOf(item.id).length;
    const commitsBefore = h.repo.audit.groupCommits;
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => h.app.inject({ url: `/api/v1/evidence/${item.id}`, headers: auditor })),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(50).fill(200));
    expect(allRowsOf(item.id).length).toBe(rowsBefore + 50);
    const commits = h.repo.audit.groupCommits - commitsBefore;
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThan(50);
    const chain = h.repo.audit.verify();
    expect(chain.problems).toEqual([]);
  });

  it('a read whose access row cannot be committed is not answered with data', async () => {
    // A real SQLite failure at commit time, for access rows only.
    h.db.exec(`CREATE TRIGGER fail_access BEFORE INSERT ON audit_log WHEN NEW.action = 'access'
               BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`);
    try {
      const detail = await h.app.inject({ url: `/api/v1/evidence/${item.id}`, headers: auditor });
      expect(detail.statusCode).toBe(500);
      expect(detail.body).not.toContain(item.sha256);
      const original = await h.app.inject({
        url: `/api/v1/evidence/${item.id}/original`,
        headers: { ...auditor, 'x-access-reason': 'test' },
      });
      expect(original.statusCode).toBe(500);
      expect(original.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(original.rawPayload.length).toBeLessThan(2000);
    } finally {
      h.db.exec('DROP TRIGGER fail_access');
    }
    expect(h.repo.audit.verify().ok).toBe(true);
  });
});

describe('listing filters walk indexes in keyset order', () => {
  const after = { receivedAt: '2026-01-01T00:00:00.000Z', id: 'ev-0' };
  const cases: [string, Parameters<Harness['repo']['list']>[0], RegExp][] = [
    ['state', { state: 'archived', after }, /USING INDEX evidence_state_received/],
    ['device', { deviceId: 'BWC-1', after }, /USING INDEX evidence_device_received/],
    ['collector', { collector: '张三', after }, /USING INDEX evidence_collector_(name|id)/],
    ['date range', { from: '2026-01-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z', after }, /evidence_received_id/],
    ['case number', { caseNumber: 'A-1', after }, /USING INDEX evidence_case/],
    ['no filter', { after }, /evidence_received_id/],
  ];
  for (const [name, filter, index] of cases)
    it(`${name}: an index range scan, never a sort of every match`, () => {
      const plan = h.repo.listPlan(filter).join('\n');
      expect(plan).toMatch(index);
      expect(plan).not.toContain('TEMP B-TREE');
      expect(plan).not.toMatch(/SCAN evidence\b(?! USING)/);
    });

  it('both collector walks (name and badge id) use their own index', () => {
    const plan = h.repo.listPlan({ collector: '031245' }).join('\n');
    expect(plan).toContain('evidence_collector_name');
    expect(plan).toContain('evidence_collector_id');
  });

  it('a collector matches by name or badge id, keyset pages neither skip nor repeat', async () => {
    const byName = await h.app.inject({
      url: `/api/v1/evidence?collector=${encodeURIComponent('张三')}`,
      headers: auditor,
    });
    const byId = await h.app.inject({ url: '/api/v1/evidence?collector=031245', headers: auditor });
    const ids = (r: typeof byName) => (r.json() as { items: { id: string }[] }).items.map((i) => i.id);
    expect(ids(byName)).toEqual([item.id]);
    expect(ids(byId)).toEqual([item.id]);
  });

  it("custody reads its partial index, a page of reads walks the item's own rows", () => {
    const plans = h.repo.audit.itemQueryPlans(item.id);
    expect(plans.custody.join('\n')).toContain('audit_log_custody');
    expect(plans.access.join('\n')).toContain('audit_log_evidence');
    expect(plans.access.join('\n')).not.toContain('TEMP B-TREE');
  });
});
