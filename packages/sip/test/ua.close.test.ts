import { describe, expect, it } from 'vitest';
import { UserAgent } from '../src/index.js';
import { offer, world } from './world.js';

// UserAgent.close(): every call ends with BYE and every registration is removed, bounded; stats() drain.

describe('UserAgent.close and stats', () => {
  it('close() BYEs the calls and unregisters (Expires: 0); stats go back to 0', async () => {
    const w = world();
    const uas = new UserAgent({
      loop: w.loop,
      transports: [w.net.attach('127.0.0.2', 5060)],
      user: 'bob',
      registrar: true,
    });
    uas.on('invite', (i) => {
      i.ring(183, { sdp: offer }); // reliable (the caller supports 100rel): PRACKed
      void i.answer(offer);
    });
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
    const reg = uac.register('sip:127.0.0.2', { expires: 600 });
    await w.run(20);
    const r = await reg;
    expect(r.state).toBe('registered');
    expect(uas.registrar?.lookup('sip:alice@127.0.0.1')).toHaveLength(1);
    const out = uac.invite('sip:bob@127.0.0.2:5060', { sdp: offer });
    await w.run(50);
    const call = await out.result;
    expect(uac.stats().calls).toBe(1);
    expect(uac.stats().registrations).toBe(1);
    const closed = uac.close({ boundMs: 5000 });
    await w.run(50);
    await closed;
    expect(call.endReason).toBe('local-bye');
    expect(r.state).toBe('unregistered');
    expect(uas.registrar?.lookup('sip:alice@127.0.0.1')).toHaveLength(0);
    expect(uas.activeCalls).toBe(0);
    // once the transactions' timers (Timer J/K, 64·T1) and the PRACK record (64·T1) have run, all is 0
    await w.run(40_000, 500);
    const s = uas.stats();
    expect(s).toEqual({
      calls: 0,
      dialogs: 0,
      awaitingAck: 0,
      reliableProvisionals: 0,
      earlyDialogs: 0,
      subscriptions: 0,
      registrations: 0,
      transactions: { client: 0, server: 0, clientInvite: 0, clientNonInvite: 0, serverInvite: 0, serverNonInvite: 0 },
    });
  });
});
