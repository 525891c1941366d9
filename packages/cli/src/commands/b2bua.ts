import {
  type Bridge,
  BridgeError,
  type BridgeMediaMode,
  bridge,
  listenTransport,
  type SipTransport,
  type SrtpMode,
  type TransportProtocol,
  UserAgent,
} from '@mdh/sip';
import { type CommandSpec, commandLine, formatHelp, hostPort, seconds } from '../args.js';
import { sipUri } from './sip-options.js';

/** Options of `mdh b2bua`. */
export const spec: CommandSpec = {
  name: 'b2bua',
  synopsis: '--to URI [options]',
  summary: 'A back-to-back user agent: bridges every incoming call to --to.',
  description:
    'Each incoming INVITE becomes a new call to --to; ringing, the answer or the failure, CANCEL, BYE and\n' +
    're-INVITEs (hold/resume) cross between the two calls. --media pass hands the SDP through (the endpoints\n' +
    'exchange media directly); --media relay anchors the media here: each leg gets its own port and keys\n' +
    '(--srtp-in on the caller leg, --srtp-out on the callee leg) and RTP is decrypted, re-encrypted and relayed.\n' +
    'A 401/407 from the callee leg is answered 502 to the caller, a 503 as 500. Prints the listening address,\n' +
    'one line per call, and on SIGINT/SIGTERM the totals; exit 0, 1 when it cannot listen, 2 on a usage error.',
  options: {
    listen: {
      type: 'string',
      value: 'HOST:PORT',
      default: '127.0.0.1:5060',
      parse: hostPort(5060),
      help: 'address to listen on',
    },
    transport: { type: 'string', choices: ['udp', 'tcp'], default: 'udp', help: 'SIP transport' },
    to: { type: 'string', value: 'URI', parse: sipUri, help: 'where every call is bridged to (required)' },
    media: { type: 'string', choices: ['relay', 'pass'], default: 'relay', help: 'anchor the media or pass the SDP' },
    'srtp-in': {
      type: 'string',
      choices: ['any', 'none', 'sdes', 'dtls'],
      default: 'any',
      help: 'relay: protection accepted from the caller (any: what its offer uses)',
    },
    'srtp-out': {
      type: 'string',
      choices: ['same', 'none', 'sdes', 'dtls'],
      default: 'same',
      help: 'relay: protection offered to the callee (same: as the caller leg)',
    },
    timeout: {
      type: 'string',
      value: 'S',
      default: '60',
      parse: seconds(1),
      help: 'how long the callee may take to answer (then CANCEL, 408)',
    },
    json: { type: 'boolean', help: 'JSON lines' },
    quiet: { type: 'boolean', help: 'no line per call' },
  },
};

/** Usage of `mdh b2bua`. */
export const usage = formatHelp(spec);

/** One bridged (or failed) call, as `mdh b2bua` reports it. */
export interface B2buaCallRecord {
  callId: string;
  /** 200 when bridged, else the status the caller got. */
  status: number;
  /** Relay mode: RTP packets relayed caller→callee and callee→caller. */
  relayed?: [number, number];
  /** Relay mode: packets dropped (unmapped payload type, leg not ready). */
  dropped?: number;
}

/** Options of {@link startB2bua}. */
export interface B2buaOptions {
  host?: string;
  port?: number;
  transport?: TransportProtocol;
  /** Where calls are bridged to. */
  to: string;
  media?: BridgeMediaMode;
  srtpIn?: SrtpMode | 'any';
  srtpOut?: SrtpMode | 'same';
  /** How long the callee leg may take to answer (ms). */
  timeoutMs?: number;
  /** Called once per call, when it has ended. */
  onCall?: (r: B2buaCallRecord) => void;
}

/** A running B2BUA (the library behind `mdh b2bua`). */
export interface B2buaServer {
  readonly ua: UserAgent;
  readonly transport: SipTransport;
  /** Bridges in progress or up. */
  readonly live: Set<Bridge>;
  /** Calls bridged and calls that failed so far. */
  readonly totals: { bridged: number; failed: number };
  /** Ends the bridges and closes the transport. */
  stop(): Promise<void>;
}

