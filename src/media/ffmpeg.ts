// The one place that starts ffmpeg or ffprobe. Everything else in the daemon asks this module, so
// niceness, timeouts, abort handling and tool paths are decided once.
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import ffmpeg from 'fluent-ffmpeg';
import { SealdockError, errorMessage } from '../errors.js';

export interface ToolPaths {
  ffmpegPath: string;
  ffprobePath: string;
}

/** One ffmpeg run: input, options, output, and how to watch and stop it. */
export interface FfmpegRunOptions {
  ffmpegPath: string;
  input: string;
  inputOptions?: string[];
  outputOptions: string[];
  output: string;
  /** Working directory; relative input/output paths are resolved against it. */
  cwd?: string;
  /** 0..19, applied with `nice -n`. */
  nice?: number;
  /** Kill a run that takes longer than this (hung process, stalled input). 0 = none. */
  timeoutSeconds?: number;
  signal?: AbortSignal;
  /** Time from SIGTERM (which lets ffmpeg close its files) to SIGKILL. */
  killGraceMs?: number;
  /** Input duration, to turn ffmpeg's `time=` into a percentage. */
  durationSeconds?: number;
  onProgress?: (percent: number) => void;
}

export interface FfmpegRunResult {
  /** Arguments exactly as ffmpeg received them (without the `nice` prefix). */
  args: string[];
  durationMs: number;
}

const DEFAULT_KILL_GRACE_MS = 3000;

/** Builds the argument list fluent-ffmpeg will pass, without running anything. */
export function ffmpegArgs(opts: Pick<FfmpegRunOptions, 'input' | 'inputOptions' | 'outputOptions' | 'output'>) {
  return buildCommand(opts)._getArguments();
}

function buildCommand(
  opts: Pick<FfmpegRunOptions, 'input' | 'inputOptions' | 'outputOptions' | 'output' | 'cwd' | 'nice'>,
): ffmpeg.FfmpegCommand {
  const cmd = ffmpeg({ cwd: opts.cwd, niceness: opts.nice ?? 0, stdoutLines: 50 });
  cmd.input(opts.input);
  // fluent-ffmpeg splits a lone "a b" option on its space unless given several arguments; passing
  // them spread (and never alone) keeps values such as "采集地点 东街12号" intact.
  addOptions(cmd, 'inputOptions', ['-nostdin', '-hide_banner', ...(opts.inputOptions ?? [])]);
  addOptions(cmd, 'outputOptions', opts.outputOptions);
  cmd.output(opts.output);
  return cmd;
}

function addOptions(cmd: ffmpeg.FfmpegCommand, kind: 'inputOptions' | 'outputOptions', options: string[]): void {
  if (options.length === 0) return;
  if (options.length === 1) {
    // a second (harmless, global) flag keeps fluent-ffmpeg on its no-split path
    cmd[kind](options[0] as string, '-hide_banner');
    return;
  }
  cmd[kind](...(options as [string, ...string[]]));
}

/** Runs one ffmpeg command. Rejects with MEDIA_FAILED on non-zero exit, abort or timeout. */
export function runFfmpeg(opts: FfmpegRunOptions): Promise<FfmpegRunResult> {
  const started = performance.now();
  const cmd = buildCommand(opts).setFfmpegPath(opts.ffmpegPath);
  const args = cmd._getArguments();
  const grace = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;

  return new Promise<FfmpegRunResult>((resolve, reject) => {
    let stopReason: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;
    let lastPercent = -1;

    const stop = (reason: string) => {
      if (stopReason) return;
      stopReason = reason;
      try {
        cmd.kill('SIGTERM');
      } catch {
        // not started yet: the 'start' handler sees stopReason and kills then
      }
      killTimer = setTimeout(() => {
        try {
          cmd.kill('SIGKILL');
        } catch {
          // already gone
        }
      }, grace);
    };
    const onAbort = () => stop(`aborted: ${abortReason(opts.signal)}`);
    const cleanup = () => {
      clearTimeout(killTimer);
      clearTimeout(timeoutTimer);
      opts.signal?.removeEventListener('abort', onAbort);
    };

    if (opts.signal?.aborted) {
      reject(new SealdockError('MEDIA_FAILED', `ffmpeg not started: aborted: ${abortReason(opts.signal)}`));
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.timeoutSeconds && opts.timeoutSeconds > 0) {
      timeoutTimer = setTimeout(() => stop(`timed out after ${opts.timeoutSeconds} s`), opts.timeoutSeconds * 1000);
    }

    cmd.on('start', () => {
      if (stopReason) cmd.kill('SIGKILL');
    });
    if (opts.onProgress) {
      const onProgress = opts.onProgress;
      // Parsing `time=` ourselves avoids fluent-ffmpeg's extra ffprobe run for its own 'progress'.
      cmd.on('stderr', (line: string) => {
        const seconds = parseStatsTime(line);
        if (seconds === undefined || !opts.durationSeconds) return;
        const percent = Math.max(0, Math.min(100, Math.floor((seconds / opts.durationSeconds) * 100)));
        if (percent !== lastPercent) {
          lastPercent = percent;
          onProgress(percent);
        }
      });
    }
    cmd.on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
      cleanup();
      const why = stopReason ?? errorMessage(err);
      reject(
        new SealdockError('MEDIA_FAILED', `ffmpeg failed: ${why}`, {
          args,
          stderr: tail(stderr ?? ''),
          timedOut: stopReason?.startsWith('timed out') ?? false,
          aborted: stopReason?.startsWith('aborted') ?? false,
        }),
      );
    });
    cmd.on('end', () => {
      cleanup();
      if (stopReason) {
        // ffmpeg handled SIGTERM by finishing cleanly: still a stopped run, not a result
        reject(new SealdockError('MEDIA_FAILED', `ffmpeg failed: ${stopReason}`, { args }));
        return;
      }
      if (lastPercent < 100) opts.onProgress?.(100);
      resolve({ args, durationMs: performance.now() - started });
    });
    cmd.run();
  });
}

