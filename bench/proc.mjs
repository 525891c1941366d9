// Helpers shared by the benches that drive other processes (uas, proxy, workers, srtp, media): free ports, CPU
// time of a process (tree) from /proc, a bounded wait until a SIP server answers OPTIONS, and the libsrtp2
// reference harness (bench/native/srtp_bench.c).
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const TICK = 100; // clock ticks per second for /proc/<pid>/stat (Linux USER_HZ)

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A UDP port on 127.0.0.1 that the OS just handed out. */
export function freePort() {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** User + system CPU time of one process, ms (0 when it is gone). */
export function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ((Number(parts[11]) + Number(parts[12])) * 1000) / TICK;
  } catch {
    return 0;
  }
}

/** CPU time of a process and all its descendants, ms (Kamailio and cluster workers fork). */
export function treeCpuMs(pid) {
  const kids = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const f = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(f.slice(f.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch {}
  }
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    total += cpuMs(p);
    for (const k of kids.get(p) ?? []) stack.push(k);
  }
  return total;
}

/** Resolves true once something answers an OPTIONS on 127.0.0.1:port (bounded: 15 s), else false. */
export async function ready(port) {
  const s = createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  let got = false;
  s.on('message', () => {
    got = true;
  });
  const me = s.address().port;
  for (let i = 0; i < 75 && !got; i++) {
    const msg = [
      `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bKprobe${i}${Date.now()}`,
      'From: <sip:probe@127.0.0.1>;tag=p',
      `To: <sip:127.0.0.1:${port}>`,
      `Call-ID: probe-${i}-${Date.now()}`,
      'CSeq: 1 OPTIONS',
      'Max-Forwards: 70',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    s.send(msg, port, '127.0.0.1');
    await sleep(200);
  }
  s.close();
  return got;
}

/**
 * The libsrtp2 harness (bench/native/srtp_bench.c, compiled here when libsrtp2-dev is present), or null (with a
 * note printed) when it cannot be built. `run(mode, op)` resolves to packets per second of the harness's CPU time
 * for `n` 172-octet packets (mode `cm` or `gcm`, op `protect` or `unprotect`); bounded: 60 s per command.
 */
export function startLibsrtp(n) {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const src = `${here}native/srtp_bench.c`;
  const exe = `${here}native/build/srtp_bench`;
  if (!existsSync('/usr/include/srtp2/srtp.h')) {
    console.log('(libsrtp2-dev not installed: libsrtp column skipped)');
    return null;
  }
  mkdirSync(`${here}native/build`, { recursive: true });
  const cc = spawnSync('cc', ['-O2', '-o', exe, src, '-lsrtp2'], { encoding: 'utf8' });
  if (cc.status !== 0) {
    console.log(`(libsrtp harness did not compile: ${cc.stderr.trim()})`);
    return null;
  }
  const child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  return {
    run(mode, op) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('libsrtp harness timed out')), 60_000);
        waiting.push((l) => {
          clearTimeout(timer);
          if (l === 'error') reject(new Error('libsrtp harness reported an error'));
          else resolve(Number(l.split(' ')[0]));
        });
        child.stdin.write(`${mode} ${op} ${n}\n`);
      });
    },
    close() {
      child.stdin.end();
      child.kill();
    },
  };
}
