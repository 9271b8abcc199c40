import { describe, it, expect, afterAll } from 'vitest';
import { fixture } from '../helpers/fixtures.js';
import { probeMedia } from '../../src/media/probe.js';
import { ffprobeJson } from '../../src/media/ffmpeg.js';
import { execFileSync } from 'node:child_process';
import { copyFileSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { atoms, removeTmpDirs, tmpDir, tools } from './helpers.js';

const probe = (name: string) => probeMedia(fixture(name), { ...tools, timeoutSeconds: 30 });

afterAll(removeTmpDirs);

describe('probeMedia on real footage', () => {
  it('reads an H.264/AAC MP4 with its time, place and device tags', async () => {
    const r = await probe('h264-aac.mp4');
    if (!r.ok) throw new Error(r.error);
    const p = r.probe;
    expect(p.kind).toBe('video');
    expect(p.container).toContain('mp4');
    expect(p.durationSeconds).toBeCloseTo(4, 1);
    expect(p.creationTime).toBe('2026-11-20T00:15:00Z');
    expect(p.location).toEqual({ raw: '+32.3500+106.8300/', lat: 32.35, lon: 106.83 });
    expect(p.deviceTags).toEqual({ make: 'Acme', model: 'BWC-9' });
    const video = p.streams.find((s) => s.type === 'video');
    expect(video).toMatchObject({ codec: 'h264', width: 1280, height: 720, frameRate: 25, pixelFormat: 'yuv420p' });
    expect(p.streams.find((s) => s.type === 'audio')).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 1 });
  });

  it('classifies the other fixtures', async () => {
    const expectations: Array<[string, string, string, number?]> = [
      ['hevc.mp4', 'video', 'hevc', 360],
      ['mjpeg.avi', 'video', 'mjpeg', 360],
      ['h264-aac.mov', 'video', 'h264', 360],
      ['h264-aac-1080p.mp4', 'video', 'h264', 1080],
      ['still.jpg', 'still', 'mjpeg', 360],
      ['audio.m4a', 'audio', 'aac'],
    ];
    for (const [name, kind, codec, height] of expectations) {
      const r = await probe(name);
      if (!r.ok) throw new Error(`${name}: ${r.error}`);
      expect(r.probe.kind, name).toBe(kind);
      expect(r.probe.streams[0]?.codec, name).toBe(codec);
      if (height) expect(r.probe.streams[0]?.height, name).toBe(height);
    }
    const mov = await probe('h264-aac.mov');
    expect(mov.ok && mov.probe.creationTime).toBe('2026-11-20T02:30:00.000000Z');
    expect(mov.ok && mov.probe.container).toMatch(/mov/);
  });

  it('reports a truncated MP4 as unplayable with ffprobe’s message', async () => {
    const r = await probe('truncated.mp4');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/moov atom not found|Invalid data/);
  });

  it('decodes frames, so a file whose index survives but whose pictures do not is unplayable', async () => {
    // faststart: moov first, so ffprobe still reads the index of a file cut right after it
    const file = path.join(tmpDir(), 'cut-after-moov.mp4');
    copyFileSync(fixture('h264-aac.mp4'), file);
    const moov = atoms(file).find((a) => a.type === 'moov');
    if (!moov) throw new Error('fixture has no moov');
    truncateSync(file, moov.start + moov.size + 16);
    const probeOnly = await probeMedia(file, { ...tools, decode: false });
    expect(probeOnly.ok).toBe(true);
    const r = await probeMedia(file, tools);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^cannot decode video: /);
  });

  it('proves the first frames decode within the probe run: one frame of the checked stream comes back from its decoder', async () => {
    for (const [name, kind] of [
      ['h264-aac-1080p.mp4', 'video'],
      ['h264-aac.mov', 'video'],
      ['hevc.mp4', 'video'],
      ['still.jpg', 'video'],
      ['audio.m4a', 'audio'],
    ] as const) {
      const raw = await ffprobeJson('ffprobe', fixture(name), { firstPackets: 12 });
      if (!raw.ok) throw new Error(`${name}: ${raw.error}`);
      const json = raw.json as { streams: { index: number; codec_type: string }[]; frames: { stream_index: number }[] };
      const checked = json.streams.find((s) => s.codec_type === kind)!;
      expect(
        json.frames.some((f) => f.stream_index === checked.index),
        name,
      ).toBe(true);
      expect((await probe(name)).ok, name).toBe(true);
    }
  });

  it('a playable file whose first packets hold no picture goes to the separate decode check, which finds it playable', async () => {
    // the video starts 1.5 s after the audio: the first packets in time order are all audio
    const file = path.join(tmpDir(), 'late-video.mp4');
    const src = fixture('h264-aac.mp4');
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-y', '-i', src, '-itsoffset', '1.5', '-i', src],
      ...['-map', '1:v:0', '-map', '0:a:0', '-c', 'copy', file],
    ]);
    const raw = await ffprobeJson('ffprobe', file, { firstPackets: 12 });
    if (!raw.ok) throw new Error(raw.error);
    const json = raw.json as { frames: { stream_index: number }[] };
    expect(json.frames.length).toBeGreaterThan(0);
    expect(json.frames.every((f) => f.stream_index === 1)).toBe(true); // audio only
    const r = await probeMedia(file, tools);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.probe.kind).toBe('video');
  });

  it('reports bytes that are not media as unplayable', async () => {
    const r = await probe('not-video.bin');
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/Invalid data found/) as unknown as string });
  });

  it('reports a missing file as unplayable, and a missing ffprobe as TOOL_MISSING', async () => {
    const r = await probeMedia(fixture('no-such-file.mp4'), tools);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/No such file/);
    await expect(
      probeMedia(fixture('h264-aac.mp4'), { ...tools, ffprobePath: '/nonexistent/ffprobe' }),
    ).rejects.toMatchObject({
      code: 'TOOL_MISSING',
      message: expect.stringContaining('/nonexistent/ffprobe') as unknown as string,
    });
  });
});
