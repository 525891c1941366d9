import { createLoop, type Loop } from '@mdh/loop';
import { dominantFrequency, MediaError, ToneGenerator, tryReadWav, WavError, writeWav } from '@mdh/media';
import {
  type Call,
  type CallMediaReport,
  callMediaReport,
  formatTrace,
  listenTransport,
  SipCallError,
  type SrtpMode,
  type TransportProtocol,
  UserAgent,
} from '@mdh/sip';
import { type CommandSpec, commandLine, formatHelp, integer, seconds, usageError, userPass } from '../args.js';
import { type MediaChoice, mediaChoice, mediaOptions } from '../media-options.js';
import { EXIT_SIGINT, interruptSignal } from '../signals.js';
import { firstSetupError, probeTls } from '../tls-probe.js';
import { openTraces, traceOptions } from '../trace-options.js';
import { CallSetupError, probeRefused, withSetupDeadline } from './call-setup.js';

/** Options of `mdh call`. */
export const spec: CommandSpec = {
  name: 'call',
  synopsis: 'SIP-URI [options]',
  summary:
    'Places a call, sends a 440 Hz tone (or a WAV file) in 20 ms packets, receives the echo, hangs up and prints a\n' +
    'call report.',
  description:
    'The report: setup time, packets sent/received, loss and jitter of what came back, what RTCP told (round trip\n' +
    'from LSR/DLSR, the loss and jitter the far end reports, its sender counts), the frequency heard back. Progress\n' +
    '(trying…, ringing…) goes to stderr. Exit 0 when the call was answered (and, with --expect-media, at least\n' +
    '90% of the media came back); 1 when it failed, with the reason (connection refused, timeout, TLS handshake\n' +
    'failed: <why>, the SIP status).\n' +
    'Ctrl-C (SIGINT) ends the call (CANCEL before the answer, BYE after it), prints the report and exits 130; a\n' +
    'second Ctrl-C exits at once.',
  positionals: { min: 1 },
  options: {
    duration: { type: 'string', value: 'S', default: '5', parse: seconds(), help: 'how long to send media' },
    timeout: {
      type: 'string',
      value: 'S',
      default: '32',
      parse: seconds(),
      help: 'give up when the call is not answered within S seconds',
    },
    srtp: { type: 'string', choices: ['none', 'sdes', 'dtls'], default: 'none', help: 'media protection to offer' },
    auth: { type: 'string', value: 'USER:PASS', parse: userPass, help: 'digest credentials for 401/407 challenges' },
    transport: {
      type: 'string',
      choices: ['udp', 'tcp', 'tls', 'ws', 'wss'],
      help: "SIP transport (default: the URI's, else udp; sips: tls)",
    },
    bind: { type: 'string', value: 'HOST', help: 'local address (default 127.0.0.1, or ::1 for an IPv6 target)' },
    tone: { type: 'string', value: 'HZ', default: '440', parse: integer(1, 3999), help: 'frequency of the tone sent' },
    dtmf: {
      type: 'string',
      value: 'DIGITS',
      help: 'send these RFC 4733 digits (0-9 * # A-D) one second into the call',
    },
    record: {
      type: 'string',
      value: 'FILE.wav',
      help: 'write the received audio (decoded, 8 kHz mono 16-bit WAV) to FILE.wav',
    },
    play: {
      type: 'string',
      value: 'FILE.wav',
      help: 'send this WAV file (8 kHz mono 16-bit PCM) once instead of the tone',
    },
    ca: { type: 'string', value: 'FILE', help: 'TLS/WSS: trust the CAs in this PEM file' },
    insecure: { type: 'boolean', help: 'TLS/WSS: accept any certificate (test peers only)' },
    'expect-media': { type: 'boolean', help: 'exit 1 unless at least 90% of the packets sent came back' },
    json: { type: 'boolean', help: 'print the report as JSON' },
    verbose: {
      type: 'boolean',
      short: 'v',
      help: 'print every SIP message sent and received on stderr (start line and headers)',
    },
    ...traceOptions,
    ...mediaOptions,
  },
};

