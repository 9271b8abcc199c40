// A court package must prove itself offline with nothing but openssl and coreutils (or busybox),
// and fail closed: every tamper below must make verify.sh exit non-zero.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../helpers/fixtures.js';
import { startTestTsa, type TestTsa } from '../helpers/tsa.js';
import {
  CLI,
  makeWorkspace,
  readCatalog,
  startDaemonProcess,
  waitFor,
  type DaemonProcess,
  type Workspace,
} from '../helpers/workspace.js';

const run = promisify(execFile);
let ws: Workspace;
let tsa: TestTsa;
let tsaDir: string;
let daemon: DaemonProcess | undefined;
let pristine: string;
let index: {
  caseNumber: string;
  reason: string;
  madeBy: string;
  verifyChecks: number;
  items: { id: string; state: string; files: { path: string; kind: string }[] }[];
};
let coreutilsPath: string;
let busyboxPath: string;

/** A PATH directory holding symlinks to exactly these programs. */
function toolDir(name: string, tools: string[]): string {
  const dir = path.join(ws.dir, name);
  fs.mkdirSync(dir);
  for (const t of tools) fs.symlinkSync(t, path.join(dir, path.basename(t)));
  return dir;
}

function verify(dir: string, PATH = process.env.PATH ?? '') {
  const sh = PATH === coreutilsPath || PATH === busyboxPath ? path.join(PATH, 'sh') : 'sh';
  const r = spawnSync(sh, ['verify.sh'], { cwd: dir, encoding: 'utf8', env: { PATH } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

let copies = 0;
/** A writable copy of the pristine package. */
function copy(): string {
  const dir = path.join(ws.dir, `tamper-${++copies}`);
  fs.cpSync(pristine, dir, { recursive: true });
  execFileSync('chmod', ['-R', 'u+w', dir]);
  return dir;
}

function sha256(file: string): string {
  return execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]!;
}

beforeAll(async () => {
  tsaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-export-tsa-'));
  tsa = await startTestTsa(tsaDir);
  // With a TSA: every seal is CAdES-B-T and every revision and audit segment has a .tsr.
  ws = makeWorkspace({ seal: { tsaUrl: tsa.url, tsaTrustedCaFiles: [tsa.ca.caCert] } });
  const dir = path.join(ws.dock, 'DEV01');
  fs.mkdirSync(dir, { recursive: true });
  const sidecar = JSON.stringify({
    caseNumber: '湘行罚字（2026）第17号',
    collector: '张三',
    purpose: '证明当事人拒绝检查',
  });
  fs.writeFileSync(path.join(dir, '录像 1.MP4.json'), sidecar);
  fs.copyFileSync(fixture('h264-aac.mp4'), path.join(dir, '录像 1.MP4'));
  fs.writeFileSync(path.join(dir, 'broken.MP4.json'), sidecar);
  fs.copyFileSync(fixture('truncated.mp4'), path.join(dir, 'broken.MP4'));
  daemon = startDaemonProcess(ws);
  await waitFor(
    'both settled',
    () => {
      const rows = readCatalog(ws);
      return rows.length === 2 && rows.every((r) => r.state === 'archived' || r.state === 'unplayable');
    },
    150_000,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${JSON.stringify(readCatalog(ws))}\n${daemon?.log().slice(-3000)}`);
  });
  await daemon.stop(); // seals the audit tail on the way out
  daemon = undefined;

  pristine = path.join(ws.dir, 'court package');
  // Asynchronously: the test TSA answers from this process's event loop (ws.cli would block it).
  const r = await run(process.execPath, [
    CLI,
    '--config',
    ws.configFile,
    'export',
    '--case',
    '湘行罚字（2026）第17号',
    '--out',
    pristine,
    '--reason',
    '法院调取',
    '--json',
  ]).catch((err: { stdout?: string; stderr?: string }) => {
    throw new Error(`export failed: ${err.stdout ?? ''}${err.stderr ?? ''}`);
  });
  expect(JSON.parse(r.stdout)).toMatchObject({ items: 2, selfCheck: 'ok', problems: [], development: true });
  index = JSON.parse(fs.readFileSync(path.join(pristine, 'export.json'), 'utf8'));

  const coreutils = execFileSync('dpkg', ['-L', 'coreutils'], { encoding: 'utf8' })
    .split('\n')
    .filter((p) => /\/bin\/[^/]+$/.test(p) && fs.existsSync(p));
  const which = (t: string) => execFileSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).trim();
  coreutilsPath = toolDir('coreutils-only', [...coreutils, which('openssl'), which('dash')]);
  fs.renameSync(path.join(coreutilsPath, 'dash'), path.join(coreutilsPath, 'sh'));
  busyboxPath = path.join(ws.dir, 'busybox-only');
  fs.mkdirSync(busyboxPath);
  execFileSync('busybox', ['--install', '-s', busyboxPath]);
  fs.symlinkSync(which('openssl'), path.join(busyboxPath, 'openssl'));
}, 240_000);

afterAll(async () => {
  if (daemon) await daemon.stop().catch(() => undefined);
  await tsa?.close();
  ws?.cleanup();
  if (tsaDir) fs.rmSync(tsaDir, { recursive: true, force: true });
});

describe('sealdock export: the court package', () => {
  it('requires a reason, audited like a download', () => {
    const r = ws.cli(['export', '--case', '湘行罚字（2026）第17号', '--out', path.join(ws.dir, 'no-reason')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--reason/);
    const exported = JSON.parse(ws.cli(['audit', 'list', '--json', '--action', 'exported']).stdout);
    expect(exported).toHaveLength(2);
    expect(exported[0].details.reason).toBe('法院调取');
  });

  it('is sealed, says how/when/by whom/why, and carries the custody record and both readers notes', () => {
    expect(index).toMatchObject({
      caseNumber: '湘行罚字（2026）第17号',
      reason: '法院调取',
      madeBy: expect.stringMatching(/^cli:/),
    });
    expect(index.items).toHaveLength(2);
    for (const f of ['README.txt', '说明.txt', 'audit/records.jsonl', 'verify.sh', 'SHA256SUMS']) {
      expect(fs.existsSync(path.join(pristine, f)), f).toBe(true);
    }
    const records = fs
      .readFileSync(path.join(pristine, 'audit', 'records.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(records.length).toBeGreaterThan(4);
    expect(fs.readdirSync(path.join(pristine, 'audit', 'segments')).some((n) => n.endsWith('.jsonl.p7s'))).toBe(true);
    expect(fs.readFileSync(path.join(pristine, '说明.txt'), 'utf8')).toContain('如何校验');
    // Every revision has its time-stamp token, and the TSA's CA travels with the package.
    const tsrs = index.items.flatMap((i) => i.files.filter((f) => f.kind === 'timestamp'));
    expect(tsrs.length).toBeGreaterThanOrEqual(3);
    expect(fs.readdirSync(path.join(pristine, 'ca', 'tsa'))).toHaveLength(1);
  });

  it('passes with only coreutils + openssl on PATH, printing every check, the CA fingerprint and the development warning', () => {
    const r = verify(pristine, coreutilsPath);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('PACKAGE VERIFIED');
    expect(r.out).toMatch(/sha256 Fingerprint=([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    expect(r.out).toContain('DEVELOPMENT seal');
    expect(r.out).toMatch(new RegExp(`checks run: ${index.verifyChecks}, passed: ${index.verifyChecks}, failed: 0`));
    expect(r.out).toMatch(/OK +timestamp evidence\/.*\.tsr/);
    expect(r.out).toMatch(/OK +sha256 evidence\/.*\/original\/录像/); // the package folder name has a space
    expect(r.out).toMatch(/OK +audit rows of audit\/segments\//);
  });

  it('passes with only busybox + openssl on PATH', () => {
    const r = verify(pristine, busyboxPath);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('PACKAGE VERIFIED');
  });

  it('refuses to run, and says what is missing, without its tools', () => {
    const dir = toolDir('no-sort', [
      path.join(coreutilsPath, 'sh'),
      fs.realpathSync(path.join(coreutilsPath, 'openssl')),
    ]);
    const r = verify(pristine, dir);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/CANNOT VERIFY: missing tools:.*sha256sum/);
  });

  const original = (item = 0) =>
    index.items.filter((i) => i.state === 'archived')[item]!.files.find((f) => f.kind === 'original')!.path;
  const ofKind = (kind: string) =>
    index.items.flatMap((i) => i.files.filter((f) => f.kind === kind).map((f) => f.path));
  const rewriteSums = (dir: string, rel: string) => {
    const sums = fs.readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8');
    const fixed = sums
      .split('\n')
      .map((l) => (l.endsWith(`  ${rel}`) ? `${sha256(path.join(dir, rel))}  ${rel}` : l))
      .join('\n');
    fs.writeFileSync(path.join(dir, 'SHA256SUMS'), fixed);
  };

  const TAMPERS: [string, (dir: string) => void][] = [
    [
      'flip a byte in an original',
      (d) => {
        const f = path.join(d, original());
        const b = fs.readFileSync(f);
        b[1000] = b[1000]! ^ 1;
        fs.writeFileSync(f, b);
      },
    ],
    ['delete a file', (d) => fs.rmSync(path.join(d, ofKind('derivative')[0]!))],
    ['add a file', (d) => fs.writeFileSync(path.join(d, 'evidence', 'extra.txt'), 'planted')],
    [
      'swap two files',
      (d) => {
        const [a, b] = ofKind('manifest')
          .slice(0, 2)
          .map((p) => path.join(d, p));
        const tmp = `${a}.tmp`;
        fs.renameSync(a!, tmp);
        fs.renameSync(b!, a!);
        fs.renameSync(tmp, b!);
      },
    ],
    [
      'replace an original and fix SHA256SUMS',
      (d) => {
        fs.writeFileSync(path.join(d, original()), 'forged footage');
        rewriteSums(d, original());
      },
    ],
    [
      'drop a whole item',
      (d) => {
        const id = index.items[0]!.id;
        fs.rmSync(path.join(d, 'evidence', id), { recursive: true });
        const sums = fs.readFileSync(path.join(d, 'SHA256SUMS'), 'utf8');
        fs.writeFileSync(
          path.join(d, 'SHA256SUMS'),
          sums
            .split('\n')
            .filter((l) => !l.includes(`evidence/${id}/`))
            .join('\n'),
        );
      },
    ],
    ['drop a .tsr', (d) => fs.rmSync(path.join(d, ofKind('timestamp')[0]!))],
    [
      'swap two .tsr',
      (d) => {
        const [a, b] = ofKind('timestamp')
          .slice(0, 2)
          .map((p) => path.join(d, p));
        const bytesA = fs.readFileSync(a!);
        fs.writeFileSync(a!, fs.readFileSync(b!));
        fs.writeFileSync(b!, bytesA);
        rewriteSums(d, path.relative(d, a!));
        rewriteSums(d, path.relative(d, b!));
      },
    ],
    [
      'edit export.json',
      (d) => {
        const f = path.join(d, 'export.json');
        fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('法院调取', '法院调阅'));
      },
    ],
    [
      'edit a manifest (and fix SHA256SUMS)',
      (d) => {
        const rel = ofKind('manifest').at(-1)!;
        const f = path.join(d, rel);
        fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('证明当事人拒绝检查', '证明当事人配合检查'));
        rewriteSums(d, rel);
      },
    ],
    [
      'replace the CA (and fix SHA256SUMS)',
      (d) => {
        const ca = path.join(d, 'ca', 'seal', '01.pem');
        execFileSync('openssl', [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          path.join(os.tmpdir(), `k-${process.pid}.pem`),
          '-out',
          ca,
          '-days',
          '1',
          '-subj',
          '/CN=forged CA',
        ]);
        rewriteSums(d, 'ca/seal/01.pem');
      },
    ],
    [
      'remove an audit segment',
      (d) => {
        const seg = fs.readdirSync(path.join(d, 'audit', 'segments')).find((n) => n.endsWith('.jsonl'))!;
        fs.rmSync(path.join(d, 'audit', 'segments', seg));
      },
    ],
    [
      'remove an audit record (and fix SHA256SUMS)',
      (d) => {
        const f = path.join(d, 'audit', 'records.jsonl');
        const lines = fs.readFileSync(f, 'utf8').split('\n');
        fs.writeFileSync(f, lines.slice(1).join('\n'));
        rewriteSums(d, 'audit/records.jsonl');
      },
    ],
    [
      'add an unsealed audit record (and fix SHA256SUMS)',
      (d) => {
        const f = path.join(d, 'audit', 'records.jsonl');
        const first = fs.readFileSync(f, 'utf8').split('\n')[0]!;
        fs.appendFileSync(f, `${first.replace('"seq":', '"seq":9').replace(/"actor":"[^"]*"/, '"actor":"nobody"')}\n`);
        rewriteSums(d, 'audit/records.jsonl');
      },
    ],
  ];

  for (const [name, tamper] of TAMPERS) {
    it(`fails when someone does this: ${name}`, () => {
      const dir = copy();
      tamper(dir);
      const r = verify(dir, coreutilsPath);
      expect(r.status, r.out).not.toBe(0);
      expect(r.out).toContain('PACKAGE VERIFICATION FAILED');
      expect(r.out).toMatch(/^FAIL /m);
    });
  }
});
