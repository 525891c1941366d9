import { ManualClock } from '@mdh/loop';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeErrorCode,
  decodeUnknownAttributes,
  decodeXorAddress,
  getAttribute,
  IceLiteAgent,
  type IceLiteAgentOptions,
  type IceLiteEvent,
  parseIceAttributes,
  parseStun,
  StunAttr,
  type StunAttribute,
  StunKey,
  type StunMessage,
  serializeStun,
  type TransportAddress,
  textValue,
  u32Value,
  u64Value,
  verifyFingerprint,
  verifyIntegrity,
  verifyIntegritySha256,
} from '../src/index.js';

const LOCAL = { address: '127.0.0.1', port: 40000 };
const PEER = { address: '127.0.0.1', port: 50000 };
const OTHER = { address: '127.0.0.1', port: 50001 };
const UFRAG = 'LcL1';
const PWD = 'abcdefghijklmnopqrstuvwx';
const R_UFRAG = 'RmT2';

/** Deterministic random source (a simple counter-driven byte stream). */
function seeded(seed: number) {
  let x = seed;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      out[i] = x >>> 24;
    }
    return out;
  };
}
const rnd = seeded(42);

function agentWith(extra: Partial<IceLiteAgentOptions> = {}) {
  const a = new IceLiteAgent({ localAddresses: [LOCAL], ufrag: UFRAG, pwd: PWD, remoteUfrag: R_UFRAG, ...extra });
  return a;
}

interface CheckOpts {
  username?: string | null;
  pwd?: string | null;
  useCandidate?: boolean;
  role?: 'controlling' | 'controlled' | 'none';
  extra?: StunAttribute[];
  fingerprint?: boolean;
  cls?: 'request' | 'indication' | 'success';
}

/** A connectivity check shaped as a full agent (the controlling browser) sends it, RFC 8445 §7.2.2. */
function check(o: CheckOpts = {}): Uint8Array {
  const attrs: StunAttribute[] = [];
  const username = o.username === undefined ? `${UFRAG}:${R_UFRAG}` : o.username;
  if (username !== null) attrs.push({ type: StunAttr.USERNAME, value: textValue(username) });
  const role = o.role ?? 'controlling';
  if (role === 'controlling') attrs.push({ type: StunAttr.ICE_CONTROLLING, value: u64Value(7n) });
  if (role === 'controlled') attrs.push({ type: StunAttr.ICE_CONTROLLED, value: u64Value(7n) });
  attrs.push({ type: StunAttr.PRIORITY, value: u32Value(1853824767) });
  if (o.useCandidate) attrs.push({ type: StunAttr.USE_CANDIDATE, value: new Uint8Array(0) });
  attrs.push(...(o.extra ?? []));
  const pwd = o.pwd === undefined ? PWD : o.pwd;
  return serializeStun({
    class: o.cls ?? 'request',
    transactionId: rnd(12),
    attributes: attrs,
    ...(pwd !== null ? { integrity: StunKey.shortTerm(pwd) } : {}),
    fingerprint: o.fingerprint ?? true,
  });
}

function drain(a: IceLiteAgent) {
  const datagrams: { data: Uint8Array; to: TransportAddress; from?: TransportAddress; msg: StunMessage }[] = [];
  const events: IceLiteEvent[] = [];
  for (let i = 0; i < 1000; i++) {
    const o = a.pollOutput();
    if (o.kind === 'deadline') return { datagrams, events, deadline: o.at };
    if (o.kind === 'datagram') datagrams.push({ ...o, msg: parseStun(o.data) });
    else events.push(o.event);
  }
  throw new Error('outputs never ended');
}

function errorCode(m: StunMessage): number | undefined {
  const v = getAttribute(m, StunAttr.ERROR_CODE);
  return v ? decodeErrorCode(v)?.code : undefined;
}

