// Retrieval supervision: every read of evidence data leaves an audit row naming the token, the
// role, the client, what, the range and the reason; those rows are sealed into archived segments
// that a later edit of the catalog cannot match. Also: the case listing uses its index; metrics.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRowHash } from '../../src/audit/chain.js';
import { verifyAuditSegments, writeAuditSegments } from '../../src/usecases/audit-segments.js';
import type { EvidenceRecord } from '../../src/catalog/evidence-repo.js';
import { COMPLETE_SIDECAR, makeHarness, uniqueClip, type Harness } from './harness.js';

let h: Harness;
let item: EvidenceRecord;

beforeAll(async () => {
  h = await makeHarness();
  item = await h.preserve('supervision.mp4', uniqueClip('supervision'), {
    sidecar: COMPLETE_SIDECAR,
    states: ['archived'],
  });
}, 120_000);
afterAll(async () => h?.close());

describe('access audit', () => {
  it('every read — listings, detail, downloads, HEAD, verify, failures — is one row with token, role, client, reason and status', async () => {
    const token = h.token('auditor');
    const tokenId = token.split('_')[1]!;
    const auth = { authorization: `Bearer ${token}` };
    const why = '复核执法过程 (case A-2026-0042)';
    const r = { 'x-access-reason': encodeURIComponent(why) };
    const requests = [
      { url: '/api/v1/evidence?limit=10', what: 'list', status: 200 },
      { url: `/api/v1/cases/${COMPLETE_SIDECAR.caseNumber}/evidence`, what: 'case', status: 200 },
      { url: `/api/v1/evidence/${item.id}`, what: 'detail', status: 200 },
      {
        url: `/api/v1/evidence/${item.id}/original`,
        headers: { ...r, range: 'bytes=0-99' },
        what: 'original',
        status: 206,
      },
      {
        method: 'HEAD' as const,
        url: `/api/v1/evidence/${item.id}/derivative`,
        headers: r,
        what: 'derivative',
        status: 200,
      },
      { url: `/api/v1/evidence/${item.id}/manifest`, headers: r, what: 'manifest', status: 200 },
      { url: `/api/v1/evidence/${item.id}/signature`, headers: r, what: 'signature', status: 200 },
      { method: 'POST' as const, url: `/api/v1/evidence/${item.id}/verify`, headers: r, what: 'verify', status: 200 },
      { url: `/api/v1/evidence/${item.id}/original`, what: 'original', status: 400 },
      { url: '/api/v1/evidence/ev-000000000000000000000000/original', headers: r, what: 'original', status: 404 },
      {
        url: `/api/v1/evidence/${item.id}/original`,
        headers: { ...r, range: `bytes=${item.size}-` },
        what: 'original',
        status: 416,
      },
    ];
    for (const q of requests) {
      const res = await h.app.inject({ method: q.method ?? 'GET', url: q.url, headers: { ...auth, ...q.headers } });
      expect(res.statusCode, q.url).toBe(q.status);
    }
    const rows = h.repo.audit.list({ actor: `token:${tokenId}`, limit: 100 });
    expect(rows.map((x) => [x.action, x.details.what, x.details.status])).toEqual(
      requests.map((q) => ['access', q.what, q.status]),
    );
    for (const [i, row] of rows.entries()) {
      expect(row.details.tokenId).toBe(tokenId);
      expect(row.details.role).toBe('auditor');
      expect(row.details.client).toBe('127.0.0.1');
      expect(row.at).toMatch(/^\d{4}-/);
      const hadReason = Boolean(requests[i]!.headers?.['x-access-reason']);
      expect(row.details.reason, String(requests[i]!.url)).toBe(hadReason ? why : undefined);
    }
    expect(rows[0]!.details.ids).toEqual([item.id]);
    expect(rows[0]!.details.count).toBe(1);
    expect(rows[3]!.details.range).toBe('bytes=0-99');
    expect(rows[3]!.evidenceId).toBe(item.id);
    expect(rows[7]!.details.ok).toBe(true);
    // detail lists custody (what happened to the evidence), not who looked at it
    const detail = await h.app.inject({ url: `/api/v1/evidence/${item.id}`, headers: auth });
    const actions = detail.json<{ custody: { action: string }[] }>().custody.map((c) => c.action);
    expect(actions).toContain('received');
    expect(actions).toContain('archived');
    expect(actions).not.toContain('access');
  });

  it('audit rows are sealed into archived segments; re-chaining an edited catalog is caught by them', async () => {
    const written = await writeAuditSegments({ repo: h.repo, archive: h.archive, seal: h.seal, retentionDays: 183 });
    expect(written.length).toBeGreaterThan(0);
    const seg = written.at(-1)!;
    expect(seg.name).toMatch(/^\d{12}-\d{12}$/);
    const archiveDir = h.config.archive.local.path;
    expect(fs.existsSync(path.join(archiveDir, 'audit', `${seg.name}.jsonl`))).toBe(true);
    expect(fs.existsSync(path.join(archiveDir, 'audit', `${seg.name}.jsonl.p7s`))).toBe(true);
    const lines = fs
      .readFileSync(path.join(archiveDir, 'audit', `${seg.name}.jsonl`), 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(seg.lastSeq - seg.firstSeq + 1);
    expect(Object.keys(JSON.parse(lines[0]!) as object)).toEqual(
      expect.arrayContaining(['seq', 'prev_hash', 'hash', 'details']),
    );
    expect(await writeAuditSegments({ repo: h.repo, archive: h.archive, seal: h.seal, retentionDays: 183 })).toEqual(
      [],
    );
    const verifier = {
      verify: (c: Buffer, p: Buffer, t: Buffer | undefined, e: string | undefined) =>
        h.seal.verify(c, p, t, { expectedCertificateSha256: e }),
    };
    expect(
      await verifyAuditSegments({ audit: h.repo.audit, segments: h.repo.auditSegments, archive: h.archive, verifier }),
    ).toEqual({
      ok: true,
      segments: h.repo.auditSegments.list().length,
      problems: [],
    });

    // An attacker edits the last segmented row and recomputes its hash (and so the chain after it).
    const file = path.join(h.config.dataDir, 'catalog.sqlite');
    const evil = new Database(file);
    try {
      evil.exec('DROP TRIGGER audit_log_no_update');
      const row = evil.prepare('SELECT * FROM audit_log WHERE seq = ?').get(seg.lastSeq) as {
        seq: number;
        at: string;
        actor: string;
        action: string;
        evidence_id: string | null;
        details: string;
        prev_hash: string;
      };
      const details = { ...(JSON.parse(row.details) as object), reason: 'rewritten' };
      const hash = auditRowHash(row.prev_hash, {
        seq: row.seq,
        at: row.at,
        actor: row.actor,
        action: row.action,
        evidenceId: row.evidence_id,
        details,
      });
      evil
        .prepare('UPDATE audit_log SET details = ?, hash = ? WHERE seq = ?')
        .run(JSON.stringify(details), hash, row.seq);
      let prev = hash;
      for (const r of evil
        .prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq')
        .all(row.seq) as (typeof row)[]) {
        const h2 = auditRowHash(prev, {
          seq: r.seq,
          at: r.at,
          actor: r.actor,
          action: r.action,
          evidenceId: r.evidence_id,
          details: JSON.parse(r.details) as Record<string, unknown>,
        });
        evil.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, h2, r.seq);
        prev = h2;
      }
    } finally {
      evil.close();
    }
    expect(h.repo.audit.verify().ok).toBe(true); // the chain alone is fooled…
    const after = await verifyAuditSegments({
      audit: h.repo.audit,
      segments: h.repo.auditSegments,
      archive: h.archive,
      verifier,
    });
    expect(after.ok).toBe(false); // …the sealed segment is not
    expect(after.problems.map((p) => p.problem).join('\n')).toMatch(
      /catalog row \d+ was rewritten after it was sealed/,
    );
  });
});

