// The web console end to end: a real daemon (built CLI, real ffmpeg, real SQLite, local archive)
// with real footage, driven in Debian's headless Chromium through playwright-core. An admin
// annotates an item so it derives; an auditor finds the case, plays the item (Range requests,
// currentTime advancing), verifies it and downloads the original with a reason; the admin sees
// those accesses with their reasons in the audit log. A ticket replayed for another item or after
// its token is revoked is refused, and the signed-in page goes back to sign-in with a message. A
// sidecar purpose holding HTML renders as text. With SEALDOCK_SCREENSHOTS=<dir> the main views are
// saved as PNGs there (scripts/screenshots.mjs).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../src/api/routes/console.js';
import { uniqueClip } from '../api/harness.js';
import { repoRoot } from '../helpers/fixtures.js';
import {
  makeWorkspace,
  startDaemonProcess,
  waitFor,
  type DaemonProcess,
  type Workspace,
} from '../helpers/workspace.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SHOTS = process.env.SEALDOCK_SCREENSHOTS ? path.resolve(repoRoot, process.env.SEALDOCK_SCREENSHOTS) : null;

/** What the test touches of a <video> element (the test code is typed without the DOM library). */
interface VideoLike {
  currentTime: number;
  muted: boolean;
  play(): Promise<void>;
  pause(): void;
}

const CASE = '湘公（交）决字〔2026〕第00123号';
const XSS = '<img src=x onerror=alert(1)>证明当事人拒绝检查';

let ws: Workspace;
let daemon: DaemonProcess;
let browser: Browser;
let base: string;
let adminToken: string;
let auditorToken: string;
const ids = { complete: '', annotated: '' };
const dialogs: string[] = [];
const cspViolations: string[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function token(role: 'admin' | 'auditor', label: string): string {
  const r = ws.cli(['tokens', 'create', '--role', role, '--label', label, '--json']);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { token: string }).token;
}

async function apiJson<T>(url: string, tok = adminToken): Promise<T> {
  const res = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${tok}` } });
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
}

async function newPage(context?: BrowserContext): Promise<Page> {
  const ctx = context ?? (await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true }));
  const page = await ctx.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  return page;
}

async function signIn(page: Page, tok: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('访问令牌', { exact: true }).fill(tok);
  await page.getByLabel('访问令牌', { exact: true }).press('Enter');
  await page.getByTestId('who').waitFor();
}

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Answers the reason dialog (it must be open: nothing is fetched before). */
async function giveReason(page: Page, reason: string): Promise<void> {
  const box = page.locator('#reason-input');
  await box.waitFor();
  await box.fill(reason);
  await box.press('Enter');
}

beforeAll(async () => {
  // Fail, never skip: the console must be proven in a browser.
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  if (!fs.existsSync(path.join(repoRoot, 'dist/console/index.html')))
    throw new Error('dist/console is missing: run npm run build (it builds the console with Vite)');
  const port = await freePort();
  ws = makeWorkspace({
    api: { enabled: true, host: '127.0.0.1', port, rateLimit: { max: 100_000, timeWindowMs: 60_000 } },
  });
  base = `http://127.0.0.1:${port}`;
  // One complete item, and one whose sidecar lacks the collector (it awaits annotation) and
  // carries HTML in its purpose.
  const dev = path.join(ws.dock, 'DEV01');
  fs.mkdirSync(dev, { recursive: true });
  const sidecar = {
    caseNumber: CASE,
    recordedAt: '2026-11-20T08:15:00+08:00',
    place: { text: '东街12号', lat: 32.35, lon: 106.83 },
    collector: { name: '张三', id: '031245' },
    purpose: '证明当事人拒绝检查',
  };
  fs.writeFileSync(path.join(dev, 'complete.mp4.json'), JSON.stringify(sidecar));
  fs.writeFileSync(path.join(dev, 'complete.mp4'), uniqueClip('console-complete'));
  // no collector (so it awaits annotation), no place (the dock's default: unconfirmed)
  const { collector: _c, place: _p, ...partial } = sidecar;
  fs.writeFileSync(
    path.join(dev, 'awaiting.mp4.json'),
    JSON.stringify({ ...partial, recordedAt: '2026-11-20T08:40:00+08:00', purpose: XSS }),
  );
  fs.writeFileSync(path.join(dev, 'awaiting.mp4'), uniqueClip('console-awaiting'));

  daemon = startDaemonProcess(ws);
  await waitFor('the API', async () => (await fetch(`${base}/healthz`)).ok, 60_000);
  adminToken = token('admin', '王管理');
  auditorToken = token('auditor', '李审计');
  let seen = '';
  const items = await waitFor('both items settled', async () => {
    const page = await apiJson<{ items: { id: string; originalName: string; state: string }[] }>(
      '/api/v1/evidence?limit=10',
    );
    const byName = new Map(page.items.map((i) => [i.originalName, i]));
    seen = JSON.stringify(page.items);
    const done =
      byName.get('complete.mp4')?.state === 'archived' && byName.get('awaiting.mp4')?.state === 'awaiting-annotation';
    return done ? byName : null;
  }).catch((err: unknown) => {
    throw new Error(`${String(err)}; items: ${seen}; daemon log: ${daemon.log().slice(-3000)}`);
  });
  ids.complete = items.get('complete.mp4')!.id;
  ids.annotated = items.get('awaiting.mp4')!.id;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
  ws?.cleanup();
});

