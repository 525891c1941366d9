import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { createLoop, type Loop } from '@mdh/loop';
import type { DtlsConnectionInfo } from './engine.js';
import { DtlsUsageError } from './errors.js';
import { DtlsSession, type DtlsSessionOptions } from './session.js';

/** Options for {@link connect}. */
export interface DtlsConnectOptions extends Omit<DtlsSessionOptions, 'role'> {
  host: string;
  port: number;
  /** Local address to bind (default: any). */
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

function bindSocket(host: string, port: number, address?: string): Promise<Socket> {
  const type = isIP(address ?? host) === 6 ? 'udp6' : 'udp4';
  const sock = createSocket({ type });
  return new Promise((res, rej) => {
    sock.once('error', rej);
    sock.bind(port, address, () => {
      sock.off('error', rej);
      res(sock);
    });
  });
}

function closeSocket(sock: Socket): Promise<void> {
  return new Promise((res) => {
    try {
      sock.close(() => res());
    } catch {
      res();
    }
  });
}

/**
 * Connects to a DTLS server over UDP and resolves when the handshake completes (rejects with the DtlsError that
 * failed it, e.g. a wrong fingerprint or the handshake timeout).
 */
export async function connect(options: DtlsConnectOptions): Promise<DtlsUdpConnection> {
  const { host, port, localAddress, localPort, ...rest } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new DtlsUsageError('port must be 1..65535');
  const sock = await bindSocket(host, localPort ?? 0, localAddress);
  const session = new DtlsSession({ ...rest, role: 'client' }, (d) => sock.send(d, port, host));
  sock.on('message', (msg, rinfo) => {
    if (rinfo.port === port) session.handleDatagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.length));
  });
  sock.on('error', () => {});
  try {
    const info = await session.start();
    return {
      session,
      info,
      localPort: sock.address().port,
      close: async () => {
        session.close();
        await closeSocket(sock);
      },
    };
  } catch (e) {
    await closeSocket(sock);
    throw e;
  }
}

/** Options for {@link listen}. */
export interface DtlsListenOptions extends Omit<DtlsSessionOptions, 'role' | 'peerId'> {
  host?: string;
  port?: number;
  /** Most concurrent associations (default 1024); ClientHellos beyond it are dropped. */
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
  /** Closes every association and the socket. */
  close(): Promise<void>;
}

/**
 * Listens for DTLS clients on UDP. Each peer (address:port) gets its own engine; the cookie exchange binds the
 * peer address into the HMAC cookie. `onConnection` runs after each completed handshake; `onError` for failures.
 */
export async function listen(
  options: DtlsListenOptions,
  onConnection: (c: DtlsServerConnection) => void,
  onError?: (err: Error, remote: { address: string; port: number }) => void,
): Promise<DtlsServer> {
  const { host = '127.0.0.1', port = 0, maxAssociations = 1024, loop: givenLoop, ...rest } = options;
  const loop: Loop = givenLoop ?? createLoop();
  const sock = await bindSocket(host, port, host);
  const cookieSecret = rest.cookieSecret ?? new Uint8Array((await import('node:crypto')).randomBytes(32));
  const peers = new Map<string, DtlsSession>();
  sock.on('error', () => {});
  sock.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let s = peers.get(key);
    if (!s) {
      if (peers.size >= maxAssociations) return;
      const session = new DtlsSession({ ...rest, loop, cookieSecret, role: 'server', peerId: key }, (d) =>
        sock.send(d, rinfo.port, rinfo.address),
      );
      s = session;
      peers.set(key, session);
      session.onClose(() => {
        if (peers.get(key) === session) peers.delete(key);
      });
      session.ready.then(
        (info) => onConnection({ session, info, remoteAddress: rinfo.address, remotePort: rinfo.port }),
        (err: Error) => onError?.(err, { address: rinfo.address, port: rinfo.port }),
      );
    }
    s.handleDatagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.length));
  });
  const addr = sock.address();
  return {
    address: addr.address,
    port: addr.port,
    close: async () => {
      for (const s of peers.values()) s.close();
      peers.clear();
      await closeSocket(sock);
    },
  };
}
