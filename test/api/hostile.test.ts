// Hostile input: traversal in ids and names, broken encodings, malformed and huge Range headers,
// oversized headers and bodies, odd Unicode. The rule: a 4xx that says why, never a 500, and an
// upload that is refused leaves nothing behind in the spool or the catalog.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvidenceRecord } from '../../src/catalog/evidence-repo.js';
import { COMPLETE_SIDECAR, makeHarness, uniqueClip, type Harness } from './harness.js';
import { displayName, exactNameBytes } from '../../src/util/file-names.js';
import { waitFor } from '../helpers/workspace.js';

let h: Harness;
let item: EvidenceRecord;
let base: { host: string; port: number };
let admin: Record<string, string>;
let dock: Record<string, string>;
const reason = { 'x-access-reason': 'hostile input test' };

beforeAll(async () => {
  h = await makeHarness();
  item = await h.preserve('hostile.mp4', uniqueClip('hostile'), {
    sidecar: { ...COMPLETE_SIDECAR, caseNumber: 'Café-7' },
    states: ['archived'],
  });
  admin = { authorization: `Bearer ${h.token('admin')}` };
  dock = { authorization: `Bearer ${h.token('dock')}` };
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  base = { host: '127.0.0.1', port: (h.app.server.address() as AddressInfo).port };
}, 120_000);

afterAll(async () => h?.close());

/** A raw HTTP/1.1 request: nothing in between normalises what we send. */
function raw(
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: Buffer | (() => AsyncIterable<Buffer>),
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...base, method, path: target, headers, insecureHTTPParser: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    // EPIPE/ECONNRESET while we still write is expected once the server has answered early.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
      else setTimeout(() => reject(new Error(`connection ${err.code} and no response`)), 2000);
    });
    if (typeof body === 'function') {
      void (async () => {
        for await (const c of body()) if (!req.write(c)) await new Promise((r) => req.once('drain', r));
        req.end();
      })().catch(() => undefined);
    } else req.end(body);
  });
}

function spoolAndCatalog() {
  const list = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).sort() : []);
  return {
    tmp: list(h.spool.tmpDir),
    originals: list(h.spool.originalsDir),
    rows: (h.db.prepare('SELECT COUNT(*) AS n FROM evidence').get() as { n: number }).n,
  };
}

