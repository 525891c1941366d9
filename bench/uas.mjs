// `pnpm bench uas`: SIP signalling load. sipp -sn uac at rising call rates against
//   (1) `mdh echo --no-media` (full transactions + dialogs, UDP),
//   (2) a minimal UAS on the npm `sip` package (same run, same machine),
//   (3) sipp's own -sn uas (the native ceiling).
// UAS_SERVERS=mdh,sip-npm,sipp-uas selects the servers, UAS_RATES the rates, UAS_SECONDS the seconds per rate,
// UAS_MDH_BIN another build of the CLI (before/after comparisons).
// UAS_FIXED=<rate> (e.g. 1000) skips the sweep: every server gets the same offered rate for UAS_FIXED_SECONDS
// (default 10) and the bench reports CPU per call there (where sipp is not the limit) and the ratios to mdh.
// Each rate is bounded (calls = rate × SECONDS, sipp -timeout); a rate is "clean" with 0 failed calls and
// 0 retransmissions. Prints the highest clean rate per server, CPU per call, and the ratios.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMs, freePort, ready, sleep } from './proc.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.UAS_SECONDS ?? 3);
const RATES = (process.env.UAS_RATES ?? '250,500,750,1000,1500,2000,3000,4000,6000').split(',').map(Number);

const SIP_UAS = `
const sip = require(${JSON.stringify(join(root, 'bench/node_modules/sip'))});
const port = Number(process.argv.at(-1));
let n = 0;
const sdp = 'v=0\\r\\no=- 1 1 IN IP4 127.0.0.1\\r\\ns=-\\r\\nc=IN IP4 127.0.0.1\\r\\nt=0 0\\r\\nm=audio 9 RTP/AVP 0\\r\\n';
sip.start({ address: '127.0.0.1', port, tcp: false }, (rq) => {
  if (rq.method === 'INVITE') {
    const rs = sip.makeResponse(rq, 200, 'OK');
    rs.headers.to.params.tag = 't' + (++n);
    rs.headers.contact = [{ uri: 'sip:uas@127.0.0.1:' + port }];
    rs.headers['content-type'] = 'application/sdp';
    rs.content = sdp;
    sip.send(rs);
  } else if (rq.method === 'BYE') sip.send(sip.makeResponse(rq, 200, 'OK'));
  else if (rq.method !== 'ACK') sip.send(sip.makeResponse(rq, 405, 'Method Not Allowed'));
});
`;

function startServer(kind, port) {
  if (kind === 'mdh')
    return spawn(
      process.execPath,
      [
        process.env.UAS_MDH_BIN ?? join(root, 'packages/cli/dist/bin.js'),
        'echo',
        '--sip',
        `127.0.0.1:${port}`,
        '--no-media',
        '--quiet',
      ],
      {
        stdio: 'ignore',
      },
    );
  if (kind === 'sip-npm') return spawn(process.execPath, ['-e', SIP_UAS, String(port)], { stdio: 'ignore' });
  return spawn(
    'sipp',
    ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-nostdin', '-buff_size', '1048576', '-timeout', '600s'],
    {
      stdio: 'ignore',
    },
  );
}

function runSipp(port, rate, seconds = SECONDS) {
  const limit = Math.max(seconds, SECONDS);
  const calls = rate * seconds;
  const args = [
    '-sn',
    'uac',
    `127.0.0.1:${port}`,
    '-i',
    '127.0.0.1',
    '-m',
    String(calls),
    '-r',
    String(rate),
    '-l',
    String(rate * 4),
  ];
  args.push(
    '-nostdin',
    '-buff_size',
    '1048576',
    '-timeout',
    `${limit * 4 + 10}s`,
    '-max_recv_loops',
    '10000',
    '-timeout_error',
  );
  const p = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  p.stdout.on('data', (d) => {
    out += d;
    if (out.length > 400_000) out = out.slice(-200_000);
  });
  const kill = setTimeout(() => p.kill('SIGKILL'), (limit * 4 + 20) * 1000);
  return new Promise((resolve) => {
    p.on('exit', () => {
      clearTimeout(kill);
      const last = out.slice(out.lastIndexOf('Messages  Retrans'));
      const num = (name) => {
        const m = [...out.matchAll(new RegExp(`${name}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`, 'g'))].at(-1);
        return m ? Number(m[1]) : -1;
      };
      let retrans = 0;
      for (const line of last.split('\n')) {
        const m = /^\s*(INVITE|ACK|BYE) -+>\s+(?:E-RTD\d\s+)?(\d+)\s+(\d+)/.exec(line);
        if (m) retrans += Number(m[3]);
      }
      resolve({ calls, ok: num('Successful call'), failed: num('Failed call'), retrans });
    });
  });
}

