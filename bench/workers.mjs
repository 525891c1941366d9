// `pnpm bench workers`: multi-core `mdh echo`. sipp -sn uac at rising call rates against
//   (1) `mdh echo --no-media` (one process, no --workers),
//   (2) `mdh echo --no-media --workers 2` (node:cluster, Call-ID routing between workers),
// interleaved rate by rate so that both see the same background load.
// WORKERS_CONFIGS picks the configurations (e.g. "1,2" = no flag and --workers 2; "w1" = --workers 1),
// WORKERS_RATES the rates, WORKERS_SECONDS the seconds per rate, WORKERS_TRANSPORT udp|tcp (tcp: sipp -t tn,
// a connection per call, so that cluster's connection round-robin spreads calls).
// A rate is "clean" with 0 failed calls; a configuration stops at its first unclean rate. Bounded: every
// sipp run has -timeout and a hard kill. Prints the highest clean rate, CPU per call (server processes:
// primary + workers; and sipp's own), and the ratio 2 workers : 1 process.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMs, freePort, sleep, treeCpuMs } from './proc.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'packages/cli/dist/bin.js');
const SECONDS = Number(process.env.WORKERS_SECONDS ?? 3);
const RATES = (process.env.WORKERS_RATES ?? '200,400,600,800,1000,1300,1600,2000,2500,3000').split(',').map(Number);
const TRANSPORT = process.env.WORKERS_TRANSPORT ?? 'udp';
const CONFIGS = (process.env.WORKERS_CONFIGS ?? '1,2').split(',');
// contact (UDP default): bench/sipp/uac-contact.xml sends ACK and BYE to the Contact of the 200, as real user
// agents do (RFC 3261 §12.2.1.1); builtin: sipp's -sn uac sends them to the listening port (the worst case
// for --workers: every in-dialog request is Call-ID routed)
const SCENARIO = process.env.WORKERS_SCENARIO ?? (TRANSPORT === 'udp' ? 'contact' : 'builtin');
// WORKERS_PIN_SIPP / WORKERS_PIN_SERVER: CPU lists for `taskset -c` (e.g. 0 and 1), to show what the server gets
// when the load generator has a core of its own (workers inherit the primary's affinity).
const PIN_SIPP = process.env.WORKERS_PIN_SIPP;
const PIN_SERVER = process.env.WORKERS_PIN_SERVER;

/** `spawn`, under `taskset -c cpus` when a CPU list is given. */
function spawnPinned(cpus, cmd, args, opts) {
  return cpus ? spawn('taskset', ['-c', cpus, cmd, ...args], opts) : spawn(cmd, args, opts);
}

const treeCpu = treeCpuMs;

/** A process and its direct children (the cluster workers), to kill them all. */
function tree(pid) {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return [pid, ...(kids ? kids.split(/\s+/).map(Number) : [])];
  } catch {
    return [pid];
  }
}

function startServer(config, port) {
  const args = [BIN, 'echo', '--sip', `127.0.0.1:${port}`, '--no-media', '--quiet', '--transport', TRANSPORT];
  if (config === '2') args.push('--workers', '2');
  else if (config === 'w1') args.push('--workers', '1');
  else if (config !== '1') args.push('--workers', config);
  const p = spawnPinned(PIN_SERVER, process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => {
    err += d;
  });
  return {
    p,
    ready: async () => {
      for (let i = 0; i < 300; i++) {
        if (/listening on/.test(err)) return true;
        if (p.exitCode !== null) return false;
        await sleep(50);
      }
      return false;
    },
  };
}