describe('IceLiteAgent: credentials, candidates and SDP', () => {
  it('generates ufrag (≥4) and pwd (≥22) ice-chars from the injected random source, reproducibly', () => {
    const a = new IceLiteAgent({ localAddresses: [LOCAL], random: seeded(1) });
    const b = new IceLiteAgent({ localAddresses: [LOCAL], random: seeded(1) });
    const c = new IceLiteAgent({ localAddresses: [LOCAL], random: seeded(2) });
    expect(a.ufrag).toMatch(/^[A-Za-z0-9+/]{4,256}$/);
    expect(a.pwd).toMatch(/^[A-Za-z0-9+/]{22,256}$/);
    expect([b.ufrag, b.pwd]).toEqual([a.ufrag, a.pwd]);
    expect(c.pwd).not.toBe(a.pwd);
  });

  it('rejects credentials outside the RFC 8839 grammar', () => {
    expect(() => new IceLiteAgent({ localAddresses: [LOCAL], ufrag: 'abc', pwd: PWD })).toThrow(/ufrag/);
    expect(() => new IceLiteAgent({ localAddresses: [LOCAL], ufrag: UFRAG, pwd: 'short' })).toThrow(/pwd/);
    expect(() => new IceLiteAgent({ localAddresses: [] })).toThrow();
  });

  it('writes a=ice-lite, credentials, host candidates with RFC 8445 §5.1.2 priorities and end-of-candidates', () => {
    const a = new IceLiteAgent({
      localAddresses: [LOCAL, { address: '::1', port: 40002 }],
      ufrag: UFRAG,
      pwd: PWD,
    });
    const { session, media } = a.sdpLines();
    expect(session).toEqual(['a=ice-lite']);
    expect(media).toEqual([
      `a=ice-ufrag:${UFRAG}`,
      `a=ice-pwd:${PWD}`,
      'a=ice-options:ice2',
      'a=candidate:1 1 UDP 2130706431 127.0.0.1 40000 typ host',
      'a=candidate:2 1 UDP 2130706175 ::1 40002 typ host',
      'a=end-of-candidates',
    ]);
    const back = parseIceAttributes([...session, ...media]);
    if (back instanceof Error) throw back;
    expect(back.lite).toBe(true);
    expect(back.candidates).toEqual(a.localCandidates);
  });
});

