// Per-track SHA-256 of the compressed samples of an MP4/MOV file, computed in-process from its
// sample tables (stsz/stsc/stco/co64), in the same single read that hashes the whole file. For the
// files this accepts, each track's hash equals ffmpeg's `-map 0 -c copy -f streamhash -hash sha256`
// line for that stream (ffmpeg hashes each packet's bytes in decode order, and a stream-copied MP4
// packet is exactly one stored sample): test/media/mp4-streams.test.ts checks it on every fixture
// kind we remux. It exists so that proving a remux changed nothing needs no second ffmpeg process
// (≈ 0.27 s for a 60 s 1080p clip, most of it ffmpeg's SHA-256 without SHA-NI; node:crypto does
// the same bytes in ≈ 0.03 s).
//
// It refuses (`streams.ok: false`, with why) anything whose packets ffmpeg might present differently
// from the stored samples: fragmented files, sample entries other than avc1/mp4a, constant-size or stz2
// sample tables, several sample descriptions, inconsistent tables, samples out of file order,
// edit lists other than "optional empty edit, then one edit at normal rate". The caller then
// asks ffmpeg. mp4box.js would parse the same tables but builds one object per sample (hundreds of
// MB for a shift-long recording); typed arrays keep this at 16 bytes per chunk run.
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { decodeBoxHeader } from '../util/bmff-box.js';
import { READ_CHUNK, readFdChunks } from '../util/durable-copy.js';

const openFd = promisify(fs.open);
const readFd = promisify(fs.read);
const fstatFd = promisify(fs.fstat);
const closeFd = promisify(fs.close);

export type TrackKind = 'video' | 'audio' | 'other';

export interface Mp4Track {
  /** Position among the file's tracks (= ffmpeg's stream index for the files we accept). */
  index: number;
  kind: TrackKind;
  /** hdlr handler type, e.g. "vide", "soun". */
  handler: string;
  /** First sample entry's format, e.g. "avc1", "mp4a". */
  sampleEntry: string;
  sampleCount: number;
  /** SHA-256 of the sample-size table: the packet boundaries, which the byte hash alone does not fix. */
  sampleSizesSha256: string;
  /** Byte runs of consecutive samples in decode order (one per chunk): offsets and lengths. */
  runOffsets: Float64Array;
  runLengths: Float64Array;
}

export type Mp4Layout = { ok: true; tracks: Mp4Track[] } | { ok: false; why: string };

/** Sample-entry formats whose packets are the stored sample bytes, as checked in the tests. */
const HASHABLE_ENTRIES: Record<string, TrackKind> = { avc1: 'video', mp4a: 'audio' };
/** A moov larger than this is left to ffmpeg (a 60 s 1080p clip's is ≈ 66 kB). */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;

class Unsupported extends Error {}

interface Box {
  type: string;
  /** payload start and end (exclusive) within the buffer */
  start: number;
  end: number;
}

function* boxes(buf: Buffer, start: number, end: number): Generator<Box> {
  let pos = start;
  while (pos < end) {
    if (end - pos < 8) throw new Unsupported(`truncated box header at ${pos}`);
    const { type, headerBytes, size } = decodeBoxHeader(buf, pos, end - pos);
    if (size === undefined) throw new Unsupported(`truncated 64-bit size of ${type}`);
    if (size < headerBytes || pos + size > end) throw new Unsupported(`box ${type} at ${pos} has an impossible size`);
    yield { type, start: pos + headerBytes, end: pos + size };
    pos += size;
  }
}

function child(buf: Buffer, parent: Box, type: string): Box | undefined {
  let found: Box | undefined;
  for (const b of boxes(buf, parent.start, parent.end)) {
    if (b.type !== type) continue;
    if (found) throw new Unsupported(`more than one ${type} box`);
    found = b;
  }
  return found;
}

function need(buf: Buffer, parent: Box, type: string): Box {
  const b = child(buf, parent, type);
  if (!b) throw new Unsupported(`no ${type} box`);
  return b;
}

/** Full-box payload after version/flags, checked to hold `bytes`. */
function fullBox(b: Box, bytes: number): { at: number } {
  if (b.end - b.start < 4 + bytes) throw new Unsupported(`${b.type} shorter than its fields`);
  return { at: b.start + 4 };
}

