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
  it('remuxes browser-playable H.264/AAC MP4 and MOV within the cap', () => {
    expect(planDerivative(probe([v(), a()])).mode).toBe('remux');
    expect(planDerivative(probe([v()])).mode).toBe('remux'); // no audio is fine
    expect(planDerivative(probe([v({ height: 1080, width: 1920 }), a()]), { maxHeight: 1080 }).mode).toBe('remux');
  });

  it('transcodes and says why', () => {
    const cases: Array<[ProbeResult, RegExp]> = [
      [probe([v({ height: 1080, width: 1920 }), a()]), /height 1080 > 720/],
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
