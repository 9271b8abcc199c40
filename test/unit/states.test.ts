import { describe, expect, it } from 'vitest';
import {
  assertStateChange,
  assertTransition,
  canChangeState,
  retryDelayMs,
  stageFor,
  stateAfterAnnotation,
  STATES,
} from '../../src/pipeline/states.js';

describe('state machine', () => {
  it('names the work each state waits for', () => {
    expect(stageFor('received')).toBe('preserve');
    expect(stageFor('preserved')).toBe('classify');
    expect(stageFor('deriving')).toBe('derive');
    expect(stageFor('sealed')).toBe('archive');
    for (const s of ['awaiting-annotation', 'archived', 'failed', 'unplayable'] as const)
      expect(stageFor(s)).toBeNull();
    expect(STATES).toHaveLength(8);
  });

  it('refuses transitions a stage may not make', () => {
    expect(() => assertTransition('preserve', 'preserved')).not.toThrow();
    expect(() => assertTransition('preserve', 'archived')).toThrow(/may not lead/);
    expect(() => assertTransition('classify', 'sealed')).toThrow();
    expect(() => assertTransition('archive', 'unplayable')).not.toThrow();
  });

  it('allows exactly the state changes the pipeline makes, from one table', () => {
    expect(canChangeState('received', null, 'preserved')).toBe(true);
    expect(canChangeState('sealed', null, 'deriving')).toBe(true); // amended during derivation
    expect(canChangeState('archived', null, 'deriving')).toBe(true); // amendment
    expect(canChangeState('unplayable', null, 'deriving')).toBe(true);
    expect(canChangeState('deriving', null, 'failed')).toBe(true);
    expect(canChangeState('failed', 'deriving', 'sealed')).toBe(true); // retry succeeded
    expect(canChangeState('failed', 'deriving', 'archived')).toBe(false);
    expect(canChangeState('received', null, 'archived')).toBe(false);
    expect(canChangeState('archived', null, 'received')).toBe(false);
    expect(canChangeState('awaiting-annotation', null, 'failed')).toBe(false); // no stage runs there
    expect(() => assertStateChange('preserved', null, 'sealed')).toThrow(/may not become sealed/);
  });

  it('sends settled items round for a new revision when elements change, leaves in-flight ones alone', () => {
    expect(stateAfterAnnotation('awaiting-annotation', true)).toBe('deriving');
    expect(stateAfterAnnotation('awaiting-annotation', false)).toBe('awaiting-annotation');
    expect(stateAfterAnnotation('archived', true)).toBe('deriving');
    expect(stateAfterAnnotation('unplayable', false)).toBe('deriving');
    expect(stateAfterAnnotation('received', true)).toBe('received');
    expect(stateAfterAnnotation('sealed', true)).toBe('sealed');
    expect(stateAfterAnnotation('failed', true)).toBe('failed');
  });

  it('backs off exponentially up to the cap and never gives up', () => {
    const p = { baseDelayMs: 1000, maxDelayMs: 60_000 };
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, p))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(50, p)).toBe(60_000);
    expect(retryDelayMs(10_000, p)).toBe(60_000);
  });
});
