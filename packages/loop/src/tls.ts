import { isIP } from 'node:net';
import tls from 'node:tls';
import { checkTimeout, SocketError, toSocketError } from './socket-error.js';
import { StreamConnection, type StreamConnectionOptions } from './stream.js';
import { checkConnectOptions, listenServer, type StreamServer, type TcpListenOptions } from './tcp.js';

/** PEM text, or its bytes. */
export type Pem = string | Uint8Array;

/** Options of {@link connectTls}. */
export interface TlsConnectOptions extends StreamConnectionOptions {
  host: string;
  port: number;
  /** Connect + handshake deadline in ms (default 10000); `ETIMEDOUT` (op `handshake`) after it. */
  timeoutMs?: number;
  /** Trusted CA certificates (PEM); default: Node's bundled roots. */
  ca?: Pem | Pem[];
  /** Client certificate chain for mutual TLS (PEM). */
  cert?: Pem;
  /** Private key of `cert` (PEM). */
  key?: Pem;
  /** SNI server name; default: `host` when it is a name (never for IP literals). */
  servername?: string;
  /** ALPN protocols to offer, in preference order. */
  alpn?: string[];
  /** Skip certificate verification (tests only!). */
  insecure?: boolean;
  /** Lowest TLS version (default 'TLSv1.2'). */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** A certificate/key pair for a server name (SNI). */
export interface TlsIdentity {
  cert: Pem;
  key: Pem;
}

/** Options of {@link listenTls}. */
export interface TlsListenOptions extends TcpListenOptions {
  /** Default certificate chain (PEM). */
  cert: Pem;
  /** Its private key (PEM). */
  key: Pem;
  /** CAs used to verify client certificates. */
  ca?: Pem | Pem[];
  /** Ask clients for a certificate (mutual TLS). */
  requestCert?: boolean;
  /** Reject clients whose certificate does not verify (default: true when requestCert is set). */
  rejectUnauthorized?: boolean;
  /** ALPN protocols the server accepts, in preference order. */
  alpn?: string[];
  /** Per-server-name identities (SNI); names not listed get `cert`/`key`. */
  sni?: Record<string, TlsIdentity>;
  /** Handshake deadline for each incoming connection in ms (default 10000). */
  handshakeTimeoutMs?: number;
  /** Lowest TLS version (default 'TLSv1.2'). */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/**
 * A TLS stream: a {@link StreamConnection} plus what the handshake settled.
 *
 * @example
 * const c = await connectTls({ host: 'sip.example.com', port: 5061, alpn: ['sip'] });
 * console.log(c.alpnProtocol, c.tlsVersion, c.authorized);
 */
export class TlsConnection extends StreamConnection {
  /** The negotiated ALPN protocol, or null. */
  readonly alpnProtocol: string | null;
  /** Whether the peer certificate verified against the CAs. */
  readonly authorized: boolean;
  /** Why it did not verify (a code such as `DEPTH_ZERO_SELF_SIGNED_CERT`), if so. */
  readonly authorizationError: string | undefined;
  /** The negotiated version, e.g. 'TLSv1.3'. */
  readonly tlsVersion: string;
  /** SNI name the client asked for (server side) or sent (client side), if any. */
  readonly servername: string | undefined;
  /** The peer's leaf certificate in DER, if it sent one. */
  readonly peerCertificate: Uint8Array | undefined;

