// The header of an ISO BMFF (MP4/MOV) box, decoded in one place for every reader of boxes (the
// dock's stalled-copy check, the remux proof's sample-table reader): a 32-bit size and a type, a
// 64-bit size after them when the 32-bit one is 1, and size 0 meaning "to the end of the space".

export interface BoxHeader {
  type: string;
  /** 8, or 16 with a 64-bit size */
  headerBytes: number;
  /** The whole box, header included; undefined when its 64-bit size is cut off. Callers check it
   *  against headerBytes and the room left (each says what an impossible size means to it). */
  size: number | undefined;
}

/**
 * Decodes the header at `at` in `buf`, for a box with `room` bytes from its start to the end of
 * its space (file or parent box). At least 8 bytes must be readable at `at`; 16 are read when the
 * size is 64-bit and available.
 */
export function decodeBoxHeader(buf: Buffer, at: number, room: number): BoxHeader {
  const size32 = buf.readUInt32BE(at);
  const type = buf.toString('latin1', at + 4, at + 8);
  if (size32 === 1) {
    if (buf.length - at < 16 || room < 16) return { type, headerBytes: 16, size: undefined };
    return { type, headerBytes: 16, size: Number(buf.readBigUInt64BE(at + 8)) };
  }
  return { type, headerBytes: 8, size: size32 === 0 ? room : size32 };
}