function runSipp(port, rate, seconds) {
  const calls = Math.round(rate * seconds);
  const scen = SCENARIO === 'contact' ? ['-sf', join(root, 'bench/sipp/uac-contact.xml')] : ['-sn', 'uac'];
  const args = [...scen, `127.0.0.1:${port}`, '-i', '127.0.0.1', '-m', String(calls), '-r', String(rate)];
  args.push('-l', String(rate * 4), '-nostdin', '-buff_size', '1048576', '-timeout', `${seconds * 4 + 10}s`);
  args.push('-max_recv_loops', '10000', '-timeout_error');
  if (TRANSPORT === 'tcp') args.push('-t', 'tn', '-max_socket', String(rate * 8));
  const p = spawnPinned(PIN_SIPP, 'sipp', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  p.stdout.on('data', (d) => {
    out += d;
    if (out.length > 400_000) out = out.slice(-200_000);
  });
  const kill = setTimeout(() => p.kill('SIGKILL'), (seconds * 4 + 20) * 1000);
  let sippCpu = 0;
  const sample = setInterval(() => {
    sippCpu = cpuMs(p.pid) || sippCpu;
  }, 100);
  const t0 = Date.now();
  return new Promise((resolve) => {
    p.on('exit', () => {
      clearTimeout(kill);
      clearInterval(sample);
      const num = (name) => {
        const m = [...out.matchAll(new RegExp(`${name}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`, 'g'))].at(-1);
        return m ? Number(m[1]) : -1;
      };
      // sipp's own cumulative call rate (calls created per second of its run)
      const rateM = [...out.matchAll(/Call Rate\s*\|\s*[\d.]+ cps\s*\|\s*([\d.]+) cps/g)].at(-1);
      resolve({
        calls,
        ok: num('Successful call'),
        failed: num('Failed call'),
        sippCpuMs: sippCpu,
        wallMs: Date.now() - t0,
        sippRate: rateM ? Number(rateM[1]) : Number.NaN,
      });
    });
  });
}

const label = (c) => (c === '1' ? '1 process' : c === 'w1' ? '--workers 1' : `--workers ${c}`);
const best = Object.fromEntries(CONFIGS.map((c) => [c, { rate: 0 }]));
const alive = new Set(CONFIGS);
for (const rate of RATES) {
  if (alive.size === 0) break;
  for (const config of CONFIGS) {
    if (!alive.has(config)) continue;
    const port = await freePort();
    const srv = startServer(config, port);
    if (!(await srv.ready())) throw new Error(`${label(config)} did not start`);
    await runSipp(port, 150, 2); // warm-up (not measured): the JIT compiles the hot paths of every worker
    await sleep(300);
    const c0 = treeCpu(srv.p.pid);
    const r = await runSipp(port, rate, SECONDS);
    const c1 = treeCpu(srv.p.pid);
    srv.p.kill('SIGKILL');
    for (const pid of tree(srv.p.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await sleep(200);
    const clean = r.failed === 0 && r.ok === r.calls;
    const cpuPerCall = r.ok > 0 ? (c1 - c0) / r.ok : Number.NaN;
    // what sipp actually achieved (it falls behind its target rate when it, or the machine, is the limit)
    const achieved = Math.round(Number.isNaN(r.sippRate) ? r.ok / (r.wallMs / 1000) : r.sippRate);
    const sippPerCall = r.ok > 0 ? r.sippCpuMs / r.ok : Number.NaN;
    console.error(
      `${label(config).padEnd(12)} ${TRANSPORT} ${String(rate).padStart(5)} cps: ok ${r.ok}/${r.calls} failed ${r.failed} ` +
        `achieved ${achieved} cps, ` +
        `server cpu/call ${cpuPerCall.toFixed(3)} ms, sipp cpu/call ${sippPerCall.toFixed(3)} ms, ` +
        `sipp busy ${((100 * r.sippCpuMs) / r.wallMs).toFixed(0)}%`,
    );
    if (clean && achieved > (best[config].achieved ?? 0)) best[config] = { rate, achieved, cpuPerCall, sippPerCall };
    else alive.delete(config);
  }
}

console.log(
  `\nmdh echo --no-media, sipp uac (${SCENARIO}) over ${TRANSPORT}${TRANSPORT === 'tcp' ? ' (-t tn)' : ''}, calls = rate × ${SECONDS} s, clean = 0 failed`,
);
for (const c of CONFIGS) {
  const b = best[c];
  console.log(
    `  ${label(c).padEnd(12)} highest clean rate ${String(b.achieved ?? 0).padStart(5)} cps achieved (asked ${b.rate})` +
      (b.rate ? `   server CPU ${b.cpuPerCall.toFixed(3)} ms/call   sipp CPU ${b.sippPerCall.toFixed(3)} ms/call` : ''),
  );
}
if (best['1']?.achieved && best['2']?.achieved) {
  const calls = (best['2'].achieved / best['1'].achieved).toFixed(2);
  const cpu = (best['2'].cpuPerCall / best['1'].cpuPerCall).toFixed(2);
  console.log(`  --workers 2 : 1 process = ${calls}× the calls per second, ${cpu}× the CPU per call`);
}
if (alive.size > 0)
  console.log(`  (still clean at the highest rate tried: ${[...alive].map(label).join(', ')}; the limit is above)`);
