/**
 * @mdh/loop I/O: UDP/TCP/TLS sockets with options and readiness, typed socket errors, a DNS
 * resolver (A, AAAA, SRV, NAPTR) and threads with channels, mutexes, condvars and atomics.
 * @packageDocumentation
 */

export {
  type AddressRecord,
  type CacheEntry,
  DnsCache,
  DnsError,
  type DnsErrorCode,
  DnsFormatError,
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
  type DnsServer,
  decodeMessage,
  decodeName,
  decodeNaptrRdata,
  encodeMessage,
  encodeNaptrRdata,
  encodeQuery,
  HostsFile,
  type HostsTable,
  type NaptrData,
  type NaptrRecord,
  type NowSource,
  orderSrv,
  parseHosts,
  parseResolvConf,
  parseServer,
  Rcode,
  type ResolvConf,
  Resolver,
  type ResolverOptions,
  type ResolverStats,
  RRType,
  readResolvConf,
  rrTypeName,
  type SoaData,
  type SrvData,
  type SrvRecord,
} from './dns/index.js';
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
export {
  AtomicInt,
  Channel,
  ChannelClosedError,
  type ChannelOptions,
  ChannelTimeoutError,
  Condvar,
  Mutex,
  type SharedHandle,
  type SpawnOptions,
  spawn,
  ThreadError,
  ThreadHandle,
  type TryRecv,
  waitAsync,
} from './threads/index.js';
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
