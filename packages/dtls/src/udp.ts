import { randomBytes } from 'node:crypto';
import { createLoop, createUdpSocket, type Loop, type UdpSocket } from '@mdh/loop';
import type { DtlsConnectionInfo } from './engine.js';
import { DtlsUsageError } from './errors.js';
import { DtlsSession, type DtlsSessionOptions } from './session.js';
import { statelessHelloVerify } from './stateless.js';

/** Options for {@link connect}. */
export interface DtlsConnectOptions extends Omit<DtlsSessionOptions, 'role'> {
  host: string;
  port: number;
  /** Local address to bind (default: any address of the host's family). */
  localAddress?: string;
  /** Local port (default 0 = chosen by the OS). */
  localPort?: number;
}

/** A DTLS association over its own UDP socket. */
export interface DtlsUdpConnection {
  session: DtlsSession;
  info: DtlsConnectionInfo;
  localPort: number;
  /** Closes the association (close_notify) and the socket. */
  close(): Promise<void>;
}

function family(host: string): 'udp4' | 'udp6' {
  return host.includes(':') ? 'udp6' : 'udp4';
}

/**
 * Connects to a DTLS server over an @mdh/loop UDP socket and resolves when the handshake completes (rejects with
 * the DtlsError that failed it, e.g. a wrong fingerprint or the handshake timeout).
 */
export async function connect(options: DtlsConnectOptions): Promise<DtlsUdpConnection> {
  const { host, port, localAddress, localPort, ...rest } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new DtlsUsageError('port must be 1..65535');
  const sock: UdpSocket = await createUdpSocket({
    type: family(localAddress ?? host),
    ...(localAddress !== undefined ? { address: localAddress } : {}),
    port: localPort ?? 0,
  });
  let closing: Promise<void>[] | undefined;
  const session = new DtlsSession({ ...rest, role: 'client' }, (d) => {
    try {
      // While closing, wait for the close_notify to leave before the socket closes.
      if (closing) closing.push(sock.sendAsync(d, port, host).catch(() => {}));
      else sock.send(d, port, host);
    } catch {
      // socket closed: the engine's timers end the handshake
    }
  });
  const shutdown = async () => {
    closing = [];
    session.close();
    await Promise.all(closing);
    await sock.close();
  };
  sock.onMessage((m) => {
    if (m.port === port) session.handleDatagram(m.data);
  });
  try {
    const info = await session.start();
    return {
      session,
      info,
      localPort: sock.port,
      close: shutdown,
    };
  } catch (e) {
    await shutdown();
    throw e;
  }
}

/** Options for {@link listen}. */
export interface DtlsListenOptions extends Omit<DtlsSessionOptions, 'role' | 'peerId'> {
  host?: string;
  port?: number;
  /** Most concurrent associations (default 1024); new peers beyond it are dropped. */
  maxAssociations?: number;
}

/** One accepted association on a {@link DtlsServer}. */
export interface DtlsServerConnection {
  session: DtlsSession;
  info: DtlsConnectionInfo;
  remoteAddress: string;
  remotePort: number;
}

/** A UDP DTLS server with one engine per peer address. */
export interface DtlsServer {
  address: string;
  port: number;
  /** Live associations (handshaking or connected). */
  readonly associations: number;
  /** Closes every association and the socket. */
  close(): Promise<void>;
}

/**
 * Listens for DTLS clients on an @mdh/loop UDP socket. A peer gets an engine only after it returned a valid cookie
 * (the stateless HelloVerifyRequest exchange, RFC 6347 §4.2.1, with the peer's address bound into the HMAC).
 * `onConnection` runs after each completed handshake; `onError` for each failed one.
 */
