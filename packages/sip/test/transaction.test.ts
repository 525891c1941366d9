import { createLoop, ManualClock, type TimerId } from '@mdh/loop';
import { describe, expect, it } from 'vitest';
import {
  ClientInviteTransaction,
  ClientNonInviteTransaction,
  ServerInviteTransaction,
  ServerNonInviteTransaction,
  type TransactionEvent,
  type TransactionOutput,
} from '../src/stack-layer.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

interface Machine<M> {
  pollOutput(): TransactionOutput<M> | undefined;
  nextDeadline(): number | undefined;
  handleTimeout(now: number): void;
}

/** The old flat view of an output for the assertions below: a datagram reads as `{ type: 'send', data }`. */
type Flat<M> = TransactionEvent<M> | { type: 'send'; data: Uint8Array };
function flat<M>(o: TransactionOutput<M>): Flat<M> {
  if (o.kind === 'datagram') return { type: 'send', data: o.data };
  if (o.kind === 'event') return o.event;
  throw new Error('transactions queue no deadline outputs');
}

/** Drives a machine's deadlines with a Loop on a ManualClock, recording every output with its time. */
function harness<M>(clock: ManualClock, tx: Machine<M>) {
  const loop = createLoop({ clock });
  const log: { t: number; o: Flat<M> }[] = [];
  let timer: TimerId | undefined;
  const pump = () => {
    for (let o = tx.pollOutput(); o; o = tx.pollOutput()) log.push({ t: clock.now(), o: flat(o) });
    if (timer !== undefined) loop.cancel(timer);
    timer = undefined;
    const d = tx.nextDeadline();
    if (d !== undefined)
      timer = loop.after(Math.max(0, d - clock.now()), () => {
        timer = undefined;
        tx.handleTimeout(clock.now());
        pump();
      });
  };
  pump();
  return { log, pump, sends: () => log.filter((e) => e.o.type === 'send').map((e) => e.t) };
}

