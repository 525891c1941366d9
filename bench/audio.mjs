// pnpm bench audio — @mdh/media audio components against peers, measured in the same run, interleaved in rounds:
//   * G.711 μ-law and A-law encode/decode of 20 ms frames (160 samples): ours into a preallocated buffer vs
//     alawmulaw 6.0.0 (allocates its output per call),
//   * jitter buffer: a 20 ms packet stream with 5% adjacent reordering and 1% duplicates, ours (push + paced pop,
//     payload copied into preallocated slots) vs werift-rtp 0.8.9's JitterBufferBase (reorder by sequence number).
// Each figure is the best round in frames (or packets) per second of process CPU time; the ratio is ours / peer.
import { g711Decode, g711Encode, JitterBuffer } from '@mdh/media';
import alawmulawModule from 'alawmulaw';
import { RtpHeader, RtpPacket } from 'werift-rtp';
import { JitterBufferBase } from 'werift-rtp/extra';

const { mulaw, alaw } = alawmulawModule;
const ROUNDS = Number(process.env.AUDIO_BENCH_ROUNDS ?? 5);
const FRAMES = 100_000;
const PACKETS = 100_000;

function cpuRate(n, fn) {
  const t = process.cpuUsage();
  fn();
  const u = process.cpuUsage(t);
  return n / ((u.user + u.system) / 1e6);
}

// ------------------------------------------------------------------ inputs
const pcm = new Int16Array(160);
for (let i = 0; i < 160; i++) pcm[i] = Math.round(12000 * Math.sin(i / 2.3) + 3000 * Math.sin(i / 0.7));
const ulawBytes = new Uint8Array(160);
const alawBytes = new Uint8Array(160);
g711Encode('PCMU', pcm, ulawBytes);
g711Encode('PCMA', pcm, alawBytes);
{
  // both decoders must agree (the encoders differ on some inputs: alawmulaw does not quantise to G.711's grid first)
  const a = new Int16Array(160);
  g711Decode('PCMU', ulawBytes, a);
  const b = mulaw.decode(ulawBytes);
  for (let i = 0; i < 160; i++) if (a[i] !== b[i]) throw new Error('μ-law decoders disagree');
  const all = new Int16Array(65536).map((_, i) => i - 32768);
  const ours = new Uint8Array(65536);
  g711Encode('PCMU', all, ours);
  const theirs = mulaw.encode(all);
  let d = 0;
  for (let i = 0; i < 65536; i++) if (ours[i] !== theirs[i]) d++;
  console.log(`note: μ-law encoders differ on ${d} of 65536 inputs (ours: G.711 decision values on the 14-bit grid)`);
}

// jitter-buffer stream: 20 ms packets, 5% adjacent swaps, 1% duplicates (deterministic)
const order = [];
{
  let seed = 12345;
  const rnd = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < PACKETS; i++) order.push(i);
  for (let i = 0; i + 1 < PACKETS; i++) if (rnd() < 0.05) [order[i], order[i + 1]] = [order[i + 1], order[i]];
  for (let i = PACKETS - 1; i > 0; i--) if (rnd() < 0.01) order.splice(i, 0, order[i]);
}
const payload = new Uint8Array(160).fill(0xd5);
const weriftPackets = order.map(
  (i) =>
    new RtpPacket(
      new RtpHeader({ payloadType: 0, sequenceNumber: i & 0xffff, timestamp: (i * 160) >>> 0, ssrc: 1 }),
      Buffer.from(payload),
    ),
);

// ------------------------------------------------------------------ contenders
let sink = 0;
const out8 = new Uint8Array(160);
const out16 = new Int16Array(160);

const cases = {
  'μ-law encode  ours': () =>
    cpuRate(FRAMES, () => {
      for (let i = 0; i < FRAMES; i++) sink += g711Encode('PCMU', pcm, out8);
    }),
  'μ-law encode  alawmulaw': () =>
    cpuRate(FRAMES, () => {
      for (let i = 0; i < FRAMES; i++) sink += mulaw.encode(pcm).length;
    }),
  'μ-law decode  ours': () =>
    cpuRate(FRAMES, () => {
      for (let i = 0; i < FRAMES; i++) sink += g711Decode('PCMU', ulawBytes, out16);
    }),
  'μ-law decode  alawmulaw': () =>
    cpuRate(FRAMES, () => {
      for (let i = 0; i < FRAMES; i++) sink += mulaw.decode(ulawBytes).length;
    }),
  'A-law encode  ours': () =>
    cpuRate(FRAMES, () => {
      for (let i = 0; i < FRAMES; i++) sink += g711Encode('PCMA', pcm, out8);
    }),
  'A-law encode  alawmulaw': () =>
    cpuRate(FRAMES, () => {
      for (let i = 0; i < FRAMES; i++) sink += alaw.encode(pcm).length;
    }),
  'A-law decode  ours': () =>
    cpuRate(FRAMES, () => {
      for (let i = 0; i < FRAMES; i++) sink += g711Decode('PCMA', alawBytes, out16);
    }),
  'A-law decode  alawmulaw': () =>
    cpuRate(FRAMES, () => {
      for (let i = 0; i < FRAMES; i++) sink += alaw.decode(alawBytes).length;
    }),
  'jitter buffer ours (push + paced pop)': () =>
    cpuRate(order.length, () => {
      const jb = new JitterBuffer({ mode: 'fixed', targetDelayMs: 60 });
      let now = 0;
      for (let k = 0; k < order.length; k++) {
        const i = order[k];
        now = Math.max(i * 20, now);
        jb.push(payload, (i * 160) >>> 0, i & 0xffff, false, now);
        for (let f = jb.pop(now); f; f = jb.pop(now)) sink += f.timestamp;
      }
      if (jb.stats.played < PACKETS * 0.99) throw new Error(`ours played ${jb.stats.played}`);
    }),
  'jitter buffer werift JitterBufferBase': () =>
    cpuRate(weriftPackets.length, () => {
      const jb = new JitterBufferBase(8000, { latency: 60 });
      let played = 0;
      for (const rtp of weriftPackets) {
        for (const o of jb.processInput({ rtp })) if (o.rtp) played++;
      }
      sink += played;
      if (played < PACKETS * 0.99) throw new Error(`werift played ${played}`);
    }),
};

const best = Object.fromEntries(Object.keys(cases).map((k) => [k, 0]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(cases)) {
    globalThis.gc?.();
    best[name] = Math.max(best[name], fn());
  }
}

const fmt = (x) => `${(x / 1e6).toFixed(2)} M/s`;
console.log(
  `\naudio bench: best of ${ROUNDS} rounds, per CPU-second (frames of 160 samples; packets for the jitter buffers)\n`,
);
for (const [name, v] of Object.entries(best)) console.log(`  ${name.padEnd(40)} ${fmt(v)}`);
console.log('\nratios (ours / peer):');
const pairs = [
  ['μ-law encode', 'μ-law encode  ours', 'μ-law encode  alawmulaw'],
  ['μ-law decode', 'μ-law decode  ours', 'μ-law decode  alawmulaw'],
  ['A-law encode', 'A-law encode  ours', 'A-law encode  alawmulaw'],
  ['A-law decode', 'A-law decode  ours', 'A-law decode  alawmulaw'],
  ['jitter buffer', 'jitter buffer ours (push + paced pop)', 'jitter buffer werift JitterBufferBase'],
];
for (const [label, a, b] of pairs) console.log(`  ${label.padEnd(16)} ${(best[a] / best[b]).toFixed(2)}x`);
if (sink === 0.5) console.log(sink);
