// Makes the playback derivative (MP4, H.264/AAC, faststart) of an original and stamps the five
// elements into its container tags. The original is only ever read. ffmpeg writes to
// "<out>.partial", which is fsynced and renamed only once complete and checked, so a killed run
// never leaves a half derivative under the final name.
import { randomBytes } from 'node:crypto';
import { access, chmod, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SealdockError, errorMessage } from '../errors.js';
import { fsyncPath } from '../util/fsync.js';
import { sha256File } from '../util/hash.js';
import { ffmpegVersion, runFfmpeg, streamHashes } from './ffmpeg.js';
import { hashFileStreams, streamHashLines, type FileStreamHashes, type HashedTrack } from './mp4-streams.js';
import { planDerivative } from './plan.js';
import type { DerivativePlan, ProbeResult, Provenance, StampTags } from './types.js';

export interface DeriveConfig {
  ffmpegPath: string;
  /** Highest picture height of a transcoded derivative (default 720); remuxes keep theirs. */
  maxHeight: number;
  /** x264 preset (default veryfast). */
  preset: string;
  /** Niceness of the encoder (transcodes). Stream copies run at normal priority: they are short,
   *  I/O-bound, and niced they lost 4× to any busy neighbour for no gain. */
  nice: number;
  /** Per ffmpeg run; 0 = no limit. */
  timeoutSeconds: number;
  burnIn: boolean;
  nodeId: string;
  /** x264 CRF (default 23). */
  crf?: number;
  killGraceMs?: number;
  /** Font files to try for burn-in, in order (default: common Debian CJK fonts, then DejaVu). */
  fontCandidates?: string[];
}

export interface DeriveRequest {
  /** The original (read only). */
  input: string;
  /** Final derivative path; its folder is the job folder (ffmpeg runs there). */
  output: string;
  probe: ProbeResult;
  /** Default: planDerivative(probe). Burn-in turns a remux into a transcode. */
  plan?: DerivativePlan;
  tags: StampTags;
  /** The person who asked for this copy, if any (制作人 besides the daemon). */
  requestedBy?: string;
  /** Overrides config.burnIn. */
  burnIn?: boolean;
  signal?: AbortSignal;
  onProgress?: (percent: number) => void;
}

export const DEFAULT_FONT_CANDIDATES = [
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc',
  '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc',
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
  '/usr/share/fonts/truetype/arphic/uming.ttc',
  '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
];
const CJK_FONT = /cjk|wqy|uming|ukai|droidsansfallback/i;

/** Container tag key → value. Keys are the contract other tools read back with ffprobe. */
export function stampTagMap(tags: StampTags): Record<string, string> {
  const m: Record<string, string> = {
    sealdock_evidence_id: tags.evidenceId,
    sealdock_original_sha256: tags.originalSha256,
  };
  const opt: Array<[string, string | undefined]> = [
    ['sealdock_case_number', tags.caseNumber],
    ['sealdock_recorded_at', tags.recordedAt],
    ['sealdock_place', tags.place],
    ['sealdock_collector', tags.collector],
    ['sealdock_purpose', tags.purpose],
    ['creation_time', tags.creationTimeUtc],
    ['location', tags.location],
  ];
  for (const [k, v] of opt) if (v !== undefined && v !== '') m[k] = v;
  const line = describeStamp(tags);
  m.comment = line;
  m.description = line;
  for (const k of Object.keys(m)) m[k] = clean(m[k] as string);
  return m;
}

/** The human-readable line (comment/description) naming the five elements. */
export function describeStamp(tags: StampTags): string {
  const parts = [
    `案件编号 case: ${tags.caseNumber ?? '-'}`,
    `采集时间 recorded: ${tags.recordedAt ?? '-'}`,
    `采集地点 place: ${tags.place ?? '-'}`,
    `采集人 collector: ${tags.collector ?? '-'}`,
    `证明对象 purpose: ${tags.purpose ?? '-'}`,
    `evidence ${tags.evidenceId}`,
  ];
  return parts.join('; ');
}

// NUL ends a C string inside ffmpeg; other control characters make tags unreadable in players.
function clean(v: string): string {
  return v.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ');
}

/**
 * Picks the burn-in font and text. Chinese labels need a CJK font (DejaVu would draw empty boxes);
 * without one, Latin labels are used if the values themselves are Latin, else this fails clearly.
 */
