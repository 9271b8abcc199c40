// One run at a time of work that may be asked for again while it runs (a walk of the docks, a look
// at the tracked files, the pipeline's look for due work). Asked while it runs, it runs exactly once
// more right after it ends, however often it was asked meanwhile: what it looks at may have changed
// behind it, and a second overlapping run would only do the same work twice.
export class CoalescingRun {
  private active = false;
  private again = false;
  private current: Promise<void> | null = null;

  /**
   * `body` is the work; `stopped` ends the reruns (and refuses new runs) once the owner stops;
   * `onError` gets what a run threw: that run and its pending rerun end there, the next ask runs
   * afresh. The first run starts synchronously, inside the call that asked for it.
   */
  constructor(
    private readonly body: () => void | Promise<void>,
    private readonly opts: { stopped: () => boolean; onError: (err: unknown) => void },
  ) {}

  /** Runs now, or once more after the run in progress; resolves when that ends. Never rejects. */
  run(): Promise<void> {
    if (this.opts.stopped()) return this.idle();
    if (this.active) {
      this.again = true;
      return this.current ?? Promise.resolve();
    }
    this.active = true;
    const run = this.loop();
    // a run that ended without ever waiting (a synchronous throw) has already cleared `active`
    if (this.active) this.current = run;
    return run;
  }

  /** Resolves once no run is in progress (for stop()). */
  idle(): Promise<void> {
    return this.current ?? Promise.resolve();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.body();
      } while (this.again && !this.opts.stopped());
    } catch (err) {
      this.opts.onError(err);
    } finally {
      this.active = false;
      this.again = false;
      this.current = null;
    }
  }
}