describe('web console in headless Chromium', () => {
  it('serves the console at / with a strict CSP, SPA fallback and cache headers; nothing without a token', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('referrer-policy')).toBe('no-referrer');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    // no inline script or style: the CSP needs no 'unsafe-inline'
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(`${base}${asset}`);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    const deep = await fetch(`${base}/case/${encodeURIComponent(CASE)}`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    expect((await fetch(`${base}/api/v1/nope`)).status).toBe(404);
    expect((await fetch(`${base}/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${base}/api/v1/evidence`)).status).toBe(401);

    const page = await newPage();
    await page.goto(`${base}/item/${ids.complete}`);
    await expect.poll(() => page.getByLabel('访问令牌', { exact: true }).isVisible()).toBe(true);
    expect(await page.locator('body').innerText()).not.toContain('complete.mp4');
    // keyboard: the token field has focus, Tab reaches the button, and focus is visible
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('token');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.textContent.trim()')).toBe('登录');
    expect(await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.type('sdk_0000000000000000_not-a-real-token-at-all-0000000000000000000');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#token-error').innerText()).toContain('令牌无效');
    await page.getByLabel('访问令牌', { exact: true }).fill('');
    await shot(page, 'sign-in');
    await page.context().close();
  });

  it('an admin annotates an awaiting item; the server’s validation message is shown in words', async () => {
    const page = await newPage();
    await signIn(page, adminToken);
    await page.getByRole('link', { name: '待补录' }).click();
    await page.locator(`[data-item="${ids.annotated}"]`).click();
    // the place came from the dock's default: shown, and marked unconfirmed
    const place = page.locator('tr[data-element="place"]');
    await expect.poll(() => place.innerText()).toContain('东街派出所');
    expect(await place.innerText()).toContain('未确认');
    expect(await place.getAttribute('class')).toContain('unconfirmed');
    await page.getByLabel('采集地点', { exact: true }).fill('东街12号');
    await page.getByLabel('采集时间', { exact: true }).fill('2026-11-20 08:40');
    await page.getByLabel('采集人', { exact: true }).fill('李四');
    await page.getByLabel('警号/编号', { exact: true }).fill('0123');
    await page.getByRole('button', { name: '保存并签章' }).click();
    await expect.poll(() => page.getByTestId('annotate-error').innerText()).toMatch(/recordedAt|采集时间|offset/);
    await page.getByLabel('采集时间', { exact: true }).fill('2026-11-20T08:40:00+08:00');
    await page.getByLabel('修改原因', { exact: true }).press('Enter');
    await expect.poll(() => page.getByTestId('annotate-saved').isVisible()).toBe(true);
    await page.context().close();
    await waitFor(
      'the annotated item to derive and archive',
      async () => (await apiJson<{ state: string }>(`/api/v1/evidence/${ids.annotated}`)).state === 'archived',
      90_000,
    );
    // only what was changed became an annotation; the rest keeps its source
    const sources = (await apiJson<{ elementSources: Record<string, string> }>(`/api/v1/evidence/${ids.annotated}`))
      .elementSources;
    expect(sources).toMatchObject({
      collector: 'annotation',
      place: 'annotation',
      recordedAt: 'sidecar', // set back to the sidecar's own value: unchanged, not sent
      caseNumber: 'sidecar',
      purpose: 'sidecar',
    });
  });

  it('an auditor searches the case, sees HTML as text, plays, verifies and downloads with a reason', async () => {
    const page = await newPage();
    const ranges: { url: string; range: string | undefined; status: number }[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/derivative?ticket='))
        ranges.push({ url: r.url(), range: r.request().headers().range, status: r.status() });
    });
    await signIn(page, auditorToken);
    await page.getByLabel('案件编号', { exact: true }).fill(CASE);
    await page.getByRole('button', { name: '检索' }).click();
    await page.getByRole('link', { name: CASE }).first().click();
    await page.getByTestId('case-number').waitFor();
    expect(await page.getByTestId('case-number').innerText()).toBe(CASE);
    await page.locator(`[data-item="${ids.annotated}"]`).waitFor();
    // The sidecar's HTML is text on the page and no element was made of it.
    await expect.poll(() => page.getByText(XSS).first().isVisible()).toBe(true);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await shot(page, 'case');

    await page.getByRole('link', { name: 'awaiting.mp4', exact: true }).click();
    await page.getByTestId('play').click();
    // the reason cannot be skipped: Esc closes the prompt and nothing plays
    await page.locator('#reason-input').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('#reason-input').isVisible()).toBe(false);
    expect(await page.getByTestId('player').count()).toBe(0);
    await page.getByTestId('play').click();
    await giveReason(page, '复核执法过程：回放');
    const video = page.getByTestId('player');
    await video.waitFor();
    await video.evaluate((v: VideoLike) => {
      v.muted = true;
      return v.play();
    });
    await expect.poll(() => video.evaluate((v: VideoLike) => v.currentTime), { timeout: 20_000 }).toBeGreaterThan(0.5);
    expect(ranges.some((r) => r.status === 206 && r.range?.startsWith('bytes='))).toBe(true);
    await video.evaluate((v: VideoLike) => v.pause());

    await page.getByTestId('verify').click();
    await expect.poll(() => page.getByTestId('verification').getAttribute('data-ok'), { timeout: 30_000 }).toBe('true');
    await shot(page, 'item');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      (async () => {
        await page.getByTestId('download-original').click();
        await giveReason(page, '制作庭审证据副本');
      })(),
    ]);
    expect(download.suggestedFilename()).toBe('awaiting.mp4');
    const saved = await download.path();
    expect(fs.statSync(saved).size).toBe((await apiJson<{ size: number }>(`/api/v1/evidence/${ids.annotated}`)).size);
    await expect.poll(() => page.getByTestId('access').innerText()).toContain('制作庭审证据副本');

    // A ticket is for its item only.
    const ticketUrl = ranges[0]!.url;
    const other = ticketUrl.replace(ids.annotated, ids.complete);
    expect((await fetch(ticketUrl, { headers: { range: 'bytes=0-99' } })).status).toBe(206);
    expect((await fetch(other, { headers: { range: 'bytes=0-99' } })).status).toBe(401);

    // Revoked: the ticket dies with its token, and the page returns to sign-in with a message.
    const tokenId = auditorToken.split('_')[1]!;
    expect(ws.cli(['tokens', 'revoke', tokenId]).status).toBe(0);
    expect((await fetch(ticketUrl, { headers: { range: 'bytes=0-99' } })).status).toBe(401);
    await page.getByTestId('verify').click();
    await page.getByTestId('session-notice').waitFor();
    expect(await page.getByTestId('session-notice').innerText()).toMatch(/失效|吊销/);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain('sdk_');
    expect(page.url()).not.toContain('sdk_');
    await page.context().close();
  });

  it('the admin sees each access with its reason in the audit log, and the status page', async () => {
    const page = await newPage();
    await signIn(page, adminToken);
    await page.getByRole('link', { name: '审计日志' }).click();
    await page.getByLabel('证据编号', { exact: true }).fill(ids.annotated);
    await page.getByLabel('操作', { exact: true }).selectOption('access');
    await page.getByRole('button', { name: '筛选' }).click();
    const audit = page.getByTestId('audit');
    await expect.poll(() => audit.innerText()).toContain('reason=复核执法过程：回放');
    const text = await audit.innerText();
    expect(text).toContain('what=playback-ticket');
    expect(text).toMatch(/what=derivative · method=GET · reason=复核执法过程：回放 · status=206/);
    expect(text).toContain('what=original · method=GET · reason=制作庭审证据副本 · status=200');
    expect(text).toContain('what=verify');

    await page.getByRole('link', { name: '运行状态' }).click();
    await expect.poll(() => page.getByTestId('tile-archive').innerText()).toContain('可访问');
    expect(await page.getByTestId('tile-daemon').innerText()).toContain('运行中');
    expect(await page.getByTestId('tile-seal').innerText()).toContain('开发用签章');
    expect(await page.getByTestId('docks').innerText()).toContain('dock1');
    await shot(page, 'admin-status');
    await page.getByRole('link', { name: '统计图表' }).click();
    await page.locator('figure svg').first().waitFor();
    await shot(page, 'admin-charts');

    // English is complete enough to switch the whole page.
    await page.getByRole('button', { name: '语言' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'Status' }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Language' }).click();

    // tablet width: the layout still works (no horizontal page scroll)
    await page.setViewportSize({ width: 768, height: 1024 });
    await page.getByRole('link', { name: '运行状态' }).click();
    await page.getByTestId('tile-archive').waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, 'admin-status-tablet');
    await page.context().close();

    expect(dialogs).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
