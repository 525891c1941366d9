import { StreamTransport } from './stream.js';
import type { SipTransport, TransportProtocol } from './transport.js';
import { UdpTransport } from './udp.js';
import { WsTransport } from './ws.js';

/** Options of {@link listenTransport}. */
export interface ListenOptions {
  host?: string;
  port?: number;
  /** PEM identity for TLS and WSS servers (a self-signed one is generated when absent). */
  tls?: { cert: string; key: string };
  /** Outgoing TLS/WSS: trusted CAs (PEM), or skip verification (self-signed test peers only). */
  ca?: string | string[];
  insecure?: boolean;
}

let selfSigned: { cert: string; key: string } | undefined;

/** A self-signed ECDSA identity for TLS/WSS listeners (generated once per process). */
export async function selfSignedIdentity(): Promise<{ cert: string; key: string }> {
  if (!selfSigned) {
    const { generateCertificate, toPem, privateKeyPem } = await import('@mdh/dtls');
    const c = generateCertificate({ commonName: 'mdh', days: 30 });
    selfSigned = { cert: toPem(c.chain[0]!), key: privateKeyPem(c) };
  }
  return selfSigned;
}

/**
 * Opens a listening transport of any protocol (UDP, TCP, TLS, WS, WSS).
 *
 * ```ts
 * const t = await listenTransport('tls', { host: '127.0.0.1', port: 5061, insecure: true });
 * ```
 */
export async function listenTransport(protocol: TransportProtocol, o: ListenOptions = {}): Promise<SipTransport> {
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? 0;
  const client = { ...(o.ca ? { ca: o.ca } : {}), ...(o.insecure ? { insecure: true } : {}) };
  switch (protocol) {
    case 'udp':
      return UdpTransport.listen({ host, port });
    case 'tcp':
      return StreamTransport.listen({ protocol: 'tcp', host, port });
    case 'tls': {
      const id = o.tls ?? (await selfSignedIdentity());
      return StreamTransport.listen({ protocol: 'tls', host, port, cert: id.cert, key: id.key, ...client });
    }
    case 'ws':
      return WsTransport.listen({ protocol: 'ws', host, port, ...client });
    case 'wss': {
      const id = o.tls ?? (await selfSignedIdentity());
      return WsTransport.listen({ protocol: 'wss', host, port, cert: id.cert, key: id.key, ...client });
    }
    default:
      throw new Error(`unknown transport '${String(protocol)}'`);
  }
}
