// Gathers every source of an item's five elements (annotation, sidecar, device binding, dock
// default, media) and resolves them by the spec's precedence.
import type { DevicesRepo } from '../catalog/devices-repo.js';
import type { EvidenceRecord } from '../catalog/evidence-repo.js';
import type { Config, DockConfig } from '../config/schema.js';
import { resolveElements, type ResolvedElements } from '../elements/resolve.js';
import type { Elements } from '../elements/types.js';
import { DEFAULT_FILENAME_PATTERNS, resolveRecordedAt, type RecordedAtResult } from '../media/index.js';
import type { ProbeResult } from '../media/types.js';
import { dockDefaults } from '../intake/intake-service.js';

/** What the catalog keeps about the media beyond the probe itself. */
export interface ItemMedia {
  probe: ProbeResult | null;
  /**
   * false from preservation until the media step has probed the original: preservation never
   * waits on a media tool, so the intake manifest knows only the file name and mtime times.
   * Absent on rows written before probing moved (they were probed).
   */
  probed?: boolean | undefined;
  /** ffprobe's message when the original could not be decoded. */
  error?: string | undefined;
  recordedAt?: RecordedAtResult | undefined;
  /** Set while the item is `deriving` but its transcode waits (media.transcode); see transcode-wait.ts. */
  waiting?: DerivationWait | undefined;
}

export interface DerivationWait {
  for: 'off-peak' | 'on-demand';
  since: string;
  /** off-peak: when the window opens */
  until?: string | undefined;
  /** someone asked to play it: made now, whatever the mode */
  requestedAt?: string | undefined;
  requestedBy?: string | undefined;
}

export function isProbed(media: ItemMedia | null): media is ItemMedia {
  return media !== null && media.probed !== false;
}

export function filenamePatterns(
  dock: DockConfig | undefined,
): (string | (typeof DEFAULT_FILENAME_PATTERNS)[number])[] {
  if (!dock) return [...DEFAULT_FILENAME_PATTERNS];
  return dock.fileNamePatterns.map((p) => DEFAULT_FILENAME_PATTERNS.find((d) => d.name === p) ?? p);
}

/** The zone file-name times are read in: the dock's, else the top-level one (never the host's). */
export function timeZoneFor(config: Pick<Config, 'timezone'>, dock: DockConfig | undefined): string {
  return dock?.timezone ?? config.timezone;
}

export function recordedAtFor(
  item: Pick<EvidenceRecord, 'originalName' | 'deviceId' | 'receivedAt'>,
  probe: ProbeResult | null,
  opts: {
    dock: DockConfig | undefined;
    timeZone: string;
    mtimeMs: number | undefined;
    clockOffsetSeconds: number | null;
  },
): RecordedAtResult | undefined {
  return resolveRecordedAt({
    creationTime: probe?.creationTime,
    durationSeconds: probe?.durationSeconds,
    fileName: item.originalName,
    mtime: opts.mtimeMs ?? item.receivedAt,
    timeZone: opts.timeZone,
    clockOffsetSeconds: opts.clockOffsetSeconds ?? undefined,
    patterns: filenamePatterns(opts.dock),
  });
}

export function resolveItemElements(
  item: Pick<EvidenceRecord, 'annotation' | 'sidecar' | 'deviceId'>,
  media: ItemMedia | null,
  opts: { dock: DockConfig | undefined; devices: DevicesRepo },
): ResolvedElements {
  const mediaElements: Elements = {};
  if (media?.recordedAt) mediaElements.recordedAt = media.recordedAt.value;
  const loc = media?.probe?.location;
  if (loc) mediaElements.place = { text: `GPS ${loc.raw}`, lat: loc.lat, lon: loc.lon };

  // The binding in force at the recording time (corrected), falling back to any stated time.
  const at =
    item.annotation.recordedAt?.start ?? item.sidecar?.elements?.recordedAt?.start ?? mediaElements.recordedAt?.start;
  const binding: Elements = {};
  if (item.deviceId && at) {
    const collector = opts.devices.collectorAt(item.deviceId, at);
    if (collector) binding.collector = collector;
  }
  return resolveElements({
    annotation: item.annotation,
    sidecar: item.sidecar?.elements,
    binding,
    dock: opts.dock ? dockDefaults(opts.dock) : undefined,
    media: mediaElements,
    mediaRecordedAtSource: media?.recordedAt?.source,
  });
}

/**
 * Whether the elements are complete enough to derive: nothing missing and, when the deployment
 * says so (`elements.unconfirmedBlocksDerivation`), nothing unconfirmed either.
 */
export function readyToDerive(
  resolved: Pick<ResolvedElements, 'missing' | 'unconfirmed'>,
  config: Pick<Config, 'elements'>,
): boolean {
  if (resolved.missing.length > 0) return false;
  return !(config.elements.unconfirmedBlocksDerivation && resolved.unconfirmed.length > 0);
}
