// Where a burst's time goes, per item and per stage, from the daemon's own records: the debug
// log's `intake ran` / `stage ran` spans (when each step started and how long it ran) and the
// catalog's audit rows (when each state change was committed). For each item:
//   landed → intake start        waiting to be taken (quiet period, poll tick, intake slots)
//   intake start → intake end    copy + hash + flush into the spool, catalogue
//   end of one step → start of the next   waiting for a slot or a wake-up
//   each stage's own run time
// Printed as the mean per item over the burst and the busy span of each step.
import fs from 'node:fs';
import Database from 'better-sqlite3';

const STEPS = ['intake', 'preserve', 'classify', 'derive', 'archive'];

/** Reads the spans of every item; `landedAt` is the wall-clock ms at which the files appeared. */
export function burstTimeline(logFile, catalogFile, landedAt) {
  const items = new Map();
  const item = (id) => {
    if (!items.has(id)) items.set(id, {});
    return items.get(id);
  };
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const r = JSON.parse(line);
    if (r.msg === 'intake ran' && r.result === 'new')
      item(r.evidenceId).intake = { start: r.startedAt, ms: r.ms, seen: r.seenAt };
    else if (r.msg === 'stage ran') item(r.evidenceId)[r.stage] = { start: r.startedAt, ms: r.ms };
  }
  const db = new Database(catalogFile, { readonly: true });
  const rows = db
    .prepare(`SELECT evidence_id AS id, action, at FROM audit_log WHERE evidence_id IS NOT NULL ORDER BY seq`)
    .all();
  db.close();
  for (const r of rows) {
    const it = items.get(r.id);
    if (it && r.action === 'dock-file-released') it.released = Date.parse(r.at);
  }
  return { items: [...items.values()].filter((it) => STEPS.every((s) => it[s])), landedAt };
}

export function printTimeline({ items, landedAt }) {
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const f = (ms) => `${(ms / 1000).toFixed(2).padStart(6)} s`;
  console.log(`timeline of ${items.length} items (mean per item; span = first start → last end of that step):`);
  let prevEnd = () => landedAt;
  for (const step of STEPS) {
    const waits = items.map((it) => it[step].start - (typeof prevEnd === 'function' ? prevEnd(it) : 0));
    const runs = items.map((it) => it[step].ms);
    const first = Math.min(...items.map((it) => it[step].start)) - landedAt;
    const last = Math.max(...items.map((it) => it[step].start + it[step].ms)) - landedAt;
    console.log(
      `  ${step.padEnd(9)} waited ${f(mean(waits))}  ran ${f(mean(runs))}  (sum ${f(runs.reduce((a, b) => a + b, 0))})  span ${f(first)} → ${f(last)}`,
    );
    prevEnd = (it) => it[step].start + it[step].ms;
  }
  const seen = items.map((it) => it.intake.seen - landedAt);
  console.log(
    `  (intake: first seen ${f(mean(seen))} after landing, latest ${f(Math.max(...seen))}; ` +
      `taken ${f(mean(items.map((it) => it.intake.start - it.intake.seen)))} after first seen)`,
  );
  const released = items.filter((it) => it.released).map((it) => it.released - (it.preserve.start + it.preserve.ms));
  if (released.length) console.log(`  release   ${f(mean(released))} after preserved (mean)`);
}
