// The read buffers of file passes are shared (a pool): passes running at the same time must never
// see each other's bytes, whatever the file sizes around the chunk size, and a pass abandoned
// half-way must give its buffers back without handing out one still in use.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { READ_CHUNK, copyHashFlush, readFileChunks } from '../../src/util/durable-copy.js';
import { sha256File } from '../../src/util/hash.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-durable-copy-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sizes = [0, 1, 200, READ_CHUNK - 1, READ_CHUNK, READ_CHUNK + 1, 2 * READ_CHUNK + 12345];

function makeFiles(tag: string): { file: string; sha256: string; size: number }[] {
  return sizes.map((size, i) => {
    const file = path.join(dir, `${tag}-${i}.bin`);
    const bytes = randomBytes(size);
    fs.writeFileSync(file, bytes);
    return { file, sha256: createHash('sha256').update(bytes).digest('hex'), size };
  });
}

describe('file passes with pooled read buffers', () => {
  it('hashes many files of sizes around the chunk size at the same time, each correctly', async () => {
    const files = [...makeFiles('a'), ...makeFiles('b'), ...makeFiles('c')];
    const results = await Promise.all(files.map((f) => sha256File(f.file)));
    expect(results).toEqual(files.map((f) => ({ sha256: f.sha256, size: f.size })));
  });

  it('copies while other passes hash, and every copy holds exactly its source bytes', async () => {
    const files = makeFiles('copy');
    const copies = await Promise.all(
      files.map((f, i) => copyHashFlush(readFileChunks(f.file), path.join(dir, `copy-out-${i}.bin`))),
    );
    const hashes = await Promise.all(files.map((f) => sha256File(f.file)));
    expect(copies).toEqual(files.map((f) => ({ sha256: f.sha256, size: f.size })));
    expect(hashes).toEqual(copies);
    for (const [i, f] of files.entries())
      expect(fs.readFileSync(path.join(dir, `copy-out-${i}.bin`)).equals(fs.readFileSync(f.file))).toBe(true);
  });

  it('a pass abandoned after its first chunk gives its buffers back without corrupting the next passes', async () => {
    const [big] = makeFiles('abandon').slice(-1);
    for (let round = 0; round < 3; round++) {
      const seen: Buffer[] = [];
      for await (const chunk of readFileChunks(big!.file)) {
        seen.push(Buffer.from(chunk)); // a copy: the chunk itself is only valid until the next step
        break;
      }
      expect(seen[0]!.equals(fs.readFileSync(big!.file).subarray(0, READ_CHUNK))).toBe(true);
    }
    const again = makeFiles('after-abandon');
    const results = await Promise.all(again.map((f) => sha256File(f.file)));
    expect(results).toEqual(again.map((f) => ({ sha256: f.sha256, size: f.size })));
  });
});
