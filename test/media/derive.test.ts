import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fixture } from '../helpers/fixtures.js';
import { deriveMedia, sameStreams, type DeriveConfig } from '../../src/media/derive.js';
import { streamHashes } from '../../src/media/ffmpeg.js';
import { planDerivative } from '../../src/media/plan.js';
import { probeMedia } from '../../src/media/probe.js';
import type { ProbeResult, Provenance, StampTags } from '../../src/media/types.js';
import { isSealdockError } from '../../src/errors.js';
import { ffprobe, removeTmpDirs, tmpDir, tools, topLevelAtoms } from './helpers.js';

const cfg: DeriveConfig = {
  ffmpegPath: tools.ffmpegPath,
  maxHeight: 720,
  preset: 'veryfast',
  nice: 0,
  timeoutSeconds: 120,
  burnIn: false,
  nodeId: 'node-test',
};

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function probeOf(file: string): Promise<ProbeResult> {
  const r = await probeMedia(file, { ...tools, timeoutSeconds: 30 });
  if (!r.ok) throw new Error(r.error);
  return r.probe;
}

function tagsFor(file: string, over: Partial<StampTags> = {}): StampTags {
  return {
    evidenceId: 'ev-0001',
    originalSha256: sha256(file),
    caseNumber: 'A-2026-0042',
    recordedAt: '2026-11-20T08:15:00+08:00',
    place: '东街12号',
    collector: '张三 (031245)',
    purpose: '证明当事人拒绝检查',
    creationTimeUtc: '2026-11-20T00:15:00.000000Z',
    location: '+32.3500+106.8300/',
    ...over,
  };
}

/**
 * The recorded stream hashes are, line for line, what ffmpeg itself prints for the original's
 * chosen streams and for every stream of the copy (an independent check of the provenance).
 */
async function expectStreamProof(
  prov: Provenance,
  input: string,
  out: string,
  maps: string[],
  hashedBy: 'sealdock' | 'ffmpeg',
): Promise<void> {
  expect(prov.streamHashes).toEqual({
    original: await streamHashes('ffmpeg', input, maps),
    derivative: await streamHashes('ffmpeg', out),
    hashedBy,
  });
}

function expectOnlyFinal(dir: string, finalName: string): void {
  expect(readdirSync(dir).sort()).toEqual([finalName]);
}

function expectPlayableMp4(file: string, maxHeight = 720) {
  const p = ffprobe(file);
  expect(p.format.format_name).toContain('mp4');
  const v = p.streams.find((s) => s.codec_type === 'video');
  const a = p.streams.find((s) => s.codec_type === 'audio');
  expect(v?.codec_name).toBe('h264');
  expect(v?.pix_fmt).toBe('yuv420p');
  expect(v?.height).toBeLessThanOrEqual(maxHeight);
  expect(a?.codec_name).toBe('aac');
  // faststart: the index comes before the media data, so browsers can start playing at once
  const atoms = topLevelAtoms(file);
  expect(atoms.indexOf('moov')).toBeGreaterThan(-1);
  expect(atoms.indexOf('moov')).toBeLessThan(atoms.indexOf('mdat'));
  return p;
}

afterAll(removeTmpDirs);

