// The shared end of every bench: the machine it ran on, and the one BENCH_RESULT line that
// bench/run-all.mjs collects into docs/PERFORMANCE.md (contract in the project's HELPERS notes:
// it is the LAST line on stdout).
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export const r2 = (x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function ffmpegVersionLine() {
  try {
    return execFileSync(process.env.FFMPEG ?? 'ffmpeg', ['-version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    return 'ffmpeg not found';
  }
}

export function machine() {
  return {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memGiB: r2(os.totalmem() / 1024 ** 3),
    loadavg: os.loadavg().map(r2),
    node: process.version,
    ffmpeg: ffmpegVersionLine(),
    date: new Date().toISOString(),
  };
}

/** One figure; `pass` is computed by the caller against the target it states. */
export function figure(name, value, unit, baseline, baselineValue, ratio, target, pass) {
  return { name, value: r2(value), unit, baseline, baselineValue: r2(baselineValue), ratio: r2(ratio), target, pass };
}

export function emit(bench, figures, extra = {}) {
  console.log(`BENCH_RESULT ${JSON.stringify({ bench, figures, machine: machine(), ...extra })}`);
}
