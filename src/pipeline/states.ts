// The evidence state machine (SPEC.md), pure: which work a state is waiting for, which states
// that work may lead to, and how long a failed item waits before it is tried again.

export const STATES = [
  'received',
  'preserved',
  'awaiting-annotation',
  'deriving',
  'sealed',
  'archived',
  'failed',
  'unplayable',
] as const;
export type State = (typeof STATES)[number];

/** The work that moves an item out of a state. */
export type Stage = 'preserve' | 'classify' | 'derive' | 'archive';

const STAGE_OF: Partial<Record<State, Stage>> = {
  received: 'preserve',
  preserved: 'classify',
  deriving: 'derive',
  sealed: 'archive',
};

/**
 * Where each stage may lead on success. Anything else is a programming error, refused loudly.
 * archive → deriving: the elements were amended while the revision was being made, so it goes
 * round again for a newer revision.
 */
const ALLOWED: Record<Stage, readonly State[]> = {
  // Adoption (src/usecases/adopt.ts) sets the state the archive's revisions describe directly in
  // the catalog: it is not a stage outcome and is not listed here.
  preserve: ['preserved'],
  classify: ['awaiting-annotation', 'deriving', 'unplayable'],
  derive: ['sealed'],
  archive: ['archived', 'unplayable', 'deriving'],
};

/** Settled states an amendment sends round again (see stateAfterAnnotation). */
const AMENDABLE: readonly State[] = ['awaiting-annotation', 'archived', 'unplayable'];

export function stageFor(state: State): Stage | null {
  return STAGE_OF[state] ?? null;
}

export function isState(value: string): value is State {
  return (STATES as readonly string[]).includes(value);
}

export function assertTransition(stage: Stage, to: State): void {
  if (!ALLOWED[stage].includes(to)) throw new Error(`stage ${stage} may not lead to state ${to}`);
}

/**
 * Every state change of every item, checked in one place (the catalog's update): a stage's own
 * outcomes, a stage failing (to `failed`, remembering where to resume), a failed item's retry
 * succeeding (as the stage of its resume state), and an amendment of a settled item.
 */
export function canChangeState(from: State, resumeState: State | null, to: State): boolean {
  if (from === to) return true;
  const at = from === 'failed' ? resumeState : from;
  if (at === null) return false;
  const stage = stageFor(at);
  if (to === 'failed') return stage !== null;
  if (stage && ALLOWED[stage].includes(to)) return true;
  return AMENDABLE.includes(at) && to === stateAfterAnnotation(at, true);
}

export function assertStateChange(from: State, resumeState: State | null, to: State): void {
  if (!canChangeState(from, resumeState, to))
    throw new Error(
      `state machine: ${from}${from === 'failed' ? ` (resume ${resumeState})` : ''} may not become ${to}`,
    );
}

/**
 * Where an item goes when its elements change. Items in the middle of a stage keep their state
 * (the archive stage notices the change and goes round again); settled items start a new
 * revision; an unplayable item gets a new manifest revision without a derivative.
 */
export function stateAfterAnnotation(current: State, complete: boolean): State {
  if (current === 'awaiting-annotation') return complete ? 'deriving' : current;
  if (current === 'archived') return complete ? 'deriving' : current;
  if (current === 'unplayable') return 'deriving';
  return current;
}

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Exponential back-off: base · 2^(attempt-1), capped; never gives up — evidence is retried until it lands. */
export function retryDelayMs(attempt: number, policy: RetryPolicy): number {
  const exp = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(policy.baseDelayMs * 2 ** exp, policy.maxDelayMs);
}
