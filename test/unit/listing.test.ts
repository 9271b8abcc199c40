// Keyset listing on a real catalog: a collector matches by name or by badge id through two index
// walks merged in order; walking page by page gives every match exactly once, in order, whatever
// the page size, also when many items share one received_at.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCatalog } from '../../src/catalog/db.js';
import { EvidenceRepo, type EvidenceFilter } from '../../src/catalog/evidence-repo.js';

function catalogWith(n: number): EvidenceRepo {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-listing-'));
  const repo = new EvidenceRepo(openCatalog(path.join(dir, 'catalog.sqlite')));
  for (let i = 0; i < n; i++) {
    const sha = i.toString(16).padStart(64, '0');
    // Names and badge ids cross over: item i is "张三" by name, or by badge id "031245", or both.
    const collector =
      i % 3 === 0 ? { name: '张三', id: '031245' } : i % 3 === 1 ? { name: '张三' } : { name: '李四', id: '张三' };
    repo.insertReceived(
      {
        id: `ev-${sha.slice(-24)}`,
        sha256: sha,
        size: 1,
        originalName: `${i}.mp4`,
        originalNameExact: null,
        originalPath: null,
        originalKey: null,
        dockId: 'dock1',
        deviceId: null,
        sidecar: null,
        elements: { collector, caseNumber: `A-${i % 2}` },
        elementSources: i % 4 === 1 ? { place: 'dock', recordedAt: 'mtime' } : { place: 'sidecar' },
        missing: i % 5 === 0 ? ['place'] : [],
        spoolPath: `/spool/${sha}`,
      },
      {
        dockId: 'dock1',
        relPath: `${i}.mp4`,
        relPathEncoding: 'utf-8',
        size: 1,
        mtimeMs: i,
        ino: null,
        ctimeMs: null,
        sha256: sha,
        deviceId: null,
      },
      'test',
    );
    if (i % 4 === 0)
      repo.update(`ev-${sha.slice(-24)}`, { state: 'failed', resumeState: 'received', stage: 'preserve' });
  }
  return repo;
}

function walk(repo: EvidenceRepo, f: EvidenceFilter, pageSize: number): string[] {
  const out: string[] = [];
  let after: EvidenceFilter['after'];
  for (;;) {
    const page = repo.list({ ...f, after, limit: pageSize });
    out.push(...page.map((e) => e.id));
    if (page.length < pageSize) return out;
    const last = page.at(-1)!;
    after = { receivedAt: last.receivedAt, id: last.id };
  }
}

describe('keyset listing', () => {
  const repo = catalogWith(60);
  const everything = walk(repo, {}, 1000);
  const all = everything.map((id) => repo.get(id)!);

  it('collector: by name or by badge id, each item once, in (receivedAt, id) order, any page size', () => {
    const expected = all
      .filter((e) => e.elements.collector?.name === '张三' || e.elements.collector?.id === '张三')
      .map((e) => e.id);
    expect(expected.length).toBe(60);
    for (const size of [1, 3, 7, 100]) expect(walk(repo, { collector: '张三' }, size)).toEqual(expected);
    const byBadge = all.filter((e) => e.elements.collector?.id === '031245').map((e) => e.id);
    expect(walk(repo, { collector: '031245' }, 4)).toEqual(byBadge);
  });

  it('state and case number combine with the collector walk', () => {
    const expected = all
      .filter((e) => e.state === 'failed' && e.elements.caseNumber === 'A-0')
      .filter((e) => e.elements.collector?.name === '张三' || e.elements.collector?.id === '张三')
      .map((e) => e.id);
    expect(expected.length).toBeGreaterThan(0);
    expect(walk(repo, { state: 'failed', caseNumber: 'A-0', collector: '张三' }, 2)).toEqual(expected);
    expect(walk(repo, { state: 'failed' }, 5)).toEqual(all.filter((e) => e.state === 'failed').map((e) => e.id));
  });
});

describe('yearly report', () => {
  it('figures from indexes only equal plain aggregates over the table', async () => {
    const repo = catalogWith(40);
    const year = new Date().getUTCFullYear();
    const report = await repo.reports.year(year);
    expect(report.items).toBe(40);
    expect(report.bytes).toBe(40);
    expect(report.cases).toBe(2);
    expect(report.byState).toEqual([
      { state: 'failed', items: 10 },
      { state: 'received', items: 30 },
    ]);
    expect(report.byDock).toEqual([{ dock: 'dock1', items: 40 }]);
    expect(report.byMonth).toEqual([{ month: new Date().toISOString().slice(0, 7), items: 40, bytes: 40 }]);
    expect(report.legalHolds).toBe(0);
    expect(report.missingElements).toEqual([{ element: 'place', items: 8 }]);
    expect(report.unconfirmedElements).toEqual([
      { element: 'place', items: 10 },
      { element: 'recordedAt', items: 10 },
    ]);
    expect((await repo.reports.year(year - 1)).items).toBe(0);
  });
});
