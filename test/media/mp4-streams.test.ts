// Our in-process MP4 stream hashes against ffmpeg's own streamhash, on real files of every kind we
// remux (and the ones we must refuse), plus the sample-table rules on hand-built moov boxes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, openSync, readFileSync, readSync, closeSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fixture } from '../helpers/fixtures.js';
import { hashFileStreams, parseMoov, streamHashLines, type FileStreamHashes } from '../../src/media/mp4-streams.js';
import { streamHashes } from '../../src/media/ffmpeg.js';
import { atoms, removeTmpDirs, tmpDir } from './helpers.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const ff = (...args: string[]) =>
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args]);
const src = (size: string, seconds: number) => [
  '-f',
  'lavfi',
  '-i',
  `testsrc2=size=${size}:rate=25:duration=${seconds}`,
];
const tone = (seconds: number) => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`];
/** 2 s of 320×240 H.264 (x264 with `x264`) and AAC into `out`. */
const h264Aac = (x264: string[], out: string) =>
  ff(...src('320x240', 2), ...tone(2), '-c:v', 'libx264', ...x264, '-c:a', 'aac', '-shortest', out);

function linesOf(r: FileStreamHashes): string[] | undefined {
  return r.streams.ok ? streamHashLines(r.streams.tracks) : undefined;
}

/** Does a top-level moov hold a trak with an edts/elst? (edit lists, as ffmpeg writes them) */
function hasEditList(file: string): boolean {
  const moov = atoms(file).find((a) => a.type === 'moov');
  if (!moov) return false;
  const buf = Buffer.alloc(moov.size);
  const fd = openSync(file, 'r');
  readSync(fd, buf, 0, moov.size, moov.start);
  closeSync(fd);
  return buf.includes('edts', 0, 'latin1') && buf.includes('elst', 0, 'latin1');
}

let dir: string;
const kinds: Record<string, string> = {};

beforeAll(() => {
  dir = tmpDir('sealdock-mp4streams-');
  const at = (name: string) => path.join(dir, name);
  kinds['MP4 H.264/AAC'] = fixture('h264-aac.mp4');
  kinds['MOV H.264/AAC'] = fixture('h264-aac.mov');
  kinds['M4A audio only'] = fixture('audio.m4a');
  kinds['MP4 1080p'] = fixture('h264-aac-1080p.mp4');
  // video without audio
  ff(...src('320x240', 1), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', at('video-only.mp4'));
  kinds['MP4 video only'] = at('video-only.mp4');
  // B-frames: ctts and a video edit list with a non-zero media time; moov at the end (no faststart)
  h264Aac(['-preset', 'veryfast', '-bf', '3', '-pix_fmt', 'yuv420p'], at('bframes-moov-last.mp4'));
  kinds['MP4 B-frames, moov last'] = at('bframes-moov-last.mp4');
  // full-range (as many body cameras write it)
  h264Aac(['-preset', 'ultrafast', '-pix_fmt', 'yuvj420p', '-movflags', '+faststart'], at('fullrange.mp4'));
  kinds['MP4 full range'] = at('fullrange.mp4');
  // the copies our remux makes: ffmpeg-written, faststart, stamped tags
  for (const [name, file] of Object.entries({ ...kinds })) {
    const out = at(`copy-${path.basename(file)}.mp4`);
    ff(
      '-i',
      file,
      '-map',
      '0',
      '-c',
      'copy',
      '-map_metadata',
      '-1',
      '-metadata',
      'sealdock_place=东街12号',
      '-movflags',
      '+faststart+use_metadata_tags',
      '-f',
      'mp4',
      out,
    );
    kinds[`remuxed ${name}`] = out;
  }
});

afterAll(removeTmpDirs);

describe('hashFileStreams (in-process stream hashes)', () => {
  it('equals ffmpeg -f streamhash -hash sha256 exactly for every kind we remux, and hashes the whole file', async () => {
    expect(Object.keys(kinds).length).toBeGreaterThanOrEqual(14);
    for (const [name, file] of Object.entries(kinds)) {
      const ours = await hashFileStreams(file, { wholeFile: true });
      const theirs = await streamHashes('ffmpeg', file, ['0']);
      expect(theirs.length, name).toBeGreaterThan(0);
      expect(linesOf(ours), name).toEqual(theirs);
      expect(ours.sha256, name).toBe(sha256(file));
      expect(ours.size, name).toBe(readFileSync(file).length);
    }
  });

  it('covers files with edit lists as ffmpeg writes them (AAC priming, B-frame delay)', () => {
    expect(hasEditList(kinds['MP4 B-frames, moov last'] as string)).toBe(true);
    expect(hasEditList(kinds['remuxed MP4 B-frames, moov last'] as string)).toBe(true);
    expect(hasEditList(kinds['MOV H.264/AAC'] as string)).toBe(true);
    expect(topLevel(kinds['MP4 B-frames, moov last'] as string)).toEqual(['ftyp', 'free', 'mdat', 'moov']);
  });

  it('without wholeFile, gives the same stream hashes and no file hash', async () => {
    const file = kinds['MP4 H.264/AAC'] as string;
    const r = await hashFileStreams(file);
    expect(r.sha256).toBeUndefined();
    expect(linesOf(r)).toEqual(await streamHashes('ffmpeg', file, ['0']));
  });

  it('a changed sample byte changes that stream hash (as ffmpeg sees it); a changed tag only the file hash', async () => {
    const original = kinds['remuxed MP4 H.264/AAC'] as string;
    const before = await hashFileStreams(original, { wholeFile: true });
    const packet = firstPacket(original, 'v');

    const sample = path.join(dir, 'tampered-sample.mp4');
    copyFileSync(original, sample);
    flipByte(sample, packet.pos + Math.floor(packet.size / 2));
    const s = await hashFileStreams(sample, { wholeFile: true });
    expect(linesOf(s)?.[0]).not.toBe(linesOf(before)?.[0]);
    expect(linesOf(s)?.[1]).toBe(linesOf(before)?.[1]);
    expect(linesOf(s)).toEqual(await streamHashes('ffmpeg', sample, ['0']));

    const tag = path.join(dir, 'tampered-tag.mp4');
    copyFileSync(original, tag);
    const bytes = readFileSync(tag);
    flipByte(tag, bytes.indexOf(Buffer.from('东街12号')));
    const t = await hashFileStreams(tag, { wholeFile: true });
    expect(t.sha256).not.toBe(before.sha256);
    expect(linesOf(t)).toEqual(linesOf(before));
  });

  it('leaves to ffmpeg what it cannot vouch for: HEVC tracks, fragmented MP4, no moov, not ISO BMFF', async () => {
    const hevc = await hashFileStreams(fixture('hevc.mp4'));
    expect(hevc.streams.ok && hevc.streams.tracks.map((t) => t.kind)).toEqual(['other', 'audio']);
    expect(hevc.streams.ok && streamHashLines(hevc.streams.tracks)).toBeUndefined();

    const frag = path.join(dir, 'fragmented.mp4');
    ff('-i', fixture('h264-aac.mp4'), '-c', 'copy', '-movflags', 'frag_keyframe+empty_moov', frag);
    expect((await hashFileStreams(frag)).streams).toMatchObject({ ok: false, why: /fragmented/ });

    const truncated = await hashFileStreams(fixture('truncated.mp4'), { wholeFile: true });
    expect(truncated.streams.ok).toBe(false);
    expect(truncated.sha256).toBe(sha256(fixture('truncated.mp4')));

    expect((await hashFileStreams(fixture('mjpeg.avi'))).streams.ok).toBe(false);
    expect((await hashFileStreams(fixture('not-video.bin'))).streams.ok).toBe(false);
  });
});

// ---- hand-built moov boxes: the sample-table rules ----

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}
const u32 = (...v: number[]) => {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeUInt32BE(x >>> 0, i * 4));
  return b;
};
const u64 = (...v: number[]) => {
  const b = Buffer.alloc(8 * v.length);
  v.forEach((x, i) => b.writeBigUInt64BE(BigInt(x), i * 8));
  return b;
};
const full = (type: string, ...payload: Buffer[]) => box(type, u32(0), ...payload);

interface TrakSpec {
  handler?: string;
  entries?: string[];
  sizes?: number[];
  constantSize?: number;
  stsc?: Array<[first: number, perChunk: number]>;
  offsets?: number[];
  co64?: boolean;
  elst?: Buffer;
}

function trak(spec: TrakSpec = {}): Buffer {
  const sizes = spec.sizes ?? [10, 20, 30, 40];
  const entries = (spec.entries ?? ['avc1']).map((e) => box(e, Buffer.alloc(8)));
  const stsc = spec.stsc ?? [[1, 2]];
  const offsets = spec.offsets ?? [100, 200];
  const stbl = box(
    'stbl',
    full('stsd', u32(entries.length), ...entries),
    full('stsz', u32(spec.constantSize ?? 0, sizes.length), spec.constantSize ? Buffer.alloc(0) : u32(...sizes)),
    full('stsc', u32(stsc.length), ...stsc.map(([f, n]) => u32(f, n, 1))),
    spec.co64 ? full('co64', u32(offsets.length), u64(...offsets)) : full('stco', u32(offsets.length), u32(...offsets)),
  );
  const hdlr = full('hdlr', u32(0), Buffer.from(spec.handler ?? 'vide', 'latin1'), Buffer.alloc(12));
  const edts = spec.elst ? [box('edts', spec.elst)] : [];
  return box('trak', ...edts, box('mdia', hdlr, box('minf', stbl)));
}

const moovOf = (...traks: Buffer[]) => Buffer.concat(traks);
const elst = (...edits: Array<[mediaTime: number, rate: number]>) =>
  full('elst', u32(edits.length), ...edits.map(([t, r]) => Buffer.concat([u32(1000), u32(t), u32(r)])));

describe('parseMoov (sample tables)', () => {
  it('turns chunks into runs of consecutive samples, with stco or co64 offsets', () => {
    const r = parseMoov(
      moovOf(trak(), trak({ handler: 'soun', entries: ['mp4a'], co64: true, offsets: [2 ** 33, 2 ** 33 + 500] })),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.tracks.map((t) => [t.kind, t.sampleEntry, t.sampleCount])).toEqual([
      ['video', 'avc1', 4],
      ['audio', 'mp4a', 4],
    ]);
    expect([...(r.tracks[0]?.runOffsets ?? [])]).toEqual([100, 200]);
    expect([...(r.tracks[0]?.runLengths ?? [])]).toEqual([30, 70]);
    expect([...(r.tracks[1]?.runOffsets ?? [])]).toEqual([2 ** 33, 2 ** 33 + 500]);
  });

  it('tells packet boundaries apart even when the bytes run the same', () => {
    const a = parseMoov(moovOf(trak({ sizes: [10, 20, 30, 40] })));
    const b = parseMoov(moovOf(trak({ sizes: [30, 0, 30, 40] })));
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect([...(a.tracks[0]?.runLengths ?? [])]).toEqual([...(b.tracks[0]?.runLengths ?? [])]);
    expect(a.tracks[0]?.sampleSizesSha256).not.toBe(b.tracks[0]?.sampleSizesSha256);
  });

  it('accepts stsc runs over several chunks and the edit lists ffmpeg writes', () => {
    const r = parseMoov(
      moovOf(
        trak({
          sizes: [1, 2, 3, 4, 5],
          stsc: [
            [1, 2],
            [3, 1],
          ],
          offsets: [10, 20, 30],
          elst: elst([-1, 0x10000], [1024, 0x10000]),
        }),
      ),
    );
    expect(r.ok && [...(r.tracks[0]?.runLengths ?? [])]).toEqual([3, 7, 5]);
    expect(parseMoov(moovOf(trak({ elst: elst([1024, 0x10000]) }))).ok).toBe(true);
  });

  it('refuses what ffmpeg might demux differently from the stored samples', () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['two normal edits', moovOf(trak({ elst: elst([0, 0x10000], [2000, 0x10000]) })), /edit list/],
      ['slowed edit', moovOf(trak({ elst: elst([0, 0x8000]) })), /edit list/],
      ['two sample descriptions', moovOf(trak({ entries: ['avc1', 'avc1'] })), /2 sample descriptions/],
      ['constant sample size', moovOf(trak({ constantSize: 4 })), /constant sample size/],
      ['stsc not from chunk 1', moovOf(trak({ stsc: [[2, 2]] })), /sample-to-chunk/],
      ['more samples than chunks hold', moovOf(trak({ stsc: [[1, 1]] })), /chunks hold 2 samples, stsz 4/],
      ['chunks hold more than stsz', moovOf(trak({ stsc: [[1, 3]] })), /more samples than stsz/],
      ['chunks out of file order', moovOf(trak({ offsets: [200, 100] })), /out of file order/],
      ['overlapping chunks', moovOf(trak({ offsets: [100, 120] })), /out of file order/],
      ['H.264 in a sound track', moovOf(trak({ handler: 'soun' })), /avc1 in a soun track/],
      ['fragmented', moovOf(box('mvex'), trak()), /fragmented/],
      ['truncated box', moovOf(trak()).subarray(0, 50), /impossible size|truncated/],
    ];
    for (const [name, buf, why] of cases) expect(parseMoov(buf), name).toMatchObject({ ok: false, why });
  });
});

function topLevel(file: string): string[] {
  return atoms(file).map((a) => a.type);
}

function firstPacket(file: string, type: 'v' | 'a'): { pos: number; size: number } {
  const out = execFileSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      `${type}:0`,
      '-show_entries',
      'packet=pos,size',
      '-of',
      'csv=p=0',
      '-read_intervals',
      '%+#1',
      file,
    ],
    { encoding: 'utf8' },
  );
  const [pos, size] = (out.trim().split('\n')[0] ?? '').split(',').map(Number);
  return { pos: pos as number, size: size as number };
}

function flipByte(file: string, at: number): void {
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] = (b[0] as number) ^ 0xff;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
  }
}
