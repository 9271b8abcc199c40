// Large read buffers kept for reuse. Fresh multi-MiB buffers per read are external memory that V8
// answers with full mark-compact collections, and their first touch costs page faults that can
// outweigh the copy itself; a few kept idle cost a bounded, known amount of memory.

export class BufferPool {
  private readonly idle: Buffer[] = [];

  constructor(
    /** the size of every buffer of this pool */
    readonly size: number,
    /** idle buffers kept at most (memory held: size × idleMax) */
    private readonly idleMax: number,
  ) {}

  take(): Buffer {
    return this.idle.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Back for reuse: only once nothing (a pending read or write) still uses its bytes. */
  give(buffer: Buffer): void {
    if (buffer.length === this.size && this.idle.length < this.idleMax) this.idle.push(buffer);
  }
}
