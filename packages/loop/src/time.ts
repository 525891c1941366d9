export { type Clock, type ClockListener, ManualClock, monoMs, monoNs, SystemClock } from './clock.js';
export {
  createLoop,
  Loop,
  type LoopEvent,
  type LoopOptions,
  type TimerId,
  type Watchable,
  type WatchId,
} from './loop.js';
export { MAX_TIMERS } from './timer-queue.js';