describe('hostile ids, names and paths', () => {
  const ids = [
    '..%2F..%2Fetc%2Fpasswd',
    '..',
    '%2E%2E',
    'ev%00x',
    'a%5Cb',
    'x'.repeat(65),
    '%E0%A4%A',
    '%FF%FE',
    'ev-1%0D%0ASet-Cookie:%20a=b',
    '%F0%9F%98%80',
  ];
  it.each(ids)('evidence id %s → 4xx', async (id) => {
    for (const suffix of ['', '/original', '/derivative', '/manifest', '/signature']) {
      const res = await h.app.inject({ url: `/api/v1/evidence/${id}${suffix}`, headers: { ...admin, ...reason } });
      expect(res.statusCode, `${id}${suffix}: ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
  });

  // What no file name can be: a path, NUL, a dot-segment, more than 255 bytes, malformed escapes.
  const names = [
    '..%2F..%2Fetc%2Fpasswd',
    '..',
    '%2E',
    'a%00b.mp4',
    encodeURIComponent('中'.repeat(86)),
    'x'.repeat(256),
    '%E0%A4%A',
  ];
  it.each(names)('upload name %s → 4xx and nothing kept', async (name) => {
    const before = spoolAndCatalog();
    const res = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/docks/dock1/files/${name}`,
      headers: { ...dock, 'content-type': 'application/octet-stream' },
      payload: randomBytes(100),
    });
    expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(spoolAndCatalog()).toEqual(before);
  });

  // Names a recorder or dock really produces: taken, recorded byte for byte, shown escaped.
  const hostileButLegal: [string, Buffer][] = [
    ['a%5Cb.mp4', Buffer.from('a\\b.mp4')],
    ['.hidden', Buffer.from('.hidden')],
    ['a%0Ab', Buffer.from('a\nb')],
    ['a%E2%80%AEb.mp4', Buffer.from('a\u202Eb.mp4')],
    ['%C4%E3%BA%C3.mp4', Buffer.from([0xc4, 0xe3, 0xba, 0xc3, 0x2e, 0x6d, 0x70, 0x34])],
    [encodeURIComponent('中'.repeat(85)), Buffer.from('中'.repeat(85))],
  ];
  it.each(hostileButLegal)('upload name %s → 201, exact bytes recorded, shown escaped', async (encoded, bytes) => {
    const res = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/docks/dock1/files/${encoded}`,
      headers: { ...dock, 'content-type': 'application/octet-stream' },
      payload: randomBytes(100),
    });
    expect(res.statusCode, res.body).toBe(201);
    const e = h.repo.get(res.json<{ id: string }>().id)!;
    expect(exactNameBytes(e.originalNameExact!)).toEqual(bytes);
    expect(e.originalName).toBe(displayName(bytes));
    expect(e.originalName).not.toMatch(/[\p{Cc}\p{Cf}]/u);
    // Let the pipeline finish with it, so the spool is quiet for the tests that compare it.
    await waitFor(
      `${encoded} preserved`,
      () => ['awaiting-annotation', 'unplayable', 'archived'].includes(h.repo.get(e.id)!.state),
      40_000,
      50,
    );
  });

  it('unknown docks and traversal in dock ids are refused', async () => {
    for (const d of ['nope', '..%2Fdock1', 'dock1%00']) {
      const res = await h.app.inject({
        method: 'PUT',
        url: `/api/v1/docks/${d}/files/a.mp4`,
        headers: { ...dock, 'content-type': 'application/octet-stream' },
        payload: randomBytes(10),
      });
      expect([400, 404]).toContain(res.statusCode);
    }
  });

  it('odd Unicode in case numbers: NFD finds the NFC case, RTL marks / emoji / zero-width find nothing, none is a 500', async () => {
    const nfd = encodeURIComponent('Café-7'.normalize('NFD'));
    const found = await h.app.inject({ url: `/api/v1/cases/${nfd}/evidence`, headers: admin });
    expect(found.statusCode).toBe(200);
    expect(found.json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual([item.id]);
    for (const c of ['\u200fCafé-7', 'Café-7\u200e', '😀', 'A\u200b1', '\u202eA-1', 'ＡＢＣ', '𝔸-1', '%', ' ']) {
      const res = await h.app.inject({ url: `/api/v1/cases/${encodeURIComponent(c)}/evidence`, headers: admin });
      expect(res.statusCode, c).toBe(200);
      expect(res.json<{ items: unknown[] }>().items).toEqual([]);
    }
    for (const q of [
      'caseNumber=%00',
      'from=yesterday',
      'state=bogus',
      'limit=0',
      'limit=100000',
      'cursor=%%%',
      'cursor=AAAA',
    ]) {
      const res = await h.app.inject({ url: `/api/v1/evidence?${q}`, headers: admin });
      expect(res.statusCode, q).toBe(400);
    }
  });
});

describe('hostile Range headers', () => {
  const url = () => `/api/v1/evidence/${item.id}/original`;
  it.each([
    ['bytes=abc', 200],
    ['bytes=5-1', 200],
    ['bytes=-0', 416],
    ['bytes=0-99999999999999999999', 206],
    ['bytes=99999999999999999999-', 416],
    ['bytes=-99999999999999999999', 206],
    ['bytes=0-0,2-3', 200],
    ['pages=1-2', 200],
    ['bytes=', 200],
    ['bytes=--1', 200],
    ['bytes=1.5-2', 200],
    ['bytes=0x10-0x20', 200],
  ] as const)('%s → %i', async (range, status) => {
    const res = await h.app.inject({ url: url(), headers: { ...admin, ...reason, range } });
    expect(res.statusCode).toBe(status);
    if (status === 416) expect(res.headers['content-range']).toBe(`bytes */${item.size}`);
    if (status === 200) expect(res.rawPayload.length).toBe(item.size);
    if (status === 206)
      expect(res.headers['content-range']).toMatch(new RegExp(`^bytes \\d+-${item.size - 1}/${item.size}$`));
  });

  it('10 000 ranges: ignored in-process (200), refused by the HTTP parser on the wire (431)', async () => {
    const range = `bytes=${Array.from({ length: 10_000 }, (_, i) => `${i * 2}-${i * 2}`).join(',')}`;
    const res = await h.app.inject({ url: url(), headers: { ...admin, ...reason, range } });
    expect(res.statusCode).toBe(200);
    const wire = await raw('GET', url(), { ...admin, ...reason, range });
    expect(wire.status).toBe(431);
  });
});

describe('oversized requests', () => {
  it('a header beyond api.maxHeaderBytes → 431; a target beyond api.maxUrlLength → 414; never 500', async () => {
    expect((await raw('GET', '/healthz', { 'x-junk': 'a'.repeat(20_000) })).status).toBe(431);
    expect(
      (await raw('GET', `/api/v1/evidence/${item.id}`, { ...admin, 'x-access-reason': 'r'.repeat(17_000) })).status,
    ).toBe(431);
    const long = await raw('GET', `/api/v1/evidence?caseNumber=${'a'.repeat(5000)}`, admin);
    expect(long.status).toBe(414);
    expect(long.headers['content-type']).toMatch(/problem\+json/);
    const longParam = await raw('GET', `/api/v1/evidence/${'a'.repeat(2000)}`, admin);
    expect([400, 404]).toContain(longParam.status);
  });

  it('declared Content-Length above api.maxUploadBytes → 413 before reading, nothing kept', async () => {
    const before = spoolAndCatalog();
    const max = h.config.api.maxUploadBytes;
    const res = await raw(
      'PUT',
      '/api/v1/docks/dock1/files/big.mp4',
      { ...dock, 'content-type': 'application/octet-stream', 'content-length': String(max + 1) },
      async function* () {
        yield Buffer.alloc(64 * 1024);
      },
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body.toString()).code).toBe('PAYLOAD_TOO_LARGE');
    expect(spoolAndCatalog()).toEqual(before);
  });

  it('a chunked body that grows past the limit → 413, the partial spool file removed, no catalog row', async () => {
    const before = spoolAndCatalog();
    const max = h.config.api.maxUploadBytes;
    const res = await raw(
      'PUT',
      '/api/v1/docks/dock1/files/chunked.mp4',
      { ...dock, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
      async function* () {
        for (let sent = 0; sent <= max + 1024 * 1024; sent += 256 * 1024) yield randomBytes(256 * 1024);
      },
    );
    expect(res.status).toBe(413);
    expect(spoolAndCatalog()).toEqual(before);
  });

  it('x-content-sha256 mismatch → 400 DIGEST_MISMATCH and nothing kept; a matching digest is accepted', async () => {
    const before = spoolAndCatalog();
    const body = randomBytes(4096);
    const wrong = createHash('sha256').update('something else').digest('hex');
    const res = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/docks/dock1/files/d.mp4',
      headers: { ...dock, 'content-type': 'application/octet-stream', 'x-content-sha256': wrong },
      payload: body,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ code: string }>().code).toBe('DIGEST_MISMATCH');
    expect(spoolAndCatalog()).toEqual(before);
    const right = createHash('sha256').update(body).digest('hex');
    const ok = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/docks/dock1/files/d.mp4',
      headers: { ...dock, 'content-type': 'application/octet-stream', 'x-content-sha256': right.toUpperCase() },
      payload: body,
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json<{ sha256: string }>().sha256).toBe(right);
    const again = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/docks/dock1/files/d-copy.mp4',
      headers: { ...dock, 'content-type': 'application/octet-stream' },
      payload: body,
    });
    expect(again.statusCode).toBe(200);
    expect(again.json<{ result: string }>().result).toBe('redock');
  });

  it('a Chinese name and sidecar header round-trip; a bad sidecar is refused whole', async () => {
    const body = uniqueClip('pushed');
    const sidecar = Buffer.from(JSON.stringify({ caseNumber: 'B-2026-0001', purpose: '证明现场秩序' })).toString(
      'base64url',
    );
    const res = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/docks/dock1/files/${encodeURIComponent('执法记录 01.mp4')}`,
      headers: { ...dock, 'content-type': 'video/mp4', 'x-sealdock-sidecar': sidecar },
      payload: body,
    });
    expect(res.statusCode).toBe(201);
    const e = h.repo.get(res.json<{ id: string }>().id)!;
    expect(e.originalName).toBe('执法记录 01.mp4');
    expect(e.elements.caseNumber).toBe('B-2026-0001');
    const bad = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/docks/dock1/files/z.mp4',
      headers: {
        ...dock,
        'content-type': 'video/mp4',
        'x-sealdock-sidecar': Buffer.from('{"caseNumber":"../x"}').toString('base64url'),
      },
      payload: randomBytes(10),
    });
    expect(bad.statusCode).toBe(400);
    expect(path.basename(e.spoolPath ?? '')).toBe(e.sha256);
  });
});