function entryTable(buf: Buffer, b: Box, entryBytes: number, headerBytes = 4): { count: number; at: number } {
  const { at } = fullBox(b, headerBytes);
  const count = buf.readUInt32BE(at + headerBytes - 4);
  if (b.end - (at + headerBytes) < count * entryBytes) throw new Unsupported('sample table shorter than its count');
  return { count, at: at + headerBytes };
}

/** Reads the tracks of a `moov` payload (buf[start, end)). Pure. */
export function parseMoov(buf: Buffer, start = 0, end = buf.length): Mp4Layout {
  try {
    const moov: Box = { type: 'moov', start, end };
    if (child(buf, moov, 'mvex')) throw new Unsupported('fragmented MP4 (mvex)');
    const tracks: Mp4Track[] = [];
    for (const trak of boxes(buf, start, end)) {
      if (trak.type !== 'trak') continue;
      tracks.push(parseTrak(buf, trak, tracks.length));
    }
    return { ok: true, tracks };
  } catch (e) {
    if (e instanceof Unsupported) return { ok: false, why: e.message };
    throw e;
  }
}

function parseTrak(buf: Buffer, trak: Box, index: number): Mp4Track {
  const mdia = need(buf, trak, 'mdia');
  const hdlrAt = fullBox(need(buf, mdia, 'hdlr'), 8).at;
  const handler = buf.toString('latin1', hdlrAt + 4, hdlrAt + 8); // after pre_defined
  const stbl = need(buf, need(buf, mdia, 'minf'), 'stbl');
  const stsd = entryTable(buf, need(buf, stbl, 'stsd'), 8);
  if (stsd.count !== 1) throw new Unsupported(`track ${index}: ${stsd.count} sample descriptions`);
  const sampleEntry = buf.toString('latin1', stsd.at + 4, stsd.at + 8);
  const kind = HASHABLE_ENTRIES[sampleEntry] ?? 'other';
  const expected = handler === 'vide' ? 'video' : handler === 'soun' ? 'audio' : 'other';
  if (kind !== 'other' && kind !== expected)
    throw new Unsupported(`track ${index}: ${sampleEntry} in a ${handler} track`);
  const edts = child(buf, trak, 'edts');
  if (edts) checkEditList(buf, need(buf, edts, 'elst'), index);

  if (child(buf, stbl, 'stz2')) throw new Unsupported(`track ${index}: compact sample sizes (stz2)`);
  const stszBox = need(buf, stbl, 'stsz');
  const { at: stszAt } = fullBox(stszBox, 8);
  const constantSize = buf.readUInt32BE(stszAt);
  const sampleCount = buf.readUInt32BE(stszAt + 4);
  if (constantSize !== 0) throw new Unsupported(`track ${index}: constant sample size`);
  if (stszBox.end - (stszAt + 8) < sampleCount * 4)
    throw new Unsupported(`track ${index}: stsz shorter than its count`);
  const sizeAt = stszAt + 8;

  const stsc = entryTable(buf, need(buf, stbl, 'stsc'), 12);
  const co64Box = child(buf, stbl, 'co64');
  const stcoBox = child(buf, stbl, 'stco');
  if (!co64Box === !stcoBox) throw new Unsupported(`track ${index}: needs exactly one of stco and co64`);
  const chunks = co64Box ? entryTable(buf, co64Box, 8) : entryTable(buf, stcoBox as Box, 4);
  const chunkOffset = (c: number) =>
    co64Box ? Number(buf.readBigUInt64BE(chunks.at + c * 8)) : buf.readUInt32BE(chunks.at + c * 4);

  const runOffsets = new Float64Array(chunks.count);
  const runLengths = new Float64Array(chunks.count);
  let sample = 0;
  let chunk = 0;
  for (let e = 0; e < stsc.count; e++) {
    const at = stsc.at + e * 12;
    const first = buf.readUInt32BE(at);
    const perChunk = buf.readUInt32BE(at + 4);
    const next = e + 1 < stsc.count ? buf.readUInt32BE(at + 12) : chunks.count + 1;
    if (first !== chunk + 1 || next <= first || next > chunks.count + 1 || perChunk === 0) {
      throw new Unsupported(`track ${index}: inconsistent sample-to-chunk table`);
    }
    for (; chunk < next - 1; chunk++) {
      if (sample + perChunk > sampleCount) throw new Unsupported(`track ${index}: chunks hold more samples than stsz`);
      let length = 0;
      for (let s = 0; s < perChunk; s++) length += buf.readUInt32BE(sizeAt + (sample + s) * 4);
      runOffsets[chunk] = chunkOffset(chunk);
      runLengths[chunk] = length;
      sample += perChunk;
    }
  }
  if (chunk !== chunks.count || sample !== sampleCount) {
    throw new Unsupported(`track ${index}: chunks hold ${sample} samples, stsz ${sampleCount}`);
  }
  for (let c = 1; c < chunks.count; c++) {
    // one forward read feeds every track: each track's runs must follow each other in the file
    if ((runOffsets[c] as number) < (runOffsets[c - 1] as number) + (runLengths[c - 1] as number)) {
      throw new Unsupported(`track ${index}: samples out of file order`);
    }
  }
  const sampleSizesSha256 = createHash('sha256')
    .update(buf.subarray(sizeAt, sizeAt + sampleCount * 4))
    .digest('hex');
  return { index, kind, handler, sampleEntry, sampleCount, sampleSizesSha256, runOffsets, runLengths };
}