describe('IceLiteAgent: answering checks (RFC 8445 §7.3)', () => {
  it('answers a valid check with XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY (local pwd) and FINGERPRINT', () => {
    const a = agentWith();
    const req = check();
    a.handleInput(req, PEER, 0);
    const { datagrams, events } = drain(a);
    expect(events).toEqual([{ type: 'state', state: 'checking' }]);
    expect(datagrams).toHaveLength(1);
    const r = datagrams[0]!;
    expect(r.to).toEqual(PEER);
    expect(r.msg.class).toBe('success');
    expect(r.msg.transactionId).toEqual(req.subarray(8, 20));
    expect(decodeXorAddress(getAttribute(r.msg, StunAttr.XOR_MAPPED_ADDRESS)!, r.msg.transactionId)).toEqual(PEER);
    expect(verifyIntegrity(r.msg, StunKey.shortTerm(PWD))).toBe(true);
    expect(verifyFingerprint(r.msg)).toBe(true);
    expect(a.state).toBe('checking');
    expect(a.selectedPair).toBeUndefined();
    expect(a.remoteAddress).toBeUndefined();
  });

  it('nominates on USE-CANDIDATE: selected-pair event, state connected, media latched to the source', () => {
    const a = agentWith();
    a.start(0);
    drain(a);
    a.handleInput(check({ useCandidate: true }), PEER, 5);
    const { datagrams, events } = drain(a);
    expect(datagrams[0]!.msg.class).toBe('success');
    expect(events).toEqual([
      { type: 'selected-pair', pair: { local: LOCAL, remote: PEER } },
      { type: 'state', state: 'connected' },
    ]);
    expect(a.remoteAddress).toEqual(PEER);
    expect(a.stats.nominations).toBe(1);
  });

  it('accepts any remote ufrag until the peer’s is known, then only localUfrag:remoteUfrag', () => {
    const a = new IceLiteAgent({ localAddresses: [LOCAL], ufrag: UFRAG, pwd: PWD });
    a.handleInput(check({ username: `${UFRAG}:whatever` }), PEER, 0);
    expect(drain(a).datagrams[0]!.msg.class).toBe('success');
    a.setRemoteCredentials(R_UFRAG);
    a.handleInput(check({ username: `${UFRAG}:whatever` }), PEER, 1);
    expect(errorCode(drain(a).datagrams[0]!.msg)).toBe(401);
    a.handleInput(check(), PEER, 2);
    expect(drain(a).datagrams[0]!.msg.class).toBe('success');
  });

  it('answers a check protected by MESSAGE-INTEGRITY-SHA256 with MESSAGE-INTEGRITY-SHA256 (RFC 8489 §9.1.3)', () => {
    const a = agentWith();
    const mk = (pwd: string) =>
      serializeStun({
        class: 'request',
        transactionId: rnd(12),
        attributes: [
          { type: StunAttr.USERNAME, value: textValue(`${UFRAG}:${R_UFRAG}`) },
          { type: StunAttr.ICE_CONTROLLING, value: u64Value(1n) },
        ],
        integritySha256: StunKey.shortTerm(pwd),
        fingerprint: true,
      });
    a.handleInput(mk(PWD), PEER, 0);
    const ok = drain(a).datagrams[0]!.msg;
    expect(ok.class).toBe('success');
    expect(ok.integrityOffset).toBe(-1);
    expect(verifyIntegritySha256(ok, StunKey.shortTerm(PWD))).toBe(true);
    a.handleInput(mk('wrongwrongwrongwrongwrong'), PEER, 1);
    expect(errorCode(drain(a).datagrams[0]!.msg)).toBe(401);
  });

  it('ignores comprehension-optional attributes it does not know (e.g. GOOG-NETWORK-INFO 0xC057)', () => {
    const a = agentWith();
    a.handleInput(check({ extra: [{ type: 0xc057, value: new Uint8Array([0, 1, 0, 10]) }] }), PEER, 0);
    expect(drain(a).datagrams[0]!.msg.class).toBe('success');
  });

  it('re-latches when the controlling agent nominates another authenticated pair', () => {
    const a = agentWith();
    a.handleInput(check({ useCandidate: true }), PEER, 0);
    drain(a);
    a.handleInput(check({ useCandidate: true }), OTHER, 10);
    const { events } = drain(a);
    expect(events).toEqual([{ type: 'selected-pair', pair: { local: LOCAL, remote: OTHER } }]);
    expect(a.remoteAddress).toEqual(OTHER);
  });

  it('sends from the local address the check arrived on when it has several', () => {
    const L2 = { address: '127.0.0.2', port: 40001 };
    const a = agentWith({ localAddresses: [LOCAL, L2] });
    a.handleInput(check({ useCandidate: true }), PEER, 0, L2);
    const { datagrams } = drain(a);
    expect(datagrams[0]!.from).toEqual(L2);
    expect(a.selectedPair).toEqual({ local: L2, remote: PEER });
  });
});

describe('IceLiteAgent and the RFC 5769 §2.1 sample request', () => {
  // RFC 5769 §2.1 (copied in stun.rfc5769.test.ts): USERNAME "evtj:h6vY", password "VOkJxbRl1RmTxUk/WvJxBt",
  // ICE-CONTROLLED — so a lite agent (always controlled) owning those credentials answers 487 Role Conflict.
  const REQUEST = Uint8Array.from(
    (
      '000100582112a442b7e7a701bc34d686fa87dfae802200105354554e20746573742063' +
      '6c69656e74002400046e0001ff80290008932ff9b151263b360006000965767' +
      '46a3a6836765920202000080014' +
      '9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf'
    ).match(/../g)!,
    (h) => Number.parseInt(h, 16),
  );
  it('authenticates it and answers 487 with MESSAGE-INTEGRITY and FINGERPRINT', () => {
    const a = new IceLiteAgent({
      localAddresses: [LOCAL],
      ufrag: 'evtj',
      pwd: 'VOkJxbRl1RmTxUk/WvJxBt',
      remoteUfrag: 'h6vY',
    });
    a.handleInput(REQUEST, PEER, 0);
    const r = drain(a).datagrams[0]!.msg;
    expect(errorCode(r)).toBe(487);
    expect(r.transactionId).toEqual(REQUEST.subarray(8, 20));
    expect(verifyIntegrity(r, StunKey.shortTerm('VOkJxbRl1RmTxUk/WvJxBt'))).toBe(true);
    expect(verifyFingerprint(r)).toBe(true);
    expect(a.stats.roleConflict).toBe(1);
  });
});

