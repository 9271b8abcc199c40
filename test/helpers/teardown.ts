// Setup file (vitest.config.ts): every test's workspaces and daemons are ended after it, and a
// failed test prints the tail of its daemons' logs (the daemon runs in another process: its log
// is the only account of what it was doing).
import { afterEach, beforeEach } from 'vitest';
import { endTestResources, trackTestResources } from './workspace.js';

beforeEach(() => trackTestResources());
afterEach(async (t) => endTestResources({ printDaemonLogs: t.task.result?.state === 'fail' }));
