// A copy that could not be catalogued is removed at once, not left in spool/tmp until the next
// start: here the catalog itself fails (closed under the intake), with a real spool and catalog.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogPath, openCatalog } from '../../src/catalog/db.js';
import { EvidenceRepo } from '../../src/catalog/evidence-repo.js';
import { loadConfig } from '../../src/config/load.js';
import { IntakeService } from '../../src/intake/intake-service.js';
import { Spool } from '../../src/intake/spool.js';
import { makeWorkspace } from '../helpers/workspace.js';

const ws = makeWorkspace();
afterAll(() => ws.cleanup());

describe('an intake whose cataloguing fails', () => {
  it('removes its spool copy and says why', async () => {
    const { config } = loadConfig({ file: ws.configFile, env: {} });
    const db = openCatalog(catalogPath(config.dataDir));
    const spool = new Spool(path.join(config.dataDir, 'spool'), { readBack: true });
    await spool.init();
    const intake = new IntakeService({ repo: new EvidenceRepo(db), spool, config, log: pino({ level: 'silent' }) });
    db.close();
    await expect(
      intake.ingestStream(
        config.docks[0]!,
        Buffer.from('（2026）第17号.mp4'),
        Readable.from([Buffer.from('footage')]),
        {},
      ),
    ).rejects.toThrow(/not open/);
    expect(fs.readdirSync(spool.tmpDir)).toEqual([]);
    expect(fs.readdirSync(spool.originalsDir)).toEqual([]);
  });
});
