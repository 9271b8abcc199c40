// Tokens end to end: `sealdock tokens create/list/revoke` against a real daemon process whose API
// listens on 127.0.0.1; a revoked token is refused on its very next request.
import { expect, it } from 'vitest';
import { freePort, makeWorkspace, startDaemonProcess } from '../helpers/workspace.js';

it('create prints the secret once, list never shows it, revoke takes effect at once', async () => {
  const port = await freePort();
  const ws = makeWorkspace({ api: { enabled: true, host: '127.0.0.1', port } });
  const created = ws.cli(['tokens', 'create', '--role', 'auditor', '--label', '张三 审计', '--expires', '30d']);
  expect(created.status, created.stderr).toBe(0);
  const token = created.stdout.trim();
  expect(token).toMatch(/^sdk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  const id = token.split('_')[1]!;
  const secret = token.slice(`sdk_${id}_`.length);

  const list = ws.cli(['tokens', 'list', '--json']);
  expect(list.status).toBe(0);
  expect(list.stdout).not.toContain(secret);
  const rows = JSON.parse(list.stdout) as {
    id: string;
    role: string;
    label: string;
    expiresAt: string;
    revokedAt: string | null;
  }[];
  expect(rows).toEqual([expect.objectContaining({ id, role: 'auditor', label: '张三 审计', revokedAt: null })]);
  expect(Date.parse(rows[0]!.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
  expect(ws.cli(['tokens', 'list']).stdout).toContain('active');
  expect(ws.cli(['tokens', 'create', '--role', 'king']).status).toBe(2);
  expect(ws.cli(['tokens', 'create', '--role', 'auditor', '--dock', 'dock1']).status).toBe(2);

  const daemon = startDaemonProcess(ws);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`${url}/healthz`).catch(() => null))?.ok) {
    if (Date.now() > deadline) throw new Error(`daemon did not come up:\n${daemon.log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const headers = { authorization: `Bearer ${token}` };
  expect((await fetch(`${url}/api/v1/evidence`, { headers })).status).toBe(200);
  expect(ws.cli(['tokens', 'revoke', id]).status).toBe(0);
  const refused = await fetch(`${url}/api/v1/evidence`, { headers });
  expect(refused.status).toBe(401);
  expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
  expect(ws.cli(['tokens', 'list']).stdout).toContain('revoked');

  const audit = JSON.parse(ws.cli(['audit', 'list', '--json']).stdout) as {
    action: string;
    details: Record<string, unknown>;
  }[];
  expect(audit.map((a) => a.action)).toEqual(
    expect.arrayContaining(['token-created', 'token-revoked', 'access', 'access-denied']),
  );
  expect(JSON.stringify(audit)).not.toContain(secret);

  // At shutdown the daemon seals and archives the rows of this run as an audit segment.
  expect(await daemon.stop()).toBe(0);
  const verified = ws.cli(['audit', 'verify', '--json']);
  expect(verified.status, verified.stdout).toBe(0);
  expect(JSON.parse(verified.stdout).segments).toEqual({ ok: true, segments: 1, problems: [] });
});
