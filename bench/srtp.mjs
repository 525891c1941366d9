// pnpm bench srtp — SRTP protect/unprotect of 172-octet RTP packets (12-octet header + 160-octet payload):
// @mdh/srtp (js, wasm and node backends, allocating and caller-buffer APIs; the noble backend allocating only), werift-rtp and libsrtp2 (bench/native/srtp_bench.c,
// compiled here when libsrtp2-dev is present), interleaved in rounds in the same run. Each figure is the best
// round, in packets per second of process CPU time (the machine is shared; CPU time is the fairer clock).
import { SrtpSession } from '@mdh/srtp';
import { RtpPacket, SrtpSession as WeriftSrtp } from 'werift-rtp';
import { startLibsrtp } from './proc.mjs';

const ROUNDS = Number(process.env.SRTP_BENCH_ROUNDS ?? 5);
const N = 30000; // packets per measurement (also the size of the pre-protected corpus for unprotect)
const KEY = new Uint8Array(16).fill(7);
const SALT14 = new Uint8Array(14).fill(9);
const SALT12 = new Uint8Array(12).fill(9);

function rtp(seq) {
  const p = new Uint8Array(172).fill(0xab);
  p[0] = 0x80;
  p[1] = 0;
  p[2] = (seq >> 8) & 0xff;
  p[3] = seq & 0xff;
  p.fill(0, 4, 11);
  p[11] = 1;
  return p;
}

function cpuRate(n, fn) {
  const t = process.cpuUsage();
  fn();
  const u = process.cpuUsage(t);
  return n / ((u.user + u.system) / 1e6);
}

// ---------------------------------------------------------------- contenders
const profiles = {
  cm: { ours: 'SRTP_AES128_CM_HMAC_SHA1_80', salt: SALT14, werift: 1 },
  gcm: { ours: 'SRTP_AEAD_AES_128_GCM', salt: SALT12, werift: 7 },
};

function oursProtect(mode, backend, into) {
  const { ours, salt } = profiles[mode];
  const tx = new SrtpSession({ profile: ours, key: KEY, salt, backend });
  const p = rtp(0);
  const out = new Uint8Array(256);
  let seq = 0;
  return cpuRate(N, () => {
    let sink = 0;
    for (let i = 0; i < N; i++) {
      seq = (seq + 1) & 0xffff;
      p[2] = seq >> 8;
      p[3] = seq & 0xff;
      if (into) sink += tx.protectInto(p, out, 0);
      else sink += tx.protect(p).length;
    }
    if (sink === 0) throw new Error('no output');
  });
}

function corpusOurs(mode) {
  const { ours, salt } = profiles[mode];
  const tx = new SrtpSession({ profile: ours, key: KEY, salt, backend: 'js' });
  const c = [];
  for (let i = 0; i < N; i++) c.push(tx.protect(rtp(i)));
  return c;
}

function oursUnprotect(mode, backend, into, corpus) {
  const { ours, salt } = profiles[mode];
  const rx = new SrtpSession({ profile: ours, key: KEY, salt, backend });
  const out = new Uint8Array(256);
  return cpuRate(N, () => {
    let sink = 0;
    for (let i = 0; i < N; i++) {
      if (into) sink += rx.unprotectInto(corpus[i], out, 0);
      else sink += rx.unprotect(corpus[i]).length;
    }
    if (sink !== 172 * N) throw new Error('unprotect failed');
  });
}

function werift(mode) {
  const { salt, werift: profile } = profiles[mode];
  const k = Buffer.from(KEY);
  const s = Buffer.from(salt);
  return new WeriftSrtp({
    keys: { localMasterKey: k, localMasterSalt: s, remoteMasterKey: k, remoteMasterSalt: s },
    profile,
  });
}

function weriftProtect(mode) {
  const w = werift(mode);
  const pkt = RtpPacket.deSerialize(Buffer.from(rtp(0)));
  let seq = 0;
  return cpuRate(N, () => {
    let sink = 0;
    for (let i = 0; i < N; i++) {
      seq = (seq + 1) & 0xffff;
      pkt.header.sequenceNumber = seq;
      sink += w.encrypt(pkt.payload, pkt.header).length;
    }
    if (sink === 0) throw new Error('no output');
  });
}

