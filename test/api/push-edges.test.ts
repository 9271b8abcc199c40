// The HTTP push edges with the real server on a real socket: bodies that are empty, longer or
// shorter than they said, idle or too slow, a spool without room, too many at once — each is
// refused and keeps nothing. And hostile names pushed end archived and verified, exact in the manifest.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { archiveKeys } from '../../src/archive/keys.js';
import { parseManifest } from '../../src/seal/manifest.js';
import { exactNameOf } from '../../src/util/file-names.js';
import { sha256Stream } from '../../src/util/hash.js';
import { waitFor } from '../helpers/workspace.js';
import { makeHarness, uniqueClip, type Harness } from './harness.js';

let h: Harness;
let port: number;
let auth: string;

beforeAll(async () => {
  h = await makeHarness({
    api: {
      uploads: {
        maxConcurrent: 1,
        idleTimeoutMs: 600,
        minBytesPerSecond: 4000,
        rateWindowMs: 1000,
        spoolReserveBytes: 0,
      },
    },
  });
  countIngests();
  auth = `Bearer ${h.token('dock')}`;
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  port = (h.app.server.address() as AddressInfo).port;
}, 60_000);

afterAll(async () => h?.close());

function kept() {
  const list = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).sort() : []);
  return {
    tmp: list(h.spool.tmpDir),
    rows: (h.db.prepare('SELECT COUNT(*) AS n FROM evidence').get() as { n: number }).n,
  };
}

/**
 * Uploads the intake has started and finished: a counter around the real IntakeService (it still
 * does all the work). An answer can leave before its handler is done: node answers 400 to bytes
 * past Content-Length by itself, and the handler removes its temp file and frees its upload slot
 * later (hundreds of ms later on a loaded machine). So "nothing kept" is checked once every
 * upload started has finished, and each test starts with none running.
 */
const ingests = { started: 0, settled: 0 };

function countIngests(): void {
  const intake = h.deps.intake;
  const real = intake.ingestStream.bind(intake);
  intake.ingestStream = (...args) => {
    ingests.started++;
    return real(...args).finally(() => ingests.settled++);
  };
}

const ingestsSettled = (atLeast = 0) =>
  waitFor(
    'the uploads started to finish',
    () => ingests.started >= atLeast && ingests.settled === ingests.started,
    15_000,
    10,
  );

/** Nothing kept, checked once the upload this test made (and any other) has finished. */
async function expectNothingKept(before: ReturnType<typeof kept>, startedBefore: number): Promise<void> {
  await ingestsSettled(startedBefore + 1);
  expect(kept()).toEqual(before);
}

/**
 * Writes exactly these bytes on a fresh socket (and then more, after pauses in ms, or as a
 * generator yields them); resolves with what came back.
 */
function wire(parts: (Buffer | string | number | AsyncIterable<Buffer>)[]): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => resolve(got));
    void (async () => {
      for (const p of parts) {
        if (typeof p === 'number') await new Promise((r) => setTimeout(r, p));
        else if (typeof p === 'string' || Buffer.isBuffer(p)) {
          if (!s.destroyed) s.write(p);
        } else for await (const chunk of p) if (!s.destroyed) s.write(chunk);
      }
      // Give the server time to answer, then hang up if it has not.
      await new Promise((r) => setTimeout(r, 1500));
      s.end();
    })();
  });
}

const head = (name: string, extra: string) =>
  `PUT /api/v1/docks/dock1/files/${name} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/octet-stream\r\n${extra}\r\n`;

