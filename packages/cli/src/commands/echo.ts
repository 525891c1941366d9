import type { MediaChannel } from '@mdh/media';
import {
  type AudioCodec,
  answerSdpOffer,
  type Call,
  type CallMediaReport,
  callMediaReport,
  createSdpOffer,
  DigestServer,
  formatTrace,
  type IncomingCall,
  listenTransport,
  makeSdesCrypto,
  offeredMode,
  SdpNegotiationError,
  type SipTransport,
  type SrtpMode,
  type TransportProtocol,
  UserAgent,
} from '@mdh/sip';
import { type CommandSpec, commandLine, formatHelp, hostPort, usageError, userPass } from '../args.js';
import { type MediaChoice, mediaChoice, mediaOptions } from '../media-options.js';
import { openTraces, traceOptions } from '../trace-options.js';
import type { WorkerTotals } from '../workers.js';

/** Options of `mdh echo`. */
export const spec: CommandSpec = {
  name: 'echo',
  synopsis: '[options]',
  summary: "Answers every call and echoes the caller's RTP back (decrypting and re-encrypting SRTP).",
  description:
    'Prints one line per call and, on Ctrl-C, the totals. With --auth it is also a registrar for REGISTER, and\n' +
    'both REGISTER and INVITE are challenged with digest (MD5, qop=auth).',
  options: {
    sip: {
      type: 'string',
      value: 'HOST:PORT',
      default: '127.0.0.1:5060',
      parse: hostPort(5060),
      help: 'where to listen for SIP',
    },
    transport: { type: 'string', choices: ['udp', 'tcp', 'tls', 'ws', 'wss'], default: 'udp', help: 'SIP transport' },
    srtp: {
      type: 'string',
      choices: ['any', 'none', 'sdes', 'dtls'],
      default: 'any',
      help: 'media protection to accept (any: what the offer uses)',
    },
    auth: {
      type: 'string',
      value: 'USER:PASS',
      parse: userPass,
      help: 'challenge INVITE and REGISTER with digest for this user',
    },
    'no-media': { type: 'boolean', help: 'answer without media' },
    quiet: { type: 'boolean', help: 'no line per call' },
    json: { type: 'boolean', help: 'JSON lines' },
    cert: { type: 'string', value: 'FILE', help: 'TLS certificate chain (PEM) for tls/wss (default: self-signed)' },
    key: { type: 'string', value: 'FILE', help: 'TLS private key (PEM), with --cert' },
    workers: {
      type: 'string',
      value: 'N|auto',
      help: 'run N worker processes on the one SIP port (auto: one per core); see docs/scaling.md',
    },
    verbose: {
      type: 'boolean',
      short: 'v',
      help: 'print every SIP message sent and received on stderr (start line and headers)',
    },
    ...traceOptions,
    ...mediaOptions,
  },
};

/** Usage of `mdh echo`. */
export const usage = formatHelp(spec);

/** Options of {@link startEcho}. */
export interface EchoOptions {
  host?: string;
  port?: number;
  transport?: TransportProtocol;
  srtp?: SrtpMode | 'any';
  auth?: { username: string; password: string };
  media?: boolean;
  /** `--suite` / `--rtp-ports`: SRTP suites or profiles accepted and the media port range. */
  mediaChoice?: MediaChoice;
  /** TLS identity (PEM) for --transport tls/wss; a self-signed one is made when absent. */
  tls?: { cert: string; key: string };
  /** Called with a line per finished call. */
  onCall?: (line: EchoCallRecord) => void;
  /** Called with every SIP message sent and received (start line and headers), e.g. for `-v`. */
  trace?: (text: string) => void;
  /** ICE consent timeout of WebRTC calls (RFC 7675 §5.1, default 30000 ms). */
  consentTimeoutMs?: number;
  /** How long a WebRTC call waits for its first nominating ICE check (default 30000 ms). */
  iceConnectTimeoutMs?: number;
  /** Called for each RFC 4733 DTMF digit received (once per digit, after its end). */
  onDigit?: (d: EchoDigitRecord) => void;
  /**
   * An already listening SIP transport to serve (then `host`, `port`, `transport` and `tls` are unused): a
   * worker's shared UDP socket (`--workers`), or `mdh web`'s WSS.
   */
  sipTransport?: SipTransport;
  /** More transports for the same user agent (`mdh web`: UDP beside its WSS). */
  extraTransports?: SipTransport[];
  /** Be a registrar without `auth` too (`mdh web`: its pages register). */
  registrar?: boolean;
  /** Codecs to accept, in preference order (default PCMU, PCMA; `mdh web --opus` puts Opus first). */
  codecs?: AudioCodec[];
  /** Calls for which this returns false are left to other `invite` listeners of the UA (`mdh web`'s gateway). */
  accept?: (inv: IncomingCall) => boolean;
}

