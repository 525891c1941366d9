// Benchmark: the mdhavers interpreter (@mdh/mdhavers, built) against the same work in plain JavaScript.
// Each case is run as a whole process (`node …/dist/bin.js run case.braw` vs `node case.mjs`), as the
// reference figures for the Rust tree-walking interpreter were taken: fib(27) ≈ 0.33 s, the 1M loop
// ≈ 0.98 s. Every case is bounded; the best of RUNS wall-clock times is reported.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = Number(process.env.MDH_BENCH_RUNS ?? 3);
const pkgIndex = fileURLToPath(import.meta.resolve('@mdh/mdhavers'));
const BIN = join(dirname(pkgIndex), 'bin.js');

const cases = [
  {
    name: 'fib(27)',
    ref: 0.33,
    expect: '196418',
    braw: `dae fib(n) {
    gin n < 2 { gie n }
    gie fib(n - 1) + fib(n - 2)
}
blether fib(27)
`,
    js: `function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
console.log(fib(27));
`,
  },
  {
    name: '1M dict/list loop',
    ref: 0.98,
    expect: '100 1000000',
    braw: `ken d = {}
ken l = []
ken i = 0
whiles i < 1000000 {
    d[tae_string(i % 100)] = i
    shove(l, i)
    i = i + 1
}
blether f"{len(d)} {len(l)}"
`,
    js: `const d = new Map();
const l = [];
for (let i = 0; i < 1000000; i++) {
  d.set(String(i % 100), i);
  l.push(i);
}
console.log(d.size + ' ' + l.length);
`,
  },
  {
    name: 'rtp_parse x10,000',
    ref: null,
    expect: '10000 4995045',
    braw: `fetch "stdlib/rtp"
ken total = 0
ken ok = 0
fer i in 0..10000 {
    ken info = rtp_parse(rtp_packet("0123456789abcdef0123456789abcdef", i % 65536, i * 160, 305419896, 0))
    gin info["ok"] {
        ok = ok + 1
        total = total + info["seq"] % 1001
    }
}
blether f"{ok} {total}"
`,
    js: `function header(seq, ts, ssrc, pt) {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  b[0] = 128; b[1] = pt % 128; v.setUint16(2, seq); v.setUint32(4, ts); v.setUint32(8, ssrc);
  return b;
}
function packet(payload, seq, ts, ssrc, pt) {
  const body = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const h = header(seq, ts, ssrc, pt);
  const out = new Uint8Array(h.length + body.length);
  out.set(h); out.set(body, h.length);
  return out;
}
function parse(b) {
  const n = b.length;
  if (n < 12) return { ok: false, error: 'rtp packet too short', len: n };
  const cc = b[0] % 16, hl = 12 + 4 * cc;
  if (n < hl) return { ok: false, error: 'rtp header too short', len: n };
  const v = new DataView(b.buffer, b.byteOffset, n);
  const csrcs = [];
  for (let i = 0; i < cc; i++) csrcs.push(v.getUint32(12 + 4 * i));
  return { ok: true, version: b[0] >> 6, padding: (b[0] & 0x20) !== 0, extension: (b[0] & 0x10) !== 0, csrc_count: cc,
    marker: (b[1] & 0x80) !== 0, payload_type: b[1] % 128, seq: v.getUint16(2), timestamp: v.getUint32(4),
    ssrc: v.getUint32(8), header_len: hl, csrcs, payload: b.slice(hl) };
}
let total = 0, ok = 0;
for (let i = 0; i < 10000; i++) {
  const info = parse(packet('0123456789abcdef0123456789abcdef', i % 65536, i * 160, 305419896, 0));
  if (info.ok) { ok++; total += info.seq % 1001; }
}
console.log(ok + ' ' + total);
`,
  },
];

function timeProcess(args) {
  let best = Number.POSITIVE_INFINITY;
  let out = '';
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    const p = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (p.status !== 0) throw new Error(`${args.join(' ')} failed: ${p.stderr}`);
    out = p.stdout.trim();
    best = Math.min(best, dt);
  }
  return { best, out };
}

const dir = mkdtempSync(join(tmpdir(), 'mdh-bench-'));
try {
  const rows = [];
  for (const c of cases) {
    const braw = join(dir, `${c.name.replace(/[^a-z0-9]+/gi, '_')}.braw`);
    const js = braw.replace(/\.braw$/, '.mjs');
    writeFileSync(braw, c.braw);
    writeFileSync(js, c.js);
    const m = timeProcess([BIN, 'run', braw]);
    const j = timeProcess([js]);
    if (m.out !== c.expect || j.out !== c.expect) {
      throw new Error(`${c.name}: unexpected output mdhavers=${m.out} js=${j.out} (want ${c.expect})`);
    }
    rows.push({ c, m: m.best, j: j.best });
  }
  const pad = (s, n) => String(s).padEnd(n);
  console.log(`mdhavers interpreter vs plain JavaScript (whole process, best of ${RUNS})`);
  console.log(
    `${pad('case', 20)}${pad('mdhavers s', 12)}${pad('ops/s', 10)}${pad('plain JS s', 12)}${pad('ops/s', 10)}${pad('ratio', 8)}Rust ref s`,
  );
  for (const { c, m, j } of rows) {
    console.log(
      `${pad(c.name, 20)}${pad(m.toFixed(3), 12)}${pad((1 / m).toFixed(2), 10)}${pad(j.toFixed(3), 12)}${pad((1 / j).toFixed(2), 10)}${pad(`${(m / j).toFixed(1)}x`, 8)}${c.ref === null ? '-' : `${c.ref} (ours/ref ${(m / c.ref).toFixed(2)})`}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
