// Authorization matrix: every endpoint × every kind of credential, against the real server with a
// real archived item. The expected table is the specification; a cell that changes fails loudly.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvidenceRecord } from '../../src/catalog/evidence-repo.js';
import { COMPLETE_SIDECAR, makeHarness, uniqueClip, type Harness } from './harness.js';

type Cred = 'none' | 'malformed' | 'wrongSecret' | 'revoked' | 'expired' | 'dock' | 'auditor' | 'admin';
const CREDS: Cred[] = ['none', 'malformed', 'wrongSecret', 'revoked', 'expired', 'dock', 'auditor', 'admin'];

interface Endpoint {
  name: string;
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT';
  url: (id: string) => string;
  headers?: Record<string, string>;
  body?: () => Buffer | Record<string, unknown>;
  /** dock, auditor, admin (every invalid credential is 401; public routes are 200 for all) */
  expect: 'public' | [number, number, number];
}

const reason = { 'x-access-reason': encodeURIComponent('矩阵测试') };

const ENDPOINTS: Endpoint[] = [
  { name: 'healthz', method: 'GET', url: () => '/healthz', expect: 'public' },
  { name: 'readyz', method: 'GET', url: () => '/readyz', expect: 'public' },
  { name: 'openapi', method: 'GET', url: () => '/api/v1/openapi.json', expect: 'public' },
  { name: 'metrics', method: 'GET', url: () => '/metrics', expect: [403, 403, 200] },
  { name: 'list', method: 'GET', url: () => '/api/v1/evidence?limit=5', expect: [403, 200, 200] },
  {
    name: 'case',
    method: 'GET',
    url: () => `/api/v1/cases/${COMPLETE_SIDECAR.caseNumber}/evidence`,
    expect: [403, 200, 200],
  },
  { name: 'detail', method: 'GET', url: (id) => `/api/v1/evidence/${id}`, expect: [403, 200, 200] },
  {
    name: 'original',
    method: 'GET',
    url: (id) => `/api/v1/evidence/${id}/original`,
    headers: reason,
    expect: [403, 200, 200],
  },
  {
    name: 'original HEAD',
    method: 'HEAD',
    url: (id) => `/api/v1/evidence/${id}/original`,
    headers: reason,
    expect: [403, 200, 200],
  },
  {
    name: 'derivative',
    method: 'GET',
    url: (id) => `/api/v1/evidence/${id}/derivative`,
    headers: reason,
    expect: [403, 200, 200],
  },
  {
    name: 'derivative HEAD',
    method: 'HEAD',
    url: (id) => `/api/v1/evidence/${id}/derivative`,
    headers: reason,
    expect: [403, 200, 200],
  },
  {
    name: 'manifest',
    method: 'GET',
    url: (id) => `/api/v1/evidence/${id}/manifest?revision=1`,
    headers: reason,
    expect: [403, 200, 200],
  },
  {
    name: 'signature',
    method: 'GET',
    url: (id) => `/api/v1/evidence/${id}/signature`,
    headers: reason,
    expect: [403, 200, 200],
  },
  { name: 'verify', method: 'POST', url: (id) => `/api/v1/evidence/${id}/verify`, expect: [403, 200, 200] },
  // the same purpose again: allowed, changes nothing, so the item stays archived for the other cells
  {
    name: 'annotation',
    method: 'PATCH',
    url: (id) => `/api/v1/evidence/${id}/annotation`,
    body: () => ({ purpose: COMPLETE_SIDECAR.purpose, reason: 'matrix' }),
    expect: [403, 403, 200],
  },
  {
    name: 'upload',
    method: 'PUT',
    url: () => `/api/v1/docks/dock1/files/matrix-${randomBytes(4).toString('hex')}.bin`,
    headers: { 'content-type': 'application/octet-stream' },
    body: () => randomBytes(64),
    expect: [201, 403, 403],
  },
  { name: 'audit', method: 'GET', url: () => '/api/v1/audit?limit=5', expect: [403, 403, 200] },
  { name: 'console-config', method: 'GET', url: () => '/api/v1/console-config', expect: 'public' },
  { name: 'session', method: 'GET', url: () => '/api/v1/session', expect: [403, 200, 200] },
  { name: 'access', method: 'GET', url: (id) => `/api/v1/evidence/${id}/access`, expect: [403, 200, 200] },
  {
    name: 'playback',
    method: 'POST',
    url: (id) => `/api/v1/evidence/${id}/playback`,
    headers: reason,
    expect: [403, 201, 201],
  },
  { name: 'status', method: 'GET', url: () => '/api/v1/status', expect: [403, 403, 200] },
  { name: 'activity', method: 'GET', url: () => '/api/v1/activity?days=7', expect: [403, 403, 200] },
  { name: 'report', method: 'GET', url: () => '/api/v1/report?year=2026', expect: [403, 403, 200] },
  {
    name: 'legal-hold',
    method: 'PUT',
    url: (id) => `/api/v1/evidence/${id}/legal-hold`,
    body: () => ({ hold: false, reason: 'matrix' }),
    expect: [403, 403, 200],
  },
];

