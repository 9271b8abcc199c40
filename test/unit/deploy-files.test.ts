// The files an agency deploys with: the systemd unit, the Dockerfile, the production config
// example and the Prometheus alert rules. Each is checked with the real tool where the machine
// has one (systemd-analyze, promtool, the config loader); the Dockerfile cannot be built here (no
// container engine), so its facts are checked statically.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envKeys } from '../../src/config/env.js';
import { loadConfig } from '../../src/config/load.js';
import { repoRoot } from '../helpers/fixtures.js';
import { requireTool } from '../helpers/tools.js';
import { CLI } from '../helpers/workspace.js';
import { makeHarness } from '../api/harness.js';

const read = (rel: string) => fs.readFileSync(path.join(repoRoot, rel), 'utf8');

describe('systemd unit (config/systemd/sealdock.service)', () => {
  const unit = read('config/systemd/sealdock.service');
  const directives = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) directives.set(m[1]!, [...(directives.get(m[1]!) ?? []), m[2]!]);
  }
  const one = (k: string) => directives.get(k)?.at(-1);

  it('passes systemd-analyze verify and scores as well hardened in systemd-analyze security', () => {
    const analyze = requireTool('systemd-analyze', 'systemd');
    // The unit names the paths of an installation (/opt/sealdock); here they are this checkout and this node.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-unit-'));
    const file = path.join(dir, 'sealdock.service');
    fs.writeFileSync(
      file,
      unit.replace(
        'ExecStart=/opt/sealdock/node/bin/node /opt/sealdock/bin/sealdock.js start',
        `ExecStart=${process.execPath} ${CLI} start`,
      ),
    );
    expect(fs.readFileSync(file, 'utf8')).not.toBe(unit);
    const verify = spawnSync(analyze, ['verify', file], { encoding: 'utf8' });
    expect(verify.stderr + verify.stdout).toBe('');
    expect(verify.status).toBe(0);
    const security = spawnSync(analyze, ['security', '--offline=yes', file], { encoding: 'utf8' });
    const level = /Overall exposure level for sealdock\.service: ([\d.]+)/.exec(security.stdout);
    expect(level, security.stdout + security.stderr).not.toBeNull();
    expect(Number(level![1])).toBeLessThanOrEqual(2);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs as a dedicated user with its state directory, restarts, and waits for the audit tail to be sealed', () => {
    expect(one('User')).toBe('sealdock');
    expect(read('config/systemd/sealdock.sysusers')).toMatch(/^u sealdock /m);
    expect(one('StateDirectory')).toBe('sealdock');
    expect(one('Environment')).toBeDefined();
    expect(directives.get('Environment')).toContain('SEALDOCK_DATA_DIR=/var/lib/sealdock/data');
    expect(one('Restart')).toBe('on-failure');
    // Long enough for one S3 request timeout plus the segment upload.
    expect(Number(one('TimeoutStopSec'))).toBeGreaterThanOrEqual(120);
    for (const [k, v] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['CapabilityBoundingSet', ''],
      ['SystemCallFilter', '@system-service'],
      ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6'],
    ] as const)
      expect(directives.get(k), k).toContain(v);
    expect(one('ReadWritePaths')).toBe('/srv/sealdock/docks');
    // Every SEALDOCK_ variable it sets is a real configuration variable.
    const variables = new Set([...envKeys().map((k) => k.variable), 'SEALDOCK_CONFIG']);
    for (const env of directives.get('Environment') ?? []) expect(variables, env).toContain(env.split('=')[0]);
  });
});

