import { createLoop } from '@mdh/loop';
import { dominantFrequency, ToneGenerator } from '@mdh/media';
import {
  CallMedia,
  type CallMediaReport,
  callMediaReport,
  createSdpOffer,
  formatTrace,
  listenTransport,
  readSdpAnswer,
  SipCallError,
  type SrtpMode,
  type TransportProtocol,
  UserAgent,
} from '@mdh/sip';
import { parseArgs } from '../args.js';

/** Usage of `mdh call`. */
export const usage = `usage: mdh call SIP-URI [--duration S] [--srtp none|sdes|dtls] [--auth USER:PASS]
                [--transport udp|tcp|tls|ws|wss] [--bind HOST] [--tone HZ] [--dtmf DIGITS] [--ca FILE]
                [--insecure] [--json] [-v|--verbose]

Places a call, sends a 440 Hz tone (G.711, 20 ms packets), receives the echo, hangs up and prints a call
report: setup time, packets sent/received, loss and jitter of what came back, and what RTCP told (round trip
from LSR/DLSR, the loss and jitter the far end reports, its sender counts), the frequency heard back.
--dtmf sends RFC 4733 digits one second into the call. Exits 0 when the call was established and answered.`;

/** Options of {@link placeCall}. */
export interface CallOptions {
  target: string;
  durationS?: number;
  srtp?: SrtpMode;
  auth?: { username: string; password: string };
  transport?: TransportProtocol;
  bind?: string;
  toneHz?: number;
  /** RFC 4733 digits to send one second into the call. */
  dtmf?: string;
  /** Extra time to wait for the last echoes before BYE (default 300 ms). */
  drainMs?: number;
  /** TLS/WSS: trust these CAs (PEM), or accept any certificate (self-signed test peers only). */
  ca?: string;
  insecure?: boolean;
  /** Called with every SIP message sent and received (start line and headers), e.g. for `-v`. */
  trace?: (text: string) => void;
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
  media?: CallMediaReport & {
    /** Dominant frequency of the received audio, Hz (the echoed tone). */
    receivedToneHz: number;
  };
  /** DTMF digits sent. */
  dtmfSent?: string;
  /** Why the digits could not be sent (e.g. the answer had no telephone-event). */
  dtmfError?: string;
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
  const trace = o.trace;
  if (trace) ua.stack.onTrace = (e) => trace(formatTrace(e));
  ua.stack.onError = () => {};
  const ep = await CallMedia.open({ srtp, host: bind, loop });
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
    // `mdh call` is an echo test client: a reflector (sipp -rtp_echo) sends our own SSRC back.
    const media = ep.attach(call, neg, { reflector: true });
    // What comes back: the first 2 s of decoded audio, for the frequency heard.
    const heard: number[] = [];
    media.on('audio', (e) => {
      if (e.concealed) return;
      for (let i = 0; i < e.pcm.length && heard.length < 16000; i++) heard.push(e.pcm[i]!);
    });
    let ended = false;
    call.on('ended', () => {
      ended = true;
    });
    const t0 = Date.now();
    const tone = new ToneGenerator({ frequency: o.toneHz ?? 440 });
    const frame = new Int16Array((neg.ptime * neg.clockRate) / 1000);
    const sender = loop.every(neg.ptime, () => {
      if (ended || media.state === 'closed') return;
      tone.fill(frame);
      media.sendAudio(frame);
    });
    const digits = o.dtmf;
    const dtmf = digits
      ? loop.after(1000, () => {
          if (ended || media.state !== 'active') return;
          try {
            media.sendDtmf(digits);
            report.dtmfSent = digits;
          } catch (e) {
            report.dtmfError = e instanceof Error ? e.message : String(e);
          }
        })
      : undefined;
    const ms = Math.max(0, (o.durationS ?? 5) * 1000);
    await new Promise<void>((resolve) => {
      const stop = setInterval(() => {
        if (ended || Date.now() - t0 >= ms) {
          clearInterval(stop);
          resolve();
        }
      }, 10);
    });
    loop.cancel(sender);
    if (dtmf !== undefined) loop.cancel(dtmf);
    await new Promise((r) => setTimeout(r, o.drainMs ?? 300));
    report.durationS = Math.round((Date.now() - t0) / 100) / 10;
    report.media = {
      ...callMediaReport(media.stats()),
      receivedToneHz: heard.length >= 800 ? Math.round(dominantFrequency(heard, neg.clockRate) * 100) / 100 : 0,
    };
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
      `  round trip      ${m.rttMs !== undefined ? `${m.rttMs} ms (RTCP LSR/DLSR)` : 'n/a (no RTCP report yet)'}`,
      `  far end reports ${m.remoteLossPercent !== undefined ? `loss ${m.remoteLossPercent}% (${m.remoteCumulativeLost} packets), jitter ${m.remoteJitterMs} ms` : 'none'}`,
      `  far end sent    ${m.remotePacketsSent !== undefined ? `${m.remotePacketsSent} packets, ${m.remoteOctetsSent} octets (SR)` : 'n/a'}`,
      `  RTCP            sent ${m.rtcpSent}, received ${m.rtcpReceived}`,
      `  tone heard back ${m.receivedToneHz ? `${m.receivedToneHz} Hz` : 'none'}`,
    );
  }
  if (r.dtmfSent) lines.push(`  DTMF sent       ${r.dtmfSent}`);
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
  // -v (like sipp -trace_msg / sipsak -vv): the SIP trace on stderr
  const a = parseArgs(
    argv.map((x) => (x === '-v' ? '--verbose' : x)),
    ['json', 'insecure', 'verbose'],
  );
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
  const dtmf = a.flags.get('dtmf');
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
    ...(typeof dtmf === 'string' ? { dtmf } : {}),
    ...(auth ? { auth } : {}),
    ...(ca ? { ca } : {}),
    ...(a.flags.has('insecure') ? { insecure: true } : {}),
    ...(a.flags.has('verbose') ? { trace: (t: string) => void process.stderr.write(t) } : {}),
  });
  process.stdout.write(a.flags.has('json') ? `${JSON.stringify(r, null, 2)}\n` : `${formatReport(r)}\n`);
  return r.ok ? 0 : 1;
}
