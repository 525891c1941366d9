import { describe, expect, it } from 'vitest';
import { RtcpScheduler } from '../src/index.js';

// RFC 3550 §6.3.7: while a participant with more than 50 members backs off before sending its BYE, `members`
// counts only the BYEs received since it decided to leave (it starts at 1), `senders` is 0 and `we_sent` false.
// The member table refreshed by the owner must not feed back into that state.

describe('BYE back-off state (RFC 3550 §6.3.7)', () => {
  it('the scheduler keeps members = 1 + BYEs received while leaving, whatever setMembers says', () => {
    const s = new RtcpScheduler({ sessionBandwidth: 64000, random: () => 0.5, now: 0 });
    s.setMembers(100, 10, 0);
    expect(s.leave(1000, 100)).toBe(false);
    expect(s.members).toBe(1);
    s.setMembers(100, 10, 1500); // the owner refreshing its member table must not undo the back-off
    expect(s.members).toBe(1);
    expect(s.senders).toBe(0);
    s.byeReceivedWhileLeaving(100);
    expect(s.members).toBe(2);
    s.setMembers(100, 10, 1600);
    expect(s.members).toBe(2);
  });
});
