import { main } from '@mdh/cli';
import { formatTrace, listenTransport, UserAgent } from '@mdh/sip';
import { afterEach, describe, expect, it, vi } from 'vitest';

// `mdh call -v` prints every SIP message sent and received (start line and headers), as `formatTrace` does for
// any user agent's `stack.onTrace` (what `mdh echo -v` uses).

afterEach(() => vi.restoreAllMocks());

describe('SIP trace (-v)', () => {
  it('mdh call -v against an answering UA with a trace: both print INVITE, 200, ACK, BYE with their headers', async () => {
    const echoTrace: string[] = [];
    const echo = new UserAgent({
      transports: [await listenTransport('udp', { host: '127.0.0.1', port: 0 })],
      media: true,
    });
    echo.stack.onTrace = (e) => echoTrace.push(formatTrace(e));
    echo.on('invite', (inv) => void inv.answer());
    const port = echo.stack.transports[0]!.localPort;
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
      err.push(String(c));
      return true;
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await main(['call', `sip:echo@127.0.0.1:${port}`, '-v', '--duration', '0.3']);
      expect(code).toBe(0);
    } finally {
      vi.restoreAllMocks();
      await echo.close();
    }
    const call = err.join('');
    expect(call).toMatch(/^>> to 127\.0\.0\.1:\d+ \(udp, \d+ bytes\)\nINVITE sip:echo@127\.0\.0\.1:\d+ SIP\/2\.0\n/m);
    expect(call).toMatch(/^<< from 127\.0\.0\.1:\d+ .*\nSIP\/2\.0 200 OK\n/m);
    expect(call).toMatch(/^ACK sip:/m);
    expect(call).toMatch(/^BYE sip:/m);
    expect(call).toMatch(/^Call-ID: /m);
    expect(call).not.toMatch(/^v=0/m); // bodies are not printed
    const e = echoTrace.join('');
    expect(e).toMatch(/^<< from .*\nINVITE sip:/m);
    expect(e).toMatch(/^>> to .*\nSIP\/2\.0 200 OK\n/m);
    expect(e).toMatch(/^<< from .*\nBYE sip:/m);
  }, 30_000);
});
