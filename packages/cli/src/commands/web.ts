/**
 * `mdh web`: a web softphone. One HTTPS port serves the page (packages/cli/web/), JsSIP packed from its npm package
 * (`/`), the same page on SIP.js's ES modules served from its npm package (`/sipjs.html`), and SIP over secure WebSocket (RFC 7118); with `--echo` the echo user agent answers the page's calls in the same
 * process (DTLS-SRTP media, ICE-lite).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import {
  type AudioCodec,
  DigestServer,
  listenTransport,
  type SipTransport,
  selfSignedIdentity,
  UserAgent,
  WsTransport,
} from '@mdh/sip';
import { type CommandSpec, commandLine, formatHelp, hostPort, integer, userPass } from '../args.js';
import { type EchoCallRecord, type EchoServer, STOP_BOUND_MS, startEcho, stopSignal } from './echo.js';
import { bundleCommonJs, esmPackageFiles } from './web-bundle.js';
import { type PageGateway, pageContact, servePages } from './web-gateway.js';

/** Options of `mdh web`. */
export const spec: CommandSpec = {
  name: 'web',
  synopsis: '[options]',
  summary:
    'Serves a web softphone (JsSIP or SIP.js) over HTTPS with SIP over WSS (and UDP) on one port; --echo answers calls.',
  description:
    'Open the printed URL in a browser and press Call. The page shows the call state, the codec, the DTLS-SRTP and\n' +
    'ICE states and live packet/jitter figures from getStats(). URL parameters user, pass, target prefill the form;\n' +
    'register=1 registers at once, answer=1 answers calls; /sipjs.html is the same page on SIP.js.\n' +
    'A page that registered as USER is called with `mdh call sip:USER@HOST:PORT`: SIP over UDP on the same port\n' +
    'number; mdh web bridges the call to the page (plain RTP, SDES or DTLS-SRTP towards the caller, WebRTC towards\n' +
    'the page, RTP relayed). With --auth the caller authenticates too (mdh call --auth).',
  options: {
    listen: {
      type: 'string',
      value: 'HOST:PORT',
      default: '127.0.0.1:8443',
      parse: hostPort(8443),
      help: 'where to serve HTTPS and WSS (SIP over UDP too, on the same port number)',
    },
    echo: { type: 'boolean', help: "answer every call and echo the caller's audio (mdh echo in this process)" },
    opus: { type: 'boolean', help: 'with --echo: prefer Opus (RFC 7587; 48 kHz RTP clock) over PCMU/PCMA' },
    auth: {
      type: 'string',
      value: 'USER:PASS',
      parse: userPass,
      help: 'challenge REGISTER and INVITE with digest for this user',
    },
    'consent-timeout': {
      type: 'string',
      value: 'MS',
      parse: integer(1000, 600_000),
      help: 'end a call whose browser stops ICE consent checks for this long (RFC 7675; default 30000)',
    },
    'ice-timeout': {
      type: 'string',
      value: 'MS',
      parse: integer(1000, 600_000),
      help: 'end a call whose ICE checks never arrive after this long (default 30000)',
    },
    json: { type: 'boolean', help: 'one JSON line per finished call' },
    cert: { type: 'string', value: 'FILE', help: 'TLS certificate chain (PEM) (default: self-signed, made now)' },
    key: { type: 'string', value: 'FILE', help: 'TLS private key (PEM), with --cert' },
  },
};

/** Usage of `mdh web`. */
export const usage = formatHelp(spec);

/** Options of {@link startWeb}. */
export interface WebOptions {
  /** Address to serve on (default 127.0.0.1). */
  host?: string;
  /** Port (default 8443; 0: OS-assigned). */
  port?: number;
  /** TLS identity (PEM); self-signed when absent. */
  tls?: { cert: string; key: string };
  /** Run the echo user agent on the WSS transport. */
  echo?: boolean;
  /** The echo prefers Opus, then PCMU and PCMA (default: PCMU, PCMA only). */
  opus?: boolean;
  /** Digest credentials the page must use. */
  auth?: { username: string; password: string };
  /** ICE consent timeout of the echo's calls (ms). */
  consentTimeoutMs?: number;
  /** ICE connect timeout of the echo's calls (ms). */
  iceConnectTimeoutMs?: number;
  /** Called with each finished echo call. */
  onCall?: (r: EchoCallRecord) => void;
}

