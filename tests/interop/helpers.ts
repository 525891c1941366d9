import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { Resolver } from '@mdh/loop';

/** Shared helpers for the interop tests (free ports, OpenSSL and dnsmasq children). */

/** A UDP port on 127.0.0.1 that the OS just handed out (bound to port 0, then released). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

/** Every child started by {@link runOpenssl}, killed by {@link killPeers}. */
const peers: ChildProcess[] = [];

/** A running `openssl` child with its merged stdout+stderr. */
export interface Peer {
  proc: ChildProcess;
  out: () => string;
  waitFor: (re: RegExp, ms: number) => Promise<RegExpExecArray>;
}

/** Starts `openssl <args>`; `waitFor` resolves on the first match in its output, rejects on timeout or exit. */
export function runOpenssl(args: string[], env?: Record<string, string>): Peer {
  const proc = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  peers.push(proc);
  let buf = '';
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    buf += d.toString('latin1');
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  proc.on('exit', () => {
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = (re: RegExp, ms: number) =>
    new Promise<RegExpExecArray>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`timeout waiting for ${re} in openssl output:\n${buf}`)), ms);
      const check = () => {
        const m = re.exec(buf);
        if (m) {
          clearTimeout(t);
          res(m);
        } else if (proc.exitCode !== null) {
          clearTimeout(t);
          rej(new Error(`openssl exited (${proc.exitCode}) before ${re}:\n${buf}`));
        } else waiters.push(check);
      };
      check();
    });
  return { proc, out: () => buf, waitFor };
}

/** SIGKILLs one peer if it still runs. */
export function kill(p: Peer): void {
  if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
}

/** SIGKILLs every peer started by {@link runOpenssl} that still runs (for afterAll). */
export function killPeers(): void {
  for (const c of peers) if (c.exitCode === null) c.kill('SIGKILL');
}

/** OpenSSL's `-keymatexport` output line (RFC 5705 exporter, hex). */
export const KM_RE = /Keying material: ([0-9A-Fa-f]+)/;

/** `openssl s_server`/`s_client` options for DTLS-SRTP (RFC 5764) with the exporter printed (`len` bytes). */
export function srtpKeymatArgs(profiles: string, len: number): string[] {
  return ['-use_srtp', profiles, '-keymatexport', 'EXTRACTOR-dtls_srtp', '-keymatexportlen', String(len)];
}

/** `openssl s_server -dtls1_2` on 127.0.0.1:`port`, with a certificate and key when given. */
export function dtlsServerArgs(port: number, certFile?: string, keyFile?: string): string[] {
  return ['s_server', '-dtls1_2', '-accept', `127.0.0.1:${port}`, ...certArgs(certFile, keyFile)];
}

/** `openssl s_client -dtls1_2` to 127.0.0.1:`port`, with a certificate and key when given. */
export function dtlsClientArgs(port: number, certFile?: string, keyFile?: string): string[] {
  return ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${port}`, ...certArgs(certFile, keyFile)];
}

function certArgs(certFile?: string, keyFile?: string): string[] {
  return [...(certFile ? ['-cert', certFile] : []), ...(keyFile ? ['-key', keyFile] : [])];
}

/** An OpenSSL-made self-signed certificate in `dir`; `args` are extra `openssl req` options (e.g. `-sha1`). */
export function opensslCert(
  dir: string,
  name: string,
  keyArgs: string[],
  args: string[] = [],
): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      ...keyArgs,
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '30',
      '-subj',
      `/CN=${name}`,
      ...args,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { certFile, keyFile };
}

/**
 * Starts `dnsmasq -k` on 127.0.0.1 serving `records` (its own options, e.g. `--srv-host=…`), retrying on a
 * port clash up to 5 times; resolves once it answers an A query for `probeName` (bounded), or undefined.
 */
export async function startDnsmasq(
  records: string[],
  probeName: string,
  probeDelayMs: number,
): Promise<{ child: ChildProcess; port: number } | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeUdpPort();
    const c = spawn(
      'dnsmasq',
      [
        '-k',
        '-p',
        String(port),
        '--conf-file=/dev/null',
        '--no-resolv',
        '--no-hosts',
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        '--pid-file=',
        '--user=',
        ...records,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let exited = false;
    c.on('exit', () => {
      exited = true;
    });
    // Wait until it answers (bounded).
    const probe = new Resolver({
      servers: [`127.0.0.1:${port}`],
      timeoutMs: 100,
      retries: 0,
      cache: false,
      hostsFile: false,
    });
    for (let i = 0; i < 50 && !exited; i++) {
      try {
        await probe.a(probeName);
        return { child: c, port };
      } catch {
        await new Promise((r) => setTimeout(r, probeDelayMs));
      }
    }
    c.kill('SIGKILL');
  }
  return undefined;
}
