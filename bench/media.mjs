// `pnpm bench media`: N concurrent SDES-SRTP echo calls against `mdh echo` (one Node process = one core),
// 50 packets/s each way per call (PCMU, 20 ms). For rising N, measures the loss of the echoed tone over a
// whole run (waiting for the last echoes) and the CPU of the echo and of the calling process; prints the largest
// N with < 0.1% loss (target >= 500).
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLoop } from '@mdh/loop';
import { createSdpOffer, listenTransport, MediaEndpoint, readSdpAnswer, UserAgent } from '@mdh/sip';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LEVELS = (process.env.MEDIA_N ?? '100,250,500,750,1000').split(',').map(Number);
const SECONDS = Number(process.env.MEDIA_SECONDS ?? 4);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(parts[11]) + Number(parts[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

async function level(n, port, srtp, pid) {
  const loop = createLoop();
  const transport = await listenTransport('udp', { host: '127.0.0.1', port: 0 });
  const ua = new UserAgent({ transports: [transport], loop });
  ua.stack.onError = () => {};
  const legs = [];
  // set the calls up in batches so signalling does not distort the media measurement
  for (let i = 0; i < n; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 50); j++) {
      batch.push(
        (async () => {
          const ep = await MediaEndpoint.open({ srtp, loop });
          const call = await ua.invite(`sip:echo@127.0.0.1:${port}`, {
            sdp: createSdpOffer(ep.local, { sessionId: String(j + 1), version: 1 }),
          }).result;
          return { ep, call, neg: readSdpAnswer(call.remoteSdp ?? '', ep.local) };
        })(),
      );
    }
    legs.push(...(await Promise.all(batch)));
  }
  const tStart = performance.now();
  await Promise.all(legs.map((l) => l.ep.start(l.neg, 'tone')));
  await sleep(1000); // warm-up for the CPU measurement (packets are counted over the whole run)
  const total = () => {
    let sent = 0;
    let received = 0;
    for (const l of legs) {
      const s = l.ep.counters();
      sent += s.packetsSent;
      received += s.packetsReceived;
    }
    return { sent, received };
  };
  const c0 = cpuMs(pid);
  const u0 = process.cpuUsage();
  await sleep(SECONDS * 1000);
  const c1 = cpuMs(pid);
  const u1 = process.cpuUsage(u0);
  for (const l of legs) l.ep.stopSending();
  const sendingMs = performance.now() - tStart;
  // the last echoes of the window arrive: wait until the count stops moving (bounded: 5 s)
  let last = -1;
  for (let i = 0; i < 25; i++) {
    await sleep(200);
    const r = total().received;
    if (r === last) break;
    last = r;
  }
  // every packet sent is either echoed back and received, or lost
  const sent = total().sent;
  const received = total().received;
  await Promise.all(legs.map((l) => l.call.hangup().catch(() => 0)));
  await Promise.all(legs.map((l) => l.ep.close()));
  await ua.close();
  loop.stop();
  const loss = sent ? (100 * Math.max(0, sent - received)) / sent : 100;
  const wall = SECONDS * 1000;
  // the offered load: what the callers managed to send, against 50 packets/s per call while sending
  const offered = (100 * sent) / ((n * 50 * sendingMs) / 1000);
  return {
    n,
    sent,
    received,
    loss,
    offered,
    cpuPct: (100 * (c1 - c0)) / wall,
    callerCpuPct: (100 * (u1.user + u1.system)) / 1000 / wall,
  };
}

const echoPort = await freePort();
const echo = spawn(
  process.execPath,
  [join(root, 'packages/cli/dist/bin.js'), 'echo', '--sip', `127.0.0.1:${echoPort}`, '--srtp', 'sdes', '--quiet'],
  {
    stdio: 'ignore',
  },
);
await sleep(1500);
const rows = [];
let best = 0;
try {
  for (const n of LEVELS) {
    const r = await level(n, echoPort, 'sdes', echo.pid);
    rows.push(r);
    console.error(
      `mdh echo (SDES-SRTP) N=${n}: sent ${r.sent} received ${r.received} loss ${r.loss.toFixed(3)}% offered ${r.offered.toFixed(0)}% echo cpu ${r.cpuPct.toFixed(0)}% callers cpu ${r.callerCpuPct.toFixed(0)}%`,
    );
    if (r.loss < 0.1 && r.offered >= 95) best = n;
    else break;
  }
} finally {
  echo.kill('SIGKILL');
}

console.log(
  `\nMedia echo: N concurrent SDES-SRTP calls, 50 pps each way, ${SECONDS} s per level (loss of the echoed tone)\n`,
);
console.log('    N   packets sent   received   loss %   offered %   echo CPU %   callers CPU %');
for (const r of rows) {
  console.log(
    `${String(r.n).padStart(5)}   ${String(r.sent).padStart(12)}   ${String(r.received).padStart(8)}   ${r.loss.toFixed(3).padStart(6)}   ${r.offered.toFixed(0).padStart(9)}   ${r.cpuPct.toFixed(0).padStart(10)}   ${r.callerCpuPct.toFixed(0).padStart(13)}`,
  );
}
console.log(
  `\nlargest N with < 0.1% loss at the full offered rate (>= 95% of 50 pps): ${best}  (target >= 500; ratio ${(best / 500).toFixed(2)})`,
);
