import { describe, it, expect, afterAll } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fixture } from '../helpers/fixtures.js';
import { MediaQueue } from '../../src/media/queue.js';
import { createMediaService } from '../../src/media/index.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { removeTmpDirs, tmpDir, tools } from './helpers.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

afterAll(removeTmpDirs);

describe('MediaQueue', () => {
  it('runs at most `concurrency` jobs and exposes their state and progress', async () => {
    const q = new MediaQueue(2);
    const gates = [deferred(), deferred(), deferred()];
    const jobs = gates.map((g, i) =>
      q.run(`job${i}`, async (ctx) => {
        ctx.progress(i * 10 + 5.4);
        await g.promise;
        return i;
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    const s = q.status();
    expect(s.concurrency).toBe(2);
    expect(s.running.map((j) => [j.label, j.state, j.percent])).toEqual([
      ['job0', 'running', 5],
      ['job1', 'running', 15],
    ]);
    expect(s.queued.map((j) => [j.label, j.state])).toEqual([['job2', 'queued']]);
    gates[0]?.resolve();
    await new Promise((r) => setTimeout(r, 10));
    expect(q.status().running.map((j) => j.label)).toEqual(['job1', 'job2']);
    gates[1]?.resolve();
    gates[2]?.resolve();
    expect(await Promise.all(jobs)).toEqual([0, 1, 2]);
    await q.idle();
    expect(q.status()).toEqual({ concurrency: 2, running: [], queued: [] });
  });

  it('abortAll aborts running jobs and rejects queued ones; close refuses new work', async () => {
    const q = new MediaQueue(1);
    const running = q.run(
      'long',
      (ctx) =>
        new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error))),
    );
    const waiting = q.run('waiting', async () => 'never');
    await new Promise((r) => setTimeout(r, 10));
    q.abortAll('shutdown');
    await expect(running).rejects.toThrow('shutdown');
    await expect(waiting).rejects.toMatchObject({ code: 'MEDIA_FAILED', message: /cancelled before start: shutdown/ });
    expect(await q.run('after', async () => 'ok')).toBe('ok');
    q.close();
    await expect(q.run('late', async () => 1)).rejects.toThrow(/closed/);
    expect(() => new MediaQueue(0)).toThrow(/positive integer/);
  });
});

describe('createMediaService', () => {
  const svc = createMediaService({
    ...tools,
    concurrency: 1,
    maxHeight: 720,
    preset: 'veryfast',
    nice: 5,
    timeoutSeconds: 120,
    probeTimeoutSeconds: 60,
    burnIn: false,
    nodeId: 'node-a',
  });

  it('probes, plans and derives through the queue with readable progress', async () => {
    await svc.checkTools();
    const input = fixture('h264-aac-1080p.mp4');
    const probed = await svc.probe(input);
    if (!probed.ok) throw new Error(probed.error);
    // a 1080p browser-playable clip is remuxed; a forced transcode exercises the encoder lane
    expect(svc.plan(probed.probe)).toMatchObject({ mode: 'remux' });
    const dir = tmpDir();
    const percents: number[] = [];
    const sha = createHash('sha256').update(readFileSync(input)).digest('hex');
    const job = svc.derive({
      label: 'ev-1',
      input,
      output: path.join(dir, 'd.mp4'),
      probe: probed.probe,
      plan: { mode: 'transcode', reason: 'forced by the test' },
      tags: { evidenceId: 'ev-1', originalSha256: sha },
    });
    let done = false;
    void job.finally(() => (done = true));
    // a remux of the same clip meanwhile runs in its own lane and is done before the transcode is
    const remux = await svc.derive({
      input,
      output: path.join(dir, 'r.mp4'),
      probe: probed.probe,
      tags: { evidenceId: 'ev-1', originalSha256: sha },
    });
    expect(remux.method).toBe('remux');
    expect(remux.streamHashes?.original).toEqual(remux.streamHashes?.derivative);
    expect(done).toBe(false);
    expect(svc.queues.transcode.status().running).toHaveLength(1);
    while (!done) {
      await new Promise((r) => setTimeout(r, 40));
      const running = svc.queues.transcode.status().running[0];
      if (!running) break;
      expect(running.label).toBe('ev-1');
      percents.push(running.percent);
    }
    const prov = await job;
    expect(prov.method).toBe('transcode');
    expect(prov.madeBy).toBe('sealdock@node-a');
    expect(percents.some((p) => p > 0 && p <= 100)).toBe(true);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(readdirSync(dir).sort()).toEqual(['d.mp4', 'r.mp4']);
    expect(await svc.streamHashes(path.join(dir, 'd.mp4'))).toHaveLength(2);
  });

  it('abortAll during a derive leaves nothing behind', async () => {
    const input = fixture('h264-aac-1080p.mp4');
    const probed = await svc.probe(input);
    if (!probed.ok) throw new Error(probed.error);
    const dir = tmpDir();
    const job = svc.derive({
      input,
      output: path.join(dir, 'd.mp4'),
      probe: probed.probe,
      plan: { mode: 'transcode', reason: 'forced by the test' },
      tags: { evidenceId: 'ev-2', originalSha256: 'a'.repeat(64) },
      onProgress: (p) => {
        if (p > 0) svc.queues.transcode.abortAll('daemon stopping');
      },
    });
    await expect(job).rejects.toMatchObject({ code: 'MEDIA_FAILED', message: /aborted: daemon stopping/ });
    expect(readdirSync(dir)).toEqual([]);
  });
});