describe('Dockerfile (static: no container engine here)', () => {
  const text = read('Dockerfile').replace(/\\\n\s*/g, ' ');
  const stages = text.split(/^FROM /m).slice(1);
  const final = stages.at(-1)!;
  const instr = (name: string) => [...final.matchAll(new RegExp(`^${name} (.*)$`, 'gm'))].map((m) => m[1]!);

  it('builds and runs on Node 24 LTS with Debian ffmpeg, and builds the console too', () => {
    for (const s of stages) expect(s).toMatch(/^node:24-bookworm-slim\b/);
    expect(stages[0]).toMatch(/npm ci/);
    // npm ci compiles better-sqlite3 with node-gyp: a toolchain, and the image's own headers.
    expect(stages[0]).toMatch(/apt-get install[^\n]*\bpython3\b[^\n]*\bmake\b[^\n]*\bg\+\+/);
    expect(stages[0]).toMatch(/^ENV npm_config_nodedir=\/usr\/local$/m);
    expect(stages[0]!.search(/^ENV npm_config_nodedir/m)).toBeLessThan(stages[0]!.search(/^RUN npm ci/m));
    expect(read('package.json')).toMatch(/"build": "[^"]*vite build/);
    expect(stages[0]).toMatch(/^COPY src \.\/src$/m);
    expect(final).toMatch(/apt-get install[^\n]*\bffmpeg\b[^\n]*\btzdata\b/);
    expect(final).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
  });

  it('runs as a user it creates, whose volume folders exist and are chowned before USER and VOLUME', () => {
    const user = instr('USER').at(-1)!;
    expect(user).not.toMatch(/^(root|0)$/);
    const run = instr('RUN').join('\n');
    expect(run).toMatch(new RegExp(`useradd [^\\n]*\\b${user}\\b`));
    const chown = new RegExp(`chown -R ${user}:${user} /srv/sealdock`);
    expect(run).toMatch(chown);
    const order = (re: RegExp) => final.search(re);
    expect(order(chown)).toBeLessThan(order(/^VOLUME /m));
    expect(order(/^VOLUME /m)).toBeLessThan(order(/^USER /m));
    // The embedded defaults resolve against WORKDIR: each of their paths is a folder created above.
    const workdir = instr('WORKDIR').at(-1)!;
    const { config } = loadConfig({ env: {}, cwd: workdir });
    const mkdir = /mkdir -p ([^&]+)/.exec(run)![1]!.trim().split(/\s+/);
    for (const p of [config.dataDir, config.archive.local.path, ...config.docks.map((d) => d.path)])
      expect(mkdir, p).toContain(p);
    expect(instr('VOLUME').at(-1)).toBe('["/srv/sealdock"]');
  });

  it('listens on every interface, sets the time zone for the process and the app, and checks /healthz with node', async () => {
    const env = new Map(
      instr('ENV')
        .join(' ')
        .split(/\s+/)
        .filter(Boolean)
        .map((kv) => kv.split('=') as [string, string]),
    );
    expect(env.get('SEALDOCK_API_HOST')).toBe('0.0.0.0');
    expect(env.get('TZ')).toBe('Asia/Shanghai');
    expect(env.get('SEALDOCK_TIMEZONE')).toBe(env.get('TZ'));
    const variables = new Set(envKeys().map((k) => k.variable));
    for (const k of env.keys()) if (k.startsWith('SEALDOCK_')) expect(variables, k).toContain(k);
    expect(instr('EXPOSE')).toEqual([env.get('SEALDOCK_API_PORT')]);
    const health = instr('HEALTHCHECK').at(-1)!;
    expect(health).toMatch(/CMD \["node", "-e", .*\/healthz/);
    expect(health).not.toMatch(/curl|wget/);
    // The check itself runs: against nothing listening it fails.
    const script = JSON.parse(`[${/CMD (\[.*\])$/.exec(health)![1]!.slice(1, -1)}]`) as string[];
    const r = spawnSync(process.execPath, script.slice(1), {
      env: { ...process.env, SEALDOCK_API_PORT: '1' },
      timeout: 10_000,
    });
    expect(r.status).toBe(1);
    // Against the real API listening on a port, it passes.
    const h = await makeHarness({ pipeline: false });
    try {
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      const port = String((h.app.server.address() as AddressInfo).port);
      const ok = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, script.slice(1), { env: { ...process.env, SEALDOCK_API_PORT: port } });
        child.on('exit', resolve);
      });
      expect(ok).toBe(0);
    } finally {
      await h.close();
    }
  });
});

describe('production example and alert rules', () => {
  it('config/production.example.yaml loads with the real loader: S3, a PKCS#12 seal, a TSA, TLS', () => {
    const { config } = loadConfig({ file: path.join(repoRoot, 'config/production.example.yaml'), env: {} });
    expect(config.archive.backend).toBe('s3');
    expect(config.archive.s3.bucket).toBeTruthy();
    expect(config.seal.pkcs12File).toMatch(/\.p12$/);
    expect(config.seal.tsaUrl).toMatch(/^https?:\/\//);
    expect(config.api.tls.keyFile && config.api.tls.certFile).toBeTruthy();
    expect(config.api.host).toBe('0.0.0.0');
    expect(config.docks.length).toBeGreaterThan(1);
  });

  it('the alert rules pass promtool check rules and promtool test rules, and name only metrics sealdock exports', () => {
    const promtool = requireTool('promtool', 'prometheus');
    const dir = path.join(repoRoot, 'config/prometheus');
    const check = spawnSync(promtool, ['check', 'rules', 'sealdock.rules.yaml'], { cwd: dir, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const test = spawnSync(promtool, ['test', 'rules', 'sealdock.rules.test.yaml'], { cwd: dir, encoding: 'utf8' });
    expect(test.status, test.stdout + test.stderr).toBe(0);
    const metricsSource = read('src/metrics.ts');
    const operations = read('docs/operations.md');
    for (const [, name] of metricsSource.matchAll(/name: '(sealdock_[a-z_]+)'/g))
      expect(operations, `add ${name} to the metrics table in docs/operations.md`).toContain(`\`${name}`);
    for (const [, name] of read('config/prometheus/sealdock.rules.yaml').matchAll(/\b(sealdock_[a-z_]+)/g)) {
      const base = name!.replace(/_(bucket|sum|count)$/, '');
      expect(metricsSource, name).toContain(`'${base}'`);
    }
  });
});