function abortReason(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  return r === undefined ? 'no reason given' : errorMessage(r);
}

/** `time=00:01:02.50` in an ffmpeg stats line → seconds. */
export function parseStatsTime(line: string): number | undefined {
  const m = /time=\s*(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(line);
  if (!m) return undefined;
  const v = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
  return m[1] ? -v : v;
}

function tail(text: string, max = 2000): string {
  return text.length > max ? text.slice(-max) : text;
}

// ---- direct spawns (ffprobe JSON, streamhash, version): fluent-ffmpeg has no clean way to read their stdout ----

export interface SpawnOptions {
  timeoutSeconds?: number;
  signal?: AbortSignal;
  nice?: number;
}

interface SpawnResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function spawnTool(path: string, args: string[], opts: SpawnOptions = {}): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    // Its own process group: a wrapper script (or a tool that forks) is killed with everything it
    // started. Killing only the direct child would leave a grandchild holding our pipes open, and
    // 'close' would never come.
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is gone already (or was never made)
      }
    };
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      killGroup();
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.nice && child.pid !== undefined) {
      try {
        setPriority(child.pid, opts.nice);
      } catch {
        // priority is a courtesy, never a reason to fail
      }
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer =
      opts.timeoutSeconds && opts.timeoutSeconds > 0
        ? setTimeout(() => {
            timedOut = true;
            killGroup();
          }, opts.timeoutSeconds * 1000)
        : undefined;
    const done = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      done();
      if (e.code === 'ENOENT') {
        reject(new SealdockError('TOOL_MISSING', `cannot run ${path}: not found (install ffmpeg or set its path)`));
      } else {
        reject(new SealdockError('MEDIA_FAILED', `cannot run ${path}: ${e.message}`));
      }
    });
    child.on('close', (code, signal) => {
      done();
      if (timedOut) {
        reject(
          new SealdockError('MEDIA_FAILED', `${path} timed out after ${opts.timeoutSeconds} s (killed)`, {
            args,
            timedOut: true,
          }),
        );
        return;
      }
      if (aborted) {
        reject(new SealdockError('MEDIA_FAILED', `${path} aborted: ${abortReason(opts.signal)}`));
        return;
      }
      // Killed by a signal (a crash, the OOM killer): says nothing about the file, so it is a
      // failure of the tool to retry, never proof that the footage is unplayable.
      if (code === null && signal) {
        reject(
          new SealdockError('MEDIA_FAILED', `${path} was killed by ${signal}`, {
            args,
            stderr: tail(Buffer.concat(err).toString('utf8')),
          }),
        );
        return;
      }
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/**
 * ffprobe's JSON for a file, or its error text when it cannot read it. With `firstPackets`, the
 * same run also decodes that many packets from the start (all streams) and lists each frame the
 * decoders gave back as `frames: [{ stream_index }]`: a decode of the first frames without a
 * second tool start (each start of these tools costs ~0.1 s of CPU, more than the decode).
 */
export async function ffprobeJson(
  ffprobePath: string,
  file: string,
  opts: SpawnOptions & { firstPackets?: number } = {},
): Promise<{ ok: true; json: unknown } | { ok: false; error: string }> {
  const frames = opts.firstPackets
    ? ['-show_entries', 'frame=stream_index', '-read_intervals', `%+#${opts.firstPackets}`]
    : [];
  const r = await spawnTool(
    ffprobePath,
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...frames, '--', file],
    opts,
  );
  if (r.code !== 0) return { ok: false, error: firstLines(r.stderr) || `ffprobe exited with ${r.code ?? r.signal}` };
  try {
    return { ok: true, json: JSON.parse(r.stdout) as unknown };
  } catch (e) {
    return { ok: false, error: `ffprobe printed unreadable JSON: ${errorMessage(e)}` };
  }
}

/**
 * Decodes the first few frames of the chosen streams. Counting decoded frames (framemd5 lines) is
 * the cheap proof that a probed file actually plays.
 */
export async function decodeCheck(
  ffmpegPath: string,
  file: string,
  select: 'video' | 'audio',
  opts: SpawnOptions = {},
): Promise<{ ok: true; frames: number } | { ok: false; error: string }> {
  const sel = select === 'video' ? ['-map', '0:v:0', '-frames:v', '3'] : ['-map', '0:a:0', '-t', '0.5'];
  const r = await spawnTool(
    ffmpegPath,
    ['-nostdin', '-hide_banner', '-v', 'error', '-i', file, ...sel, '-f', 'framemd5', '-'],
    opts,
  );
  const frames = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  if (r.code !== 0) return { ok: false, error: firstLines(r.stderr) || `ffmpeg exited with ${r.code ?? r.signal}` };
  if (frames === 0) return { ok: false, error: firstLines(r.stderr) || `no ${select} frame could be decoded` };
  return { ok: true, frames };
}

/** Output options that write the per-stream SHA-256 of the mapped streams' packets (stream copy). */
export function streamHashOutputOptions(maps: string[]): string[] {
  return [...maps.flatMap((m) => ['-map', m]), '-c', 'copy', '-f', 'streamhash', '-hash', 'sha256'];
}

/** The `<index>,<type>,SHA256=<hex>` lines of streamhash output. */
export function parseStreamHashes(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\d+,\w+,SHA256=[0-9a-f]{64}$/.test(l));
}