/** A running `mdh web`. */
export interface WebServer {
  /** `https://host:port/`. */
  readonly url: string;
  /** The bound port (HTTPS and WSS). */
  readonly port: number;
  /** The SIP over WSS transport on that port. */
  readonly transport: SipTransport;
  /** SIP over UDP on the same port number: calls to users registered from a page are bridged to it. */
  readonly udp: SipTransport;
  /** The user agent of both transports: registrar of the pages, and the echo's with `echo`. */
  readonly ua: UserAgent;
  /** The calls bridged to pages. */
  readonly pages: PageGateway;
  /** The echo user agent (with `echo`). */
  readonly echo: EchoServer | undefined;
  /** Ends the calls (BYE), closes the WSS connections and the server. */
  stop(): Promise<void>;
}

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';

/** Starts the HTTPS + WSS server (the library behind `mdh web`). */
export async function startWeb(o: WebOptions = {}): Promise<WebServer> {
  const id = o.tls ?? (await selfSignedIdentity());
  const files = webFiles();
  const server: Server = createServer({ cert: id.cert, key: id.key }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const key = path === '/index.html' ? '/' : path;
    const body = req.method === 'GET' || req.method === 'HEAD' ? files.get(key) : undefined;
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': key.endsWith('.js') ? JS : HTML,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.maxConnections = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8443, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : 0;
  const transport = await WsTransport.listen({ protocol: 'wss', server });
  // SIP over UDP on the same port number (TCP is the HTTPS server's): `mdh call sip:USER@HOST:PORT` reaches a page
  let udp: SipTransport;
  try {
    udp = await listenTransport('udp', { host: o.host ?? '127.0.0.1', port });
  } catch (e) {
    await transport.close();
    server.closeAllConnections();
    server.close();
    throw new Error(`mdh web: cannot listen for SIP over UDP on port ${port}: ${(e as Error).message}`);
  }
  const { ua, echo } = await webUserAgent(o, transport, udp);
  const wildcard = o.host === undefined || o.host === '0.0.0.0' || o.host === '::';
  const pages = servePages(ua, { mediaHost: wildcard ? '127.0.0.1' : o.host! });
  const host = o.host ?? '127.0.0.1';
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `https://${shown}:${port}/`,
    port,
    transport,
    udp,
    ua,
    pages,
    echo,
    async stop() {
      await (echo ? echo.stop() : ua.close());
      await Promise.allSettled([...pages.active].map((b) => b.hangup()));
      await udp.close();
      await transport.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The files the server serves: the page (JsSIP and SIP.js variants), its scripts and the bundled SIP libraries. */
function webFiles(): Map<string, string> {
  const asset = (name: string) => readFileSync(new URL(`../../web/${name}`, import.meta.url), 'utf8');
  const page = asset('index.html');
  // the same page driven by SIP.js: its ES modules are served from the npm package as they are (/sip.js/…)
  const sipjsPage = page.replace(
    /<script src="\/jssip.js"><\/script>\s*<script src="\/phone.js"><\/script>/,
    '<script type="module" src="/phone-sipjs.js"></script>',
  );
  if (sipjsPage === page) throw new Error('mdh web: index.html lost its script tags');
  return new Map<string, string>([
    ['/', page],
    ['/sipjs.html', sipjsPage.replace('<h1>mdh web softphone</h1>', '<h1>mdh web softphone (SIP.js)</h1>')],
    ['/stats.js', asset('stats.js')],
    ['/phone.js', asset('phone.js')],
    ['/phone-sipjs.js', asset('phone-sipjs.js')],
    ['/jssip.js', bundleCommonJs('jssip', 'JsSIP', import.meta.url)],
    ...esmPackageFiles('sip.js', import.meta.url, '/sip.js/'),
  ]);
}

/**
 * The user agent of both transports: the echo's (`echo`: calls for a registered page go to the page, the others to
 * the echo), or one that registers pages and bridges calls to them, declining other calls.
 */
async function webUserAgent(
  o: WebOptions,
  transport: SipTransport,
  udp: SipTransport,
): Promise<{ ua: UserAgent; echo: EchoServer | undefined }> {
  let echo: EchoServer | undefined;
  if (o.echo) {
    echo = await startEcho({
      sipTransport: transport,
      extraTransports: [udp],
      registrar: true,
      ...(o.opus ? { codecs: ['opus', 'PCMU', 'PCMA'] as AudioCodec[] } : {}),
      // calls for a registered page go to the page (web-gateway.ts), the others to the echo
      accept: (inv) => echo === undefined || pageContact(echo.ua, inv) === undefined,
      host: o.host ?? '127.0.0.1',
      ...(o.auth ? { auth: o.auth } : {}),
      ...(o.consentTimeoutMs !== undefined ? { consentTimeoutMs: o.consentTimeoutMs } : {}),
      ...(o.iceConnectTimeoutMs !== undefined ? { iceConnectTimeoutMs: o.iceConnectTimeoutMs } : {}),
      ...(o.onCall ? { onCall: o.onCall } : {}),
    });
    return { ua: echo.ua, echo };
  } else {
    // no echo: a user agent that registers pages and bridges calls to them; other calls are declined
    const auth = o.auth;
    const authServer = auth
      ? new DigestServer({
          realm: 'mdh',
          lookup: (u) => (u === auth.username ? auth.password : undefined),
          algorithms: ['MD5'],
        })
      : undefined;
    const own = new UserAgent({
      transports: [transport, udp],
      user: 'web',
      registrar: true,
      ...(authServer ? { authServer } : {}),
    });
    own.stack.onError = () => {};
    own.on('invite', (inv) => {
      if (pageContact(own, inv) === undefined) inv.reject(480, 'Temporarily Unavailable (no such page registered)');
    });
    return { ua: own, echo: undefined };
  }
}

/** `mdh web` */
export async function run(argv: string[]): Promise<number> {
  const cl = commandLine(spec, argv);
  if (typeof cl === 'number') return cl;
  const v = cl.values;
  if ((v.cert === undefined) !== (v.key === undefined)) {
    process.stderr.write(`mdh web: --cert and --key go together\n${usage}\n`);
    return 2;
  }
  const listen = v.listen as { host: string; port: number };
  const tls =
    typeof v.cert === 'string' && typeof v.key === 'string'
      ? { cert: readFileSync(v.cert, 'utf8'), key: readFileSync(v.key, 'utf8') }
      : undefined;
  const web = await startWeb({
    host: listen.host,
    port: listen.port,
    ...(tls ? { tls } : {}),
    echo: v.echo === true,
    opus: v.opus === true,
    ...(v.auth ? { auth: v.auth as { username: string; password: string } } : {}),
    ...(v['consent-timeout'] !== undefined ? { consentTimeoutMs: v['consent-timeout'] as number } : {}),
    ...(v['ice-timeout'] !== undefined ? { iceConnectTimeoutMs: v['ice-timeout'] as number } : {}),
    onCall: (r) => {
      if (v.json === true) process.stdout.write(`${JSON.stringify(r)}\n`);
      else
        process.stdout.write(
          `call ${r.n} from ${r.from} srtp=${r.srtp} duration=${r.durationS}s ` +
            `echoed=${r.media?.packetsSent ?? 0} ended=${r.ended}\n`,
        );
    },
  });
  process.stderr.write(`mdh web: open ${web.url}${v.echo === true ? ' (echo answers calls)' : ''}\n`);
  await stopSignal(process, (sig) => process.exit(sig === 'SIGINT' ? 130 : 143));
  await Promise.race([web.stop(), new Promise((r) => setTimeout(r, STOP_BOUND_MS).unref())]);
  setTimeout(() => process.exit(0), 500).unref();
  return 0;
}
