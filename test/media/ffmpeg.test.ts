import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fixture } from '../helpers/fixtures.js';
import {
  checkTools,
  ffmpegArgs,
  ffmpegVersion,
  parseStatsTime,
  runFfmpeg,
  streamHashes,
} from '../../src/media/ffmpeg.js';
import { isSealdockError } from '../../src/errors.js';
import { ffprobe, removeTmpDirs, tmpDir, tools } from './helpers.js';

afterAll(removeTmpDirs);

describe('ffmpeg wrapper', () => {
  it('checkTools reports versions, and names the missing path', async () => {
    const v = await checkTools(tools);
    expect(v.ffmpeg).toMatch(/^\d+\.\d+/);
    expect(v.ffprobe).toBe(v.ffmpeg);
    expect(await ffmpegVersion('ffmpeg')).toBe(v.ffmpeg);
    for (const bad of [
      { ...tools, ffmpegPath: '/opt/nowhere/ffmpeg' },
      { ...tools, ffprobePath: '/opt/nowhere/ffprobe' },
    ]) {
      const err: unknown = await checkTools(bad).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isSealdockError(err, 'TOOL_MISSING')).toBe(true);
      expect((err as Error).message).toMatch(/is missing: cannot run "\/opt\/nowhere\/ff(mpeg|probe)"/);
    }
    // a program that is not ffmpeg
    await expect(checkTools({ ...tools, ffmpegPath: '/bin/false' })).rejects.toMatchObject({ code: 'TOOL_MISSING' });
  });

  it('streamHashes gives one SHA-256 per stream, stable across runs', async () => {
    const a = await streamHashes('ffmpeg', fixture('h264-aac.mp4'));
    expect(a).toHaveLength(2);
    expect(a[0]).toMatch(/^0,v,SHA256=[0-9a-f]{64}$/);
    expect(a[1]).toMatch(/^1,a,SHA256=[0-9a-f]{64}$/);
    expect(await streamHashes('ffmpeg', fixture('h264-aac.mp4'))).toEqual(a);
    expect(await streamHashes('ffmpeg', fixture('h264-aac.mp4'), ['0:a:0'])).toEqual([a[1]?.replace(/^1,/, '0,')]);
    await expect(streamHashes('ffmpeg', fixture('not-video.bin'))).rejects.toMatchObject({ code: 'MEDIA_FAILED' });
  });

  it('keeps option values with spaces and Chinese intact (fluent-ffmpeg splits "a b" otherwise)', () => {
    const args = ffmpegArgs({
      input: 'in.mp4',
      outputOptions: ['-metadata', 'sealdock_place=东街 12号'],
      output: 'out.mp4',
    });
    expect(args).toContain('sealdock_place=东街 12号');
    expect(args.slice(0, 4)).toEqual(['-nostdin', '-hide_banner', '-i', 'in.mp4']);
    expect(args.at(-1)).toBe('out.mp4');
  });

  it('runs under nice and reports progress', async () => {
    const dir = tmpDir();
    const seen: number[] = [];
    const r = await runFfmpeg({
      ffmpegPath: 'ffmpeg',
      input: fixture('h264-aac.mp4'),
      outputOptions: ['-c', 'copy', '-f', 'mp4'],
      output: 'x.mp4',
      cwd: dir,
      nice: 10,
      durationSeconds: 4,
      onProgress: (p) => seen.push(p),
    });
    expect(r.args.at(-1)).toBe('x.mp4');
    expect(ffprobe(path.join(dir, 'x.mp4')).format.duration).toMatch(/^4\./);
    expect(seen.at(-1)).toBe(100);
  });

  it('kills a hung ffmpeg at the timeout (SIGTERM, then SIGKILL after the grace)', async () => {
    // ffmpeg blocks forever opening a FIFO nobody writes to, and ignores SIGTERM while blocked
    const dir = tmpDir();
    const fifo = path.join(dir, 'stalled.fifo');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    const err: unknown = await runFfmpeg({
      ffmpegPath: 'ffmpeg',
      input: fifo,
      outputOptions: ['-c', 'copy', '-f', 'mp4'],
      output: 'never.mp4',
      cwd: dir,
      timeoutSeconds: 1,
      killGraceMs: 500,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const took = Date.now() - started;
    expect(isSealdockError(err, 'MEDIA_FAILED')).toBe(true);
    expect((err as Error).message).toBe('ffmpeg failed: timed out after 1 s');
    expect((err as { details?: { timedOut?: boolean } }).details?.timedOut).toBe(true);
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(10_000);
    expect(existsSync(path.join(dir, 'never.mp4'))).toBe(false);
  });

  it('does not start when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('shutdown'));
    await expect(
      runFfmpeg({ ffmpegPath: 'ffmpeg', input: 'x', outputOptions: ['-f', 'null'], output: '-', signal: ac.signal }),
    ).rejects.toThrow(/not started: aborted: shutdown/);
  });

  it('parses ffmpeg stats times', () => {
    expect(parseStatsTime('frame=  50 fps=0.0 q=-1.0 size=  1kB time=00:01:02.50 bitrate=')).toBe(62.5);
    expect(parseStatsTime('size=N/A time=01:00:00.00')).toBe(3600);
    expect(parseStatsTime('time=-00:00:00.04')).toBe(-0.04);
    expect(parseStatsTime('Stream #0:0: Video: h264')).toBeUndefined();
  });
});
