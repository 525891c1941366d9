// The `mdh` command line, run as a user runs it: the built binary (packages/cli/dist/bin.js, so after
// `pnpm build`) in a child process, against loopback peers started here (an in-test DNS server, a
// silent UDP socket, a closed port, `mdh echo`).
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeMessage, encodeMessage } from '@mdh/loop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandNames } from '../src/registry.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mdh ...args` to completion (bounded by `timeoutMs`). */
function mdh(args: string[], timeoutMs = 20_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`mdh ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A UDP port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('mdh: strict arguments, help and version', () => {
  it('--version prints the package version (also after a command)', async () => {
    for (const args of [['--version'], ['call', '--version'], ['resolve', '--version']]) {
      const r = await mdh(args);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(VERSION);
    }
  });

  it('mdh --help describes every command in one line', async () => {
    const r = await mdh(['--help']);
    expect(r.code).toBe(0);
    for (const n of commandNames) expect(r.stdout).toMatch(new RegExp(`^  ${n} +\\S.{10,}$`, 'm'));
  });

  it('--help on every command lists its options with their defaults', async () => {
    for (const n of commandNames.filter((c) => c !== 'mdhavers')) {
      const r = await mdh([n, '--help']);
      expect(r.code, n).toBe(0);
      expect(r.stdout, n).toMatch(new RegExp(`^usage: mdh ${n} `));
      expect(r.stdout, n).toContain('--help');
    }
    const call = await mdh(['call', '--help']);
    expect(call.stdout).toMatch(/--duration S +.*\(default: 5\)/);
    expect(call.stdout).toMatch(/--timeout S +.*\(default: 32\)/);
    expect(call.stdout).toMatch(/--srtp none\|sdes\|dtls +.*\(default: none\)/);
  });

  it('an unknown flag is a usage error: exit 2, one line saying what, then the usage', async () => {
    const r = await mdh(['call', 'sip:echo@127.0.0.1:9', '--durashun', '2']);
    expect(r.code).toBe(2);
    const [first, second] = r.stderr.split('\n');
    expect(first).toBe("mdh call: unknown option '--durashun'");
    expect(second).toBe('usage: mdh call SIP-URI [options]');
    expect(r.stdout).toBe('');
  });

  it('bad values are usage errors: --duration abc, --srtp bogus, --timeout -1, --dns x:y', async () => {
    const cases: [string[], RegExp][] = [
      [['call', 'sip:a@127.0.0.1', '--duration', 'abc'], /^mdh call: --duration: 'abc' is not a number of seconds/],
      [['call', 'sip:a@127.0.0.1', '--srtp', 'bogus'], /^mdh call: --srtp must be one of none, sdes, dtls/],
      [['call', 'sip:a@127.0.0.1', '--timeout=-1'], /^mdh call: --timeout: '-1' is not a number of seconds/],
      [['call', 'sip:a@127.0.0.1', '--duration'], /^mdh call: --duration needs a value/],
      [['resolve', 'example.com', '--dns', 'x:y'], /^mdh resolve: --dns: bad/],
      [['echo', '--sip', '127.0.0.1:99999'], /^mdh echo: --sip: bad port/],
      [['parse'], /^mdh parse: missing <file\|->/],
      [['parse', 'a', 'b'], /^mdh parse: unexpected argument 'b'/],
      [['dtls', 'dance', '127.0.0.1:1'], /^mdh dtls: the first argument must be connect or listen/],
      [['b2bua', '--media', 'pass'], /^mdh b2bua: --to is required/],
      [['nope'], /^mdh: unknown command 'nope'/],
    ];
    for (const [args, re] of cases) {
      const r = await mdh(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
  });
});

describe('mdh resolve', () => {
  // An in-test DNS server: names under nx.test do not exist (NXDOMAIN); names under empty.test exist
  // but have no records of any type (NODATA).
  let dns: Socket;
  let dnsPort = 0;
  beforeAll(async () => {
    dns = createSocket('udp4');
    dns.on('message', (msg, rinfo) => {
      const q = decodeMessage(new Uint8Array(msg));
      const name = q.questions[0]?.name ?? '';
      const rcode = name.endsWith('nx.test') ? 3 : 0;
      const res = encodeMessage({
        ...q,
        qr: true,
        ra: true,
        aa: true,
        rcode,
        answers: [],
        authorities: [],
        additionals: [],
      });
      dns.send(res, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => dns.bind(0, '127.0.0.1', r));
    dnsPort = dns.address().port;
  });
  afterAll(() => dns.close());

  it('prints IPv6 targets as [::1]:5061', async () => {
    const r = await mdh(['resolve', 'sips:[::1]:5061']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^tls +\[::1\]:5061 /m);
  });

  it('says NXDOMAIN when the domain does not exist', async () => {
    const r = await mdh(['resolve', 'sip:alice@nowhere.nx.test', '--dns', `127.0.0.1:${dnsPort}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'no SIP servers found for sip:alice@nowhere.nx.test: NXDOMAIN: nowhere.nx.test does not exist',
    );
  });

  it('says "no SRV" and "no address" when the domain exists but has neither', async () => {
    const r = await mdh(['resolve', 'empty.test', '--dns', `127.0.0.1:${dnsPort}`, '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe('[]');
    expect(r.stderr).toContain('no SRV records (_sip._udp.empty.test, _sip._tcp.empty.test, _sips._tcp.empty.test)');
    expect(r.stderr).toContain('no address: empty.test has no A or AAAA record');
  });
});

describe('mdh call', () => {
  it('reports a closed port as connection refused (ECONNREFUSED), not as a bare 503', async () => {
    const port = await closedUdpPort();
    const r = await mdh(['call', `sip:echo@127.0.0.1:${port}`, '--duration', '1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`connection refused by 127.0.0.1:${port}/udp (ECONNREFUSED)`);
    expect(r.stdout).not.toMatch(/failed: 503/);
    expect(r.stderr).toContain(`mdh call: trying sip:echo@127.0.0.1:${port}…`);
  });

  it('--timeout S gives up on a peer that never answers', async () => {
    const silent = createSocket('udp4'); // receives the INVITE, never answers
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    let invites = 0;
    silent.on('message', (m) => {
      if (m.toString('latin1').startsWith('INVITE ')) invites++;
    });
    try {
      const r = await mdh(['call', `sip:echo@127.0.0.1:${silent.address().port}`, '--timeout', '1', '--json']);
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as { ok: boolean; error: string; reason: string };
      expect(report.ok).toBe(false);
      expect(report.error).toBe('timeout');
      expect(report.reason).toBe('no final response within 1 s (--timeout)');
      expect(invites).toBeGreaterThan(0);
    } finally {
      silent.close();
    }
  });

  describe('against mdh echo', () => {
    const echoes: ChildProcess[] = [];
    /** Starts `mdh echo` on an ephemeral loopback port; resolves to the port. */
    function startEcho(extra: string[] = []): Promise<number> {
      const p = spawn(process.execPath, [BIN, 'echo', '--sip', '127.0.0.1:0', '--quiet', ...extra], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      echoes.push(p);
      return new Promise((resolve, reject) => {
        let err = '';
        const t = setTimeout(() => reject(new Error(`mdh echo did not start: ${err}`)), 15_000);
        p.stderr!.on('data', (d) => {
          err += d;
          const m = /listening on udp 127\.0\.0\.1:(\d+)/.exec(err);
          if (m) {
            clearTimeout(t);
            resolve(Number(m[1]));
          }
        });
      });
    }
    afterAll(() => {
      for (const p of echoes) p.kill('SIGKILL');
    });

    it('--expect-media: exit 0 when the media comes back, with a progress line on stderr', async () => {
      const port = await startEcho();
      const r = await mdh(
        ['call', `sip:echo@127.0.0.1:${port}`, '--duration', '1', '--expect-media', '--json'],
        30_000,
      );
      expect(r.stderr).toMatch(/mdh call: trying sip:echo@127\.0\.0\.1:\d+…/);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as { ok: boolean; media: { packetsSent: number; packetsReceived: number } };
      expect(report.ok).toBe(true);
      expect(report.media.packetsReceived / report.media.packetsSent).toBeGreaterThanOrEqual(0.9);
    });

    it('--expect-media: exit 1 when less than 90% of the media came back', async () => {
      const port = await startEcho(['--no-media']);
      const r = await mdh(['call', `sip:echo@127.0.0.1:${port}`, '--duration', '1', '--expect-media'], 30_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /mdh call: only \d+(\.\d)?% of the media came back \(--expect-media wants at least 90%\)/,
      );
      // without --expect-media the same call is a success: the call itself was answered
      const plain = await mdh(['call', `sip:echo@127.0.0.1:${port}`, '--duration', '1'], 30_000);
      expect(plain.code).toBe(0);
    });
  });
});