/** Usage of `mdh call`. */
export const usage = formatHelp(spec);

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
  /** Give up when no final response arrived within this many seconds (`--timeout`). */
  setupTimeoutS?: number;
  /** Provisional responses while the call is set up (for progress lines). */
  onProgress?: (status: number, reason: string) => void;
  /** Settles with an error as soon as the peer is known to refuse (see probeRefused); the call then fails with it. */
  refused?: Promise<CallSetupError | undefined>;
  /** Called with every SIP message sent and received (start line and headers), e.g. for `-v`. */
  trace?: (text: string) => void;
  /** Ends the call early (Ctrl-C): CANCEL before the answer, else the media stops and BYE follows; the report is kept. */
  signal?: AbortSignal;
  /** `--suite` / `--rtp-ports`: SRTP suites or profiles and the media port range. */
  media?: MediaChoice;
  /** Audio to send instead of the tone (8 kHz 16-bit samples, played once; silence after it). */
  play?: Int16Array;
  /** Called at the end with the received audio (decoded PCM at 8 kHz from the first frame heard). */
  onRecording?: (pcm: Int16Array) => void;
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
  /** Why setup failed without a SIP final response: `timeout`, `ECONNREFUSED`, … */
  error?: string;
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
  // The user agent opens the call's media itself: `mdh call` is an echo test client, so a reflector
  // (sipp -rtp_echo) sending our own SSRC back is the received stream, not a collision.
  const ua = new UserAgent({
    transports: [transport],
    loop,
    user: 'mdh',
    ...(o.auth ? { credentials: o.auth } : {}),
    media: { srtp, host: bind, session: { reflector: true }, ...o.media },
  });
  const trace = o.trace;
  if (trace) ua.stack.onTrace = (e) => trace(formatTrace(e));
  ua.stack.onError = () => {};
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
  const progress = o.onProgress;
  const invite = ua.invite(target, {
    ...(o.signal ? { signal: o.signal } : {}),
    ...(progress ? { onProgress: (r: { status: number; reason: string }) => progress(r.status, r.reason) } : {}),
  });
  let placed: Call | undefined;
  try {
    const call = await withSetupDeadline(invite.result, o.setupTimeoutS, o.refused);
    placed = call;
    report.status = 200;
    report.reason = 'OK';
    report.setupMs = Math.round(call.setupMs * 100) / 100;
    await runCallMedia(o, loop, call, report);
    report.ok = true;
  } catch (e) {
    if (e instanceof CallSetupError) invite.cancel();
    await reportCallFailure(o, report, e);
  } finally {
    await ua.close();
    // the media's last datagrams (RTCP BYE) leave before the loop stops
    await placed?.media?.close();
    loop.stop();
  }
  return report;
}

/**
 * The answered call: the tone (or `--play`) and `--dtmf` go out, what comes back is heard (and recorded), until
 * the duration, the far end's BYE or the signal; then the media report and our BYE.
 */
