/**
 * @mdh/loop — monotonic time, timers and the event loop (time.ts), sockets, DNS and threads (io.ts).
 * @packageDocumentation
 */
export * from './time.js';
export * from './io.js';
