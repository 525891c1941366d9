/**
 * DNS: a stub resolver (A, AAAA, SRV, NAPTR, CNAME chains, cache) and the message codec.
 * @packageDocumentation
 */
export { type CacheEntry, DnsCache, type NowSource } from './cache.js';
export { DnsError, type DnsErrorCode, DnsFormatError } from './errors.js';
export {
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
  decodeMessage,
  decodeName,
  encodeMessage,
  encodeQuery,
  Rcode,
  RRType,
  rrTypeName,
  type SoaData,
  type SrvData,
} from './message.js';
export { decodeNaptrRdata, encodeNaptrRdata, type NaptrData } from './naptr.js';
export {
  type AddressRecord,
  type NaptrRecord,
  Resolver,
  type ResolverOptions,
  type ResolverStats,
  type SrvRecord,
} from './resolver.js';
export { orderSrv } from './srv.js';
export {
  type DnsServer,
  HostsFile,
  type HostsTable,
  parseHosts,
  parseResolvConf,
  parseServer,
  type ResolvConf,
  readResolvConf,
} from './system.js';