// ffmpeg applies edit lists when it demuxes (mov_fix_index): it may drop samples outside the
// edits. An optional empty edit followed by one edit at rate 1 is what ffmpeg's own muxer writes
// (AAC priming, B-frame delay) and keeps every sample; anything else is left to ffmpeg.
function checkEditList(buf: Buffer, elst: Box, index: number): void {
  if (elst.end - elst.start < 8) throw new Unsupported(`track ${index}: truncated elst`);
  const version = buf.readUInt8(elst.start);
  const count = buf.readUInt32BE(elst.start + 4);
  const entryBytes = version === 1 ? 20 : 12;
  if (elst.end - (elst.start + 8) < count * entryBytes) throw new Unsupported(`track ${index}: truncated elst`);
  let normal = 0;
  for (let e = 0; e < count; e++) {
    const at = elst.start + 8 + e * entryBytes;
    const mediaTime = version === 1 ? Number(buf.readBigInt64BE(at + 8)) : buf.readInt32BE(at + 4);
    const rate = buf.readInt32BE(at + (version === 1 ? 16 : 8));
    if (mediaTime === -1 && e === 0 && count > 1) continue; // a leading empty edit delays the track
    if (mediaTime < 0 || rate !== 0x10000 || ++normal > 1) {
      throw new Unsupported(`track ${index}: edit list that ffmpeg may apply by dropping samples`);
    }
  }
}

/** The moov payload of a file, read with a few positional reads. */
async function readMoov(fd: number, size: number): Promise<Mp4Layout> {
  const head = Buffer.alloc(16);
  let moov: { start: number; end: number } | undefined;
  for (let pos = 0; pos < size;) {
    if (size - pos < 8) return { ok: false, why: 'truncated top-level box' };
    const { bytesRead } = await readFd(fd, head, 0, Math.min(16, size - pos), pos);
    if (bytesRead < 8) return { ok: false, why: 'file shrank while reading its boxes' };
    const { type, headerBytes: header, size: boxSize } = decodeBoxHeader(head.subarray(0, bytesRead), 0, size - pos);
    if (boxSize === undefined) return { ok: false, why: `truncated 64-bit size of ${type}` };
    if (boxSize < header || pos + boxSize > size) return { ok: false, why: `top-level box ${type} runs past the end` };
    if (type === 'moof') return { ok: false, why: 'fragmented MP4 (moof)' };
    if (type === 'moov') {
      if (moov) return { ok: false, why: 'more than one moov box' };
      moov = { start: pos + header, end: pos + boxSize };
    }
    pos += boxSize;
  }
  if (!moov) return { ok: false, why: 'no moov box' };
  const length = moov.end - moov.start;
  if (length > MAX_MOOV_BYTES) return { ok: false, why: `moov of ${length} bytes` };
  const buf = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await readFd(fd, buf, filled, length - filled, moov.start + filled);
    if (bytesRead === 0) return { ok: false, why: 'file shrank while reading moov' };
    filled += bytesRead;
  }
  return parseMoov(buf);
}