function weriftUnprotect(mode, corpus) {
  const w = werift(mode);
  const bufs = corpus.map((c) => Buffer.from(c));
  return cpuRate(N, () => {
    let sink = 0;
    for (let i = 0; i < N; i++) sink += w.decrypt(bufs[i]).length;
    if (sink !== 172 * N) throw new Error(`werift unprotect failed (${sink})`);
  });
}

// ---------------------------------------------------------------- libsrtp harness
const lib = startLibsrtp(N);

// ---------------------------------------------------------------- run
const rows = [];
const best = new Map();
const note = (k, v) => best.set(k, Math.max(best.get(k) ?? 0, v));
const corpora = { cm: corpusOurs('cm'), gcm: corpusOurs('gcm') };

// warm-up (JIT)
for (const mode of ['cm', 'gcm']) {
  oursProtect(mode, 'js', false);
  oursUnprotect(mode, 'js', false, corpora[mode]);
  oursProtect(mode, 'wasm', true);
  oursUnprotect(mode, 'wasm', true, corpora[mode]);
  oursProtect(mode, 'node', false);
  oursUnprotect(mode, 'node', false, corpora[mode]);
}

const MODES = (process.env.SRTP_BENCH_ONLY ?? 'cm,gcm').split(',');
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of MODES) {
    note(`${mode} protect ours-noble`, oursProtect(mode, 'noble', false));
    note(`${mode} unprotect ours-noble`, oursUnprotect(mode, 'noble', false, corpora[mode]));
    for (const backend of ['js', 'wasm', 'node']) {
      note(`${mode} protect ours-${backend}`, oursProtect(mode, backend, false));
      note(`${mode} protect ours-${backend} (into)`, oursProtect(mode, backend, true));
      note(`${mode} unprotect ours-${backend}`, oursUnprotect(mode, backend, false, corpora[mode]));
      note(`${mode} unprotect ours-${backend} (into)`, oursUnprotect(mode, backend, true, corpora[mode]));
    }
    note(`${mode} protect werift`, weriftProtect(mode));
    note(`${mode} unprotect werift`, weriftUnprotect(mode, corpora[mode]));
    if (lib) {
      note(`${mode} protect libsrtp`, await lib.run(mode, 'protect'));
      note(`${mode} unprotect libsrtp`, await lib.run(mode, 'unprotect'));
    }
  }
}
lib?.close();

const fmt = (x) => (x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '—');
console.log(`\nSRTP, 172-octet RTP packets, best of ${ROUNDS} rounds × ${N} packets, packets/s of CPU time\n`);
console.log(
  `${'profile / op'.padEnd(46)}${'ops/s'.padStart(12)}${'vs werift'.padStart(11)}${'vs libsrtp'.padStart(12)}`,
);
for (const mode of MODES) {
  for (const op of ['protect', 'unprotect']) {
    const w = best.get(`${mode} ${op} werift`);
    const l = best.get(`${mode} ${op} libsrtp`);
    const name = mode === 'cm' ? 'AES_CM_128_HMAC_SHA1_80' : 'AEAD_AES_128_GCM';
    for (const who of [
      'ours-js',
      'ours-js (into)',
      'ours-wasm',
      'ours-wasm (into)',
      'ours-noble',
      'ours-node',
      'ours-node (into)',
      'werift',
      'libsrtp',
    ]) {
      const v = best.get(`${mode} ${op} ${who}`);
      rows.push({ name, op, who, v });
      console.log(
        `${`${name} ${op} ${who}`.padEnd(46)}${fmt(v).padStart(12)}${(who === 'werift' ? '' : ratio(v, w)).padStart(11)}${(who === 'libsrtp' ? '' : ratio(v, l)).padStart(12)}`,
      );
    }
    console.log('');
  }
}