describe('INVITE client transaction (RFC 3261 §17.1.1, RFC 6026)', () => {
  it('Timer A doubles from T1 and Timer B fires after 64×T1', () => {
    const clock = new ManualClock(0);
    const tx = new ClientInviteTransaction<string>(
      'b1',
      { reliable: false, request: enc('INVITE'), buildAck: () => enc('ACK') },
      0,
    );
    const h = harness(clock, tx);
    clock.advance(64 * 500 - 1);
    expect(tx.state).toBe('calling');
    expect(h.sends()).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    clock.advance(1);
    expect(h.log.map((e) => e.o.type).slice(-2)).toEqual(['timeout', 'terminated']);
    expect(h.log.at(-2)?.t).toBe(32000);
    expect(tx.state).toBe('terminated');
  });

  it('configurable T1: Timer B = 64×T1 with T1 = 100 ms', () => {
    const clock = new ManualClock(0);
    const tx = new ClientInviteTransaction<string>(
      'b',
      { reliable: false, request: enc('I'), buildAck: () => enc('A'), timers: { t1: 100 } },
      0,
    );
    const h = harness(clock, tx);
    clock.advance(6399);
    expect(tx.state).toBe('calling');
    clock.advance(1);
    expect(h.log.some((e) => e.o.type === 'timeout' && e.t === 6400)).toBe(true);
  });

  it('no retransmission over a reliable transport, Timer B still applies', () => {
    const clock = new ManualClock(0);
    const tx = new ClientInviteTransaction<string>(
      'b',
      { reliable: true, request: enc('I'), buildAck: () => enc('A') },
      0,
    );
    const h = harness(clock, tx);
    clock.advance(40_000);
    expect(h.sends()).toEqual([0]);
    expect(tx.state).toBe('terminated');
  });

  it('1xx stops retransmission; a non-2xx final is ACKed in the transaction and ACK resent on retransmits; Timer D = 32 s', () => {
    const clock = new ManualClock(0);
    const tx = new ClientInviteTransaction<string>(
      'b',
      { reliable: false, request: enc('I'), buildAck: (r) => enc(`ACK for ${r}`) },
      0,
    );
    const h = harness(clock, tx);
    clock.advance(100);
    tx.handleResponse(180, 'ringing', clock.now());
    h.pump();
    clock.advance(10_000);
    expect(h.sends()).toEqual([0]);
    tx.handleResponse(486, 'busy', clock.now());
    h.pump();
    expect(tx.state).toBe('completed');
    const acks = h.log.filter((e) => e.o.type === 'send' && dec((e.o as { data: Uint8Array }).data) === 'ACK for busy');
    expect(acks).toHaveLength(1);
    tx.handleResponse(486, 'busy', clock.now());
    h.pump();
    expect(h.log.filter((e) => e.o.type === 'response')).toHaveLength(2); // 180 and the first 486 only
    expect(h.log.filter((e) => e.o.type === 'send')).toHaveLength(3);
    clock.advance(31_999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('2xx goes to Accepted (RFC 6026) and later 2xx reach the TU until Timer M', () => {
    const clock = new ManualClock(0);
    const tx = new ClientInviteTransaction<string>(
      'b',
      { reliable: false, request: enc('I'), buildAck: () => enc('A') },
      0,
    );
    const h = harness(clock, tx);
    tx.handleResponse(200, 'ok1', 10);
    h.pump();
    expect(tx.state).toBe('accepted');
    tx.handleResponse(200, 'ok2', 20);
    h.pump();
    expect(h.log.filter((e) => e.o.type === 'response').map((e) => (e.o as { message: string }).message)).toEqual([
      'ok1',
      'ok2',
    ]);
    expect(h.sends()).toEqual([0]); // the transaction itself never ACKs a 2xx
    clock.advance(32_000 + 9);
    expect(tx.state).toBe('accepted');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('transport error terminates and informs the TU', () => {
    const tx = new ClientInviteTransaction<string>(
      'b',
      { reliable: true, request: enc('I'), buildAck: () => enc('A') },
      0,
    );
    tx.pollOutput();
    tx.handleTransportError(1);
    const o = tx.pollOutput();
    expect(o && flat(o).type).toBe('transportError');
    expect(tx.state).toBe('terminated');
  });
});

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  it('Timer E doubles to T2, then Timer F after 64×T1', () => {
    const clock = new ManualClock(0);
    const tx = new ClientNonInviteTransaction<string>('b', { reliable: false, request: enc('OPTIONS') }, 0);
    const h = harness(clock, tx);
    clock.advance(32_000);
    expect(h.sends()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(h.log.at(-2)).toEqual({ t: 32000, o: { type: 'timeout', timer: 'F' } });
  });

  it('in Proceeding Timer E is T2; final → Completed, Timer K = T4 absorbs retransmissions', () => {
    const clock = new ManualClock(0);
    const tx = new ClientNonInviteTransaction<string>('b', { reliable: false, request: enc('BYE') }, 0);
    const h = harness(clock, tx);
    clock.advance(600); // one retransmission at 500, next E at 1500
    tx.handleResponse(100, 'trying', clock.now());
    h.pump();
    clock.advance(900); // E at 1500 fires, next is +T2
    clock.advance(4000);
    expect(h.sends()).toEqual([0, 500, 1500, 5500]);
    tx.handleResponse(200, 'ok', clock.now());
    tx.handleResponse(200, 'ok-again', clock.now());
    h.pump();
    expect(h.log.filter((e) => e.o.type === 'response')).toHaveLength(2);
    expect(tx.state).toBe('completed');
    clock.advance(4999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('reliable: final response terminates at once (Timer K = 0)', () => {
    const tx = new ClientNonInviteTransaction<string>('b', { reliable: true, request: enc('BYE') }, 0);
    tx.handleResponse(200, 'ok', 5);
    expect(tx.state).toBe('terminated');
  });
});

describe('INVITE server transaction (RFC 3261 §17.2.1, RFC 6026)', () => {
  it('sends 100 Trying after 200 ms when the TU is silent', () => {
    const clock = new ManualClock(0);
    const tx = new ServerInviteTransaction<string>('b', { reliable: false, buildTrying: () => enc('100') }, 0);
    const h = harness(clock, tx);
    clock.advance(199);
    expect(h.sends()).toEqual([]);
    clock.advance(1);
    expect(h.sends()).toEqual([200]);
    tx.handleRequestRetransmit(clock.now());
    h.pump();
    expect(h.sends()).toEqual([200, 200]);
  });

  it('no automatic 100 when the TU answers first', () => {
    const clock = new ManualClock(0);
    const tx = new ServerInviteTransaction<string>('b', { reliable: false, buildTrying: () => enc('100') }, 0);
    const h = harness(clock, tx);
    tx.respond(180, enc('180'), 50);
    h.pump();
    clock.advance(1000);
    expect(h.log.filter((e) => e.o.type === 'send').map((e) => dec((e.o as { data: Uint8Array }).data))).toEqual([
      '180',
    ]);
  });

  it('non-2xx final: Timer G retransmits (T1 doubling to T2) until ACK; Timer I = T4', () => {
    const clock = new ManualClock(0);
    const tx = new ServerInviteTransaction<string>('b', { reliable: false }, 0);
    const h = harness(clock, tx);
    tx.respond(486, enc('486'), 0);
    h.pump();
    clock.advance(12_000);
    expect(h.sends()).toEqual([0, 500, 1500, 3500, 7500, 11500]);
    tx.handleRequestRetransmit(clock.now());
    h.pump();
    expect(h.sends().length).toBe(7);
    tx.handleAck('ack', clock.now());
    h.pump();
    expect(tx.state).toBe('confirmed');
    expect(h.log.some((e) => e.o.type === 'ack')).toBe(true);
    clock.advance(4999);
    expect(tx.state).toBe('confirmed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('Timer H fires after 64×T1 without ACK', () => {
    const clock = new ManualClock(0);
    const tx = new ServerInviteTransaction<string>('b', { reliable: false }, 0);
    const h = harness(clock, tx);
    tx.respond(603, enc('603'), 0);
    h.pump();
    clock.advance(32_000);
    expect(h.log.find((e) => e.o.type === 'timeout')).toEqual({ t: 32000, o: { type: 'timeout', timer: 'H' } });
    expect(tx.state).toBe('terminated');
  });

  it('2xx → Accepted: INVITE retransmissions absorbed, TU 2xx retransmissions pass, Timer L = 64×T1', () => {
    const clock = new ManualClock(0);
    const tx = new ServerInviteTransaction<string>('b', { reliable: false }, 0);
    const h = harness(clock, tx);
    tx.respond(200, enc('200'), 0);
    h.pump();
    tx.handleRequestRetransmit(1);
    tx.respond(200, enc('200'), 500);
    h.pump();
    expect(h.sends()).toEqual([0, 0]);
    expect(tx.state).toBe('accepted');
    clock.advance(32_000);
    expect(tx.state).toBe('terminated');
    expect(() => tx.respond(200, enc('x'), 0)).toThrow(/state/);
  });
});

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  it('absorbs retransmits in Trying, resends the final in Completed, Timer J = 64×T1', () => {
    const clock = new ManualClock(0);
    const tx = new ServerNonInviteTransaction<string>('b', { reliable: false }, 0);
    const h = harness(clock, tx);
    tx.handleRequestRetransmit(0);
    h.pump();
    expect(h.sends()).toEqual([]);
    tx.respond(100, enc('100'), 0);
    tx.handleRequestRetransmit(1);
    tx.respond(200, enc('200'), 2);
    tx.handleRequestRetransmit(3);
    h.pump();
    expect(h.log.filter((e) => e.o.type === 'send').map((e) => dec((e.o as { data: Uint8Array }).data))).toEqual([
      '100',
      '100',
      '200',
      '200',
    ]);
    clock.advance(32_001);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('reliable: Timer J is zero', () => {
    const tx = new ServerNonInviteTransaction<string>('b', { reliable: true }, 0);
    tx.respond(200, enc('200'), 0);
    expect(tx.state).toBe('terminated');
  });

  it('rejects a bad status code (API misuse throws)', () => {
    const tx = new ServerNonInviteTransaction<string>('b', { reliable: true }, 0);
    expect(() => tx.respond(99, enc('x'), 0)).toThrow(RangeError);
  });
});