describe('catalog queries and metrics', () => {
  it('the case listing uses the caseNumber expression index (no table scan, no temp sort)', () => {
    const plan = h.db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM evidence WHERE json_extract(elements, '$.caseNumber') = ? AND (received_at, id) > (?, ?) ORDER BY received_at, id LIMIT ?`,
      )
      .all('A-1', '', '', 10) as { detail: string }[];
    const text = plan.map((p) => p.detail).join('\n');
    expect(text).toContain('USING INDEX evidence_case');
    expect(text).not.toMatch(/SCAN evidence\b(?! USING)/);
    expect(text).not.toContain('TEMP B-TREE');
  });

  it('metrics: backlog per state, bytes taken in, derivatives, failed items and API latency', async () => {
    const res = await h.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${h.token('admin')}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('sealdock_evidence_items{state="archived"} 1');
    expect(res.body).toMatch(/^sealdock_intake_bytes_total\{dock="dock1"\} [1-9]\d*$/m);
    expect(res.body).toContain('sealdock_failed_items{stage="archive"} 0');
    expect(res.body).toMatch(/^sealdock_derivatives_total\{method="(remux|transcode)"\} [1-9]/m);
    expect(res.body).toMatch(
      /sealdock_api_request_duration_seconds_bucket\{le="\+Inf",route="\/api\/v1\/evidence\/:id",method="GET",status="2xx"\} \d+/,
    );
  });
});
