import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalArchive } from '../../src/archive/local.js';
import { runArchiveConformance } from './conformance.js';

runArchiveConformance('local', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'sealdock-local-archive-'));
  return {
    backend: new LocalArchive({ root }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});
