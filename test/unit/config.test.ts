import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envKeys } from '../../src/config/env.js';
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

describe('configuration from the environment', () => {
  it('derives one variable per scalar key from the schema: SEALDOCK_ + the key path in UPPER_SNAKE_CASE', () => {
    const byKey = new Map(envKeys().map((k) => [k.key, k.variable]));
    expect(byKey.get('api.host')).toBe('SEALDOCK_API_HOST');
    expect(byKey.get('api.port')).toBe('SEALDOCK_API_PORT');
    expect(byKey.get('archive.backend')).toBe('SEALDOCK_ARCHIVE_BACKEND');
    expect(byKey.get('archive.s3.endpoint')).toBe('SEALDOCK_ARCHIVE_S3_ENDPOINT');
    expect(byKey.get('archive.s3.bucket')).toBe('SEALDOCK_ARCHIVE_S3_BUCKET');
    expect(byKey.get('archive.s3.forcePathStyle')).toBe('SEALDOCK_ARCHIVE_S3_FORCE_PATH_STYLE');
    expect(byKey.get('seal.tsaUrl')).toBe('SEALDOCK_SEAL_TSA_URL');
    expect(byKey.get('seal.pkcs12File')).toBe('SEALDOCK_SEAL_PKCS12_FILE');
    expect(byKey.get('api.tls.certFile')).toBe('SEALDOCK_API_TLS_CERT_FILE');
    expect(byKey.get('dataDir')).toBe('SEALDOCK_DATA_DIR');
    expect(byKey.get('log.level')).toBe('SEALDOCK_LOG_LEVEL');
    expect(byKey.get('seal.trustedCaFiles')).toBe('SEALDOCK_SEAL_TRUSTED_CA_FILES');
    // docks[] is a list of objects: only a file gives it.
    expect([...byKey.keys()].some((k) => k.startsWith('docks'))).toBe(false);
    // One-to-one: no two keys share a variable (envKeys() throws if they would).
    expect(new Set(byKey.values()).size).toBe(byKey.size);
  });

  it('overrides the file, which overrides the defaults, with values parsed per the key type', () => {
    const file = withFile('api:\n  host: 10.0.0.1\n  port: 9000\narchive:\n  s3:\n    region: cn-north-1\n');
    const { config, sources } = loadConfig({
      file,
      cwd: '/srv/x',
      env: {
        SEALDOCK_API_HOST: '0.0.0.0',
        SEALDOCK_ARCHIVE_BACKEND: 's3',
        SEALDOCK_ARCHIVE_S3_BUCKET: 'evidence',
        SEALDOCK_ARCHIVE_S3_ENDPOINT: 'https://s3.example.cn',
        SEALDOCK_ARCHIVE_S3_FORCE_PATH_STYLE: 'false',
        SEALDOCK_ARCHIVE_S3_REQUEST_TIMEOUT_MS: '120000',
        SEALDOCK_SEAL_TSA_URL: 'http://tsa.example.cn/tsr',
        SEALDOCK_SEAL_CHAIN_FILE: '',
        SEALDOCK_SEAL_TRUSTED_CA_FILES: '["/etc/sealdock/old-ca.pem", "ca2.pem"]',
        SEALDOCK_DATA_DIR: 'state',
      },
    });
    expect(config.api.host).toBe('0.0.0.0'); // env beats file
    expect(config.api.port).toBe(9000); // file beats default
    expect(config.archive.s3).toMatchObject({
      region: 'cn-north-1',
      bucket: 'evidence',
      endpoint: 'https://s3.example.cn',
      forcePathStyle: false,
      requestTimeoutMs: 120000,
    });
    expect(config.archive.backend).toBe('s3');
    expect(config.seal.tsaUrl).toBe('http://tsa.example.cn/tsr');
    expect(config.seal.chainFile).toBeNull();
    expect(config.seal.trustedCaFiles).toEqual(['/etc/sealdock/old-ca.pem', '/srv/x/ca2.pem']);
    expect(config.dataDir).toBe('/srv/x/state');
    expect(sources.at(-1)).toMatch(/^environment \(.*SEALDOCK_API_HOST.*\)$/);
  });

  it('names the variable for a value of the wrong type or out of range, and loads nothing', () => {
    const fails = (env: Record<string, string>): string => {
      try {
        loadConfig({ env });
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error(`accepted ${JSON.stringify(env)}`);
    };
    expect(fails({ SEALDOCK_API_PORT: '84a0' })).toMatch(/SEALDOCK_API_PORT="84a0" \(api\.port\): not a number/);
    expect(fails({ SEALDOCK_API_PORT: '99999' })).toMatch(/api\.port \(from SEALDOCK_API_PORT\): .*65535/);
    expect(fails({ SEALDOCK_ARCHIVE_S3_FORCE_PATH_STYLE: 'yes please' })).toMatch(
      /SEALDOCK_ARCHIVE_S3_FORCE_PATH_STYLE="yes please" .*: not a boolean/,
    );
    expect(fails({ SEALDOCK_ARCHIVE_BACKEND: 'ftp' })).toMatch(
      /SEALDOCK_ARCHIVE_BACKEND="ftp" .*must be one of local, s3/,
    );
    expect(fails({ SEALDOCK_LOG_LEVEL: 'loud' })).toMatch(/SEALDOCK_LOG_LEVEL/);
    expect(fails({ SEALDOCK_API_HOST: '' })).toMatch(/SEALDOCK_API_HOST="" .*may not be null/);
    expect(fails({ SEALDOCK_SEAL_TSA_URL: 'not a url' })).toMatch(/seal\.tsaUrl \(from SEALDOCK_SEAL_TSA_URL\)/);
    expect(fails({ SEALDOCK_SEAL_TRUSTED_CA_FILES: '/a.pem' })).toMatch(/SEALDOCK_SEAL_TRUSTED_CA_FILES.*JSON array/);
    expect(fails({ SEALDOCK_ARCHIVE_RETENTION_DAYS: '30' })).toMatch(
      /archive\.retention\.days \(from SEALDOCK_ARCHIVE_RETENTION_DAYS\): must be at least 183/,
    );
    expect(fails({ SEALDOCK_ARCHIVE_BACKEND: 's3' })).toMatch(/archive\.s3\.bucket: required/);
  });

  it('reports SEALDOCK_* variables that name no key, so a typo is not silently ignored', () => {
    const { unknownEnv } = loadConfig({
      env: {
        SEALDOCK_API_PROT: '1',
        SEALDOCK_CONFIG: '',
        SEALDOCK_API_PORT: '8441',
        SEALDOCK_SEAL_PASSPHRASE: 'x',
        OTHER: 'x',
      },
    });
    expect(unknownEnv).toEqual(['SEALDOCK_API_PROT']);
  });
});
