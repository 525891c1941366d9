import { type CommandSpec, commandLine, formatHelp, seconds } from '../args.js';
import { formatReport, placeCall } from './call.js';
import { startEcho } from './echo.js';

/** Options of `mdh demo`. */
export const spec: CommandSpec = {
  name: 'demo',
  synopsis: '[options]',
  summary:
    'Starts an echo user agent and calls it on loopback: SIP over UDP, DTLS-SRTP media (by default), a 440 Hz tone echoed back.',
  description: "Prints the echo's line and the call report; exit 0 when the tone came back.",
  options: {
    duration: { type: 'string', value: 'S', default: '3', parse: seconds(), help: 'how long to send media' },
    srtp: { type: 'string', choices: ['dtls', 'sdes', 'none'], default: 'dtls', help: 'media protection' },
    json: { type: 'boolean', help: 'print the report as JSON' },
  },
};

/** Usage of `mdh demo`. */
export const usage = formatHelp(spec);

/** `mdh demo` */
export async function run(argv: string[]): Promise<number> {
  const cl = commandLine(spec, argv);
  if (typeof cl === 'number') return cl;
  const srtp = cl.values.srtp as 'dtls' | 'sdes' | 'none';
  const dur = cl.values.duration as number;
  const json = cl.values.json === true;
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