describe('push edges', () => {
  beforeEach(() => ingestsSettled());

  it('a zero-byte body → 400, nothing kept (with Content-Length: 0 and chunked)', async () => {
    const before = kept();
    const startedBefore = ingests.started;
    const res = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/docks/dock1/files/empty.mp4',
      headers: { authorization: auth, 'content-type': 'application/octet-stream', 'content-length': '0' },
      payload: Buffer.alloc(0),
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(await wire([head('empty2.mp4', 'Transfer-Encoding: chunked\r\n'), '0\r\n\r\n'])).toMatch(/^HTTP\/1.1 400/);
    await expectNothingKept(before, startedBefore);
  });

  it('a body longer than its Content-Length keeps nothing', async () => {
    const before = kept();
    const startedBefore = ingests.started;
    const answer = await wire([head('longer.mp4', 'Content-Length: 64\r\n') + 'x'.repeat(64) + 'y'.repeat(200)]);
    expect(answer).toMatch(/^HTTP\/1.1 400/);
    await expectNothingKept(before, startedBefore);
  });

  it('a body shorter than its Content-Length that goes idle is cut off, its temp file removed', async () => {
    const before = kept();
    const startedBefore = ingests.started;
    const answer = await wire([head('shorter.mp4', 'Content-Length: 100000\r\n'), randomBytes(5000), 2500]);
    expect(answer).toMatch(/^HTTP\/1.1 408/);
    expect(answer).toMatch(/UPLOAD_TIMEOUT/);
    await expectNothingKept(before, startedBefore);
  });

  it('a body slower than the minimum rate is cut off, nothing kept', async () => {
    const before = kept();
    const startedBefore = ingests.started;
    const drip = Array.from({ length: 12 }, () => [randomBytes(100), 200] as const).flat();
    const answer = await wire([head('slow.mp4', 'Content-Length: 100000\r\n'), ...drip]);
    expect(answer).toMatch(/^HTTP\/1.1 408/);
    expect(answer).toMatch(/B\/s/);
    await expectNothingKept(before, startedBefore);
  });

  it('too many uploads at once → 503 with Retry-After; the first one still completes', async () => {
    const body = uniqueClip('busy');
    // The first upload holds the only slot until the second has its answer: it keeps sending
    // 1000 bytes every 100 ms (above the idle and minimum-rate limits, however slow the machine),
    // then the rest.
    let secondAnswered = false;
    const drip = (async function* () {
      let at = 0;
      while (!secondAnswered && at + 1000 < body.length) {
        yield body.subarray(at, at + 1000);
        at += 1000;
        await new Promise((r) => setTimeout(r, 100));
      }
      yield body.subarray(at);
    })();
    const first = wire([head('first.mp4', `Content-Length: ${body.length}\r\n`), drip]);
    await waitFor('the first upload to hold the slot', () => kept().tmp.length > 0, 10_000, 10);
    const second = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/docks/dock1/files/second.mp4',
      headers: { authorization: auth, 'content-type': 'application/octet-stream' },
      payload: randomBytes(1000),
    });
    secondAnswered = true;
    expect(second.statusCode, second.body).toBe(503);
    expect(second.headers['retry-after']).toBe('30');
    expect(await first).toMatch(/^HTTP\/1.1 201/);
  });

  it('hostile names pushed end archived and verified, the exact bytes sealed in the manifest', async () => {
    const names: [string, Buffer][] = [
      [
        '%D6%B4%B7%A8%BC%C7%C2%BC.mp4',
        Buffer.from([0xd6, 0xb4, 0xb7, 0xa8, 0xbc, 0xc7, 0xc2, 0xbc, 0x2e, 0x6d, 0x70, 0x34]),
      ],
      [encodeURIComponent(`ab${'长'.repeat(83)}.mp4`), Buffer.from(`ab${'长'.repeat(83)}.mp4`)],
      [encodeURIComponent('ctl\u0001\u001b[31m.mp4'), Buffer.from('ctl\u0001\u001b[31m.mp4')],
      [encodeURIComponent('evil\u202Egnp.mp4'), Buffer.from('evil\u202Egnp.mp4')],
    ];
    for (const [encoded, bytes] of names) {
      const res = await h.app.inject({
        method: 'PUT',
        url: `/api/v1/docks/dock1/files/${encoded}`,
        headers: { authorization: auth, 'content-type': 'application/octet-stream' },
        payload: uniqueClip(encoded),
      });
      expect(res.statusCode, res.body).toBe(201);
      const id = res.json<{ id: string }>().id;
      const item = await waitFor(`${encoded} archived`, () => {
        const e = h.repo.get(id)!;
        return ['awaiting-annotation', 'archived'].includes(e.state) ? e : null;
      });
      const objects = h.repo.archiveObjects.ofItem(id);
      expect(objects.filter((o) => o.kind === 'original' && o.verifiedAt)).toHaveLength(1);
      expect(objects.find((o) => o.kind === 'manifest')?.verifiedAt).toBeTruthy();
      const manifestBytes = Buffer.concat(await (await h.archive.read(archiveKeys.manifest(id, 1))).toArray());
      const m = parseManifest(manifestBytes);
      expect(m.original.exactName).toEqual(exactNameOf(bytes));
      expect(m.original.dockPath).toEqual(exactNameOf(Buffer.concat([Buffer.from('push/'), bytes])));
      const original = await sha256Stream(await h.archive.read(m.original.archiveKey));
      expect(original.sha256).toBe(item.sha256);
    }
  }, 120_000);
});

describe('a spool without room', () => {
  let full: Harness;
  beforeAll(async () => {
    full = await makeHarness({
      api: {
        uploads: {
          maxConcurrent: 4,
          idleTimeoutMs: 5000,
          minBytesPerSecond: 0,
          rateWindowMs: 1000,
          spoolReserveBytes: 1e15,
        },
      },
    });
  }, 60_000);
  afterAll(async () => full?.close());

  it('→ 507 before reading the body, nothing kept', async () => {
    const res = await full.app.inject({
      method: 'PUT',
      url: '/api/v1/docks/dock1/files/nospace.mp4',
      headers: { authorization: `Bearer ${full.token('dock')}`, 'content-type': 'application/octet-stream' },
      payload: randomBytes(1000),
    });
    expect(res.statusCode, res.body).toBe(507);
    expect(res.json<{ code: string }>().code).toBe('INSUFFICIENT_STORAGE');
    expect(fs.readdirSync(full.spool.tmpDir)).toEqual([]);
    expect((full.db.prepare('SELECT COUNT(*) AS n FROM evidence').get() as { n: number }).n).toBe(0);
  });
});
