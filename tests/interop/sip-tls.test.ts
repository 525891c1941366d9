import { spawn } from 'node:child_process';
import { type EchoServer, placeCall, startEcho } from '@mdh/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';

const servers: EchoServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

describe.skipIf(!hasPeer('openssl'))('SIP over TLS', () => {
  it('openssl s_client sends a raw OPTIONS over TLS and gets 200 OK', async () => {
    const echo = await startEcho({ host: '127.0.0.1', port: 0, transport: 'tls' });
    servers.push(echo);
    const options = [
      `OPTIONS sips:echo@127.0.0.1:${echo.port} SIP/2.0`,
      'Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKossl1',
      'From: <sips:ossl@127.0.0.1>;tag=o1',
      `To: <sips:echo@127.0.0.1:${echo.port}>`,
      'Call-ID: openssl-options-1',
      'CSeq: 1 OPTIONS',
      'Max-Forwards: 70',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const p = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${echo.port}`, '-quiet', '-no_ign_eof'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\r\n\r\n')) p.kill('SIGTERM');
    });
    p.stdin.write(options);
    const kill = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await new Promise((r) => p.on('exit', r));
    clearTimeout(kill);
    expect(out).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(out).toContain('Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKossl1');
    expect(out).toMatch(/Allow: .*INVITE/);
  }, 20_000);

  for (const transport of ['tls', 'wss', 'ws'] as const) {
    it(`mdh call → mdh echo over ${transport} with SDES-SRTP media`, async () => {
      const echo = await startEcho({ host: '127.0.0.1', port: 0, transport });
      servers.push(echo);
      const scheme = transport === 'ws' ? 'sip' : 'sips';
      const r = await placeCall({
        target: `${scheme}:echo@127.0.0.1:${echo.port};transport=${transport}`,
        transport,
        srtp: 'sdes',
        durationS: 1,
        insecure: true,
      });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      expect(r.byeStatus).toBe(200);
      expect(r.media?.packetsReceived).toBeGreaterThan(40);
      expect(Math.abs((r.media?.receivedToneHz ?? 0) - 440)).toBeLessThan(3);
    }, 20_000);
  }
});