  /** @internal */
  constructor(sock: tls.TLSSocket, opts: StreamConnectionOptions) {
    super(sock, opts);
    this.alpnProtocol = typeof sock.alpnProtocol === 'string' ? sock.alpnProtocol : null;
    this.authorized = sock.authorized;
    this.authorizationError = sock.authorizationError ? String(sock.authorizationError) : undefined;
    this.tlsVersion = sock.getProtocol() ?? '';
    const sn = (sock as tls.TLSSocket & { servername?: string | false }).servername;
    this.servername = typeof sn === 'string' && sn.length > 0 ? sn : undefined;
    const pc = sock.getPeerCertificate();
    this.peerCertificate = pc?.raw ? new Uint8Array(pc.raw.buffer, pc.raw.byteOffset, pc.raw.length) : undefined;
  }
}

function pem(p: Pem): string | Buffer {
  return typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

function pems(p: Pem | Pem[]): (string | Buffer)[] {
  return (Array.isArray(p) ? p : [p]).map(pem);
}

/**
 * Connects TLS over TCP and completes the handshake. Rejects with a {@link SocketError} whose op is
 * `handshake` for TLS failures (code e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`,
 * `ERR_SSL_...`), `connect` for TCP ones (`ECONNREFUSED`), or `configure` when OpenSSL rejects the PEM
 * material (code e.g. `ERR_OSSL_PEM_BAD_BASE64_DECODE`).
 *
 * @example
 * const c = await connectTls({ host: '127.0.0.1', port: 5061, ca: caPem, servername: 'sip.test' });
 */
export function connectTls(opts: TlsConnectOptions): Promise<TlsConnection> {
  const timeoutMs = checkConnectOptions(opts);
  return new Promise<TlsConnection>((resolve, reject) => {
    const co: tls.ConnectionOptions = {
      host: opts.host,
      port: opts.port,
      rejectUnauthorized: !opts.insecure,
      minVersion: opts.minVersion ?? 'TLSv1.2',
    };
    const sn = opts.servername ?? (isIP(opts.host) ? undefined : opts.host);
    if (sn !== undefined) co.servername = sn;
    if (opts.ca !== undefined) co.ca = pems(opts.ca);
    if (opts.cert !== undefined) co.cert = pem(opts.cert);
    if (opts.key !== undefined) co.key = pem(opts.key);
    if (opts.alpn !== undefined) co.ALPNProtocols = opts.alpn;
    (co as { allowHalfOpen?: boolean }).allowHalfOpen = opts.allowHalfOpen ?? true;
    let connected = false;
    let sock: tls.TLSSocket;
    try {
      sock = tls.connect(co);
    } catch (e) {
      // OpenSSL rejected the PEM material while building the context.
      reject(toSocketError(e, 'configure'));
      return;
    }
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        new SocketError('ETIMEDOUT', connected ? 'handshake' : 'connect', `no TLS session within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    sock.once('connect', () => {
      connected = true;
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(toSocketError(err, connected ? 'handshake' : 'connect'));
    });
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(new TlsConnection(sock, opts));
    });
  });
}

/**
 * Listens for TLS connections (PEM cert/key, optional CA list and client certificates, ALPN, SNI).
 * Handshake failures of incoming clients are counted in `server.stats.acceptErrors` and kept in
 * `server.lastAcceptError` (op `handshake`); they never reach the callback. Bad PEM material rejects
 * with a {@link SocketError} of op `configure`, before anything is bound.
 *
 * @example
 * const srv = await listenTls({ host: '127.0.0.1', cert, key, alpn: ['sip'] }, (c) => c.onData(console.log));
 */
export async function listenTls(
  opts: TlsListenOptions,
  onConnection?: (c: TlsConnection) => void,
): Promise<StreamServer<TlsConnection>> {
  if (!opts || opts.cert === undefined || opts.key === undefined)
    throw new TypeError('listenTls(): cert and key are required');
  const handshakeTimeout = opts.handshakeTimeoutMs === undefined ? 10_000 : checkTimeout(opts.handshakeTimeoutMs);
  const so: tls.TlsOptions = {
    cert: pem(opts.cert),
    key: pem(opts.key),
    requestCert: opts.requestCert ?? false,
    rejectUnauthorized: opts.rejectUnauthorized ?? opts.requestCert ?? false,
    handshakeTimeout,
    minVersion: opts.minVersion ?? 'TLSv1.2',
    allowHalfOpen: opts.allowHalfOpen ?? true,
  };
  if (opts.ca !== undefined) so.ca = pems(opts.ca);
  if (opts.alpn !== undefined) so.ALPNProtocols = opts.alpn;
  if (opts.sni) {
    const ctxs = new Map<string, tls.SecureContext>();
    for (const [name, id] of Object.entries(opts.sni)) {
      const cOpts: tls.SecureContextOptions = { cert: pem(id.cert), key: pem(id.key) };
      if (opts.ca !== undefined) cOpts.ca = pems(opts.ca);
      try {
        ctxs.set(name.toLowerCase(), tls.createSecureContext(cOpts));
      } catch (e) {
        throw toSocketError(e, 'configure');
      }
    }
    so.SNICallback = (servername, cb) => cb(null, ctxs.get(servername.toLowerCase()));
  }
  let server: tls.Server;
  try {
    server = tls.createServer(so);
  } catch (e) {
    throw toSocketError(e, 'configure'); // bad PEM material: nothing was bound
  }
  let srv: StreamServer<TlsConnection> | undefined;
  const early: tls.TLSSocket[] = [];
  server.on('secureConnection', (sock: tls.TLSSocket) => {
    sock.on('error', () => {});
    if (srv) srv.adopt(new TlsConnection(sock, opts));
    else early.push(sock);
  });
  server.on('tlsClientError', (err) => srv?.recordAcceptError(err, 'handshake'));
  srv = await listenServer<TlsConnection>(server, opts, onConnection);
  for (const s of early) srv.adopt(new TlsConnection(s, opts));
  return srv;
}