/** One received DTMF digit as `mdh echo` reports it. */
export interface EchoDigitRecord {
  /** The call's number. */
  n: number;
  digit: string;
  durationMs: number;
}

/** One finished call as `mdh echo` reports it. */
export interface EchoCallRecord {
  n: number;
  from: string;
  srtp: SrtpMode;
  setupMs: number;
  durationS: number;
  ended: string;
  media: CallMediaReport | undefined;
}

/** Totals printed at exit. */
export interface EchoTotals {
  calls: number;
  answered: number;
  rejected: number;
  failed: number;
  registrations: number;
  packetsEchoed: number;
}

/** A running echo server. */
export interface EchoServer {
  readonly ua: UserAgent;
  readonly transport: SipTransport;
  readonly host: string;
  readonly port: number;
  readonly totals: EchoTotals;
  /** Ends the calls (BYE) and closes the user agent and its transports. */
  stop(): Promise<void>;
}

/** Starts the echo user agent (the library behind `mdh echo`). */
export async function startEcho(o: EchoOptions = {}): Promise<EchoServer> {
  const host = o.host ?? '127.0.0.1';
  const transport =
    o.sipTransport ??
    (await listenTransport(o.transport ?? 'udp', {
      host,
      port: o.port ?? 5060,
      ...(o.tls ? { tls: o.tls } : {}),
    }));
  const media = o.media !== false;
  const ua = echoUserAgent(o, [transport, ...(o.extraTransports ?? [])], media);
  const trace = o.trace;
  if (trace) ua.stack.onTrace = (e) => trace(formatTrace(e));
  const totals: EchoTotals = { calls: 0, answered: 0, rejected: 0, failed: 0, registrations: 0, packetsEchoed: 0 };
  const answerNoMedia = noMediaAnswerer(o, host);
  let seq = 0;
  ua.stack.onError = () => {};
  ua.on('invite', (inv: IncomingCall) => {
    if (o.accept && !o.accept(inv)) return;
    const n = ++seq;
    totals.calls++;
    answer(inv, n).catch(() => {
      totals.failed++;
      inv.reject(500);
    });
  });
  const answer = async (inv: IncomingCall, n: number): Promise<void> => {
    if (!media) {
      answerWithoutMedia(inv, n);
      return;
    }
    let call: Call;
    try {
      // RFC 3262: a caller that supports 100rel gets the answer early, in a reliable 183 (early media)
      call = await inv.answer({ earlyMedia: true, onMedia: echoMedia });
    } catch (e) {
      if (e instanceof SdpNegotiationError) totals.rejected++;
      else if (!inv.cancelled) totals.failed++;
      return;
    }
    totals.answered++;
    trackCall(o, totals, call, n, call.media?.stats().keying ?? 'none', call.media);
  };
  /** Signalling only (`--no-media`, load tests): the answer of {@link noMediaAnswerer}, early when 100rel allows. */
  const answerWithoutMedia = (inv: IncomingCall, n: number): void => {
    const offer = inv.remoteSdp;
    const a = answerNoMedia(offer);
    if (a instanceof Error) {
      inv.reject(a instanceof SdpNegotiationError ? 488 : 400);
      totals.rejected++;
      return;
    }
    if (inv.cancelled) return;
    if (inv.reliableProvisionals && offer !== undefined) inv.ring(183, { sdp: a.sdp });
    inv.answer(a.sdp).then(
      (call) => {
        totals.answered++;
        trackCall(o, totals, call, n, a.mode, undefined);
      },
      () => {
        totals.failed++;
      },
    );
  };
  if (ua.registrar) countRegistrations(ua.registrar, totals);
  return {
    ua,
    transport,
    host: transport.localAddress,
    port: transport.localPort,
    totals,
    stop: () => ua.close(),
  };
}