/**
 * One `<index>,<type>,SHA256=<hex>` line per stream, over the packets as stored (stream copy).
 * Equal lists prove a remux did not touch picture or sound. `maps` chooses streams (default all).
 */
export async function streamHashes(
  ffmpegPath: string,
  file: string,
  maps: string[] = ['0'],
  opts: SpawnOptions = {},
): Promise<string[]> {
  const r = await spawnTool(
    ffmpegPath,
    ['-nostdin', '-hide_banner', '-v', 'error', '-i', file, ...streamHashOutputOptions(maps), '-'],
    opts,
  );
  if (r.code !== 0) {
    throw new SealdockError('MEDIA_FAILED', `streamhash of ${file} failed: ${firstLines(r.stderr)}`);
  }
  return parseStreamHashes(r.stdout);
}

const versionCache = new Map<string, string>();

/** e.g. "5.1.9-0+deb12u1" (cached per path). */
export async function ffmpegVersion(ffmpegPath: string): Promise<string> {
  const cached = versionCache.get(ffmpegPath);
  if (cached) return cached;
  const r = await spawnTool(ffmpegPath, ['-hide_banner', '-version'], { timeoutSeconds: 20 });
  const m = /version\s+(\S+)/.exec(r.stdout);
  if (r.code !== 0 || !m?.[1]) {
    throw new SealdockError('TOOL_MISSING', `${ffmpegPath} -version did not report a version`);
  }
  versionCache.set(ffmpegPath, m[1]);
  return m[1];
}

/**
 * Fails early (at daemon start) when ffmpeg/ffprobe or the encoders we rely on are missing, naming
 * the path so the admin knows what to fix.
 */
export async function checkTools(paths: ToolPaths): Promise<{ ffmpeg: string; ffprobe: string }> {
  const version = async (path: string, name: string) => {
    let r: SpawnResult;
    try {
      r = await spawnTool(path, ['-hide_banner', '-version'], { timeoutSeconds: 20 });
    } catch (e) {
      throw new SealdockError('TOOL_MISSING', `${name} is missing: cannot run "${path}" (${errorMessage(e)})`, {
        path,
      });
    }
    const m = /version\s+(\S+)/.exec(r.stdout);
    if (r.code !== 0 || !m?.[1]) {
      throw new SealdockError('TOOL_MISSING', `${name} at "${path}" does not behave like ${name}`, { path });
    }
    return m[1];
  };
  const [ffmpegV, ffprobeV] = await Promise.all([
    version(paths.ffmpegPath, 'ffmpeg'),
    version(paths.ffprobePath, 'ffprobe'),
  ]);
  const enc = await spawnTool(paths.ffmpegPath, ['-hide_banner', '-encoders'], { timeoutSeconds: 20 });
  for (const needed of ['libx264', 'aac']) {
    if (!new RegExp(`^\\s*\\S+\\s+${needed}\\s`, 'm').test(enc.stdout)) {
      throw new SealdockError('TOOL_MISSING', `ffmpeg at "${paths.ffmpegPath}" lacks the ${needed} encoder`, {
        path: paths.ffmpegPath,
      });
    }
  }
  versionCache.set(paths.ffmpegPath, ffmpegV);
  return { ffmpeg: ffmpegV, ffprobe: ffprobeV };
}

function firstLines(text: string, n = 5): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, n)
    .join('; ');
}
