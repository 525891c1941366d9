import { afterEach, describe, expect, it, vi } from 'vitest';
import { run as runCall } from '../packages/cli/src/commands/call.js';
import { startEcho } from '../packages/cli/src/commands/echo.js';

// `mdh call -v` and `mdh echo -v` print every SIP message sent and received (start line and headers).

afterEach(() => vi.restoreAllMocks());

describe('SIP trace (-v)', () => {
  it('mdh call -v against mdh echo with trace: both print INVITE, 200, ACK, BYE with their headers', async () => {
    const echoTrace: string[] = [];
    const echo = await startEcho({ host: '127.0.0.1', port: 0, trace: (t) => echoTrace.push(t) });
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
      err.push(String(c));
      return true;
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await runCall([`sip:echo@127.0.0.1:${echo.port}`, '-v', '--duration', '0.3']);
      expect(code).toBe(0);
    } finally {
      vi.restoreAllMocks();
      await echo.stop();
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