export async function listen(
  options: DtlsListenOptions,
  onConnection: (c: DtlsServerConnection) => void,
  onError?: (err: Error, remote: { address: string; port: number }) => void,
): Promise<DtlsServer> {
  const { host = '127.0.0.1', port = 0, maxAssociations = 1024, loop: givenLoop, ...rest } = options;
  const loop: Loop = givenLoop ?? createLoop();
  const sock = await createUdpSocket({ type: family(host), address: host, port });
  const cookieSecret = rest.cookieSecret ?? new Uint8Array(randomBytes(32));
  const cookieExchange = rest.cookieExchange ?? true;
  const peers = new Map<string, DtlsSession>();
  const fragments = new Map<string, Uint8Array[]>();
  const open = (address: string, rport: number, key: string): DtlsSession => {
    const session = new DtlsSession({ ...rest, loop, cookieSecret, role: 'server', peerId: key }, (d) => {
      try {
        sock.send(d, rport, address);
      } catch {
        // socket closed
      }
    });
    peers.set(key, session);
    session.onClose(() => {
      if (peers.get(key) === session) peers.delete(key);
    });
    session.ready.then(
      (info) => onConnection({ session, info, remoteAddress: address, remotePort: rport }),
      (err: Error) => onError?.(err, { address, port: rport }),
    );
    return session;
  };
  sock.onMessage((m) => {
    const key = `${m.address}:${m.port}`;
    let s = peers.get(key);
    const isClientHello = m.data[0] === 22 && m.data[3] === 0 && m.data[4] === 0 && m.data[13] === 1;
    if (s && cookieExchange && isClientHello && s.engine.connected) {
      // RFC 6347 §4.2.8: a new ClientHello from the address of an established association may be a restarted peer.
      // It must pass the cookie exchange; a retransmission of the old handshake's ClientHello goes to the old engine.
      const d = statelessHelloVerify(m.data, cookieSecret, key);
      if (d.action === 'drop') return;
      if (d.action === 'reply') {
        sock.send(d.datagram, m.port, m.address);
        return;
      }
      const old = s.engine.clientHelloRandom;
      if (!old.every((b, i) => b === d.clientRandom[i])) {
        peers.delete(key);
        s.close();
        s = undefined;
      }
    }
    let data = m.data;
    if (!s) {
      if (peers.size >= maxAssociations) return;
      if (cookieExchange) {
        let d = statelessHelloVerify(data, cookieSecret, key);
        if (d.action === 'drop' && d.reason === 'fragmented ClientHello') {
          // A ClientHello larger than the path MTU arrives as several datagrams (RFC 6347 §4.2.3): keep a few
          // fragments per peer, bounded in peers and octets, until the whole message can be answered.
          const prev = fragments.get(key) ?? [];
          fragments.delete(key);
          const total = prev.reduce((a, x) => a + x.length, 0) + data.length;
          if (prev.length >= MAX_HELLO_FRAGMENTS || total > MAX_HELLO_OCTETS) return;
          const joined = concatBytes([...prev, data]);
          d = statelessHelloVerify(joined, cookieSecret, key);
          if (d.action === 'drop') {
            if (d.reason === 'fragmented ClientHello') {
              fragments.set(key, [...prev, data]);
              if (fragments.size > MAX_FRAGMENTED_PEERS) fragments.delete(fragments.keys().next().value as string);
            }
            return;
          }
          data = joined;
        }
        if (d.action === 'drop') return;
        fragments.delete(key);
        if (d.action === 'reply') {
          sock.send(d.datagram, m.port, m.address);
          return;
        }
      }
      s = open(m.address, m.port, key);
    }
    s.handleDatagram(data);
  });
  return {
    address: sock.address,
    port: sock.port,
    get associations() {
      return peers.size;
    },
    close: async () => {
      for (const s of [...peers.values()]) s.close();
      peers.clear();
      // let the close_notify alerts leave before the socket closes
      await sock.sendAsync(new Uint8Array(0), sock.port, sock.address).catch(() => {});
      await sock.close();
    },
  };
}

const MAX_HELLO_FRAGMENTS = 16;
const MAX_HELLO_OCTETS = 20_000;
const MAX_FRAGMENTED_PEERS = 64;

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
