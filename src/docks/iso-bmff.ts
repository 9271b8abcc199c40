// Is an MP4/MOV (ISO BMFF) file structurally complete? A copy that stalls (an SMB hiccup, a dock
// that pauses between chunks) looks finished to a quiet-period check; its top-level boxes do not:
// the last box runs past the end of the file, or there is no `moov`. Reading the box headers
// (size + type, 64-bit sizes, size 0 = to the end) costs a few small reads, never the payload.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { decodeBoxHeader } from '../util/bmff-box.js';

export type BmffVerdict = { kind: 'not-bmff' } | { kind: 'complete' } | { kind: 'incomplete'; why: string };

// Box types that may open an MP4/MOV/3GP file; anything else is not ours to judge.
const FIRST_BOXES = new Set(['ftyp', 'styp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'uuid', 'moof']);
const MAX_BOXES = 100_000;

/** Walks the top-level boxes of `size` bytes read through `readAt`. Pure apart from the reads. */
export async function judgeIsoBmff(
  size: number,
  readAt: (offset: number, length: number) => Promise<Buffer>,
): Promise<BmffVerdict> {
  let pos = 0;
  let sawMoov = false;
  for (let n = 0; n < MAX_BOXES; n++) {
    if (pos === size) {
      return sawMoov ? { kind: 'complete' } : { kind: 'incomplete', why: 'no moov box' };
    }
    if (size - pos < 8) return n === 0 ? { kind: 'not-bmff' } : { kind: 'incomplete', why: 'truncated box header' };
    const head = await readAt(pos, Math.min(16, size - pos));
    const type = head.toString('latin1', 4, 8);
    if (n === 0 && !FIRST_BOXES.has(type)) return { kind: 'not-bmff' };
    if (!/^[\x20-\x7e]{4}$/.test(type)) return { kind: 'incomplete', why: `unreadable box type at ${pos}` };
    // size 0 runs to the end of the file: by definition complete
    const { headerBytes: header, size: boxSize } = decodeBoxHeader(head, 0, size - pos);
    if (boxSize === undefined) return { kind: 'incomplete', why: `truncated 64-bit size of ${type}` };
    if (boxSize < header) return { kind: 'incomplete', why: `box ${type} at ${pos} has an impossible size` };
    if (type === 'moov') sawMoov = true;
    if (pos + boxSize > size)
      return { kind: 'incomplete', why: `box ${type} at ${pos} runs ${pos + boxSize - size} bytes past the end` };
    pos += boxSize;
  }
  return { kind: 'incomplete', why: 'too many boxes' };
}

/** The verdict for a file on a dock (never following a link, never blocking on a FIFO). */
export async function inspectIsoBmff(file: Buffer | string, size: number): Promise<BmffVerdict> {
  const fh = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    return await judgeIsoBmff(size, async (offset, length) => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    });
  } finally {
    await fh.close();
  }
}