export async function chooseBurnIn(
  tags: StampTags,
  candidates = DEFAULT_FONT_CANDIDATES,
): Promise<{ fontFile: string; text: string }> {
  // filter-graph escaping is not worth the risk: fonts live at plain paths
  const usable = candidates.filter((f) => !/[':,;[\]\\]/.test(f));
  const cjkFont = await firstExisting(usable.filter((f) => CJK_FONT.test(path.basename(f))));
  if (cjkFont) {
    const text = [
      `案件编号 ${tags.caseNumber ?? '-'}`,
      `采集时间 ${tags.recordedAt ?? '-'}`,
      `采集地点 ${tags.place ?? '-'}`,
    ];
    return { fontFile: cjkFont, text: text.join('\n') };
  }
  const text = [`Case ${tags.caseNumber ?? '-'}`, `Time ${tags.recordedAt ?? '-'}`, `Place ${tags.place ?? '-'}`].join(
    '\n',
  );
  const latin = usable.filter((f) => !CJK_FONT.test(path.basename(f)));
  if (/[^\u0000-\u024f\u2000-\u206f]/.test(text)) {
    throw new SealdockError(
      'TOOL_MISSING',
      `burn-in of non-Latin text needs a CJK font and none was found (install fonts-noto-cjk or fonts-wqy-zenhei); tried: ${usable.join(', ') || 'none'}`,
    );
  }
  const font = await firstExisting(latin);
  if (!font) {
    throw new SealdockError(
      'TOOL_MISSING',
      `burn-in needs a font and none was found (install fonts-dejavu-core); tried: ${usable.join(', ') || 'none'}`,
    );
  }
  return { fontFile: font, text };
}

async function firstExisting(files: string[]): Promise<string | undefined> {
  for (const f of files) {
    try {
      await access(f);
      return f;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

interface BuiltArgs {
  mode: Provenance['method'];
  outputOptions: string[];
  /** streams to compare by streamhash (original side) when packets are copied */
  copyMaps?: string[];
}

/** The ffmpeg output options for a plan (exported so the bench can run the identical command). */
export function buildOutputOptions(
  probe: ProbeResult,
  plan: DerivativePlan,
  tags: StampTags,
  cfg: Pick<DeriveConfig, 'maxHeight' | 'preset' | 'crf'>,
  burnIn?: { fontFile: string; textFile: string },
): BuiltArgs {
  const meta = Object.entries(stampTagMap(tags)).flatMap(([k, v]) => ['-metadata', `${k}=${v}`]);
  const container = [
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    ...meta,
    '-movflags',
    '+faststart+use_metadata_tags',
  ];
  const audio = probe.streams.find((s) => s.type === 'audio');
  const aac = ['-c:a', 'aac', '-b:a', '128k', ...((audio?.channels ?? 0) > 2 ? ['-ac', '2'] : [])];

  if (plan.mode === 'audio') {
    const copy = audio?.codec === 'aac';
    return {
      mode: 'audio',
      outputOptions: ['-map', '0:a:0', '-vn', ...(copy ? ['-c:a', 'copy'] : aac), ...container, '-f', 'mp4'],
      copyMaps: copy ? ['0:a:0'] : undefined,
    };
  }
  if (plan.mode === 'remux' && !burnIn) {
    return {
      mode: 'remux',
      outputOptions: ['-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy', ...container, '-f', 'mp4'],
      copyMaps: ['0:v:0', '0:a:0?'],
    };
  }
  if (plan.mode === 'none')
    throw new SealdockError('BAD_INPUT', `no derivative is made for this input: ${plan.reason}`);

  const video = probe.streams.find((s) => s.type === 'video');
  const filters: string[] = [];
  const max = cfg.maxHeight;
  if (video?.height !== undefined && video.width !== undefined) {
    const h = Math.min(video.height, max) - (Math.min(video.height, max) % 2);
    if (h !== video.height || video.width % 2 !== 0) filters.push(`scale=-2:${h}`);
  } else {
    filters.push(`scale=-2:trunc(min(ih\\,${max})/2)*2`);
  }
  filters.push('format=yuv420p');
  if (burnIn) {
    filters.push(
      `drawtext=fontfile=${burnIn.fontFile}:textfile=${burnIn.textFile}:expansion=none:fontsize=h/28:` +
        'fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=6:line_spacing=4:x=12:y=12',
    );
  }
  return {
    mode: 'transcode',
    outputOptions: [
      '-map',
      '0:v:0',
      '-map',
      '0:a:0?',
      '-vf',
      filters.join(','),
      '-c:v',
      'libx264',
      '-preset',
      cfg.preset,
      '-crf',
      String(cfg.crf ?? 23),
      '-pix_fmt',
      'yuv420p',
      ...aac,
      ...container,
      '-f',
      'mp4',
    ],
  };
}

export async function deriveMedia(req: DeriveRequest, cfg: DeriveConfig): Promise<Provenance> {
  const startedAt = new Date();
  const burn = req.burnIn ?? cfg.burnIn;
  const plan = req.plan ?? planDerivative(req.probe);
  if (plan.mode === 'none')
    throw new SealdockError('BAD_INPUT', `no derivative is made for this input: ${plan.reason}`);
  if (req.tags.originalSha256.length !== 64)
    throw new SealdockError('BAD_INPUT', 'tags.originalSha256 must be hex SHA-256');

  const jobDir = path.dirname(path.resolve(req.output));
  const finalName = path.basename(req.output);
  const partialName = `${finalName}.partial`;
  const partial = path.join(jobDir, partialName);
  let input = path.relative(jobDir, path.resolve(req.input));
  // a name starting with "-" would be read as an option
  if (!input.startsWith('.') && !path.isAbsolute(input)) input = `.${path.sep}${input}`;

  const version = await ffmpegVersion(cfg.ffmpegPath);
  let textFile: string | undefined;
  try {
    let burnIn: { fontFile: string; textFile: string } | undefined;
    if (burn && plan.mode !== 'audio') {
      const { fontFile, text } = await chooseBurnIn(req.tags, cfg.fontCandidates);
      textFile = `.burnin-${randomBytes(6).toString('hex')}.txt`;
      await writeFile(path.join(jobDir, textFile), text, 'utf8');
      burnIn = { fontFile, textFile };
    }
    const built = buildOutputOptions(req.probe, plan, req.tags, cfg, burnIn);
    await rm(partial, { force: true });
    // A stream copy's proof: the original's streams are hashed from its bytes on disk while ffmpeg
    // copies them (the other core), then the copy's from its bytes once written (docs/media.md).
    const originalRead = built.copyMaps ? settle(hashFileStreams(path.resolve(req.input))) : undefined;
    const run = await runFfmpeg({
      ffmpegPath: cfg.ffmpegPath,
      input,
      outputOptions: built.outputOptions,
      output: partialName,
      cwd: jobDir,
      nice: built.mode === 'transcode' ? cfg.nice : 0,
      timeoutSeconds: cfg.timeoutSeconds,
      killGraceMs: cfg.killGraceMs,
      signal: req.signal,
      durationSeconds: req.probe.durationSeconds,
      onProgress: req.onProgress,
    });

    let hashes: Provenance['streamHashes'];
    let digest: { sha256: string; size: number };
    if (built.copyMaps && originalRead) {
      // one read of the copy gives its SHA-256 and its stream hashes while it is flushed
      const [original, written] = await Promise.all([
        originalRead,
        Promise.all([hashFileStreams(partial, { wholeFile: true }), fsyncPath(partial)]).then(([r]) => r),
      ]);
      digest = { sha256: written.sha256 as string, size: written.size };
      hashes = inProcessProof(original, written, req.probe, built.copyMaps);
      if (!hashes) {
        // a layout our reader does not take (or that ffmpeg demuxes differently): ffmpeg decides
        const spawnOpts = { timeoutSeconds: cfg.timeoutSeconds, signal: req.signal };
        const [originalLines, derivativeLines] = await Promise.all([
          streamHashes(cfg.ffmpegPath, path.resolve(req.input), built.copyMaps, spawnOpts),
          streamHashes(cfg.ffmpegPath, partial, ['0'], spawnOpts),
        ]);
        hashes = { original: originalLines, derivative: derivativeLines, hashedBy: 'ffmpeg' };
      }
      if (!sameStreams(hashes.original, hashes.derivative)) {
        throw new SealdockError(
          'MEDIA_FAILED',
          'remux changed the streams: stream hashes of original and copy differ',
          {
            original: hashes.original,
            derivative: hashes.derivative,
          },
        );
      }
    } else {
      digest = await syncAndHash(partial);
    }

    const { sha256, size } = digest;
    // Read-only from here on: nothing may change a hashed copy, and the local archive can then
    // take this very inode (a hard link) instead of copying it.
    await chmod(partial, 0o444);
    await rename(partial, path.join(jobDir, finalName));
    await fsyncPath(jobDir);

    return {
      method: built.mode,
      reason: plan.reason,
      burnIn: burnIn !== undefined,
      ffmpegVersion: version,
      args: run.args,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      nodeId: cfg.nodeId,
      madeBy: req.requestedBy ? `sealdock@${cfg.nodeId} for ${req.requestedBy}` : `sealdock@${cfg.nodeId}`,
      parentSha256: req.tags.originalSha256,
      sha256,
      size,
      streamHashes: hashes,
    };
  } catch (e) {
    await rm(partial, { force: true });
    if (e instanceof SealdockError) throw e;
    throw new SealdockError('MEDIA_FAILED', `derivative failed: ${errorMessage(e)}`, undefined, { cause: e });
  } finally {
    if (textFile) await rm(path.join(jobDir, textFile), { force: true });
  }
}

/** Stream-hash lists match type by type and hash by hash (stream indexes may differ after mapping). */
export function sameStreams(original: string[], derivative: string[]): boolean {
  const strip = (l: string) => l.replace(/^\d+,/, '');
  return (
    original.length > 0 &&
    original.length === derivative.length &&
    original.every((l, i) => strip(l) === strip(derivative[i] as string))
  );
}

/** fsync and SHA-256 of a written file, overlapped (the hash reads from the page cache). */
async function syncAndHash(file: string): Promise<{ sha256: string; size: number }> {
  const [digest] = await Promise.all([sha256File(file), fsyncPath(file)]);
  return digest;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise that never rejects, so one started early cannot go unhandled if we fail before it. */
function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * The stream hashes from our own reads of both files, when each layout is one whose hashes equal
 * ffmpeg's streamhash (see mp4-streams.ts) and the original's tracks are the very streams the probe
 * (ffprobe) saw and the maps chose. Undefined when any of that fails or the hashes differ: the
 * caller then asks ffmpeg, so nothing is accepted or refused on our reader's word alone when it
 * cannot vouch for the layout.
 */
export function inProcessProof(
  original: Settled<FileStreamHashes>,
  copy: FileStreamHashes,
  probe: ProbeResult,
  maps: string[],
): Provenance['streamHashes'] {
  if (!original.ok || !original.value.streams.ok || !copy.streams.ok) return undefined;
  const tracks = original.value.streams.tracks;
  const expected = (s: ProbeResult['streams'][number]) =>
    s.type === 'video' && s.codec === 'h264' ? 'video' : s.type === 'audio' && s.codec === 'aac' ? 'audio' : 'other';
  if (tracks.length !== probe.streams.length || tracks.some((t, i) => t.kind !== expected(probe.streams[i]!))) {
    return undefined;
  }
  const chosen: HashedTrack[] = [];
  for (const map of maps) {
    const m = /^0:([va]):0(\?)?$/.exec(map);
    if (!m) return undefined;
    const type = m[1] === 'v' ? 'video' : 'audio';
    const at = probe.streams.findIndex((s) => s.type === type);
    if (at < 0) {
      if (m[2]) continue; // optional and absent
      return undefined;
    }
    chosen.push(tracks[at]!);
  }
  const copied = copy.streams.tracks;
  const originalLines = streamHashLines(chosen);
  const derivativeLines = streamHashLines(copied);
  if (!originalLines || !derivativeLines || !sameStreams(originalLines, derivativeLines)) return undefined;
  // same bytes cut into the same packets: equal byte hashes alone would not rule out re-split samples
  const samePackets = chosen.every(
    (t, i) => t.sampleCount === copied[i]?.sampleCount && t.sampleSizesSha256 === copied[i]?.sampleSizesSha256,
  );
  if (!samePackets) return undefined;
  return { original: originalLines, derivative: derivativeLines, hashedBy: 'sealdock' };
}
