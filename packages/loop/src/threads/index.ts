/**
 * Threads and synchronisation on SharedArrayBuffer + Atomics.
 * @packageDocumentation
 */
export { AtomicInt } from './atomic.js';
export { Channel, ChannelClosedError, type ChannelOptions, ChannelTimeoutError, type TryRecv } from './channel.js';
export { Condvar } from './condvar.js';
export { Mutex } from './mutex.js';
export { type SharedHandle, waitAsync } from './shared.js';
export { type SpawnOptions, spawn, ThreadError, ThreadHandle } from './spawn.js';
