// Which dock file is the sidecar of which footage: `<footage file name>.json`. Pure, on the raw
// name bytes (a sidecar's footage may have a name that is not UTF-8). Lives in intake because
// intake reads the sidecar; docks and the pipeline ask here (docks → intake, never back).
export const SIDECAR_SUFFIX = '.json';
const SUFFIX_BYTES = Buffer.from(SIDECAR_SUFFIX);

export function isSidecarName(name: Uint8Array | string): boolean {
  const b = typeof name === 'string' ? Buffer.from(name) : Buffer.from(name);
  return (
    b.length > SUFFIX_BYTES.length &&
    b
      .subarray(b.length - SUFFIX_BYTES.length)
      .toString('latin1')
      .toLowerCase() === SIDECAR_SUFFIX
  );
}

export function sidecarNameFor(footage: Uint8Array): Buffer {
  return Buffer.concat([footage, SUFFIX_BYTES]);
}

/** The footage a sidecar name belongs to (the name without `.json`). */
export function footageNameOf(sidecar: Uint8Array): Buffer {
  return Buffer.from(sidecar).subarray(0, sidecar.length - SUFFIX_BYTES.length);
}
