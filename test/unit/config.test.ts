import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, mergeConfig } from '../../src/config/load.js';

function withFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-cfg-'));
  const file = path.join(dir, 'c.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('configuration', () => {
  it('loads the embedded defaults: a dock under var/, the local archive, 183 days, 127.0.0.1:8440', () => {
    const { config } = loadConfig({ env: {}, cwd: '/srv/x' });
    expect(config.dataDir).toBe('/srv/x/var/data');
    expect(config.docks[0]!.path).toBe('/srv/x/var/dock');
    expect(config.archive.backend).toBe('local');
    expect(config.archive.local.path).toBe('/srv/x/var/archive');
    expect(config.archive.retention.days).toBe(183);
    expect(config.api).toMatchObject({ host: '127.0.0.1', port: 8440 });
    expect(config.nodeId).toBeTruthy();
  });

  it('lets an override file (or SEALDOCK_CONFIG) change any key; arrays are replaced whole', () => {
    const file = withFile(
      'docks:\n  - id: east\n    path: /mnt/east\n    release: delete\narchive:\n  retention:\n    days: 400\n',
    );
    const { config, sources } = loadConfig({ env: { SEALDOCK_CONFIG: file }, cwd: '/' });
    expect(sources).toHaveLength(2);
    expect(config.docks).toHaveLength(1);
    expect(config.docks[0]).toMatchObject({
      id: 'east',
      path: '/mnt/east',
      release: 'delete',
      layout: 'device-folder',
    });
    expect(config.archive.retention.days).toBe(400);
    expect(config.archive.local.path).toBe('/var/archive');
  });

  it('names the key and the problem for every invalid value, and refuses unknown keys', () => {
    const file = withFile('archive:\n  retention:\n    days: 30\n  backend: ftp\napi:\n  prot: 1\n');
    let message = '';
    try {
      loadConfig({ file, env: {} });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/archive\.retention\.days: must be at least 183/);
    expect(message).toMatch(/archive\.backend/);
    expect(message).toMatch(/api.*prot/);
  });

  it('legal-hold categories are gone, not silently ignored: the key is refused by name', () => {
    const file = withFile('archive:\n  retention:\n    legalHold:\n      categories: [重大事件]\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(/archive\.retention\.legalHold.*categories/);
  });

  it('checks what only makes sense together', () => {
    const file = withFile(
      'archive:\n  backend: s3\ndocks:\n  - { id: a, path: /a }\n  - { id: a, path: /b, timezone: Mars/Olympus }\n',
    );
    let message = '';
    try {
      loadConfig({ file, env: {} });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/docks\[1\]\.id: duplicate dock id "a"/);
    expect(message).toMatch(/docks\[1\]\.timezone: unknown time zone "Mars\/Olympus"/);
    expect(message).toMatch(/archive\.s3\.bucket: required when archive\.backend is "s3"/);
  });

  it('says clearly when the file is missing or not YAML', () => {
    expect(() => loadConfig({ file: '/nonexistent/x.yaml', env: {} })).toThrow(/cannot read config file/);
    expect(() => loadConfig({ file: withFile('a: [1,'), env: {} })).toThrow(/not valid YAML/);
    expect(() => loadConfig({ file: withFile('- 1\n- 2\n'), env: {} })).toThrow(/mapping/);
  });

  it('merges objects key by key', () => {
    expect(mergeConfig({ a: { b: 1, c: 2 }, d: [1] }, { a: { c: 3 }, d: [2, 3] })).toEqual({
      a: { b: 1, c: 3 },
      d: [2, 3],
    });
  });
});