/**
 * The echo's user agent. It opens each call's media (answering the offer, or offering for a late offer); the echo
 * works on the raw path: no jitter buffer, no decoding (DTMF events still come). Hold (a=sendonly from the caller)
 * stops the echo in the session itself (RFC 3264 §8.4).
 */
function echoUserAgent(o: EchoOptions, transports: SipTransport[], media: boolean): UserAgent {
  const authServer = o.auth
    ? new DigestServer({
        realm: 'mdh',
        lookup: (u) => (u === o.auth!.username ? o.auth!.password : undefined),
        algorithms: ['MD5'],
      })
    : undefined;
  return new UserAgent({
    transports,
    user: 'echo',
    ...(authServer ? { authServer, registrar: true } : o.registrar ? { registrar: true } : {}),
    ...(media
      ? {
          media: {
            accept: o.srtp ?? 'any',
            ...(o.srtp && o.srtp !== 'any' ? { srtp: o.srtp } : {}),
            ...(o.consentTimeoutMs !== undefined ? { consentTimeoutMs: o.consentTimeoutMs } : {}),
            ...(o.iceConnectTimeoutMs !== undefined ? { iceConnectTimeoutMs: o.iceConnectTimeoutMs } : {}),
            ...(o.codecs ? { codecs: o.codecs } : {}),
            ...o.mediaChoice,
            session: { decodeAudio: false },
          },
        }
      : {}),
  });
}

/** Echoes a call's audio and telephone-events back from their own buffers (digits: the call's dtmf event). */
function echoMedia(m: MediaChannel): void {
  const pt = m.session.payloadType;
  const te = m.session.telephoneEventPt;
  m.on('rtp', (e) => {
    const p = e.packet.payloadType;
    // The decrypted packet goes back from its own buffer: our SSRC and sequence number written in place,
    // protected straight into the datagram sent (nothing goes out while our direction does not send).
    if (p === pt || p === te) m.echoRtp(e.bytes, { inPlace: true });
  });
}

/**
 * Signalling only (`--no-media`, load tests): a valid answer whose media goes to the discard port. Offers that
 * differ only in their o= line (a load generator's) get the same answer: it is computed once. A late offer gets
 * our offer of the --srtp mode (plain RTP for `any`) in the 200. An offer that cannot be answered gives its error.
 */
