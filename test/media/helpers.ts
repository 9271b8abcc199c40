// Test helpers for media: an independent ffprobe reader (not our code) and an MP4 atom walker.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, readSync, closeSync, fstatSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const tools = { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' };

const made: string[] = [];

export function tmpDir(prefix = 'sealdock-media-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** For afterAll: derivatives add up to tens of MB per run. */
export function removeTmpDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

interface FfprobeJson {
  format: { format_name: string; duration?: string; tags?: Record<string, string> };
  streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number; pix_fmt?: string }>;
}

export function ffprobe(file: string): FfprobeJson {
  const out = execFileSync('ffprobe', ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', file], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as FfprobeJson;
}

/** Top-level ISO BMFF atoms in file order, e.g. ['ftyp','moov','mdat']. */
export function topLevelAtoms(file: string): string[] {
  return atoms(file).map((a) => a.type);
}

export function atoms(file: string): Array<{ type: string; start: number; size: number }> {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(16);
    const found: Array<{ type: string; start: number; size: number }> = [];
    let pos = 0;
    while (pos + 8 <= size) {
      readSync(fd, head, 0, 16, pos);
      let len = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      if (len === 1) len = Number(head.readBigUInt64BE(8));
      else if (len === 0) len = size - pos;
      if (len < 8) throw new Error(`bad atom ${type} at ${pos}`);
      found.push({ type, start: pos, size: len });
      pos += len;
    }
    return found;
  } finally {
    closeSync(fd);
  }
}