describe('IceLiteAgent: bad input never moves media (issue #13 "Bad input")', () => {
  function connected() {
    const a = agentWith();
    a.handleInput(check({ useCandidate: true }), PEER, 0);
    drain(a);
    return a;
  }

  it('wrong password: 401 without MESSAGE-INTEGRITY (RFC 8489 §9.1.3), media unchanged', () => {
    const a = connected();
    a.handleInput(check({ pwd: 'zzzzzzzzzzzzzzzzzzzzzzzz', useCandidate: true }), OTHER, 1);
    const { datagrams, events } = drain(a);
    expect(errorCode(datagrams[0]!.msg)).toBe(401);
    expect(datagrams[0]!.msg.class).toBe('error');
    expect(datagrams[0]!.msg.integrityOffset).toBe(-1);
    expect(verifyFingerprint(datagrams[0]!.msg)).toBe(true);
    expect(events).toEqual([]);
    expect(a.remoteAddress).toEqual(PEER);
    expect(a.stats.unauthenticated).toBe(1);
  });

  it('wrong USERNAME: 401; missing USERNAME or MESSAGE-INTEGRITY: 400', () => {
    const a = connected();
    a.handleInput(check({ username: `XXXX:${R_UFRAG}`, useCandidate: true }), OTHER, 1);
    expect(errorCode(drain(a).datagrams[0]!.msg)).toBe(401);
    a.handleInput(check({ username: null, useCandidate: true }), OTHER, 2);
    expect(errorCode(drain(a).datagrams[0]!.msg)).toBe(400);
    a.handleInput(check({ pwd: null, useCandidate: true }), OTHER, 3);
    const r = drain(a).datagrams[0]!.msg;
    expect(errorCode(r)).toBe(400);
    expect(r.integrityOffset).toBe(-1);
    expect(a.remoteAddress).toEqual(PEER);
  });

  it('bad or missing FINGERPRINT: dropped silently (RFC 8489 §7.3)', () => {
    const a = connected();
    const bad = check({ useCandidate: true });
    bad[bad.length - 1]! ^= 0xff;
    a.handleInput(bad, OTHER, 1);
    a.handleInput(check({ useCandidate: true, fingerprint: false }), OTHER, 2);
    const { datagrams, events } = drain(a);
    expect(datagrams).toEqual([]);
    expect(events).toEqual([]);
    expect(a.stats.badFingerprint).toBe(2);
    expect(a.remoteAddress).toEqual(PEER);
  });

  it('unknown comprehension-required attribute: 420 listing it, with MESSAGE-INTEGRITY (RFC 8489 §6.3.1.1)', () => {
    const a = connected();
    a.handleInput(check({ useCandidate: true, extra: [{ type: 0x7123, value: new Uint8Array(3) }] }), OTHER, 1);
    const { datagrams, events } = drain(a);
    const r = datagrams[0]!.msg;
    expect(errorCode(r)).toBe(420);
    expect(decodeUnknownAttributes(getAttribute(r, StunAttr.UNKNOWN_ATTRIBUTES)!)).toEqual([0x7123]);
    expect(verifyIntegrity(r, StunKey.shortTerm(PWD))).toBe(true);
    expect(events).toEqual([]);
    expect(a.remoteAddress).toEqual(PEER);
  });

  it('peer claiming the controlled role: 487 Role Conflict, lite agent keeps its role (RFC 8445 §7.3.1.1)', () => {
    const a = connected();
    a.handleInput(check({ role: 'controlled', useCandidate: true }), OTHER, 1);
    const { datagrams, events } = drain(a);
    expect(errorCode(datagrams[0]!.msg)).toBe(487);
    expect(verifyIntegrity(datagrams[0]!.msg, StunKey.shortTerm(PWD))).toBe(true);
    expect(events).toEqual([]);
    expect(a.remoteAddress).toEqual(PEER);
    expect(a.stats.roleConflict).toBe(1);
  });

  it('a check arriving on an address that is not one of our candidates is dropped', () => {
    const a = connected();
    a.handleInput(check({ useCandidate: true }), OTHER, 1, { address: '127.0.0.9', port: 40000 });
    expect(drain(a).datagrams).toEqual([]);
    expect(a.stats.notCandidate).toBe(1);
    expect(a.remoteAddress).toEqual(PEER);
  });

  it('without peer-reflexive candidates, only signalled remote candidates are answered', () => {
    const a = agentWith({ acceptPeerReflexive: false });
    a.addRemoteCandidate({
      foundation: '1',
      component: 1,
      transport: 'udp',
      priority: 1,
      address: '127.0.0.1',
      port: 50000,
      type: 'host',
    });
    a.handleInput(check({ useCandidate: true }), OTHER, 0);
    expect(drain(a).datagrams).toEqual([]);
    expect(a.selectedPair).toBeUndefined();
    a.handleInput(check({ useCandidate: true }), PEER, 1);
    expect(drain(a).datagrams[0]!.msg.class).toBe('success');
    expect(a.remoteAddress).toEqual(PEER);
  });

  it('indications, responses, other methods and garbage are ignored without output', () => {
    const a = connected();
    a.handleInput(check({ cls: 'indication', pwd: null, username: null }), OTHER, 1);
    a.handleInput(check({ cls: 'success', useCandidate: true }), OTHER, 2);
    a.handleInput(
      serializeStun({ method: 0x003, class: 'request', transactionId: rnd(12), fingerprint: true }),
      OTHER,
      3,
    );
    for (let i = 0; i < 2000; i++) {
      const g = rnd(Math.floor(rnd(1)[0]! / 2));
      if (g.length > 0) g[0] = g[0]! & 3;
      a.handleInput(g, OTHER, 4);
    }
    const { datagrams, events } = drain(a);
    expect(datagrams).toEqual([]);
    expect(events).toEqual([]);
    expect(a.remoteAddress).toEqual(PEER);
    expect(a.stats.ignored).toBe(3);
  });

  it('bounds queued output when nobody polls', () => {
    const a = agentWith({ maxQueuedOutputs: 8 });
    for (let i = 0; i < 50; i++) a.handleInput(check(), PEER, i);
    expect(drain(a).datagrams.length).toBeLessThanOrEqual(8);
    expect(a.stats.outputOverflow).toBeGreaterThan(0);
  });
});

