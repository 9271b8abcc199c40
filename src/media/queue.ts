// Bounds how many ffmpeg jobs run at once (transcodes saturate a core each) and keeps the state of
// each job readable for `sealdock status`. abortAll() is for shutdown: running jobs get their
// signal aborted (ffmpeg is killed, partials removed), queued jobs are rejected.
import { availableParallelism } from 'node:os';
import { SealdockError } from '../errors.js';

export interface JobContext {
  signal: AbortSignal;
  progress(percent: number): void;
}

export interface JobStatus {
  id: number;
  label: string;
  state: 'queued' | 'running';
  /** 0..100, for running jobs that report progress. */
  percent: number;
  queuedAt: string;
  startedAt?: string | undefined;
}

interface Job {
  status: JobStatus;
  controller: AbortController;
  start: () => void;
  reject: (e: unknown) => void;
}

export class MediaQueue {
  readonly concurrency: number;
  private nextId = 1;
  private readonly queued: Job[] = [];
  private readonly running = new Set<Job>();
  private closedReason: string | undefined;

  constructor(concurrency: number = availableParallelism()) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new SealdockError('BAD_INPUT', `media concurrency must be a positive integer, got ${concurrency}`);
    }
    this.concurrency = concurrency;
  }

  run<T>(label: string, fn: (ctx: JobContext) => Promise<T>): Promise<T> {
    if (this.closedReason !== undefined) {
      return Promise.reject(new SealdockError('MEDIA_FAILED', `media queue is closed: ${this.closedReason}`));
    }
    return new Promise<T>((resolve, reject) => {
      const controller = new AbortController();
      const job: Job = {
        status: { id: this.nextId++, label, state: 'queued', percent: 0, queuedAt: new Date().toISOString() },
        controller,
        reject,
        start: () => {
          job.status.state = 'running';
          job.status.startedAt = new Date().toISOString();
          this.running.add(job);
          const ctx: JobContext = {
            signal: controller.signal,
            progress: (p) => {
              job.status.percent = Math.max(0, Math.min(100, Math.round(p)));
            },
          };
          Promise.resolve()
            .then(() => fn(ctx))
            .then(resolve, reject)
            .finally(() => {
              this.running.delete(job);
              this.pump();
            });
        },
      };
      this.queued.push(job);
      this.pump();
    });
  }

  private pump(): void {
    while (this.running.size < this.concurrency) {
      const job = this.queued.shift();
      if (!job) return;
      job.start();
    }
  }

  status(): { concurrency: number; running: JobStatus[]; queued: JobStatus[] } {
    return {
      concurrency: this.concurrency,
      running: [...this.running].map((j) => ({ ...j.status })),
      queued: this.queued.map((j) => ({ ...j.status })),
    };
  }

  /** Aborts running jobs and rejects queued ones; the queue keeps accepting new work. */
  abortAll(reason = 'aborted'): void {
    for (const job of this.queued.splice(0)) {
      job.reject(
        new SealdockError('MEDIA_FAILED', `media job "${job.status.label}" cancelled before start: ${reason}`),
      );
    }
    for (const job of this.running) job.controller.abort(new Error(reason));
  }

  /** abortAll, and refuse new work (shutdown). */
  close(reason = 'shutting down'): void {
    this.closedReason = reason;
    this.abortAll(reason);
  }

  /** Resolves when nothing is running or queued. */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.queued.length > 0) await new Promise((r) => setTimeout(r, 20));
  }
}
