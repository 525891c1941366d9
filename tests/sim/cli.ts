/**
 * `pnpm sim --calls N --loss P --seed S [--dup P] [--reorder P] [--jitter MS] [--delay MS] [--duration S]
 * [--interval MS] [--seeds K] [--trace FILE] [--quiet]`: runs the network simulation (sim.ts), prints progress to stderr and one
 * JSON line on stdout. Exit status: 0 when every call completed, 1 otherwise, 2 on a usage error.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { runSimulation, SIM_DEFAULTS, type SimFailureKind, type SimOptions, type SimResult } from './sim.js';

const USAGE = `usage: pnpm sim --calls N --loss P --seed S [--dup P] [--reorder P] [--jitter MS] [--delay MS]
                [--duration S] [--interval MS] [--seeds K] [--trace FILE] [--quiet]
  --calls N      calls to place (1..100000, required)
  --loss P       probability a datagram is lost, 0 <= P < 1 (required)
  --seed S       integer seed 0..4294967295 (required)
  --dup P        probability a datagram is duplicated (default 0)
  --reorder P    probability a datagram is held back 40 ms (default 0)
  --jitter MS    uniform extra one-way delay 0..MS (default ${SIM_DEFAULTS.jitterMs})
  --delay MS     base one-way delay (default ${SIM_DEFAULTS.delayMs})
  --duration S   seconds of audio each way (default ${SIM_DEFAULTS.durationS})
  --interval MS  virtual ms between call starts (default ${SIM_DEFAULTS.intervalMs})
  --seeds K      a sweep: K runs, seeds S .. S+K-1, one summary line (digest: SHA-256 of the runs' digests,
                 one per line, in seed order; failures name their seed)
  --trace FILE   write the event trace (the lines the digest hashes) to FILE
  --quiet        no progress on stderr`;

/** A usage error (exit status 2). */
class UsageError extends Error {}

/** Parses the arguments strictly: unknown flags, missing or out-of-range values are usage errors. */
export function parseSimArgs(argv: readonly string[]): SimArgs {
  const seen = new Set<string>();
  const out: Partial<SimOptions> & { trace?: string; quiet: boolean; seeds: number } = { quiet: false, seeds: 1 };
  const num = (flag: string, v: string | undefined, lo: number, hi: number, integer = false, hiOpen = false) => {
    if (v === undefined || v.trim() === '' || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    const n = Number(v);
    const inRange = n >= lo && (hiOpen ? n < hi : n <= hi);
    if (!Number.isFinite(n) || !inRange || (integer && !Number.isInteger(n))) {
      throw new UsageError(
        `${flag} ${v}: must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}${hiOpen ? ')' : ']'}`,
      );
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') throw new UsageError('');
    if (seen.has(a)) throw new UsageError(`${a} given twice`);
    seen.add(a);
    const v = () => argv[++i];
    switch (a) {
      case '--calls':
        out.calls = num(a, v(), 1, 100_000, true);
        break;
      case '--loss':
        out.loss = num(a, v(), 0, 1, false, true);
        break;
      case '--seed':
        out.seed = num(a, v(), 0, 0xffffffff, true);
        break;
      case '--dup':
        out.dup = num(a, v(), 0, 1, false, true);
        break;
      case '--reorder':
        out.reorder = num(a, v(), 0, 1);
        break;
      case '--jitter':
        out.jitterMs = num(a, v(), 0, 10_000);
        break;
      case '--delay':
        out.delayMs = num(a, v(), 0, 10_000);
        break;
      case '--duration':
        out.durationS = num(a, v(), 1, 3600);
        break;
      case '--interval':
        out.intervalMs = num(a, v(), 0, 60_000);
        break;
      case '--seeds':
        out.seeds = num(a, v(), 1, 100_000, true);
        break;
      case '--trace': {
        const f = v();
        if (!f || f.startsWith('--')) throw new UsageError('--trace needs a file name');
        out.trace = f;
        break;
      }
      case '--quiet':
        out.quiet = true;
        break;
      default:
        throw new UsageError(`unknown argument ${a}`);
    }
  }
  for (const req of ['calls', 'loss', 'seed'] as const) {
    if (out[req] === undefined) throw new UsageError(`--${req} is required`);
  }
  if (out.seeds > 1 && out.trace) throw new UsageError('--trace takes one seed');
  if (out.seed! + out.seeds - 1 > 0xffffffff) throw new UsageError('--seed + --seeds - 1 must be at most 4294967295');
  return out as SimArgs;
}

/** Parsed `pnpm sim` arguments. */
export type SimArgs = SimOptions & { trace?: string; quiet: boolean; seeds: number };

/** Runs `pnpm sim`; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseSimArgs>;
  try {
    args = parseSimArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message) process.stderr.write(`sim: ${e.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    return e.message ? 2 : 0;
  }
  const { trace, quiet, seeds, ...opts } = args;
  const file = trace ? createWriteStream(trace) : undefined;
  if (file) opts.onTrace = (line) => file.write(`${line}\n`);
  const results: SimResult[] = [];
  for (let k = 0; k < seeds; k++) {
    const seed = opts.seed + k;
    if (!quiet) {
      opts.onProgress = (p) =>
        process.stderr.write(
          `sim: seed ${seed} t=${(p.virtualMs / 1000).toFixed(0)} s  calls settled ${p.settled}/${opts.calls}` +
            `  completed ${p.completed}  failed ${p.failed}  datagrams ${p.datagrams}\n`,
        );
    }
    const r = await runSimulation({ ...opts, seed });
    results.push(r);
    if (!quiet) {
      for (const f of r.first_failures) {
        process.stderr.write(`sim: seed ${seed} call ${f.call} failed: ${f.kind}: ${f.message}\n`);
      }
      if (seeds > 1) process.stderr.write(`sim: seed ${seed}: ${r.completed}/${r.calls} completed, ${r.digest}\n`);
    }
  }
  if (file) await new Promise<void>((res) => file.end(res));
  const out = seeds === 1 ? results[0]! : sweepSummary(opts.seed, results);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return results.every((r) => r.completed === r.calls && r.internal_errors === 0) ? 0 : 1;
}

/** One line for a sweep: totals, the digest of the runs' digests, failures by kind, the first failures by seed. */
function sweepSummary(first: number, rs: SimResult[]) {
  const failures: Partial<Record<SimFailureKind, number>> = {};
  for (const r of rs)
    for (const [k, n] of Object.entries(r.failures))
      failures[k as SimFailureKind] = (failures[k as SimFailureKind] ?? 0) + (n ?? 0);
  return {
    calls: rs.reduce((a, r) => a + r.calls, 0),
    completed: rs.reduce((a, r) => a + r.completed, 0),
    failed: rs.reduce((a, r) => a + r.failed, 0),
    digest: createHash('sha256')
      .update(rs.map((r) => `${r.digest}\n`).join(''))
      .digest('hex'),
    wall_ms: rs.reduce((a, r) => a + r.wall_ms, 0),
    seeds: rs.length,
    first_seed: first,
    failures,
    first_failures: rs.flatMap((r, k) => r.first_failures.map((f) => ({ seed: first + k, ...f }))).slice(0, 20),
    internal_errors: rs.reduce((a, r) => a + r.internal_errors, 0),
  };
}
