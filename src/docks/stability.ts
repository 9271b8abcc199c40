// When is a file on a dock finished? Pure. chokidar's awaitWriteFinish can fire before a large
// or network copy is done, so a file is taken only after its size and mtime have been seen
// unchanged for the whole quiet period (and intake re-checks them after copying).

export interface Observation {
  size: number;
  mtimeMs: number;
  /** when this size/mtime was first seen */
  since: number;
}

export function observe(previous: Observation | undefined, size: number, mtimeMs: number, now: number): Observation {
  if (previous && previous.size === size && previous.mtimeMs === mtimeMs) return previous;
  return { size, mtimeMs, since: now };
}

export function isStable(o: Observation, now: number, quietPeriodMs: number): boolean {
  // Measured on our own clock only: a dock's clock (or an SMB server's) may be skewed either way.
  return now - o.since >= quietPeriodMs;
}
