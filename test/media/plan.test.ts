import { describe, it, expect } from 'vitest';
import { planDerivative } from '../../src/media/plan.js';
import type { ProbeResult, StreamInfo } from '../../src/media/types.js';

const v = (over: Partial<StreamInfo> = {}): StreamInfo => ({
  index: 0,
  type: 'video',
  codec: 'h264',
  width: 1280,
  height: 720,
  pixelFormat: 'yuv420p',
  ...over,
});
const a = (codec = 'aac'): StreamInfo => ({ index: 1, type: 'audio', codec, channels: 1, sampleRate: 48000 });
const probe = (streams: StreamInfo[], over: Partial<ProbeResult> = {}): ProbeResult => ({
  container: 'mov,mp4,m4a,3gp,3g2,mj2',
  kind: 'video',
  streams,
  tags: {},
  ...over,
});

describe('planDerivative', () => {
  it('remuxes browser-playable H.264/AAC in MP4 and MOV whatever its height', () => {
    expect(planDerivative(probe([v(), a()])).mode).toBe('remux');
    expect(planDerivative(probe([v()])).mode).toBe('remux'); // no audio is fine
    for (const profile of ['Constrained Baseline', 'Baseline', 'Main', 'High']) {
      const hd = probe([v({ height: 1080, width: 1920, profile, level: 40 }), a()]);
      expect(planDerivative(hd)).toMatchObject({ mode: 'remux', reason: /1920×1080, level 4: stream copy/ });
    }
    // portrait 1080p, full-range 4:2:0 (yuvj420p), MOV
    expect(planDerivative(probe([v({ width: 1080, height: 1920, level: 42 }), a()])).mode).toBe('remux');
    expect(planDerivative(probe([v({ pixelFormat: 'yuvj420p' }), a()])).mode).toBe('remux');
    expect(planDerivative(probe([v(), a()], { container: 'mov,mp4,m4a,3gp,3g2,mj2' })).mode).toBe('remux');
    // 4K only when its declared level says a browser decoder takes it
    expect(planDerivative(probe([v({ width: 3840, height: 2160, level: 51, profile: 'High' }), a()])).mode).toBe(
      'remux',
    );
  });

  it('transcodes and says why', () => {
    const cases: Array<[ProbeResult, RegExp]> = [
      [probe([v({ height: 2160, width: 3840 }), a()]), /above 1080p with no declared H.264 level/],
      [probe([v({ height: 2160, width: 3840, level: 60 }), a()]), /level 6 > 5.2/],
      [probe([v({ height: 4320, width: 7680, level: 52 }), a()]), /beyond what H.264 level 5.2 allows/],
      [
        probe([v({ profile: 'High 10', pixelFormat: 'yuv420p10le' }), a()]),
        /profile High 10, pixel format yuv420p10le/,
      ],
      [probe([v({ profile: 'High 4:2:2', pixelFormat: 'yuv422p' }), a()]), /profile High 4:2:2/],
      [probe([v({ height: undefined }), a()]), /unknown picture size/],
      [probe([v({ codec: 'hevc' }), a()]), /video codec hevc/],
      [probe([v({ codec: 'mjpeg', pixelFormat: 'yuvj420p' }), a('pcm_s16le')], { container: 'avi' }), /container avi/],
      [probe([v({ pixelFormat: 'yuv422p' }), a()]), /pixel format yuv422p/],
      [probe([v(), a('mp3')]), /audio codec mp3/],
      [probe([v()], { container: 'matroska,webm' }), /container matroska/],
    ];
    for (const [p, why] of cases) {
      const plan = planDerivative(p);
      expect(plan.mode).toBe('transcode');
      expect(plan.reason).toMatch(why);
    }
  });

  it('audio-only becomes an AAC audio derivative; stills get none', () => {
    expect(planDerivative(probe([a()], { kind: 'audio' }))).toMatchObject({ mode: 'audio', reason: /copied/ });
    expect(planDerivative(probe([a('pcm_s16le')], { kind: 'audio', container: 'wav' }))).toMatchObject({
      mode: 'audio',
      reason: /pcm_s16le → AAC/,
    });
    expect(planDerivative(probe([v({ codec: 'mjpeg' })], { kind: 'still', container: 'image2' })).mode).toBe('none');
  });
});