function noMediaAnswerer(
  o: EchoOptions,
  host: string,
): (offer: string | undefined) => { mode: SrtpMode; sdp: string } | Error {
  const noMediaCrypto = makeSdesCrypto();
  const noMediaAnswers = new Map<string, ReturnType<typeof answerSdpOffer>>();
  const modeCache = new Map<string, SrtpMode>();
  return (offer) => {
    let mode: SrtpMode;
    let answerSdp: string;
    try {
      if (o.srtp && o.srtp !== 'any') mode = o.srtp;
      else if (offer === undefined) mode = 'none';
      else {
        // the profile of offers that differ only in their o= line is looked up once
        let m = modeCache.get(offer);
        if (m === undefined) {
          const k = offer.replace(/^o=.*$/m, '');
          m = modeCache.get(k) ?? offeredMode(offer);
          if (modeCache.size >= 64) modeCache.clear();
          modeCache.set(k, m);
          modeCache.set(offer, m);
        }
        mode = m;
      }
      const local = {
        address: host,
        port: 9,
        srtp: mode,
        crypto: noMediaCrypto,
        fingerprint: { hash: 'sha-256', value: '00' },
      };
      if (offer === undefined) answerSdp = createSdpOffer(local, { sessionId: String(Date.now()), version: 1 });
      else {
        const exact = `${mode}|${offer}`;
        let a = noMediaAnswers.get(exact);
        if (!a) {
          const key = `${mode}|${offer.replace(/^o=.*$/m, '')}`;
          a = noMediaAnswers.get(key) ?? answerSdpOffer(offer, local, { sessionId: '1', version: 1 });
          if (noMediaAnswers.size >= 64) noMediaAnswers.clear();
          noMediaAnswers.set(key, a);
          noMediaAnswers.set(exact, a);
        }
        answerSdp = a.sdp;
      }
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
    return { mode, sdp: answerSdp };
  };
}

/** Books a call in until it ends, then reports it. */
function trackCall(
  o: EchoOptions,
  totals: EchoTotals,
  call: Call,
  n: number,
  mode: SrtpMode,
  m: MediaChannel | undefined,
): void {
  const t0 = Date.now();
  // DTMF from the media (RFC 4733) and by SIP INFO: the call's `dtmf` event
  call.on('dtmf', (e) => o.onDigit?.({ n, digit: e.digit, durationMs: e.durationMs }));
  call.on('ended', (why) => {
    void (async () => {
      const st = m ? callMediaReport(m.stats()) : undefined;
      if (st) totals.packetsEchoed += st.packetsSent;
      await m?.close(why);
      o.onCall?.({
        n,
        from: call.dialog.remoteUri,
        srtp: mode,
        setupMs: Math.round(call.setupMs * 100) / 100,
        durationS: Math.round((Date.now() - t0) / 100) / 10,
        ended: why,
        media: st,
      });
    })();
  });
}

/** Counts successful REGISTERs (200) in the totals. */
function countRegistrations(registrar: NonNullable<UserAgent['registrar']>, totals: EchoTotals): void {
  const orig = registrar.handle.bind(registrar);
  registrar.handle = (req, src) => {
    const res = orig(req, src);
    if (res.status === 200) totals.registrations++;
    return res;
  };
}

/** `mdh echo` */
export async function run(argv: string[]): Promise<number> {
  const cl = commandLine(spec, argv); // strict: unknown flags and bad values are usage errors (exit 2)
  if (typeof cl === 'number') return cl;
  const v = cl.values;
  if ((v.cert === undefined) !== (v.key === undefined)) {
    process.stderr.write(`mdh echo: --cert and --key go together\n${usage}\n`);
    return 2;
  }
  let workers: number | undefined;
  if (v.workers !== undefined && (v.pcap ?? v.keylog) !== undefined)
    return usageError(spec, 'traces need one process (no --workers)');
  if (v.workers !== undefined) {
    try {
      workers = (await import('../workers.js')).workerCount(v.workers as string);
    } catch (e) {
      return usageError(spec, (e as Error).message);
    }
  }
  const media = mediaChoice(v, v.srtp as string);
  if (typeof media === 'string') return usageError(spec, media);
  const hp = v.sip as { host: string; port: number };
  const transport = v.transport as TransportProtocol;
  const quiet = v.quiet === true;
  const json = v.json === true;
  let tls: { cert: string; key: string } | undefined;
  if (typeof v.cert === 'string' && typeof v.key === 'string') {
    const { readFileSync } = await import('node:fs');
    tls = { cert: readFileSync(v.cert, 'utf8'), key: readFileSync(v.key, 'utf8') };
  }
  const opts: EchoOptions = {
    host: hp.host,
    port: hp.port,
    transport,
    srtp: v.srtp as SrtpMode | 'any',
    ...(v.auth ? { auth: v.auth as { username: string; password: string } } : {}),
    media: v['no-media'] !== true,
    mediaChoice: media,
    ...(tls ? { tls } : {}),
    ...(v.verbose === true ? { trace: (t: string) => void process.stderr.write(t) } : {}),
    onCall: (r) => {
      if (quiet) return;
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else
        process.stdout.write(
          `call ${r.n} from ${r.from} srtp=${r.srtp} setup=${r.setupMs}ms duration=${r.durationS}s ` +
            `echoed=${r.media?.packetsSent ?? 0} ended=${r.ended}\n`,
        );
    },
    onDigit: (d) => {
      if (quiet) return;
      if (json) process.stdout.write(`${JSON.stringify({ call: d.n, digit: d.digit, durationMs: d.durationMs })}\n`);
      else process.stdout.write(`call ${d.n} digit ${d.digit} (${d.durationMs} ms)\n`);
    },
  };
  const print = {
    listening: (proto: TransportProtocol, host: string, port: number, n: number) => {
      const shown = host.includes(':') ? `[${host}]` : host;
      process.stderr.write(`mdh echo: listening on ${proto} ${shown}:${port}${n > 1 ? ` (${n} workers)` : ''}\n`);
    },
    totals: (t: EchoTotals, perWorker?: WorkerTotals[]) => {
      if (json)
        process.stdout.write(`${JSON.stringify(perWorker ? { totals: t, workers: perWorker } : { totals: t })}\n`);
      else
        process.stdout.write(
          `totals: calls=${t.calls} answered=${t.answered} rejected=${t.rejected} failed=${t.failed} ` +
            `registrations=${t.registrations} echoed=${t.packetsEchoed}` +
            `${perWorker ? ` workers=${perWorker.map((w) => w.answered).join('/')}` : ''}\n`,
        );
    },
  };
  if (workers !== undefined) {
    const w = await import('../workers.js');
    return w.runEchoCluster(workers, transport, opts, startEcho, print);
  }
  const traces = openTraces('echo', v);
  if (typeof traces === 'number') return traces;
  const server = await startEcho(opts);
  print.listening(transport, server.host, server.port, 1);
  await stopSignal(process, (sig) => {
    // the second signal: exit at once (128 + signal number, as a shell reports it)
    process.stderr.write(`mdh echo: ${sig} again, exiting now\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
  process.stderr.write('mdh echo: ending calls (send the signal again to exit at once)\n');
  // the first signal: end every call with BYE, bounded
  await Promise.race([server.stop(), new Promise((r) => setTimeout(r, STOP_BOUND_MS).unref())]);
  print.totals(server.totals);
  traces.stop();
  // nothing left should keep the process alive; if something does (a socket still closing), do not hang
  setTimeout(() => process.exit(0), 500).unref();
  return 0;
}

/** How long the first SIGINT/SIGTERM waits for calls to end (BYE) before `mdh echo` exits anyway. */
export const STOP_BOUND_MS = 3000;

/**
 * Resolves on the first SIGINT or SIGTERM of `proc`; every later one calls `onAgain` (the caller exits at
 * once). The listeners stay installed, so no signal falls through to Node's default handling or is lost.
 */
export function stopSignal(
  proc: Pick<NodeJS.EventEmitter, 'on'>,
  onAgain: (sig: 'SIGINT' | 'SIGTERM') => void,
): Promise<'SIGINT' | 'SIGTERM'> {
  return new Promise((resolve) => {
    let seen = false;
    const on = (sig: 'SIGINT' | 'SIGTERM') => () => {
      if (seen) onAgain(sig);
      else {
        seen = true;
        resolve(sig);
      }
    };
    proc.on('SIGINT', on('SIGINT'));
    proc.on('SIGTERM', on('SIGTERM'));
  });
}
