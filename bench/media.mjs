// `pnpm bench media`: N concurrent SDES-SRTP echo calls against `mdh echo` (one Node process = one core),
// 50 packets/s each way per call (PCMU, 20 ms). For rising N, measures the loss of the echoed tone over a
// whole run (waiting for the last echoes) and the CPU of the echo and of the calling process; prints the largest
// N with < 0.1% loss (target >= 500). The calls are placed from MEDIA_CALLERS (default 2) processes so the
// callers are not the bottleneck.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLoop } from '@mdh/loop';
import { ToneGenerator } from '@mdh/media';
import { CallMedia, createSdpOffer, listenTransport, readSdpAnswer, UserAgent } from '@mdh/sip';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LEVELS = (process.env.MEDIA_N ?? '100,250,500,750,1000').split(',').map(Number);
const SECONDS = Number(process.env.MEDIA_SECONDS ?? 4);
const CALLERS = Number(process.env.MEDIA_CALLERS ?? 2);
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

/** A leg's packet counters from its MediaSession. */
function counters(l) {
  const s = l.media.session.stats();
  const d = s.dropped;
  return {
    packetsSent: s.sent.packets,
    packetsReceived: s.received.packets,
    dropped: d.unauthenticated + d.replayed + d.malformed + d.unknown,
  };
}

/**
 * One calling process (spawned with `--caller N PORT`): places N calls, then on "go" (stdin) sends the tone for
 * 1 + SECONDS s, stops, waits for the last echoes and prints its counters as one JSON line.
 */
async function callerMain(n, port, srtp) {
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
          const ep = await CallMedia.open({ srtp, loop });
          const call = await ua.invite(`sip:echo@127.0.0.1:${port}`, {
            sdp: createSdpOffer(ep.local, { sessionId: String(j + 1), version: 1 }),
          }).result;
          return { ep, call, neg: readSdpAnswer(call.remoteSdp ?? '', ep.local) };
        })(),
      );
    }
    legs.push(...(await Promise.all(batch)));
  }
  process.stdout.write('ready\n');
  await new Promise((r) => process.stdin.once('data', r));
  // each leg's MediaSession (RTCP included); one 20 ms timer sends every leg's tone frame
  for (const l of legs) l.media = l.ep.attach(l.call, l.neg);
  const tone = new ToneGenerator({ frequency: 440 });
  const frame = new Int16Array(160);
  const sender = loop.every(20, () => {
    tone.fill(frame);
    for (const l of legs) if (l.media.state !== 'closed') l.media.sendAudio(frame);
  });
  const tStart = performance.now(); // every stream runs from here on
  const u0 = process.cpuUsage();
  await sleep((1 + SECONDS) * 1000);
  loop.cancel(sender);
  const sendingMs = performance.now() - tStart;
  const u1 = process.cpuUsage(u0);
  const total = () => {
    let sent = 0;
    let received = 0;
    for (const l of legs) {
      const c = counters(l);
      sent += c.packetsSent;
      received += c.packetsReceived;
    }
    return { sent, received };
  };
  // the last echoes arrive: wait until the count has not moved for 1 s (bounded: 10 s), so a process that
  // the (shared) machine stalled for a moment is not mistaken for loss
  let last = -1;
  let still = 0;
  for (let i = 0; i < 50 && still < 5; i++) {
    await sleep(200);
    const r = total().received;
    still = r === last ? still + 1 : 0;
    last = r;
  }
  const t = total();
  const perLeg = legs.map(counters);
  const zero = perLeg.filter((c) => c.packetsReceived === 0).length;
  const partial = perLeg.filter((c) => c.packetsReceived > 0 && c.packetsReceived < c.packetsSent).length;
  const dropped = perLeg.reduce((a, c) => a + c.dropped, 0);
  process.stdout.write(
    `${JSON.stringify({ ...t, sendingMs, cpuMs: (u1.user + u1.system) / 1000, zero, partial, dropped })}\n`,
  );
  await Promise.all(legs.map((l) => l.call.hangup().catch(() => 0)));
  await Promise.all(legs.map((l) => l.ep.close()));
  await ua.close();
  loop.stop();
  process.exit(0);
}