export interface HashedTrack {
  index: number;
  kind: TrackKind;
  sampleEntry: string;
  sampleCount: number;
  sampleSizesSha256: string;
  /** SHA-256 of the track's sample bytes in decode order; only for H.264 and AAC tracks. */
  sha256: string | undefined;
}

export interface FileStreamHashes {
  /** Whole-file SHA-256 (from the same read), when asked for. */
  sha256: string | undefined;
  size: number;
  /** Every track of the file in order, or why its layout is not accepted. */
  streams: { ok: true; tracks: HashedTrack[] } | { ok: false; why: string };
}

/**
 * Reads `file` once from start to end and hashes the sample bytes of each H.264/AAC track (and,
 * with `wholeFile`, every byte of the file). The moov is found with a few small positional reads
 * first. A layout this module does not accept still yields the whole-file hash.
 */
export async function hashFileStreams(file: string, opts: { wholeFile?: boolean } = {}): Promise<FileStreamHashes> {
  const fd = await openFd(file, 'r');
  try {
    const { size } = await fstatFd(fd);
    let layout = await readMoov(fd, size);
    if (layout.ok) {
      // runs follow each other in the file, so a track's last run ends furthest
      const ends = layout.tracks.map((t) => (t.runOffsets.at(-1) ?? 0) + (t.runLengths.at(-1) ?? 0));
      if (Math.max(0, ...ends) > size) layout = { ok: false, why: 'samples run past the end of the file' };
    }
    const whole = opts.wholeFile ? createHash('sha256') : undefined;
    const cursors = layout.ok
      ? layout.tracks.map((track) => ({
          track,
          hash: track.kind === 'other' ? undefined : createHash('sha256'),
          run: 0,
        }))
      : [];
    let read = 0;
    for await (const chunk of readFdChunks(fd, READ_CHUNK)) {
      whole?.update(chunk);
      for (const c of cursors) if (c.hash) feed(c.track, c, c.hash, chunk, read);
      read += chunk.length;
    }
    if (read !== size) throw new Error(`${file} changed size while being read (${size} → ${read})`);
    return {
      sha256: whole?.digest('hex'),
      size,
      streams: layout.ok
        ? {
            ok: true,
            tracks: cursors.map(({ track, hash }) => ({
              index: track.index,
              kind: track.kind,
              sampleEntry: track.sampleEntry,
              sampleCount: track.sampleCount,
              sampleSizesSha256: track.sampleSizesSha256,
              sha256: hash?.digest('hex'),
            })),
          }
        : layout,
    };
  } finally {
    await closeFd(fd);
  }
}

/** Feeds the parts of a track's runs that lie in `chunk` (at file offset `at`) to its hash. */
function feed(track: Mp4Track, c: { run: number }, hash: Hash, chunk: Buffer, at: number): void {
  const end = at + chunk.length;
  const { runOffsets, runLengths } = track;
  while (c.run < runOffsets.length) {
    const runStart = runOffsets[c.run] as number;
    const runEnd = runStart + (runLengths[c.run] as number);
    if (runStart >= end) return;
    const from = Math.max(runStart, at);
    const to = Math.min(runEnd, end);
    if (to > from) hash.update(chunk.subarray(from - at, to - at));
    if (runEnd > end) return; // the rest of this run is in the next chunk
    c.run++;
  }
}

/**
 * ffmpeg's streamhash lines (`<n>,<v|a>,SHA256=<hex>`) for the given tracks, numbered as ffmpeg
 * numbers the outputs of its `-map`s (from 0), or undefined if one of them was not hashed.
 */
export function streamHashLines(tracks: HashedTrack[]): string[] | undefined {
  if (tracks.some((t) => t.sha256 === undefined || t.kind === 'other')) return undefined;
  return tracks.map((t, i) => `${i},${t.kind === 'video' ? 'v' : 'a'},SHA256=${t.sha256}`);
}
