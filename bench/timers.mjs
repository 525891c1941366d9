// pnpm bench timers — @mdh/loop timers vs Node's setTimeout/clearTimeout, measured in the same run.
import { createLoop, ManualClock } from '@mdh/loop';

const N_CANCEL = 1_000_000;
const N_FIRE = 100_000;
const noop = () => {};

function heapUsed() {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers; // typed-array backing stores live outside the JS heap
}

// Every figure is process CPU time (the machine is shared: CPU time is the fairer clock).
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function best(fn, runs = 5) {
  let b = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) b = Math.min(b, fn());
  return b;
}

// schedule + cancel: schedule N timers with spread delays, then cancel them all.
function loopScheduleCancel() {
  const loop = createLoop();
  const ids = new Array(N_CANCEL);
  const t0 = cpuMs();
  for (let i = 0; i < N_CANCEL; i++) ids[i] = loop.after(1000 + (i % 1000), noop);
  for (let i = 0; i < N_CANCEL; i++) loop.cancel(ids[i]);
  const ms = cpuMs() - t0;
  loop.close();
  return ms;
}

function nodeScheduleCancel() {
  const ids = new Array(N_CANCEL);
  const t0 = cpuMs();
  for (let i = 0; i < N_CANCEL; i++) ids[i] = setTimeout(noop, 1000 + (i % 1000));
  for (let i = 0; i < N_CANCEL; i++) clearTimeout(ids[i]);
  return cpuMs() - t0;
}

// schedule + fire: on the loop, on a manual clock jumped past every deadline (pure timer-queue cost);
// on Node, real timers that fire (Node has no other way to fire them), timed from schedule to last fire.
function loopScheduleFire() {
  const clock = new ManualClock();
  const loop = createLoop({ clock });
  let fired = 0;
  const cb = () => {
    fired++;
  };
  const t0 = cpuMs();
  for (let i = 0; i < N_FIRE; i++) loop.after(1 + (i % 50), cb);
  clock.advance(100);
  const ms = cpuMs() - t0;
  if (fired !== N_FIRE) throw new Error(`fired ${fired}`);
  loop.close();
  return ms;
}

// On the system clock both sides wait ~50 ms of wall time for the last deadline, whatever they cost, so the
// fair figure is process CPU time from the first schedule to the last fire (the wait itself is idle).

async function loopScheduleFireSystem() {
  const loop = createLoop();
  let fired = 0;
  let resolve;
  const done = new Promise((r) => {
    resolve = r;
  });
  const cb = () => {
    if (++fired === N_FIRE) resolve();
  };
  const t0 = cpuMs();
  for (let i = 0; i < N_FIRE; i++) loop.after(1 + (i % 50), cb);
  await done;
  const ms = cpuMs() - t0;
  loop.close();
  return ms;
}

async function nodeScheduleFire() {
  let fired = 0;
  let resolve;
  const done = new Promise((r) => {
    resolve = r;
  });
  const cb = () => {
    if (++fired === N_FIRE) resolve();
  };
  const t0 = cpuMs();
  for (let i = 0; i < N_FIRE; i++) setTimeout(cb, 1 + (i % 50));
  await done;
  return cpuMs() - t0;
}

// Memory kept once timers of fractional durations have fired (issue #14.5): heap + array buffers after GC.
async function retainedAfterFire(schedule) {
  const N = 400_000;
  const before = heapUsed();
  let fired = 0;
  let resolve;
  const done = new Promise((r) => {
    resolve = r;
  });
  const cb = () => {
    if (++fired === N) resolve();
  };
  const close = schedule(N, cb);
  await done;
  close?.();
  return heapUsed() - before;
}

function bytesPerPending(make, clear) {
  const N = 200_000;
  const before = heapUsed();
  const ids = make(N);
  const after = heapUsed();
  clear(ids);
  return (after - before) / N;
}

// warm-up
loopScheduleCancel();
nodeScheduleCancel();

const lc = best(loopScheduleCancel);
const nc = best(nodeScheduleCancel);
const lf = best(loopScheduleFire);
let lfs = Number.POSITIVE_INFINITY;
let nf = Number.POSITIVE_INFINITY;
for (let i = 0; i < 5; i++) {
  lfs = Math.min(lfs, await loopScheduleFireSystem());
  nf = Math.min(nf, await nodeScheduleFire());
}
const fracLoop = await retainedAfterFire((n, cb) => {
  const loop = createLoop();
  for (let i = 0; i < n; i++) loop.after(1 + ((i * 7919) % 10_000) / 1000 + 1e-6 * i, cb);
  return () => loop.close();
});
const fracNode = await retainedAfterFire((n, cb) => {
  for (let i = 0; i < n; i++) setTimeout(cb, 1 + ((i * 7919) % 10_000) / 1000 + 1e-6 * i);
});

const loopBytes = bytesPerPending(
  (n) => {
    const loop = createLoop();
    for (let i = 0; i < n; i++) loop.after(60_000 + (i % 1000), noop);
    return loop;
  },
  (loop) => loop.close(),
);
const nodeBytes = bytesPerPending(
  (n) => {
    const ids = [];
    for (let i = 0; i < n; i++) ids.push(setTimeout(noop, 60_000 + (i % 1000)));
    return ids;
  },
  (ids) => {
    for (const t of ids) clearTimeout(t);
  },
);

const ops = (n, ms) => Math.round((n / ms) * 1000);
const rows = [
  ['schedule+cancel 1,000,000', ops(2 * N_CANCEL, lc), ops(2 * N_CANCEL, nc)],
  ['schedule+fire 100,000 (CPU time)', ops(N_FIRE, lfs), ops(N_FIRE, nf)],
  ['schedule+fire 100,000 (manual clock)', ops(N_FIRE, lf), ops(N_FIRE, nf)],
];
console.log('\n@mdh/loop timers vs node:timers (ops per CPU-second, best of runs, same process)\n');
console.log(`${'case'.padEnd(40)}${'@mdh/loop'.padStart(14)}${'node'.padStart(14)}${'ratio'.padStart(9)}`);
for (const [name, a, b] of rows) {
  console.log(
    `${name.padEnd(40)}${a.toLocaleString('en').padStart(14)}${b.toLocaleString('en').padStart(14)}${(a / b).toFixed(2).padStart(8)}×`,
  );
}
console.log(
  `\nretained after 400,000 timers of fractional durations fired (heap + array buffers after GC): @mdh/loop ${(fracLoop / 1e6).toFixed(2)} MB, node ${(fracNode / 1e6).toFixed(2)} MB`,
);
console.log(
  `bytes per pending timer (JS heap + array buffers) (200,000 pending, 1,000 distinct durations): @mdh/loop ${loopBytes.toFixed(0)}, node ${nodeBytes.toFixed(0)}`,
);
