import { formatReport, placeCall } from './call.js';
import { startEcho } from './echo.js';

/** Usage of `mdh demo`. */
export const usage = `usage: mdh demo [--duration S] [--srtp dtls|sdes|none] [--json]

Starts an echo user agent and calls it on loopback with DTLS-SRTP media (by default): SIP over UDP, a
DTLS 1.2 handshake keying SRTP, a 440 Hz tone echoed back; prints the echo's line and the call report.`;

/** `mdh demo` */
export async function run(argv: string[]): Promise<number> {
  const { parseArgs } = await import('../args.js');
  const a = parseArgs(argv, ['json']);
  const srtp = String(a.flags.get('srtp') ?? 'dtls') as 'dtls' | 'sdes' | 'none';
  const dur = Number(a.flags.get('duration') ?? 3);
  const json = a.flags.has('json');
  const lines: string[] = [];
  const echo = await startEcho({
    host: '127.0.0.1',
    port: 0,
    srtp,
    onCall: (r) =>
      lines.push(
        `echo: call ${r.n} srtp=${r.srtp} setup=${r.setupMs} ms echoed=${r.media?.packetsSent ?? 0} packets (${r.media?.srtpProfile ?? 'plain RTP'}), ended by ${r.ended}`,
      ),
  });
  const target = `sip:echo@127.0.0.1:${echo.port}`;
  if (!json)
    process.stdout.write(
      `mdh demo: echo listening on udp 127.0.0.1:${echo.port}; calling ${target} with srtp=${srtp} for ${dur}s\n`,
    );
  const r = await placeCall({ target, srtp, durationS: dur });
  await new Promise((res) => setTimeout(res, 100));
  await echo.stop();
  if (json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else process.stdout.write(`${formatReport(r)}\n${lines.join('\n')}\n`);
  const heard = r.media?.receivedToneHz ?? 0;
  return r.ok && Math.abs(heard - 440) < 5 ? 0 : 1;
}