async function runCallMedia(o: CallOptions, loop: Loop, call: Call, report: CallReport): Promise<void> {
  const media = call.media!;
  const { codec, clockRate, ptimeMs } = media.session;
  report.codec = codec;
  // What comes back: the first 2 s of decoded audio for the frequency heard, and all of it for --record.
  const heard: number[] = [];
  const recorded: Int16Array[] = [];
  const record = o.onRecording !== undefined;
  media.on('audio', (e) => {
    if (record && (recorded.length > 0 || !e.concealed)) recorded.push(e.pcm.slice());
    if (e.concealed) return;
    for (let i = 0; i < e.pcm.length && heard.length < 16000; i++) heard.push(e.pcm[i]!);
  });
  let ended = false;
  call.on('ended', () => {
    ended = true;
  });
  const t0 = Date.now();
  const tone = new ToneGenerator({ frequency: o.toneHz ?? 440 });
  const frame = new Int16Array((ptimeMs * clockRate) / 1000);
  const play = o.play;
  let played = 0;
  const sender = loop.every(ptimeMs, () => {
    if (ended || media.state === 'closed') return;
    if (play) {
      if (played >= play.length) return;
      frame.fill(0);
      frame.set(play.subarray(played, played + frame.length));
      played += frame.length;
    } else tone.fill(frame);
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
      if (ended || o.signal?.aborted || Date.now() - t0 >= ms) {
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
    receivedToneHz: heard.length >= 800 ? Math.round(dominantFrequency(heard, clockRate) * 100) / 100 : 0,
  };
  if (!ended) report.byeStatus = await call.hangup();
  if (o.onRecording) o.onRecording(concatPcm(recorded));
}

/** Fills the report of a call that failed: set-up error, SIP final response, or a local error. */
async function reportCallFailure(o: CallOptions, report: CallReport, e: unknown): Promise<void> {
  if (e instanceof CallSetupError) {
    report.status = 0;
    report.reason = e.message;
    report.error = e.code;
  } else if (e instanceof SipCallError) {
    report.status = e.status;
    report.reason = e.message.replace(/^\d+ /, '');
    // a transport failure is a 503 (RFC 3261 §8.1.3.1): the probes tell why (refused, TLS handshake)
    const why = e.status === 503 && !e.response ? await o.refused : undefined;
    if (why) Object.assign(report, { status: 0, reason: why.message, error: why.code });
  } else {
    report.status = report.status || 500;
    report.reason = e instanceof Error ? e.message : String(e);
    // no media port (e.g. --rtp-ports all in use): no INVITE was sent
    if (e instanceof MediaError) Object.assign(report, { status: 0, error: e.code });
    report.ok = false;
  }
}

function concatPcm(frames: Int16Array[]): Int16Array {
  let n = 0;
  for (const f of frames) n += f.length;
  const out = new Int16Array(n);
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/**
 * Reads the `--play` file: 8 kHz mono 16-bit PCM WAV (the @mdh/media wav module), else a message saying what is
 * wrong with it.
 */
export function readPlayFile(bytes: Uint8Array, name: string): Int16Array | string {
  const r = tryReadWav(bytes);
  if (r instanceof WavError) return `--play ${name}: not an 8 kHz mono 16-bit PCM WAV file (${r.message})`;
  if (r.samples.length === 0) return `--play ${name}: the file holds no audio`;
  return r.samples;
}

/** Formats a report for people. */
export function formatReport(r: CallReport): string {
  if (!r.ok) return `call to ${r.target} failed: ${r.status ? `${r.status} ` : ''}${r.reason}`;
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

/** The share of the packets sent that came back (`--expect-media` wants at least 0.9). */
export function mediaReturned(r: CallReport): number {
  const m = r.media;
  return m && m.packetsSent > 0 ? m.packetsReceived / m.packetsSent : 0;
}

/** `mdh call` */
export async function run(argv: string[]): Promise<number> {
  const cl = commandLine(spec, argv);
  if (typeof cl === 'number') return cl;
  const v = cl.values;
  const media = mediaChoice(v, v.srtp as string);
  if (typeof media === 'string') return usageError(spec, media);
  const traces = openTraces('call', v);
  if (typeof traces === 'number') return traces;
  const target = cl.positionals[0]!;
  const caFile = v.ca as string | undefined;
  const ca = caFile !== undefined ? (await import('node:fs')).readFileSync(caFile, 'utf8') : undefined;
  const transport = v.transport as TransportProtocol | undefined;
  const uri = target.startsWith('sip') ? target : `sip:${target}`;
  const fs = await import('node:fs');
  let play: Int16Array | undefined;
  if (typeof v.play === 'string') {
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(v.play);
    } catch (e) {
      return usageError(spec, `--play ${v.play}: ${(e as Error).message}`);
    }
    const r = readPlayFile(bytes, v.play);
    if (typeof r === 'string') return usageError(spec, r);
    play = r;
  }
  const recordFile = typeof v.record === 'string' ? v.record : undefined;
  let recording: Int16Array | undefined;
  process.stderr.write(`mdh call: trying ${uri}…\n`);
  const interrupt = interruptSignal('call', 'ending the call (CANCEL or BYE)');
  const r = await placeCall({
    target,
    srtp: v.srtp as SrtpMode,
    durationS: v.duration as number,
    setupTimeoutS: v.timeout as number,
    toneHz: v.tone as number,
    onProgress: (status, reason) =>
      process.stderr.write(
        `mdh call: ${status === 180 || status === 183 ? 'ringing' : 'trying'}… (${status} ${reason})\n`,
      ),
    refused: firstSetupError(
      probeRefused(uri, transport),
      probeTls(uri, transport, { ca, insecure: v.insecure === true }),
    ),
    ...(transport ? { transport } : {}),
    ...(typeof v.bind === 'string' ? { bind: v.bind } : {}),
    ...(v.auth ? { auth: v.auth as { username: string; password: string } } : {}),
    ...(typeof v.dtmf === 'string' ? { dtmf: v.dtmf } : {}),
    ...(ca ? { ca } : {}),
    ...(v.insecure === true ? { insecure: true } : {}),
    ...(v.verbose === true ? { trace: (t: string) => void process.stderr.write(t) } : {}),
    signal: interrupt.signal,
    media,
    ...(play ? { play } : {}),
    ...(recordFile !== undefined
      ? {
          onRecording: (pcm: Int16Array) => {
            recording = pcm;
          },
        }
      : {}),
  });
  traces.stop();
  interrupt.dispose();
  if (recordFile !== undefined && recording) {
    try {
      fs.writeFileSync(recordFile, writeWav(recording));
      process.stderr.write(`mdh call: recorded ${(recording.length / 8000).toFixed(2)} s to ${recordFile}\n`);
    } catch (e) {
      process.stderr.write(`mdh call: cannot write ${recordFile}: ${(e as Error).message}\n`);
      return 1;
    }
  }
  process.stdout.write(v.json === true ? `${JSON.stringify(r, null, 2)}\n` : `${formatReport(r)}\n`);
  if (interrupt.signal.aborted) return EXIT_SIGINT;
  if (!r.ok) return 1;
  if (v['expect-media'] === true && mediaReturned(r) < 0.9) {
    const pct = Math.round(mediaReturned(r) * 1000) / 10;
    process.stderr.write(`mdh call: only ${pct}% of the media came back (--expect-media wants at least 90%)\n`);
    return 1;
  }
  return 0;
}
