// A Range of a local archived file is written through a few reused buffers straight to the socket
// (PinnedReader.openRange → RangePump): over real HTTP, every range is byte-exact across chunk
// boundaries, also with many ranges at once sharing the buffers; a file cut short after the first
// chunk left ends in a response cut off before its Content-Length, never a complete one.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArchive } from '../../src/archive/local.js';
import { PinnedReader, type IntegrityAlarm, type PinnedObject } from '../../src/archive/pinned.js';

const MiB = 1024 * 1024;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-rangepump-'));
const bytes = randomBytes(5 * MiB + 12_345);
const alarms: IntegrityAlarm[] = [];
let archive: LocalArchive;
let reader: PinnedReader;
let server: http.Server;
let base: string;
let obj: PinnedObject;
let firstBytes = 0;

async function put(key: string, b: Buffer): Promise<PinnedObject> {
  const sha256 = createHash('sha256').update(b).digest('hex');
  await archive.put(
    key,
    { bytes: b },
    {
      sha256,
      size: b.length,
      contentType: 'video/mp4',
      retainUntil: new Date(Date.now() + 86_400_000),
      legalHold: false,
    },
  );
  return { key, sha256, size: b.length, evidenceId: 'ev-pump', versionId: null };
}

beforeAll(async () => {
  archive = new LocalArchive({ root: path.join(dir, 'archive') });
  await archive.checkReady();
  reader = new PinnedReader(archive, (a) => alarms.push(a));
  obj = await put('evidence/ev-pump/original/clip.mp4', bytes);
  // GET /<key>?start=&end= : one range through the pump, as the API's download route does.
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const target = url.pathname === '/short' ? shortObj : obj;
    const range = { start: Number(url.searchParams.get('start')), end: Number(url.searchParams.get('end')) };
    void (async () => {
      const pump = await reader.openRange(target, { reader: 'api', range, beforeFirstByte: () => firstBytes++ });
      if (!pump) throw new Error('the local backend should open a pump');
      if (url.pathname === '/short') await cutShort(target);
      res.writeHead(206, { 'content-length': String(range.end - range.start + 1) });
      await pump.run(res);
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

let shortObj: PinnedObject;
async function cutShort(o: PinnedObject): Promise<void> {
  const file = path.join(dir, 'archive', ...o.key.split('/'));
  fs.chmodSync(file, 0o600);
  fs.truncateSync(file, 2 * MiB);
}

const fetchRange = async (start: number, end: number) => {
  const res = await fetch(`${base}/obj?start=${start}&end=${end}`);
  expect(res.status).toBe(206);
  return Buffer.from(await res.arrayBuffer());
};

describe('RangePump: a local range through reused buffers', () => {
  it.each([
    ['one byte', 0, 0],
    ['the last byte', bytes.length - 1, bytes.length - 1],
    ['within the first chunk', 1000, 70_000],
    ['across one chunk boundary', MiB - 10, MiB + 10],
    ['several chunks, ragged ends', 123_457, 4 * MiB + 999],
    ['the whole object as a range', 0, bytes.length - 1],
  ])('%s is byte-exact', async (_name, start, end) => {
    const before = firstBytes;
    expect((await fetchRange(start, end)).equals(bytes.subarray(start, end + 1))).toBe(true);
    expect(firstBytes).toBe(before + 1);
  });

  it('many ranges at once share the buffers and each is still exact', async () => {
    const ranges = Array.from({ length: 24 }, (_, i) => {
      const start = (i * 211_111) % (bytes.length - 2 * MiB);
      return [start, start + MiB + i * 77_777] as const;
    });
    const got = await Promise.all(ranges.map(([s, e]) => fetchRange(s, e)));
    got.forEach((g, i) => expect(g.equals(bytes.subarray(ranges[i]![0], ranges[i]![1] + 1)), `range ${i}`).toBe(true));
    expect(alarms).toEqual([]);
  });

  it('a file cut short after the first chunk left: the response is cut off, never complete', async () => {
    shortObj = await put('evidence/ev-pump/original/short.mp4', randomBytes(4 * MiB));
    const res = await fetch(`${base}/short?start=0&end=${4 * MiB - 1}`);
    expect(res.status).toBe(206);
    expect(res.headers.get('content-length')).toBe(String(4 * MiB));
    await expect(res.arrayBuffer()).rejects.toThrow();
  });
});