describe('IceLiteAgent: timers on the manual clock', () => {
  it('no check ever: fails with reason no-checks at the connect timeout', () => {
    const clock = new ManualClock(1000);
    const a = agentWith({ connectTimeoutMs: 10_000 });
    a.start(clock.now());
    expect(drain(a).deadline).toBe(11_000);
    clock.advance(9_999);
    a.handleTimeout(clock.now());
    expect(drain(a).events).toEqual([]);
    clock.advance(1);
    a.handleTimeout(clock.now());
    const { events, deadline } = drain(a);
    expect(events[0]).toEqual({ type: 'state', state: 'failed' });
    expect(events[1]).toMatchObject({ type: 'failed', reason: 'no-checks' });
    expect(deadline).toBeNull();
    a.handleInput(check({ useCandidate: true }), PEER, clock.now());
    expect(drain(a).datagrams).toEqual([]);
    expect(a.stats.afterEnd).toBe(1);
  });

  it('checks but no nomination: fails with reason no-nomination', () => {
    const clock = new ManualClock();
    const a = agentWith({ connectTimeoutMs: 5_000 });
    a.handleInput(check(), PEER, clock.now());
    drain(a);
    clock.advance(5_000);
    a.handleTimeout(clock.now());
    expect(drain(a).events[1]).toMatchObject({ type: 'failed', reason: 'no-nomination' });
  });

  it('bad checks do not count as checks: the failure still says no-checks', () => {
    const clock = new ManualClock();
    const a = agentWith({ connectTimeoutMs: 5_000 });
    a.handleInput(check({ pwd: 'wrongwrongwrongwrongwrong' }), PEER, clock.now());
    drain(a);
    clock.advance(5_000);
    a.handleTimeout(clock.now());
    expect(drain(a).events[1]).toMatchObject({ type: 'failed', reason: 'no-checks' });
  });

  it('consent (RFC 7675): valid checks on the selected pair renew it; 30 s without one ends it', () => {
    const clock = new ManualClock();
    const a = agentWith();
    a.handleInput(check({ useCandidate: true }), PEER, clock.now());
    expect(drain(a).deadline).toBe(30_000);
    clock.advance(20_000);
    a.handleInput(check(), PEER, clock.now()); // consent check on the selected pair
    expect(drain(a).deadline).toBe(50_000);
    clock.advance(5_000);
    a.handleInput(check(), OTHER, clock.now()); // valid, but not on the selected pair: no renewal
    a.handleInput(check({ pwd: 'wrongwrongwrongwrongwrong' }), PEER, clock.now()); // forged: no renewal
    expect(drain(a).deadline).toBe(50_000);
    clock.advance(24_999);
    a.handleTimeout(clock.now());
    expect(drain(a).events).toEqual([]);
    expect(a.state).toBe('connected');
    clock.advance(1);
    a.handleTimeout(clock.now());
    const { events } = drain(a);
    expect(events[0]).toEqual({ type: 'state', state: 'failed' });
    expect(events[1]).toMatchObject({ type: 'failed', reason: 'consent-expired' });
    expect(a.remoteAddress).toBeUndefined();
  });

  it('close() stops answering', () => {
    const a = agentWith();
    a.close();
    a.handleInput(check(), PEER, 0);
    const { datagrams, events, deadline } = drain(a);
    expect(datagrams).toEqual([]);
    expect(events).toEqual([{ type: 'state', state: 'closed' }]);
    expect(deadline).toBeNull();
  });
});