describe('deriveMedia', () => {
  let originalHash: string;
  beforeAll(() => {
    originalHash = sha256(fixture('h264-aac.mp4'));
  });

  it('remuxes H.264/AAC MP4: streams hash equal, every tag (Chinese too) reads back, faststart', async () => {
    const dir = tmpDir();
    const out = path.join(dir, '0002.mp4');
    const input = fixture('h264-aac.mp4');
    const tags = tagsFor(input);
    const prov = await deriveMedia({ input, output: out, probe: await probeOf(input), tags }, cfg);

    expect(prov.method).toBe('remux');
    expect(prov.args).toEqual(expect.arrayContaining(['-c', 'copy']));
    expect(prov.streamHashes?.original).toHaveLength(2);
    expect(prov.streamHashes?.original.map((l) => l.replace(/^\d+,/, ''))).toEqual(
      prov.streamHashes?.derivative.map((l) => l.replace(/^\d+,/, '')),
    );
    // independent check, not trusting the provenance record
    await expectStreamProof(prov, input, out, ['0:v:0', '0:a:0'], 'sealdock');

    const p = expectPlayableMp4(out);
    expect(p.format.tags).toMatchObject({
      sealdock_evidence_id: 'ev-0001',
      sealdock_original_sha256: originalHash,
      sealdock_case_number: 'A-2026-0042',
      sealdock_recorded_at: '2026-11-20T08:15:00+08:00',
      sealdock_place: '东街12号',
      sealdock_collector: '张三 (031245)',
      sealdock_purpose: '证明当事人拒绝检查',
      creation_time: '2026-11-20T00:15:00.000000Z',
      location: '+32.3500+106.8300/',
    });
    expect(p.format.tags?.comment).toContain('采集地点 place: 东街12号');
    expect(p.format.tags?.description).toContain('采集人 collector: 张三 (031245)');

    expect(prov).toMatchObject({
      sha256: sha256(out),
      parentSha256: originalHash,
      nodeId: 'node-test',
      madeBy: 'sealdock@node-test',
      burnIn: false,
    });
    expect(prov.size).toBe(readFileSync(out).length);
    expect(prov.ffmpegVersion).toMatch(/^\d+\.\d+/);
    expect(Date.parse(prov.finishedAt)).toBeGreaterThanOrEqual(Date.parse(prov.startedAt));
    expectOnlyFinal(dir, '0002.mp4');
    expect(sha256(input)).toBe(originalHash); // the original is only read
  });

  it('remuxes a QuickTime MOV into MP4 and handles awkward names (leading dash, Chinese, spaces)', async () => {
    const dir = tmpDir();
    const input = path.join(dir, '-证据 1.mov');
    copyFileSync(fixture('h264-aac.mov'), input);
    const out = path.join(dir, '派生 0002.mp4');
    const prov = await deriveMedia(
      { input, output: out, probe: await probeOf(input), tags: tagsFor(input), requestedBy: '李四' },
      cfg,
    );
    expect(prov.method).toBe('remux');
    expect(prov.args).toContain(`.${path.sep}-证据 1.mov`);
    expect(prov.args).toContain('派生 0002.mp4.partial');
    expect(prov.madeBy).toBe('sealdock@node-test for 李四');
    await expectStreamProof(prov, input, out, ['0:v:0', '0:a:0'], 'sealdock');
    expectPlayableMp4(out);
    expect(ffprobe(out).format.tags?.major_brand).toBe('isom');
    expect(readdirSync(dir).sort()).toEqual(['-证据 1.mov', '派生 0002.mp4']);
  });

  it('remuxes the 1080p H.264 clip (no height cap on browser-playable footage): stream hashes equal', async () => {
    const dir = tmpDir();
    const input = fixture('h264-aac-1080p.mp4');
    const out = path.join(dir, 'd.mp4');
    const probe = await probeOf(input);
    expect(planDerivative(probe)).toMatchObject({ mode: 'remux', reason: /1920×1080/ });
    const prov = await deriveMedia({ input, output: out, probe, tags: tagsFor(input) }, cfg);
    expect(prov.method).toBe('remux');
    await expectStreamProof(prov, input, out, ['0:v:0', '0:a:0'], 'sealdock');
    expect(prov.streamHashes?.original).toHaveLength(2);
    expect(expectPlayableMp4(out, 1080).streams.find((s) => s.codec_type === 'video')?.height).toBe(1080);
  });

  it('remuxes full-range H.264 (yuvj420p, as many body cameras write it) and keeps the range flag', async () => {
    const dir = tmpDir();
    const input = path.join(dir, 'fullrange.mp4');
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=1'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1', '-shortest'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuvj420p'],
      ...['-c:a', 'aac', '-b:a', '64k', input],
    ]);
    const probe = await probeOf(input);
    const video = probe.streams.find((s) => s.type === 'video');
    expect(video).toMatchObject({ pixelFormat: 'yuvj420p', profile: 'High' });
    const out = path.join(dir, 'd.mp4');
    const prov = await deriveMedia({ input, output: out, probe, tags: tagsFor(input) }, cfg);
    expect(prov.method).toBe('remux');
    expect(sameStreams(prov.streamHashes!.original, prov.streamHashes!.derivative)).toBe(true);
    const v = ffprobe(out).streams.find((s) => s.codec_type === 'video') as { pix_fmt?: string } | undefined;
    expect(v?.pix_fmt).toBe('yuvj420p');
  });

  it.each([
    ['hevc.mp4', 360, undefined],
    ['mjpeg.avi', 360, undefined],
    // maxHeight is the transcode target: a forced transcode of 1080p comes out at 720
    ['h264-aac-1080p.mp4', 720, { mode: 'transcode', reason: 'transcode forced by the test' } as const],
  ])('transcodes %s into playable faststart H.264/AAC (height %i)', async (name, height, plan) => {
    const dir = tmpDir();
    const input = fixture(name);
    const out = path.join(dir, 'd.mp4');
    const seen: number[] = [];
    const probe = await probeOf(input);
    if (!plan) expect(planDerivative(probe).mode).toBe('transcode');
    const prov = await deriveMedia(
      { input, output: out, probe, plan, tags: tagsFor(input), onProgress: (p) => seen.push(p) },
      cfg,
    );
    expect(prov.method).toBe('transcode');
    expect(prov.reason).toMatch(/transcode/);
    expect(prov.streamHashes).toBeUndefined();
    expect(prov.args).toEqual(expect.arrayContaining(['-c:v', 'libx264', '-preset', 'veryfast', '-c:a', 'aac']));
    const p = expectPlayableMp4(out);
    expect(p.streams.find((s) => s.codec_type === 'video')?.height).toBe(height);
    expect(p.format.tags?.sealdock_place).toBe('东街12号');
    expect(seen.at(-1)).toBe(100);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expectOnlyFinal(dir, 'd.mp4');
  });

  it('makes an AAC audio derivative of audio-only recordings by copying the stream', async () => {
    const dir = tmpDir();
    const input = fixture('audio.m4a');
    const out = path.join(dir, 'a.mp4');
    const prov = await deriveMedia({ input, output: out, probe: await probeOf(input), tags: tagsFor(input) }, cfg);
    expect(prov.method).toBe('audio');
    await expectStreamProof(prov, input, out, ['0:a:0'], 'sealdock');
    expect(prov.streamHashes?.original).toHaveLength(1);
    const p = ffprobe(out);
    expect(p.streams.map((s) => s.codec_name)).toEqual(['aac']);
    expect(p.format.tags?.sealdock_collector).toBe('张三 (031245)');
  });

  it('remuxes video without audio; the copy is hashed in the same read that gives its SHA-256', async () => {
    const dir = tmpDir();
    const input = path.join(dir, 'silent.mp4');
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=1'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', input],
    ]);
    const out = path.join(dir, 'd.mp4');
    const prov = await deriveMedia({ input, output: out, probe: await probeOf(input), tags: tagsFor(input) }, cfg);
    expect(prov.method).toBe('remux');
    await expectStreamProof(prov, input, out, ['0:v:0'], 'sealdock');
    expect(prov.streamHashes?.derivative).toHaveLength(1);
    expect(prov).toMatchObject({ sha256: sha256(out), size: readFileSync(out).length });
  });

  it('leaves the proof to ffmpeg for a layout our reader does not take (fragmented MP4), same verdict', async () => {
    const dir = tmpDir();
    const input = path.join(dir, 'fragmented.mp4');
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-i', fixture('h264-aac.mp4'), '-c', 'copy'],
      ...['-movflags', 'frag_keyframe+empty_moov', input],
    ]);
    const out = path.join(dir, 'd.mp4');
    const probe = await probeOf(input);
    expect(planDerivative(probe).mode).toBe('remux');
    const prov = await deriveMedia({ input, output: out, probe, tags: tagsFor(input) }, cfg);
    await expectStreamProof(prov, input, out, ['0:v:0', '0:a:0'], 'ffmpeg');
    expect(sameStreams(prov.streamHashes?.original ?? [], prov.streamHashes?.derivative ?? [])).toBe(true);
    expectPlayableMp4(out);
    expect(readdirSync(dir).sort()).toEqual(['d.mp4', 'fragmented.mp4']);
  });

  it('compares stream hashes by type and hash, not by index', () => {
    const h = (c: string) => c.repeat(64);
    expect(
      sameStreams([`0,v,SHA256=${h('a')}`, `2,a,SHA256=${h('b')}`], [`0,v,SHA256=${h('a')}`, `1,a,SHA256=${h('b')}`]),
    ).toBe(true);
    expect(sameStreams([`0,v,SHA256=${h('a')}`], [`0,v,SHA256=${h('c')}`])).toBe(false);
    expect(sameStreams([`0,v,SHA256=${h('a')}`, `1,a,SHA256=${h('b')}`], [`0,v,SHA256=${h('a')}`])).toBe(false);
    expect(sameStreams([`0,v,SHA256=${h('a')}`], [`0,a,SHA256=${h('a')}`])).toBe(false);
    expect(sameStreams([], [])).toBe(false); // nothing compared is no proof
  });

  it('refuses stills (no derivative) with BAD_INPUT', async () => {
    const input = fixture('still.jpg');
    const out = path.join(tmpDir(), 's.mp4');
    await expect(
      deriveMedia({ input, output: out, probe: await probeOf(input), tags: tagsFor(input) }, cfg),
    ).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(existsSync(out)).toBe(false);
  });

  it('an abort mid-transcode kills ffmpeg and leaves neither partial nor final file', async () => {
    const dir = tmpDir();
    const input = fixture('h264-aac-1080p.mp4');
    const out = path.join(dir, 'd.mp4');
    const ac = new AbortController();
    let sawPartial = false;
    const started = Date.now();
    const run = deriveMedia(
      {
        input,
        output: out,
        probe: await probeOf(input),
        plan: { mode: 'transcode', reason: 'forced by the test' },
        tags: tagsFor(input),
        signal: ac.signal,
        onProgress: (p) => {
          if (p > 0 && !ac.signal.aborted) {
            sawPartial = existsSync(`${out}.partial`);
            ac.abort(new Error('operator stop'));
          }
        },
      },
      { ...cfg, preset: 'veryslow' }, // slow enough to be caught mid-run
    );
    const err: unknown = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSealdockError(err, 'MEDIA_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/aborted: operator stop/);
    expect(sawPartial).toBe(true); // it really was mid-write
    expect(readdirSync(dir)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a run past its timeout is killed and cleaned up', async () => {
    const dir = tmpDir();
    const input = fixture('h264-aac-1080p.mp4');
    const out = path.join(dir, 'd.mp4');
    const err: unknown = await deriveMedia(
      {
        input,
        output: out,
        probe: await probeOf(input),
        plan: { mode: 'transcode', reason: 'forced by the test' },
        tags: tagsFor(input),
      },
      { ...cfg, preset: 'veryslow', timeoutSeconds: 0.5, killGraceMs: 500 },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSealdockError(err, 'MEDIA_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/timed out after 0.5 s/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('burn-in draws case, time and place (forcing a transcode), and fails clearly without a fitting font', async () => {
    const dir = tmpDir();
    const input = fixture('h264-aac.mp4');
    const probe = await probeOf(input);
    const ascii = tagsFor(input, { place: 'East Street 12', caseNumber: 'A-2026-0042' });
    const out = path.join(dir, 'b.mp4');
    const fast = { ...cfg, preset: 'ultrafast' };
    const prov = await deriveMedia({ input, output: out, probe, tags: ascii, burnIn: true }, fast);
    expect(prov.method).toBe('transcode');
    expect(prov.burnIn).toBe(true);
    expect(prov.args.find((a) => a.includes('drawtext='))).toMatch(/fontfile=\/usr\/share\/fonts\/.+:textfile=/);
    expectPlayableMp4(out);
    // the burnt-in picture differs from a plain transcode of the same frame
    const plain = path.join(dir, 'p.mp4');
    await deriveMedia({ input, output: plain, probe, tags: ascii, plan: { mode: 'transcode', reason: 'test' } }, fast);
    expect(sha256(out)).not.toBe(sha256(plain));
    expect(readdirSync(dir).sort()).toEqual(['b.mp4', 'p.mp4']); // the text file is gone

    const dejavuOnly = { ...cfg, fontCandidates: ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'] };
    const chinese = path.join(dir, 'c.mp4');
    await expect(
      deriveMedia({ input, output: chinese, probe, tags: tagsFor(input), burnIn: true }, dejavuOnly),
    ).rejects.toMatchObject({
      code: 'TOOL_MISSING',
      message: expect.stringMatching(/non-Latin text needs a CJK font/) as unknown as string,
    });
    expect(readdirSync(dir).sort()).toEqual(['b.mp4', 'p.mp4']);
  });
});
