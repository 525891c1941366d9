export { type Clock, type ClockListener, ManualClock, monoMs, monoNs, SystemClock } from './clock.js';
export { Timer } from './timer-queue.js';
export { createLoop, Loop, type LoopEvent, type LoopOptions, type TimerId, type Watchable, type WatchId } from './loop.js';