let h: Harness;
let item: EvidenceRecord;
const auth: Record<Cred, Record<string, string>> = {} as never;

beforeAll(async () => {
  h = await makeHarness();
  item = await h.preserve('矩阵.mp4', uniqueClip('matrix'), { sidecar: COMPLETE_SIDECAR, states: ['archived'] });
  const revoked = h.token('auditor');
  h.tokens.revoke(revoked.split('_')[1]!, 'test');
  const good = h.token('admin');
  auth.none = {};
  auth.malformed = { authorization: 'Bearer not-a-token' };
  auth.wrongSecret = { authorization: `Bearer ${good.slice(0, -4)}AAAA` };
  auth.revoked = { authorization: `Bearer ${revoked}` };
  auth.expired = {
    authorization: `Bearer ${h.token('admin', { expiresAt: new Date(Date.now() - 1000).toISOString() })}`,
  };
  auth.dock = { authorization: `Bearer ${h.token('dock')}` };
  auth.auditor = { authorization: `Bearer ${h.token('auditor')}` };
  auth.admin = { authorization: `Bearer ${good}` };
}, 120_000);

afterAll(async () => h?.close());

describe('authorization matrix', () => {
  it('every endpoint × every credential gives the expected status', async () => {
    const got: Record<string, Record<Cred, number>> = {};
    const want: Record<string, Record<Cred, number>> = {};
    for (const e of ENDPOINTS) {
      got[e.name] = {} as Record<Cred, number>;
      want[e.name] = {} as Record<Cred, number>;
      for (const c of CREDS) {
        const body = e.body?.();
        const res = await h.app.inject({
          method: e.method,
          url: e.url(item.id),
          headers: {
            ...e.headers,
            ...auth[c],
            ...(body && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { payload: Buffer.isBuffer(body) ? body : JSON.stringify(body) } : {}),
        });
        got[e.name]![c] = res.statusCode;
        want[e.name]![c] =
          e.expect === 'public'
            ? 200
            : c === 'dock'
              ? e.expect[0]
              : c === 'auditor'
                ? e.expect[1]
                : c === 'admin'
                  ? e.expect[2]
                  : 401;
        if (res.statusCode >= 400 && e.method !== 'HEAD') {
          expect(res.headers['content-type'], `${e.name}/${c}`).toMatch(/^application\/problem\+json/);
          const p = res.json<{ status: number; code: string; type: string; title: string }>();
          expect(p.status).toBe(res.statusCode);
          expect(p.code).toMatch(/^[A-Z_]+$/);
        }
        if (res.statusCode === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      }
    }
    expect(got).toEqual(want);
  }, 120_000);

  it('records every refused credential as access-denied, never the secret', async () => {
    const before = h.repo.audit.list({ action: 'access-denied', limit: 10_000 }).length;
    const presented = auth.wrongSecret.authorization!.slice('Bearer '.length);
    for (const c of ['none', 'malformed', 'wrongSecret', 'revoked', 'expired'] as const) {
      expect((await h.app.inject({ url: `/api/v1/evidence/${item.id}`, headers: auth[c] })).statusCode).toBe(401);
    }
    const rows = h.repo.audit.list({ action: 'access-denied', limit: 10_000 }).slice(before);
    expect(rows.map((r) => r.details.why)).toEqual(['missing', 'malformed', 'wrong-secret', 'revoked', 'expired']);
    expect(rows[2]!.details.tokenId).toBe(presented.split('_')[1]);
    const secret = presented.slice('sdk_'.length + 17);
    for (const r of rows) expect(JSON.stringify(r)).not.toContain(secret);
  });

  it('a dock token bound to one dock cannot push to another', async () => {
    const bound = h.token('dock', { dockId: 'dock2' });
    const res = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/docks/dock1/files/x.bin',
      headers: { authorization: `Bearer ${bound}`, 'content-type': 'application/octet-stream' },
      payload: randomBytes(16),
    });
    expect(res.statusCode).toBe(403);
    const ok = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/docks/dock2/files/x.bin',
      headers: { authorization: `Bearer ${bound}`, 'content-type': 'application/octet-stream' },
      payload: randomBytes(16),
    });
    expect(ok.statusCode).toBe(201);
    const empty = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/docks/dock2/files/y.bin',
      headers: { authorization: `Bearer ${bound}` },
    });
    expect(empty.statusCode).toBe(400);
    const json = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/docks/dock2/files/y.bin',
      headers: { authorization: `Bearer ${bound}`, 'content-type': 'application/json' },
      payload: '{"a":1}',
    });
    expect(json.statusCode).toBe(415);
  });

  it('a token revoked while in use fails on its very next request', async () => {
    const t = h.token('auditor');
    const headers = { authorization: `Bearer ${t}` };
    expect((await h.app.inject({ url: `/api/v1/evidence/${item.id}`, headers })).statusCode).toBe(200);
    h.tokens.revoke(t.split('_')[1]!, 'test');
    expect((await h.app.inject({ url: `/api/v1/evidence/${item.id}`, headers })).statusCode).toBe(401);
  });
});
