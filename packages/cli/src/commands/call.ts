import { createLoop } from '@mdh/loop';
import {
  createSdpOffer,
  listenTransport,
  MediaEndpoint,
  type MediaStats,
  readSdpAnswer,
  SipCallError,
  type SrtpMode,
  type TransportProtocol,
  UserAgent,
} from '@mdh/sip';
import { parseArgs } from '../args.js';

/** Usage of `mdh call`. */
export const usage = `usage: mdh call SIP-URI [--duration S] [--srtp none|sdes|dtls] [--auth USER:PASS]
                [--transport udp|tcp|tls|ws|wss] [--bind HOST] [--tone HZ] [--ca FILE] [--insecure] [--json]

Places a call, sends a 440 Hz PCMU tone in 20 ms packets, receives the echo, hangs up and prints a call
report (setup time, packets sent/received, loss, jitter, round trip, the frequency heard back).
Exits 0 when the call was established and answered.`;

/** Options of {@link placeCall}. */
export interface CallOptions {
  target: string;
  durationS?: number;
  srtp?: SrtpMode;
  auth?: { username: string; password: string };
  transport?: TransportProtocol;
  bind?: string;
  toneHz?: number;
  /** Extra time to wait for the last echoes before BYE (default 300 ms). */
  drainMs?: number;
  /** TLS/WSS: trust these CAs (PEM), or accept any certificate (self-signed test peers only). */
  ca?: string;
  insecure?: boolean;
}

/** The call report. */
export interface CallReport {
  ok: boolean;
  target: string;
  status: number;
  reason: string;
  transport: TransportProtocol;
  srtp: SrtpMode;
  setupMs: number;
  durationS: number;
  codec?: string;
  media?: MediaStats;
  byeStatus?: number;
}

