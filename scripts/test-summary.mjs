#!/usr/bin/env node
// Reads vitest's JSON report and prints the plain closing line CI reads: "N passed, N failed[, N skipped]".
// Exits non-zero when any test failed, a test file failed to load, or vitest itself failed.
import { existsSync, readFileSync } from 'node:fs';

const [file, rcArg] = process.argv.slice(2);
const vitestRc = Number(rcArg ?? 0);
if (!file || !existsSync(file)) {
  console.log('0 passed, 1 failed');
  console.error(`test-summary: no vitest JSON report at ${file}`);
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
let passed = 0;
let failed = 0;
let skipped = 0;
let brokenFiles = 0;
for (const f of r.testResults ?? []) {
  if (f.status === 'failed' && (f.assertionResults ?? []).every((a) => a.status !== 'failed')) brokenFiles++;
  for (const a of f.assertionResults ?? []) {
    if (a.status === 'passed') passed++;
    else if (a.status === 'failed') failed++;
    else skipped++;
  }
}
failed += brokenFiles; // a file that failed to load counts as a failure
if (passed + failed === 0) failed = 1; // running nothing is a failure
if (vitestRc !== 0 && failed === 0) {
  console.error(`test-summary: vitest exited ${vitestRc} with no failed test recorded (setup or unhandled error)`);
  failed = 1;
}
const line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
console.log(line);
process.exit(failed > 0 || vitestRc !== 0 ? 1 : 0);
