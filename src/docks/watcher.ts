// The one module that uses chokidar: it only reports paths that may have appeared or changed.
// Deciding when a file is finished, and taking it, is the dock service's job. It hands back names
// as strings (lossy for bytes that are not UTF-8): the dock service's own walk covers those.
import { watch, type FSWatcher } from 'chokidar';
import path from 'node:path';
import { isIgnoredName } from './names.js';

export interface DockWatcherEvents {
  onCandidate(absPath: string): void;
  onGone(absPath: string): void;
  /** A folder appeared after the initial scan (the dock service walks the dock: see scanSoon). */
  onFolder?(absPath: string): void;
  onError(err: Error): void;
}

export class DockWatcher {
  private watcher: FSWatcher | null = null;

  constructor(
    private readonly root: string,
    private readonly events: DockWatcherEvents,
    private readonly opts: { usePolling?: boolean; pollIntervalMs?: number; depth?: number } = {},
  ) {}

  /** Resolves once the initial scan has reported every file already on the dock. */
  async start(): Promise<void> {
    const root = path.resolve(this.root);
    this.watcher = watch(root, {
      // v4+ has no globs: a function decides. The dock root itself is never ignored.
      ignored: (p: string) => p !== root && isIgnoredName(path.basename(p)),
      followSymlinks: false,
      ignoreInitial: false,
      persistent: true,
      depth: this.opts.depth ?? 64,
      ignorePermissionErrors: true,
      usePolling: this.opts.usePolling ?? false,
      interval: this.opts.pollIntervalMs ?? 1000,
    });
    this.watcher.on('add', (p: string) => this.events.onCandidate(p));
    this.watcher.on('change', (p: string) => this.events.onCandidate(p));
    this.watcher.on('unlink', (p: string) => this.events.onGone(p));
    this.watcher.on('error', (err: unknown) =>
      this.events.onError(err instanceof Error ? err : new Error(String(err))),
    );
    await new Promise<void>((resolve) => this.watcher!.once('ready', () => resolve()));
    const onFolder = this.events.onFolder?.bind(this.events);
    if (onFolder) this.watcher.on('addDir', (p: string) => p !== root && onFolder(p));
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = null;
  }
}
