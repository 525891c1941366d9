/**
 * `@mdh/media/testing` — helpers for tests, not part of the main entry point: a deterministic network
 * simulation (`SimNetwork`: loss, duplication, reordering, delay and jitter from a seed) and its seeded
 * random source.
 * @packageDocumentation
 */
export {
  fnv1a64,
  SeededRandom,
  type SimDatagram,
  type SimLinkOptions,
  SimNetwork,
  type SimNetworkOptions,
  type SimNetworkStats,
  type SimTraceKind,
  type SimTraceRecord,
} from './testing/sim-network.js';
