/**
 * `@mdh/sip/testing` — helpers for tests, not part of the main entry point: an in-memory, deterministic
 * datagram network (`MemoryNetwork`) whose `MemoryTransport`s stand in for UDP transports.
 * @packageDocumentation
 */
export { MemoryNetwork, type MemoryNetworkOptions, MemoryTransport } from './transport/memory.js';
