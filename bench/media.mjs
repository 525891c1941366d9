// `pnpm bench media [--srtp sdes|dtls]`: N concurrent SDES-SRTP or DTLS-SRTP echo calls against `mdh echo` (one
// Node process = one core), 50 packets/s each way per call (PCMU, 20 ms), RTCP running in every session (RFC 3550
// §6.2 intervals, SR/RR both ways). For each N (default 1000) it measures the loss of the echoed stream over the
// whole run (waiting for the last echoes), the echo's CPU share (goal: 1,000 calls at <= 50% of a core, < 0.1%
// loss) and the callers' CPU. The callers are lean so the echo is what is measured: MEDIA_CALLERS (default 2)
// processes, each leg's MediaSession with no jitter buffer or decoding (decodeAudio: false) and one G.711 frame
// encoded per 20 ms tick for all legs (sendRtp). Then the echo path alone, in process: packets per CPU-second of
// SRTP unprotect in place + `echoRtp` re-protect (MediaSession.handleInput → rtp event → echoRtp), next to
// libsrtp's protect + unprotect of the same packets (bench/native/srtp_bench.c) in the same run.
// MEDIA_CPU_PROF=DIR runs the echo with --cpu-prof into DIR and prints where its CPU went.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLoop } from '@mdh/loop';
import { MediaSession, ToneGenerator, ulawEncode } from '@mdh/media';
import { CallMedia, createSdpOffer, listenTransport, readSdpAnswer, UserAgent } from '@mdh/sip';
import { generateSdesCrypto } from '@mdh/srtp';
import { cpuMs, freePort, sleep, startLibsrtp } from './proc.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LEVELS = (process.env.MEDIA_N ?? '1000').split(',').map(Number);
const SECONDS = Number(process.env.MEDIA_SECONDS ?? 10);
const CALLERS = Number(process.env.MEDIA_CALLERS ?? 2);
/** A leg's packet counters from its MediaSession. */
function counters(l) {
  const s = l.media.session.stats();
  const d = s.dropped;
  return {
    packetsSent: s.sent.packets,
    packetsReceived: s.received.packets,
    dropped: d.unauthenticated + d.replayed + d.malformed + d.unknown,
    rtcpReceived: s.rtcp.received,
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
  // each leg's MediaSession (RTCP included, no jitter buffer), keyed before the measurement starts: a DTLS-SRTP
  // handshake is set-up, not media (bounded: 90 s)
  for (const l of legs) l.media = l.ep.attach(l.call, l.neg, { decodeAudio: false });
  for (let i = 0; i < 450 && legs.some((l) => l.media.state === 'keying'); i++) await sleep(200);
  process.stdout.write('ready\n');
  await new Promise((r) => process.stdin.once('data', r));
  // one 20 ms timer encodes the tone frame once and sends it on every leg
  const tone = new ToneGenerator({ frequency: 440 });
  const frame = new Int16Array(160);
  const payload = new Uint8Array(160);
  // frames go out on the media clock, not on the timer's count: a tick that the (shared) machine delayed sends
  // the frames due since the start, at most 3 (a 60 ms burst), so the offered rate stays near 50 pps per leg
  let frames = 0;
  let ticks = 0;
  const tStart = performance.now(); // every stream runs from here on
  const sender = loop.every(20, () => {
    ticks++;
    const due = Math.floor((performance.now() - tStart) / 20) + 1;
    for (let k = 0; frames < due && k < 3; frames++, k++) {
      tone.fill(frame);
      ulawEncode(frame, payload);
      for (const l of legs) if (l.media.state !== 'closed') l.media.sendRtp(payload);
    }
  });
  const u0 = process.cpuUsage();
  await sleep((1 + SECONDS) * 1000);
  loop.cancel(sender);
  const sendingMs = performance.now() - tStart;
  process.stdout.write('stopped\n');
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
  const rtcp = perLeg.reduce((a, c) => a + c.rtcpReceived, 0);
  process.stdout.write(
    `${JSON.stringify({ ...t, sendingMs, cpuMs: (u1.user + u1.system) / 1000, zero, partial, dropped, rtcp, ticks, frames })}\n`,
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
    spawn(process.execPath, [fileURLToPath(import.meta.url), '--caller', String(k), String(port), SRTP], {
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
    // the echo's CPU over the sending window (go … the last caller stopped), not the drain after it
    for (const next of lines) if ((await next(60_000)) !== 'stopped') throw new Error('caller failed');
    const wall = performance.now() - t0;
    const c1 = cpuMs(pid);
    const results = [];
    for (const next of lines) results.push(JSON.parse(await next(60_000)));
    if (process.env.MEDIA_DEBUG) console.error(JSON.stringify(results));
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
      rtcp: results.reduce((a, r) => a + r.rtcp, 0),
      lossy: results.reduce((a, r) => a + r.zero + r.partial, 0),
    };
  } finally {
    await sleep(500);
    for (const k of kids) k.kill('SIGKILL');
  }
}

if (process.argv[2] === '--caller') {
  await callerMain(Number(process.argv[3]), Number(process.argv[4]), process.argv[5]);
}

const argSrtp = process.argv.indexOf('--srtp');
const SRTP = argSrtp > 0 ? process.argv[argSrtp + 1] : 'sdes';
if (SRTP !== 'sdes' && SRTP !== 'dtls') {
  console.error('usage: pnpm bench media [--srtp sdes|dtls]');
  process.exit(2);
}
const LABEL = SRTP === 'sdes' ? 'SDES-SRTP' : 'DTLS-SRTP';

// ---------------------------------------------------------------- the echo path alone, in process
const ECHO_N = 20000;
const ECHO_ROUNDS = 3;
const SUITES = { cm: 'AES_CM_128_HMAC_SHA1_80', gcm: 'AEAD_AES_128_GCM' };

function sdesPair(suite) {
  const a = generateSdesCrypto(suite);
  const b = generateSdesCrypto(suite);
  const opts = (local, remote) => ({
    now: 0,
    remote: { address: '127.0.0.1', port: 40000 },
    security: { kind: 'sdes', local, remote },
    decodeAudio: false,
    mediaTimeoutMs: 0,
  });
  return { caller: opts(a, b), echo: opts(b, a) };
}

/** Packets per CPU-second of the echo path: SRTP unprotect in place, the rtp event, echoRtp re-protect. */
function echoPathRate(mode) {
  const pair = sdesPair(SUITES[mode]);
  const caller = new MediaSession(pair.caller);
  const payload = new Uint8Array(160).fill(0x7f);
  const corpus = [];
  for (let i = 0; i < ECHO_N; i++) {
    caller.sendRtp(payload, { now: i * 20 });
    for (let o = caller.pollOutput(); o.kind !== 'deadline'; o = caller.pollOutput()) {
      if (o.kind === 'datagram' && o.via === 'rtp') corpus.push(o.data.slice());
    }
  }
  const echo = new MediaSession(pair.echo);
  const from = { address: '127.0.0.1', port: 40000 };
  let out = 0;
  const t = process.cpuUsage();
  for (let i = 0; i < ECHO_N; i++) {
    const now = i * 20;
    echo.handleInput(corpus[i], from, now);
    for (let o = echo.pollOutput(); o.kind !== 'deadline'; o = echo.pollOutput()) {
      if (o.kind === 'event' && o.event.type === 'rtp')
        echo.echoRtp(o.event.bytes, now, true); // as mdh echo: in place
      else if (o.kind === 'datagram' && o.via === 'rtp') out++;
    }
  }
  const u = process.cpuUsage(t);
  if (out !== ECHO_N) throw new Error(`echo path sent ${out} of ${ECHO_N}`);
  return ECHO_N / ((u.user + u.system) / 1e6);
}

async function echoPathTable() {
  const lib = startLibsrtp(ECHO_N);
  const best = new Map();
  const note = (k, v) => best.set(k, Math.max(best.get(k) ?? 0, v));
  try {
    for (const mode of ['cm', 'gcm']) echoPathRate(mode); // warm-up (JIT)
    for (let r = 0; r < ECHO_ROUNDS; r++) {
      for (const mode of ['cm', 'gcm']) {
        note(`${mode} ours`, echoPathRate(mode));
        if (lib) {
          // one echoed packet = one unprotect + one protect: combined rate 1 / (1/p + 1/u)
          const p = await lib.run(mode, 'protect');
          const u = await lib.run(mode, 'unprotect');
          note(`${mode} libsrtp`, 1 / (1 / p + 1 / u));
        }
      }
    }
  } finally {
    lib?.close();
  }
  const fmt = (x) => (x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
  console.log(`\nEcho path, 172-octet RTP packets, best of ${ECHO_ROUNDS} rounds × ${ECHO_N}, packets/s of CPU time\n`);
  console.log(`${'profile / path'.padEnd(64)}${'packets/s'.padStart(12)}${'vs libsrtp'.padStart(12)}`);
  for (const mode of ['cm', 'gcm']) {
    const o = best.get(`${mode} ours`);
    const l = best.get(`${mode} libsrtp`);
    console.log(
      `${`${SUITES[mode]} MediaSession unprotect in place + echoRtp`.padEnd(64)}${fmt(o).padStart(12)}${(l ? `${(o / l).toFixed(2)}×` : '—').padStart(12)}`,
    );
    console.log(`${`${SUITES[mode]} libsrtp protect + unprotect`.padEnd(64)}${fmt(l).padStart(12)}`);
    console.log(`${''.padEnd(64)}  (1,000 calls = 50,000 packets/s echoed)`);
  }
}

/** Self time by function of a .cpuprofile, top `n` lines. */
function profileSummary(dir, n = 15) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (!files.length) return console.log(`(no .cpuprofile in ${dir})`);
  const prof = JSON.parse(readFileSync(join(dir, files.sort().at(-1)), 'utf8'));
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const self = new Map();
  const dt = prof.timeDeltas;
  for (let i = 0; i < prof.samples.length; i++) {
    const node = byId.get(prof.samples[i]);
    const cf = node.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`\nmdh echo CPU profile (${join(dir, files.at(-1))}), self time, whole process life:`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`${((100 * v) / total).toFixed(1).padStart(6)}%  ${k}`);
  }
}

// ---------------------------------------------------------------- the calls
const PROF = process.env.MEDIA_CPU_PROF;
const echoPort = await freePort();
const echo = spawn(
  process.execPath,
  [
    ...(PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`] : []),
    join(root, 'packages/cli/dist/bin.js'),
    'echo',
    '--sip',
    `127.0.0.1:${echoPort}`,
    '--srtp',
    SRTP,
    '--quiet',
  ],
  { stdio: 'ignore' },
);
await sleep(1500);
const rows = [];
try {
  for (const n of LEVELS) {
    const r = await level(n, echoPort, echo.pid);
    rows.push(r);
    console.error(
      `mdh echo (${LABEL}) N=${n}: sent ${r.sent} received ${r.received} loss ${r.loss.toFixed(3)}% offered ${r.offered.toFixed(0)}% echo cpu ${r.cpuPct.toFixed(0)}% callers cpu ${r.callerCpuPct.toFixed(0)}% rtcp ${r.rtcp}`,
    );
  }
} finally {
  if (PROF) {
    // two SIGINTs: the echo exits at once (process.exit writes the profile); bounded wait
    const gone = new Promise((r) => echo.once('exit', r));
    echo.kill('SIGINT');
    await sleep(200);
    echo.kill('SIGINT');
    await Promise.race([gone, sleep(10_000)]);
  }
  echo.kill('SIGKILL');
}

console.log(
  `\nMedia echo: N concurrent ${LABEL} calls, RTCP running, 50 pps each way, ${SECONDS} s of media per level (loss of the echoed stream)\n`,
);
console.log(
  '    N   packets sent   received   loss %   offered %   echo CPU %   calls/core   RTCP rcvd   callers CPU % (sum)',
);
for (const r of rows) {
  console.log(
    `${String(r.n).padStart(5)}   ${String(r.sent).padStart(12)}   ${String(r.received).padStart(8)}   ${r.loss.toFixed(3).padStart(6)}   ${r.offered.toFixed(0).padStart(9)}   ${r.cpuPct.toFixed(0).padStart(10)}   ${Math.round(
      (r.n * Math.min(100, r.offered)) / r.cpuPct,
    )
      .toLocaleString('en-US')
      .padStart(10)}   ${String(r.rtcp).padStart(9)}   ${r.callerCpuPct.toFixed(0).padStart(13)}`,
  );
}
const at = rows.find((r) => r.n === 1000);
if (at) {
  // the echo's CPU scales with the packets it echoes: scaled to the full 50 pps when the callers offered less
  const full = (100 * at.cpuPct) / Math.min(100, at.offered);
  const ok = at.loss < 0.1 && full <= 50;
  console.log(
    `\ngoal (1,000 calls: echo <= 50% of a core, < 0.1% loss): ${ok ? 'met' : 'NOT met'} at N=${at.n} — echo ${at.cpuPct.toFixed(0)}% at ${at.offered.toFixed(0)}% offered, ${full.toFixed(0)}% at the full rate (ratio to goal ${(full / 50).toFixed(2)}), loss ${at.loss.toFixed(3)}%`,
  );
}
await echoPathTable();
if (PROF) profileSummary(PROF);
