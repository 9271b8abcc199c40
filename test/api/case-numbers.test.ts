// Case numbers in the forms agencies use travel through the API percent-encoded: the route
// decodes them (slashes, brackets, 〔〕 and all) to the exact catalogued value; a sidecar pushed
// with a hostile one is refused with the reason in Chinese and English, and nothing is kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvidenceRecord } from '../../src/catalog/evidence-repo.js';
import { COMPLETE_SIDECAR, makeHarness, uniqueClip, type Harness } from './harness.js';

const CASES = ['（2026）湘行罚字第17号', '湘公（交）决字〔2026〕第00123号', 'A/2026/17'];

let h: Harness;
let items: EvidenceRecord[];
let auditor: Record<string, string>;

beforeAll(async () => {
  h = await makeHarness();
  items = [];
  for (const [i, caseNumber] of CASES.entries()) {
    items.push(
      await h.preserve(`case-${i}.mp4`, uniqueClip(`case ${i}`), {
        sidecar: { ...COMPLETE_SIDECAR, caseNumber },
        states: ['archived'],
      }),
    );
  }
  auditor = { authorization: `Bearer ${h.token('auditor')}` };
}, 240_000);

afterAll(async () => h?.close());

describe('case numbers through the API', () => {
  it('each form is found by its percent-encoded path and by the query parameter', async () => {
    for (const [i, caseNumber] of CASES.entries()) {
      const byPath = await h.app.inject({
        url: `/api/v1/cases/${encodeURIComponent(caseNumber)}/evidence`,
        headers: auditor,
      });
      expect(byPath.statusCode, caseNumber).toBe(200);
      expect(byPath.json<{ items: { id: string; caseNumber: string }[] }>().items).toEqual([
        expect.objectContaining({ id: items[i]!.id, caseNumber }),
      ]);
      const byQuery = await h.app.inject({
        url: `/api/v1/evidence?caseNumber=${encodeURIComponent(caseNumber)}`,
        headers: auditor,
      });
      expect(byQuery.json<{ items: { id: string }[] }>().items.map((x) => x.id)).toEqual([items[i]!.id]);
    }
    // the unencoded slash form is another route, never a match on part of a case number
    const raw = await h.app.inject({ url: '/api/v1/cases/A/2026/17/evidence', headers: auditor });
    expect(raw.statusCode).toBe(404);
  });

  it('the item shows its elements with no unconfirmed one (all came from the sidecar)', async () => {
    const one = await h.app.inject({ url: `/api/v1/evidence/${items[0]!.id}`, headers: auditor });
    expect(one.json()).toMatchObject({ caseNumber: CASES[0], missing: [], unconfirmed: [] });
  });

  it('a pushed sidecar with a hostile case number is refused with its reason, nothing kept', async () => {
    const dock = { authorization: `Bearer ${h.token('dock', { dockId: 'dock1' })}` };
    const before = h.repo.countsByState();
    const res = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/docks/dock1/files/hostile-case.mp4',
      headers: {
        ...dock,
        'content-type': 'application/octet-stream',
        'x-sealdock-sidecar': Buffer.from(JSON.stringify({ caseNumber: 'A/../2026' })).toString('base64url'),
      },
      payload: uniqueClip('hostile case'),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ detail: string }>().detail).toMatch(/caseNumber: 案件编号不能含有路径成分.*path parts/);
    expect(h.repo.countsByState()).toEqual(before);
  });
});