/** Places one call and returns its report (the library behind `mdh call`). */
export async function placeCall(o: CallOptions): Promise<CallReport> {
  const srtp = o.srtp ?? 'none';
  const tp: TransportProtocol =
    o.transport ??
    (/;transport=(\w+)/i.exec(o.target)?.[1]?.toLowerCase() as TransportProtocol | undefined) ??
    (/^sips:/i.test(o.target) ? 'tls' : 'udp');
  const v6 = /@\[|^sips?:\[/.test(o.target);
  const bind = o.bind ?? (v6 ? '::1' : '127.0.0.1');
  const loop = createLoop();
  const transport = await listenTransport(tp, {
    host: bind,
    port: 0,
    ...(o.ca ? { ca: o.ca } : {}),
    ...(o.insecure ? { insecure: true } : {}),
  });
  const ua = new UserAgent({ transports: [transport], loop, user: 'mdh', ...(o.auth ? { credentials: o.auth } : {}) });
  ua.stack.onError = () => {};
  const ep = await MediaEndpoint.open({ srtp, host: bind, loop });
  const report: CallReport = {
    ok: false,
    target: o.target,
    status: 0,
    reason: '',
    transport: tp,
    srtp,
    setupMs: 0,
    durationS: 0,
  };
  const target = o.target.startsWith('sip') ? o.target : `sip:${o.target}`;
  try {
    const offer = createSdpOffer(ep.local, { sessionId: String(Date.now()), version: 1 });
    const call = await ua.invite(target, { sdp: offer }).result;
    report.status = 200;
    report.reason = 'OK';
    report.setupMs = Math.round(call.setupMs * 100) / 100;
    const neg = readSdpAnswer(call.remoteSdp ?? '', ep.local);
    report.codec = neg.codec;
    let ended = false;
    call.on('ended', () => {
      ended = true;
    });
    const t0 = Date.now();
    await ep.start(neg, 'tone', { ...(o.toneHz ? { toneHz: o.toneHz } : {}) });
    const ms = Math.max(0, (o.durationS ?? 5) * 1000);
    await new Promise<void>((resolve) => {
      const stop = setInterval(() => {
        if (ended || Date.now() - t0 >= ms) {
          clearInterval(stop);
          resolve();
        }
      }, 10);
    });
    ep.stopSending();
    await new Promise((r) => setTimeout(r, o.drainMs ?? 300));
    report.durationS = Math.round((Date.now() - t0) / 100) / 10;
    report.media = ep.stats();
    if (!ended) report.byeStatus = await call.hangup();
    report.ok = true;
  } catch (e) {
    if (e instanceof SipCallError) {
      report.status = e.status;
      report.reason = e.message.replace(/^\d+ /, '');
    } else {
      report.status = report.status || 500;
      report.reason = e instanceof Error ? e.message : String(e);
      report.ok = false;
    }
  } finally {
    await ep.close();
    await ua.close();
    loop.stop();
  }
  return report;
}

/** Formats a report for people. */
export function formatReport(r: CallReport): string {
  if (!r.ok) return `call to ${r.target} failed: ${r.status} ${r.reason}`;
  const m = r.media;
  const lines = [
    `call to ${r.target}: ${r.status} ${r.reason} over ${r.transport}, media ${r.codec ?? '?'} srtp=${r.srtp}${m?.srtpProfile ? ` (${m.srtpProfile})` : ''}`,
    `  setup time      ${r.setupMs} ms`,
    `  duration        ${r.durationS} s`,
  ];
  if (m) {
    lines.push(
      `  packets         sent ${m.packetsSent}, received ${m.packetsReceived}`,
      `  loss            ${m.lost} (${m.lossPercent}%)`,
      `  jitter          ${m.jitterMs} ms`,
      `  round trip      ${m.rttMs ? `avg ${m.rttMs.avg} ms (min ${m.rttMs.min}, max ${m.rttMs.max})` : 'n/a'}`,
      `  tone heard back ${m.receivedToneHz ? `${m.receivedToneHz} Hz` : 'none'}`,
    );
  }
  if (r.byeStatus !== undefined) lines.push(`  BYE             ${r.byeStatus}`);
  return lines.join('\n');
}

/** Parses `--auth USER:PASS`. */
export function parseAuth(v: string | true | undefined): { username: string; password: string } | undefined {
  if (typeof v !== 'string') return undefined;
  const i = v.indexOf(':');
  if (i <= 0) throw new Error('--auth needs USER:PASS');
  return { username: v.slice(0, i), password: v.slice(i + 1) };
}

/** `mdh call` */
export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, ['json', 'insecure']);
  const target = a.positional[0];
  if (!target) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const srtp = String(a.flags.get('srtp') ?? 'none') as SrtpMode;
  if (!['none', 'sdes', 'dtls'].includes(srtp)) throw new Error(`bad --srtp '${srtp}'`);
  const dur = a.flags.get('duration');
  const tp = a.flags.get('transport');
  const bind = a.flags.get('bind');
  const tone = a.flags.get('tone');
  const auth = parseAuth(a.flags.get('auth'));
  const caFile = a.flags.get('ca');
  const ca = typeof caFile === 'string' ? (await import('node:fs')).readFileSync(caFile, 'utf8') : undefined;
  const r = await placeCall({
    target,
    srtp,
    ...(typeof dur === 'string' ? { durationS: Number(dur) } : {}),
    ...(typeof tp === 'string' ? { transport: tp as TransportProtocol } : {}),
    ...(typeof bind === 'string' ? { bind } : {}),
    ...(typeof tone === 'string' ? { toneHz: Number(tone) } : {}),
    ...(auth ? { auth } : {}),
    ...(ca ? { ca } : {}),
    ...(a.flags.has('insecure') ? { insecure: true } : {}),
  });
  process.stdout.write(a.flags.has('json') ? `${JSON.stringify(r, null, 2)}\n` : `${formatReport(r)}\n`);
  return r.ok ? 0 : 1;
}
