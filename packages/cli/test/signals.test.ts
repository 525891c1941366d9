import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { EXIT_SIGINT, interruptSignal } from '../src/signals.js';

function fakeProcess() {
  const em = new EventEmitter();
  const err: string[] = [];
  return Object.assign(em, { stderr: { write: (s: string) => err.push(s) > 0 }, err });
}

describe('interruptSignal', () => {
  it('the first SIGINT aborts, the second exits 130; dispose removes the listeners', () => {
    const p = fakeProcess();
    const exits: number[] = [];
    const i = interruptSignal('call', 'ending the call', p as never, (c) => exits.push(c));
    expect(i.signal.aborted).toBe(false);
    p.emit('SIGINT');
    expect(i.signal.aborted).toBe(true);
    expect(i.signal.reason).toBe('SIGINT');
    expect(exits).toEqual([]);
    expect(p.err.join('')).toMatch(/mdh call: SIGINT: ending the call \(send it again to exit at once\)/);
    p.emit('SIGINT');
    expect(exits).toEqual([EXIT_SIGINT]);
    i.dispose();
    expect(p.listenerCount('SIGINT')).toBe(0);
    expect(p.listenerCount('SIGTERM')).toBe(0);
  });

  it('SIGTERM then SIGTERM exits 143', () => {
    const p = fakeProcess();
    const exits: number[] = [];
    const i = interruptSignal('call', 'x', p as never, (c) => exits.push(c));
    p.emit('SIGTERM');
    expect(i.signal.reason).toBe('SIGTERM');
    p.emit('SIGTERM');
    expect(exits).toEqual([143]);
    i.dispose();
  });
});
