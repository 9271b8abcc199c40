import { describe, expect, it } from 'vitest';
import { CoalescingRun } from '../../src/util/coalescing-run.js';

describe('CoalescingRun', () => {
  it('runs at once; asked again and again while it runs, it runs exactly once more after', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const errors: unknown[] = [];
    const work = new CoalescingRun(
      async () => {
        runs++;
        if (runs === 1) await new Promise<void>((r) => (release = r));
      },
      { stopped: () => false, onError: (e) => errors.push(e) },
    );
    const first = work.run();
    expect(runs).toBe(1); // started synchronously, inside the call
    const asked = [work.run(), work.run(), work.run()];
    release();
    await Promise.all([first, ...asked]);
    expect(runs).toBe(2);
    await work.run();
    expect(runs).toBe(3);
    expect(errors).toEqual([]);
  });

  it('hands a throw (synchronous or not) to onError, never rejects, and runs afresh on the next ask', async () => {
    const errors: string[] = [];
    let calls = 0;
    const work = new CoalescingRun(
      () => {
        calls++;
        if (calls === 1) throw new Error('sync');
        if (calls === 2) return Promise.reject(new Error('async'));
      },
      { stopped: () => false, onError: (e) => errors.push((e as Error).message) },
    );
    await work.run();
    await work.run();
    await work.run();
    expect(errors).toEqual(['sync', 'async']);
    expect(calls).toBe(3);
  });

  it('once stopped, runs nothing new and drops the pending rerun', async () => {
    let stopped = false;
    let runs = 0;
    let release: () => void = () => undefined;
    const work = new CoalescingRun(
      async () => {
        runs++;
        await new Promise<void>((r) => (release = r));
      },
      { stopped: () => stopped, onError: () => undefined },
    );
    const first = work.run();
    void work.run(); // a rerun is pending
    stopped = true;
    release();
    await first;
    await work.idle();
    await work.run();
    expect(runs).toBe(1);
  });
});