const servers = (process.env.UAS_SERVERS ?? 'mdh,sip-npm,sipp-uas').split(',');

/** Starts `kind` on a free port, warms it up, runs sipp at `rate` for `seconds` and measures its CPU (/proc). */
async function measureServer(kind, rate, seconds) {
  const port = await freePort();
  const srv = startServer(kind, port);
  if (kind === 'sipp-uas') await sleep(500);
  else if (!(await ready(port))) throw new Error(`${kind} did not start`);
  // warm-up (not measured): 300 calls at 150/s, so the JIT has compiled the hot paths of every server
  await runSipp(port, 150, 2);
  await sleep(300);
  const c0 = cpuMs(srv.pid);
  const r = await runSipp(port, rate, seconds);
  const c1 = cpuMs(srv.pid);
  srv.kill('SIGKILL');
  await sleep(200);
  const clean = r.failed === 0 && r.ok === r.calls && r.retrans === 0;
  const cpuPerCall = r.ok > 0 ? (c1 - c0) / r.ok : Number.NaN;
  console.error(
    `${kind.padEnd(8)} ${String(rate).padStart(5)} cps: ok ${r.ok}/${r.calls} failed ${r.failed} retrans ${r.retrans} cpu/call ${cpuPerCall.toFixed(3)} ms`,
  );
  return { server: kind, rate, ...r, clean, cpuMsPerCall: Number(cpuPerCall.toFixed(3)), cpuPerCall };
}

const FIXED = Number(process.env.UAS_FIXED ?? 0);
if (FIXED > 0) {
  const seconds = Number(process.env.UAS_FIXED_SECONDS ?? 10);
  const res = {};
  for (const kind of servers) res[kind] = await measureServer(kind, FIXED, seconds);
  console.log(
    `\nSIP UAS at a fixed offered rate: sipp -sn uac, UDP, ${FIXED} calls/s for ${seconds} s (INVITE/100/200/ACK/BYE/200)\n`,
  );
  console.log('server     ok/calls      failed  retrans  cpu ms/call   cpu ÷ mdh');
  const mdh = res.mdh?.cpuPerCall;
  for (const k of servers) {
    const r = res[k];
    const rel = mdh ? `${(r.cpuPerCall / mdh).toFixed(2)}×` : 'n/a';
    console.log(
      `${k.padEnd(9)}  ${`${r.ok}/${r.calls}`.padEnd(12)} ${String(r.failed).padStart(6)}  ${String(r.retrans).padStart(7)}  ${r.cpuPerCall.toFixed(3).padStart(11)}   ${rel.padStart(8)}`,
    );
  }
  console.log('(cpu ÷ mdh > 1: that server spends more CPU per call than mdh; < 1: less)');
  process.exit(0);
}

const best = {};
const cpu = {};
const rows = [];
for (const kind of servers) {
  best[kind] = 0;
  for (const rate of RATES) {
    const r = await measureServer(kind, rate, SECONDS);
    const { cpuPerCall, ...row } = r;
    rows.push(row);
    if (r.clean) {
      best[kind] = rate;
      cpu[kind] = cpuPerCall;
    } else break;
  }
}

console.log(
  '\nSIP UAS load (sipp -sn uac, UDP, calls = rate × %d s; clean = 0 failed and 0 retransmissions)\n',
  SECONDS,
);
console.log('server     rate   ok/calls      failed  retrans  cpu ms/call');
for (const r of rows) {
  console.log(
    `${r.server.padEnd(9)} ${String(r.rate).padStart(5)}  ${`${r.ok}/${r.calls}`.padEnd(12)} ${String(r.failed).padStart(6)}  ${String(r.retrans).padStart(7)}  ${String(r.cpuMsPerCall).padStart(8)}`,
  );
}
console.log('\nhighest clean rate (calls/s):');
for (const k of servers)
  console.log(
    `  ${k.padEnd(9)} ${String(best[k]).padStart(6)}   cpu/call ${cpu[k] !== undefined ? cpu[k].toFixed(3) : 'n/a'} ms`,
  );
const ratio = (a, b) => (best[b] ? (best[a] / best[b]).toFixed(2) : 'n/a');
console.log(`\nratio mdh / sip-npm  = ${ratio('mdh', 'sip-npm')}  (target >= 1.5)`);
console.log(`ratio mdh / sipp-uas = ${ratio('mdh', 'sipp-uas')}  (target >= 0.75)`);
