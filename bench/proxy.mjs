// `pnpm bench proxy`: stateful proxy CPU per call, sipp UAC → proxy → sipp UAS (UDP, Record-Route, the BYE
// through the proxy), at one fixed offered rate where neither sipp is the limit:
//   (1) `mdh proxy --to sip:svc@UAS` (the @mdh/sip proxy core),
//   (2) Kamailio with tm + rr (t_relay, record_route, loose_route) — the reference stateful proxy, same run.
// PROXY_RATE (default 300 calls/s) and PROXY_SECONDS (default 10) set the load; PROXY_SERVERS=mdh,kamailio picks.
// Every load is bounded (calls = rate × seconds; sipp -timeout). CPU is read from /proc for the proxy's processes
// (all of Kamailio's forked workers). Prints CPU per call for each and the ratio mdh / Kamailio (goal ≤ 2).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, ready, sleep, treeCpuMs } from './proc.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RATE = Number(process.env.PROXY_RATE ?? 300);
const SECONDS = Number(process.env.PROXY_SECONDS ?? 10);
const scenarios = join(root, 'tests/interop/sipp');
const tmp = mkdtempSync(join(tmpdir(), 'mdh-bench-proxy-'));
function kamailioConfig(port, uasPort) {
  const mods = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';
  return `#!KAMAILIO
debug=0
log_stderror=yes
children=2
listen=udp:127.0.0.1:${port}
mpath="${mods}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "pv.so"
loadmodule "siputils.so"
loadmodule "textops.so"
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (is_method("OPTIONS") && uri == myself && $rU == $null) { sl_send_reply("200", "OK"); exit; }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
    sl_send_reply("404", "Not here");
    exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
  t_check_trans();
  record_route();
  $du = "sip:127.0.0.1:${uasPort}";
  t_relay();
}
`;
}

function startProxy(kind, port, uasPort) {
  if (kind === 'mdh')
    return spawn(
      process.execPath,
      [
        join(root, 'packages/cli/dist/bin.js'),
        'proxy',
        '--listen',
        `127.0.0.1:${port}`,
        '--to',
        `sip:svc@127.0.0.1:${uasPort}`,
        '--quiet',
      ],
      { stdio: 'ignore' },
    );
  const cfg = join(tmp, `kamailio-${port}.cfg`);
  writeFileSync(cfg, kamailioConfig(port, uasPort));
  return spawn(
    'kamailio',
    ['-f', cfg, '-DD', '-E', '-m', '256', '-M', '16', '-w', tmp, '-P', join(tmp, `k${port}.pid`)],
    {
      stdio: 'ignore',
    },
  );
}

function runSipp(args, hardS) {
  const p = spawn('sipp', [...args, '-nostdin', '-buff_size', '1048576'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  p.stdout.on('data', (d) => {
    out += d;
    if (out.length > 400_000) out = out.slice(-200_000);
  });
  const kill = setTimeout(() => p.kill('SIGKILL'), hardS * 1000);
  return {
    proc: p,
    done: new Promise((resolve) => {
      p.on('exit', () => {
        clearTimeout(kill);
        const num = (name) => {
          const m = [...out.matchAll(new RegExp(`${name}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`, 'g'))].at(-1);
          return m ? Number(m[1]) : -1;
        };
        resolve({ ok: num('Successful call'), failed: num('Failed call') });
      });
    }),
  };
}

async function measure(kind) {
  const port = await freePort();
  const uasPort = await freePort();
  const calls = RATE * SECONDS;
  const warm = 300;
  const uas = runSipp(
    [
      '-sf',
      join(scenarios, 'uas-answer.xml'),
      '-i',
      '127.0.0.1',
      '-p',
      String(uasPort),
      '-mp',
      String(await freePort()),
      '-timeout',
      `${SECONDS * 4 + 30}s`,
    ],
    SECONDS * 4 + 40,
  );
  const srv = startProxy(kind, port, uasPort);
  try {
    if (!(await ready(port))) throw new Error(`${kind} did not start`);
    const uac = (n, rate) =>
      runSipp(
        [
          '-sf',
          join(scenarios, 'uac-routed.xml'),
          `127.0.0.1:${port}`,
          '-i',
          '127.0.0.1',
          '-m',
          String(n),
          '-r',
          String(rate),
          '-l',
          String(rate * 4),
          '-timeout',
          `${SECONDS * 3 + 20}s`,
          '-timeout_error',
        ],
        SECONDS * 3 + 30,
      ).done;
    await uac(warm, 150); // warm-up (JIT), not measured
    await sleep(300);
    const c0 = treeCpuMs(srv.pid);
    const r = await uac(calls, RATE);
    await sleep(200);
    const c1 = treeCpuMs(srv.pid);
    return { kind, calls, ...r, cpuMsPerCall: r.ok > 0 ? (c1 - c0) / r.ok : Number.NaN };
  } finally {
    srv.kill('SIGKILL');
    uas.proc.kill('SIGKILL');
    await sleep(200);
  }
}

const servers = (process.env.PROXY_SERVERS ?? 'mdh,kamailio').split(',');
const results = {};
try {
  for (const k of servers) {
    const r = await measure(k);
    results[k] = r;
    console.error(`${k.padEnd(9)} ok ${r.ok}/${r.calls} failed ${r.failed} cpu/call ${r.cpuMsPerCall.toFixed(3)} ms`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(
  `\nStateful proxy, sipp UAC → proxy → sipp UAS, UDP, ${RATE} calls/s × ${SECONDS} s (INVITE/180/200/ACK/BYE, Record-Route)\n`,
);
console.log('proxy      ok/calls     failed  cpu ms/call');
for (const r of Object.values(results))
  console.log(
    `${r.kind.padEnd(9)} ${`${r.ok}/${r.calls}`.padEnd(12)} ${String(r.failed).padStart(6)}  ${r.cpuMsPerCall.toFixed(3).padStart(10)}`,
  );
if (results.mdh && results.kamailio)
  console.log(
    `\nratio CPU per call mdh / Kamailio = ${(results.mdh.cpuMsPerCall / results.kamailio.cpuMsPerCall).toFixed(2)}  (goal <= 2)`,
  );