/** Starts a B2BUA on one transport. */
export async function startB2bua(o: B2buaOptions): Promise<B2buaServer> {
  const host = o.host ?? '127.0.0.1';
  const transport = await listenTransport(o.transport ?? 'udp', { host, port: o.port ?? 5060 });
  const ua = new UserAgent({ transports: [transport], user: 'b2bua' });
  ua.on('error', () => {});
  const live = new Set<Bridge>();
  const totals = { bridged: 0, failed: 0 };
  ua.on('invite', (inv) => {
    const br = bridge(ua, inv, o.to, {
      media: o.media ?? 'relay',
      ...(o.srtpIn && o.srtpIn !== 'any' ? { srtpIn: o.srtpIn } : {}),
      ...(o.srtpOut && o.srtpOut !== 'same' ? { srtpOut: o.srtpOut } : {}),
      mediaHost: host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host,
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    });
    live.add(br);
    let status = 200;
    br.established.then(
      () => totals.bridged++,
      (e: unknown) => {
        totals.failed++;
        status = e instanceof BridgeError ? e.status : 500;
      },
    );
    void br.done.then(() => {
      live.delete(br);
      const rec: B2buaCallRecord = { callId: inv.request.callId ?? '', status };
      if (br.relays.length === 2) {
        rec.relayed = [br.relays[0]!.stats.relayed, br.relays[1]!.stats.relayed];
        rec.dropped = br.relays[0]!.stats.dropped + br.relays[1]!.stats.dropped;
      }
      o.onCall?.(rec);
    });
  });
  return {
    ua,
    transport,
    live,
    totals,
    stop: async () => {
      await Promise.race([
        Promise.all([...live].map((b) => b.hangup())),
        new Promise((r) => setTimeout(r, 2000).unref()),
      ]);
      await ua.close();
    },
  };
}

/** Runs `mdh b2bua` until SIGINT/SIGTERM. */
export async function run(argv: string[]): Promise<number> {
  const cl = commandLine(spec, argv);
  if (typeof cl === 'number') return cl;
  const v = cl.values;
  if (typeof v.to !== 'string') {
    process.stderr.write(`mdh b2bua: --to is required\n${usage}\n`);
    return 2;
  }
  const listen = v.listen as { host: string; port: number };
  const json = v.json === true;
  const quiet = v.quiet === true;
  const o: B2buaOptions = {
    host: listen.host,
    port: listen.port,
    transport: v.transport as TransportProtocol,
    to: v.to,
    media: v.media as BridgeMediaMode,
    srtpIn: v['srtp-in'] as SrtpMode | 'any',
    srtpOut: v['srtp-out'] as SrtpMode | 'same',
    timeoutMs: (v.timeout as number) * 1000,
    onCall: (r) => {
      if (quiet) return;
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else
        process.stdout.write(
          `call ${r.callId}: ${r.status}${r.relayed ? ` relayed ${r.relayed[0]}→ ${r.relayed[1]}← dropped ${r.dropped}` : ''}\n`,
        );
    },
  };
  let server: B2buaServer;
  try {
    server = await startB2bua(o);
  } catch (e) {
    process.stderr.write(`mdh b2bua: cannot listen on ${o.host}:${o.port}: ${(e as Error).message}\n`);
    return 1;
  }
  const where = `${o.transport}:${server.transport.localAddress}:${server.transport.localPort}`;
  if (json) process.stdout.write(`${JSON.stringify({ listening: where, to: o.to, media: o.media })}\n`);
  else if (!quiet) process.stdout.write(`mdh b2bua listening on ${where} → ${o.to} (media ${o.media})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.stop();
  if (json) process.stdout.write(`${JSON.stringify({ totals: server.totals })}\n`);
  else if (!quiet) process.stdout.write(`mdh b2bua: ${JSON.stringify(server.totals)}\n`);
  return 0;
}
