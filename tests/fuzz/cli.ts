/**
 * `pnpm fuzz [target|group ...] [--cases N] [--seed S] [--minutes M]`: runs the fuzz targets and prints
 * `cases, failures, slowest` per target, with reproductions of new failures and counts of known defects.
 */
import { type RunOptions, runTarget, type TargetReport } from './harness.js';
import { TARGETS } from './targets.js';

function usage(): string {
  const names = TARGETS.map((t) => t.name).join('|');
  const groups = [...new Set(TARGETS.map((t) => t.group))].join('|');
  return `usage: pnpm fuzz [${names}|${groups} ...] [--cases N] [--seed S] [--minutes M] [--json]`;
}

/** Runs the command; returns the exit status (1 when a target found a new failure). */
export async function main(
  argv: string[],
  print: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
): Promise<number> {
  const opts: RunOptions = { cases: 10_000, seed: 1 };
  let json = false;
  const picks: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a number\n${usage()}`);
      return v;
    };
    if (a === '--cases') opts.cases = num();
    else if (a === '--seed') opts.seed = num();
    else if (a === '--minutes') opts.timeBudgetMs = num() * 60_000;
    else if (a === '--json') json = true;
    else if (a === '--help' || a === '-h') {
      print(usage());
      return 0;
    } else picks.push(a);
  }
  const chosen =
    picks.length === 0 ? TARGETS : TARGETS.filter((t) => picks.includes(t.name) || picks.includes(t.group));
  if (chosen.length === 0) {
    print(usage());
    return 2;
  }
  const reports: TargetReport[] = [];
  print(
    `fuzz: seed ${opts.seed}, up to ${opts.cases} cases per target${opts.timeBudgetMs ? `, ${opts.timeBudgetMs / 60_000} min each` : ''}`,
  );
  print(
    `${'target'.padEnd(18)} ${'cases'.padStart(9)} ${'failures'.padStart(9)} ${'known'.padStart(7)} ${'slowest'.padStart(10)}  time   (slowest: CPU ms of the slowest case)`,
  );
  for (const t of chosen) {
    const r = await runTarget(t, opts);
    reports.push(r);
    if (r.disabled) {
      print(`${t.name.padEnd(18)} disabled: ${r.disabled}`);
      continue;
    }
    const known = Object.values(r.known).reduce((a, b) => a + b, 0);
    print(
      `${t.name.padEnd(18)} ${String(r.cases).padStart(9)} ${String(r.failures).padStart(9)} ${String(known).padStart(7)} ${`${r.slowestMs.toFixed(1)} ms`.padStart(10)}  ${(r.elapsedMs / 1000).toFixed(1)} s`,
    );
  }
  for (const r of reports) {
    for (const ex of r.examples)
      print(`\nFAIL ${r.name} case ${ex.case}: ${ex.error}\n  input: ${ex.input.slice(0, 3000)}`);
    for (const [label, n] of Object.entries(r.known)) {
      const ex = r.knownExamples[label];
      print(`\nKNOWN ${r.name} ×${n}: ${label}\n  e.g. ${ex?.error}\n  input: ${ex?.input.slice(0, 1500)}`);
    }
    if (r.slowestInput && r.slowestMs > 10)
      print(`\nslowest ${r.name} (${r.slowestMs.toFixed(1)} ms): ${r.slowestInput.slice(0, 300)}`);
  }
  if (json) print(JSON.stringify(reports, null, 1));
  return reports.some((r) => r.failures > 0) ? 1 : 0;
}
