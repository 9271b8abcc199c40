import { createHash } from 'node:crypto';
import type fs from 'node:fs';
import { readFileChunks } from './durable-copy.js';
import type { Readable } from 'node:stream';

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 and length of a stream (node:crypto runs ≈1.6 GB/s here; never buffer a video). */
export async function sha256Stream(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** SHA-256 of a file, read in large reused chunks (see durable-copy.ts). */
export async function sha256File(file: fs.PathLike): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of readFileChunks(file)) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}