/** Runs one level with the calls spread over CALLERS processes; measures the echo's CPU while they send. */
async function level(n, port, pid) {
  const share = Array.from({ length: CALLERS }, (_, i) => Math.floor(n / CALLERS) + (i < n % CALLERS ? 1 : 0));
  const kids = share.map((k) =>
    spawn(process.execPath, [fileURLToPath(import.meta.url), '--caller', String(k), String(port)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      cwd: dirname(fileURLToPath(import.meta.url)),
    }),
  );
  const lines = kids.map((k) => {
    const q = [];
    let buf = '';
    let wake = () => {};
    k.stdout.on('data', (d) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        q.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        wake();
      }
    });
    return async (ms) => {
      const until = Date.now() + ms;
      while (!q.length) {
        if (Date.now() > until) throw new Error('caller process timed out');
        await new Promise((r) => {
          wake = r;
          setTimeout(r, 200);
        });
      }
      return q.shift();
    };
  });
  try {
    for (const next of lines) if ((await next(120_000)) !== 'ready') throw new Error('caller failed');
    const c0 = cpuMs(pid);
    const t0 = performance.now();
    for (const k of kids) k.stdin.write('go\n');
    const results = [];
    for (const next of lines) results.push(JSON.parse(await next(60_000)));
    if (process.env.MEDIA_DEBUG) console.error(JSON.stringify(results));
    const wall = performance.now() - t0;
    const c1 = cpuMs(pid);
    const sent = results.reduce((a, r) => a + r.sent, 0);
    const received = results.reduce((a, r) => a + r.received, 0);
    const offered =
      (100 * results.reduce((a, r, i) => a + r.sent / ((share[i] * 50 * r.sendingMs) / 1000), 0)) / CALLERS;
    const loss = sent ? (100 * Math.max(0, sent - received)) / sent : 100;
    return {
      n,
      sent,
      received,
      loss,
      offered,
      cpuPct: (100 * (c1 - c0)) / wall,
      callerCpuPct: results.reduce((a, r) => a + (100 * r.cpuMs) / r.sendingMs, 0),
    };
  } finally {
    await sleep(500);
    for (const k of kids) k.kill('SIGKILL');
  }
}

if (process.argv[2] === '--caller') {
  await callerMain(Number(process.argv[3]), Number(process.argv[4]), 'sdes');
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
    const r = await level(n, echoPort, echo.pid);
    rows.push(r);
    console.error(
      `mdh echo (SDES-SRTP) N=${n}: sent ${r.sent} received ${r.received} loss ${r.loss.toFixed(3)}% offered ${r.offered.toFixed(0)}% echo cpu ${r.cpuPct.toFixed(0)}% callers cpu ${r.callerCpuPct.toFixed(0)}%`,
    );
    if (r.loss < 0.1 && r.offered >= 90) best = n;
    else break;
  }
} finally {
  echo.kill('SIGKILL');
}

console.log(
  `\nMedia echo: N concurrent SDES-SRTP calls, 50 pps each way, ${SECONDS} s per level (loss of the echoed tone)\n`,
);
console.log('    N   packets sent   received   loss %   offered %   echo CPU %   callers CPU % (sum)');
for (const r of rows) {
  console.log(
    `${String(r.n).padStart(5)}   ${String(r.sent).padStart(12)}   ${String(r.received).padStart(8)}   ${r.loss.toFixed(3).padStart(6)}   ${r.offered.toFixed(0).padStart(9)}   ${r.cpuPct.toFixed(0).padStart(10)}   ${r.callerCpuPct.toFixed(0).padStart(13)}`,
  );
}
console.log(
  `\nlargest N with < 0.1% loss at the full offered rate (>= 90% of 50 pps sent): ${best}  (target >= 500; ratio ${(best / 500).toFixed(2)})`,
);
