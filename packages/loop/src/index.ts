/**
 * @mdh/loop — monotonic time, timers and the event loop (time.ts), sockets, DNS and threads (io.ts).
 * @packageDocumentation
 */

export * from './io.js';
export * from './time.js';
