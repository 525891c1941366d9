/**
 * @mdh/loop I/O: UDP/TCP/TLS sockets with options and readiness, typed socket errors, a DNS
 * resolver (A, AAAA, SRV, NAPTR) and threads with channels, mutexes, condvars and atomics.
 * @packageDocumentation
 */

export * from './dns/index.js';
export {
  checkHost,
  checkPort,
  errnoOf,
  SocketError,
  toSocketError,
  UnsupportedError,
} from './socket-error.js';
export {
  StreamConnection,
  type StreamConnectionOptions,
  type StreamOptionValues,
  type StreamStats,
} from './stream.js';
export {
  connectTcp,
  listenTcp,
  StreamServer,
  type StreamServerStats,
  type TcpConnectOptions,
  type TcpListenOptions,
} from './tcp.js';
export * from './threads/index.js';
export {
  connectTls,
  listenTls,
  type Pem,
  TlsConnection,
  type TlsConnectOptions,
  type TlsIdentity,
  type TlsListenOptions,
} from './tls.js';
export {
  createUdpSocket,
  type UdpMessage,
  UdpSocket,
  type UdpSocketOptions,
  type UdpSocketOptionValues,
  type UdpStats,
} from './udp.js';
