import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from './helpers.js';
import { hasPeer } from './peers.js';
import { sippMediaPort } from './sipp-helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'packages', 'mdhavers', 'dist', 'bin.js');
// The showcase runs under the built CLI (the root `pnpm test` builds before vitest).
const SHOWCASE = join(ROOT, 'packages', 'mdhavers', 'examples', 'sip_rtp_echo.braw');

const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts the showcase and resolves once it prints that it listens. */
async function startShowcase(sip: number, rtp: number, runMs: number) {
  const child = spawn(process.execPath, [BIN, 'run', SHOWCASE, String(sip), String(rtp), String(runMs), '127.0.0.1']);
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 15_000;
  while (!out.includes('RTP listening') && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!out.includes('RTP listening')) throw new Error(`showcase did not start: ${out} ${err}`);
  return { child, exited, output: () => out, errors: () => err };
}

function rtpPacket(seq: number, ts: number, ssrc: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(12 + payload.length);
  const v = new DataView(b.buffer);
  b[0] = 0x80;
  b[1] = 0;
  v.setUint16(2, seq);
  v.setUint32(4, ts);
  v.setUint32(8, ssrc);
  b.set(payload, 12);
  return b;
}

describe('mdhavers showcase (examples/sip_rtp_echo.braw)', () => {
  it('echoes RTP packets byte for byte and stops cleanly on SIGTERM', async () => {
    const [sip, rtp] = [await freeUdpPort(), await freeUdpPort()];
    const sc = await startShowcase(sip, rtp, 0);
    const sock: Socket = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const echoes: Buffer[] = [];
    sock.on('message', (m) => echoes.push(m));
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      const p = rtpPacket(1000 + i, 160 * i, 0xdecafbad, new TextEncoder().encode(`payload ${i}`));
      sent.push(p);
      sock.send(p, rtp, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 5));
    }
    const deadline = Date.now() + 10_000;
    while (echoes.length < sent.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    sock.close();
    expect(echoes.length).toBe(20);
    const key = (b: Uint8Array) => Buffer.from(b).toString('hex');
    expect(new Set(echoes.map(key))).toEqual(new Set(sent.map(key)));
    sc.child.kill('SIGTERM');
    expect(await sc.exited).toBe(0);
    expect(sc.output()).toContain(`RTP seq=1000 ts=0 ssrc=${0xdecafbad}`);
    expect(sc.output()).toContain('stopped: 0 calls answered, 20 RTP packets echoed');
  });
});

describe.skipIf(!hasPeer('sipp'))('mdhavers showcase answers sipp', () => {
  it('sipp -sn uac completes every call', async () => {
    const [sip, rtp, local] = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
    const sc = await startShowcase(sip, rtp, 30_000);
    const r = spawnSync(
      'sipp',
      [
        '-sn',
        'uac',
        `127.0.0.1:${sip}`,
        '-i',
        '127.0.0.1',
        '-p',
        String(local),
        '-m',
        '3',
        '-r',
        '10',
        '-l',
        '3',
        '-nostdin',
        '-mp',
        String(sippMediaPort()),
        '-timeout',
        '20',
        '-timeout_error',
      ],
      { encoding: 'utf8', timeout: 25_000 },
    );
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/Successful call\s*\|\s*\d+\s*\|\s*3/);
    sc.child.kill('SIGTERM');
    expect(await sc.exited).toBe(0);
    const out = sc.output();
    expect(out.match(/SIP request: INVITE/g)?.length).toBe(3);
    expect(out.match(/SIP request: BYE/g)?.length).toBe(3);
    expect(out).toContain('stopped: 3 calls answered');
  });
});
