#!/usr/bin/env node
// Regenerates docs/screenshots/*.png: runs the console's browser test (test/e2e/console.test.ts)
// against a real daemon with SEALDOCK_SCREENSHOTS set, so the pictures show exactly what the test
// proved. Needs `npm run build`, /usr/bin/chromium, and a CJK font for legible Chinese
// (Debian: apt-get install -y fonts-wqy-zenhei; the console itself ships no fonts).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync('npx', ['vitest', 'run', 'test/e2e/console.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SEALDOCK_SCREENSHOTS: 'docs/screenshots', SEALDOCK_TEST_S3: 'off' },
});
process.exit(r.status ?? 1);