describe('IceLiteAgent: property — only authenticated nominations move media', () => {
  const kinds = ['valid', 'valid-nominate', 'bad-pwd', 'bad-user', 'bad-fp', 'controlled', 'unknown-attr', 'garbage'];
  it('the destination is always the source of the latest valid nominating check', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...kinds), fc.integer({ min: 0, max: 3 })), { maxLength: 40 }),
        (steps) => {
          const a = agentWith();
          let expected: TransportAddress | undefined;
          let t = 0;
          for (const [kind, src] of steps) {
            const from = { address: '127.0.0.1', port: 50000 + src };
            let d: Uint8Array;
            if (kind === 'valid') d = check();
            else if (kind === 'valid-nominate') d = check({ useCandidate: true });
            else if (kind === 'bad-pwd') d = check({ useCandidate: true, pwd: 'wrongwrongwrongwrongwrong' });
            else if (kind === 'bad-user') d = check({ useCandidate: true, username: `${UFRAG}:nope` });
            else if (kind === 'controlled') d = check({ useCandidate: true, role: 'controlled' });
            else if (kind === 'unknown-attr')
              d = check({ useCandidate: true, extra: [{ type: 0x0fff, value: new Uint8Array(4) }] });
            else if (kind === 'bad-fp') {
              d = check({ useCandidate: true });
              d[d.length - 2]! ^= 0x10;
            } else d = rnd(24 + src * 4);
            a.handleInput(d, from, t++);
            if (kind === 'valid-nominate') expected = from;
            drain(a);
            expect(a.remoteAddress).toEqual(expected);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
