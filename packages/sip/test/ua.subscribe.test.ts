import { describe, expect, it } from 'vitest';
import {
  buildDialogInfo,
  buildMessageSummary,
  createRequest,
  DIALOG_INFO_TYPE,
  type IncomingSubscription,
  MESSAGE_SUMMARY_TYPE,
  parseDialogInfo,
  parseMessageSummary,
  type SipRequest,
  SubscriptionLimitError,
  type SubscriptionNotify,
  UserAgent,
} from '../src/index.js';
import type { MemoryTransport } from '../src/testing.js';
import { world } from './world.js';

// SIP-specific event notification (RFC 6665) between two user agents on the memory network and the manual
// clock: a subscriber (alice) and a notifier (bob) serving message-summary (RFC 3842).

const mwi = (n: number) =>
  buildMessageSummary({
    waiting: n > 0,
    account: 'sip:bob@127.0.0.2',
    messages: [{ context: 'voice-message', newMessages: n, oldMessages: 8, newUrgent: 0, oldUrgent: 2 }],
  });

const text = (d: Uint8Array) => new TextDecoder().decode(d);

/** Wraps a transport's send with a filter: return false to drop a datagram, or a delay in ms to hold it. */
function tap(t: MemoryTransport, loop: ReturnType<typeof world>['loop'], f: (msg: string) => boolean | number) {
  const send = t.send.bind(t);
  t.send = (d, p) => {
    const v = f(text(d));
    if (v === false) return Promise.resolve();
    if (typeof v === 'number' && v > 0) {
      loop.after(v, () => void send(d, p));
      return Promise.resolve();
    }
    return send(d, p);
  };
}

function setup(pkgOpts: { minExpires?: number; maxExpires?: number } = {}) {
  const w = world();
  const ta = w.net.attach('127.0.0.1', 5060);
  const tb = w.net.attach('127.0.0.2', 5060);
  const alice = new UserAgent({ loop: w.loop, transports: [ta], user: 'alice' });
  const bob = new UserAgent({ loop: w.loop, transports: [tb], user: 'bob' });
  const served: IncomingSubscription[] = [];
  const subscribes: SipRequest[] = [];
  bob.subscriptions.addPackage('message-summary', {
    contentTypes: [MESSAGE_SUMMARY_TYPE],
    ...pkgOpts,
    onSubscribe(sub) {
      served.push(sub);
      sub.accept({ body: mwi(2), contentType: MESSAGE_SUMMARY_TYPE });
    },
  });
  tap(ta, w.loop, (m) => {
    if (m.startsWith('SUBSCRIBE')) subscribes.push(createRequest({ method: 'X', uri: 'sip:x', from: 'a', to: 'b' }));
    return true;
  });
  return { w, ta, tb, alice, bob, served, subscribes };
}

describe('SUBSCRIBE/NOTIFY (RFC 6665)', () => {
  it('message-summary: 200 + NOTIFY with the state, a later NOTIFY, unsubscribe → final NOTIFY terminated', async () => {
    const { w, alice, bob, served } = setup();
    const sub = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary', expires: 600 });
    const notes: SubscriptionNotify[] = [];
    sub.on('notify', (n) => notes.push(n));
    expect(sub.state).toBe('waiting');
    await w.run(50);
    expect(sub.state).toBe('active');
    expect(sub.expires).toBe(600);
    expect(served[0]!.request.get('accept')).toBe(MESSAGE_SUMMARY_TYPE);
    expect(notes[0]!.contentType).toBe(MESSAGE_SUMMARY_TYPE);
    expect(notes[0]!.state.state).toBe('active');
    expect(notes[0]!.state.expires).toBe(600);
    const s = parseMessageSummary(notes[0]!.body);
    expect(s.waiting).toBe(true);
    expect(s.messages[0]).toEqual({
      context: 'voice-message',
      newMessages: 2,
      oldMessages: 8,
      newUrgent: 0,
      oldUrgent: 2,
    });
    await w.run(10_000, 1000);
    void served[0]!.notify({ body: mwi(0) });
    await w.run(50);
    expect(notes).toHaveLength(2);
    expect(parseMessageSummary(notes[1]!.body).waiting).toBe(false);
    // §4.2.2: the expires left is counted down
    expect(notes[1]!.state.expires).toBeLessThanOrEqual(590);
    expect(bob.subscriptions.size).toEqual({ made: 0, served: 1 });
    const done = sub.unsubscribe();
    await w.run(50);
    expect(await done).toEqual({ reason: 'timeout' });
    expect(notes.at(-1)!.state).toEqual({ state: 'terminated', reason: 'timeout' });
    expect(served[0]!.endReason).toBe('unsubscribed');
    expect(alice.subscriptions.size).toEqual({ made: 0, served: 0 });
    expect(bob.subscriptions.size).toEqual({ made: 0, served: 0 });
    expect(sub.state).toBe('terminated');
  });

  it('refresh before expiry (§4.1.2.1): at half the granted duration, never later than 32 s before the end', async () => {
    const { w, alice, served, subscribes } = setup({ maxExpires: 120 });
    const sub = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary', expires: 3600 });
    await w.run(50);
    // the notifier shortened 3600 to 120 (§4.2.1.1); the 2xx's Expires is what the subscriber uses
    expect(sub.expires).toBe(120);
    expect(subscribes).toHaveLength(1);
    const refreshes: number[] = [];
    served[0]!.on('refresh', (e) => refreshes.push(e));
    await w.run(59_500, 100);
    expect(subscribes).toHaveLength(1);
    await w.run(1_000, 100);
    // min(120 s / 2, 120 s − 32 s) = 60 s after the 2xx
    expect(subscribes).toHaveLength(2);
    expect(refreshes).toEqual([120]);
    expect(sub.state).toBe('active');
    await w.run(60_000, 1000);
    expect(subscribes).toHaveLength(3);
    expect(sub.state).toBe('active');
  });

  it('the notifier ends an unrefreshed subscription at expiry with NOTIFY terminated;reason=timeout (§4.2.2)', async () => {
    const { w, ta, tb, alice, served } = setup({ maxExpires: 120 });
    const sub = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary' });
    await w.run(50);
    // from now on alice's refreshes are lost
    let n = 0;
    tap(ta, w.loop, (m) => !(m.startsWith('SUBSCRIBE') && ++n > 0));
    const states: string[] = [];
    tap(tb, w.loop, (m) => {
      if (m.startsWith('NOTIFY')) states.push(/Subscription-State: ([^\r]*)/i.exec(m)?.[1] ?? '');
      return true;
    });
    // the refresh at 60 s gets no answer: Timer F (32 s) → 408 → the subscriber gives up (§4.1.2.2)
    await w.run(93_000, 1000);
    expect(sub.termination).toEqual({ reason: 'refresh-failed', status: 408 });
    await w.run(26_000, 1000);
    expect(served[0]!.state).toBe('active');
    await w.run(1_500, 100);
    expect(served[0]!.endReason).toBe('expired');
    expect(states).toEqual(['terminated;reason=timeout']);
  });

  it('Timer N (§4.1.2.4): no NOTIFY within 64×T1 after the SUBSCRIBE ends the subscription', async () => {
    const { w, tb, alice } = setup();
    tap(tb, w.loop, (m) => !m.startsWith('NOTIFY'));
    const sub = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary' });
    await w.run(31_900, 100);
    expect(sub.state).toBe('waiting');
    expect(sub.dialog).toBeDefined(); // the 2xx came
    await w.run(200, 100);
    expect(sub.state).toBe('terminated');
    expect(sub.termination).toEqual({ reason: 'no-notify' });
  });

  it('a NOTIFY before the 2xx creates the dialog (§4.1.2.4); refreshes then go in it', async () => {
    const { w, tb, alice, served } = setup({ maxExpires: 120 });
    // bob's 200 to the SUBSCRIBE is held 2 s: the NOTIFY overtakes it
    tap(tb, w.loop, (m) => (m.startsWith('SIP/2.0 200') && /CSeq: 1 SUBSCRIBE/i.test(m) ? 2000 : true));
    const sub = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary' });
    await w.run(100);
    expect(sub.state).toBe('active');
    expect(sub.dialog?.remoteTag).toBe(served[0]!.dialog?.localTag);
    await w.run(3000, 100);
    expect(sub.expires).toBe(120);
    const refreshes: number[] = [];
    served[0]!.on('refresh', (e) => refreshes.push(e));
    await w.run(60_000, 1000);
    expect(refreshes).toEqual([120]);
  });

  it('489 Bad Event with Allow-Events for an unknown package (§8.2.2); Allow-Events in OPTIONS', async () => {
    const { w, alice } = setup();
    const sub = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'presence' });
    const raw = alice.send(
      createRequest({
        method: 'SUBSCRIBE',
        uri: 'sip:bob@127.0.0.2:5060',
        from: '<sip:alice@127.0.0.1>',
        to: '<sip:bob@127.0.0.2>',
        headers: [['Event', 'presence']],
      }),
    );
    const opt = alice.options('sip:bob@127.0.0.2:5060');
    await w.run(50);
    expect(sub.termination).toEqual({ reason: 'failed', status: 489 });
    const res = await raw;
    expect(res.status).toBe(489);
    expect(res.get('allow-events')).toBe('message-summary');
    expect((await opt).get('allow-events')).toBe('message-summary');
  });

  it('423 Interval Too Brief with Min-Expires; the subscriber retries with it (§4.2.1.1, §4.1.2.1)', async () => {
    const { w, alice } = setup({ minExpires: 600 });
    const raw = alice.send(
      createRequest({
        method: 'SUBSCRIBE',
        uri: 'sip:bob@127.0.0.2:5060',
        from: '<sip:alice@127.0.0.1>',
        to: '<sip:bob@127.0.0.2>',
        headers: [
          ['Event', 'message-summary'],
          ['Expires', '60'],
        ],
      }),
    );
    const sub = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary', expires: 60 });
    await w.run(100);
    const res = await raw;
    expect(res.status).toBe(423);
    expect(res.get('min-expires')).toBe('600');
    expect(sub.state).toBe('active');
    expect(sub.expires).toBe(600);
  });

  it('481 for a NOTIFY matching no subscription, with or without To tag, or with another Event id', async () => {
    const { w, alice, bob, served } = setup();
    const notify = (to: string, event = 'message-summary') =>
      bob.send(
        createRequest({
          method: 'NOTIFY',
          uri: 'sip:alice@127.0.0.1:5060',
          from: '<sip:bob@127.0.0.2>',
          to,
          headers: [
            ['Event', event],
            ['Subscription-State', 'active;expires=60'],
          ],
        }),
      );
    const a = notify('<sip:alice@127.0.0.1>;tag=nope');
    const b = notify('<sip:alice@127.0.0.1>');
    await w.run(50);
    expect((await a).status).toBe(481);
    expect((await b).status).toBe(481);
    const sub = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary' });
    await w.run(50);
    // in the subscription's dialog but for another event id: no such subscription
    const req = served[0]!.dialog!.createRequest('NOTIFY', {
      headers: { Event: 'message-summary;id=7', 'Subscription-State': 'active' },
    });
    const c = bob.send(req);
    // and one without Subscription-State: 400
    const req2 = served[0]!.dialog!.createRequest('NOTIFY', { headers: { Event: 'message-summary' } });
    const d = bob.send(req2);
    await w.run(50);
    expect((await c).status).toBe(481);
    expect((await d).status).toBe(400);
    expect(sub.state).toBe('active');
  });

  it('terminated reasons reach the subscriber: deactivated, probation with retry-after (§4.1.3)', async () => {
    const { w, alice, served } = setup();
    const s1 = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary' });
    const s2 = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary' });
    await w.run(50);
    served[0]!.terminate('deactivated');
    served[1]!.terminate('probation', { retryAfter: 30 });
    await w.run(50);
    expect(s1.termination).toEqual({ reason: 'deactivated' });
    expect(s2.termination).toEqual({ reason: 'probation', retryAfter: 30 });
    expect(served.map((s) => s.endReason)).toEqual(['terminated', 'terminated']);
  });

  it('the notifier rejects (403), a handler that throws gets 500 and an error event; a fetch (Expires: 0)', async () => {
    const { w, alice, bob } = setup();
    const errors: string[] = [];
    bob.on('error', (_e, ev) => errors.push(ev));
    bob.subscriptions.addPackage('dialog', {
      onSubscribe(sub) {
        if (sub.subscriber.includes('carol')) throw new Error('boom');
        sub.reject(403);
      },
    });
    const a = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'dialog' });
    const b = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'dialog', from: 'sip:carol@127.0.0.1' });
    const fetch = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary', expires: 0 });
    const bodies: string[] = [];
    fetch.on('notify', (n) => bodies.push(n.body));
    await w.run(50);
    expect(a.termination).toEqual({ reason: 'failed', status: 403 });
    expect(b.termination).toEqual({ reason: 'failed', status: 500 });
    expect(errors).toEqual(['subscribe']);
    expect(fetch.termination).toEqual({ reason: 'timeout' });
    expect(parseMessageSummary(bodies[0]!).messages[0]!.newMessages).toBe(2);
    expect(bob.subscriptions.size.served).toBe(0);
  });

  it('bounded: beyond maxSubscriptions a SUBSCRIBE gets 503 and subscribe() throws', async () => {
    const { w, alice, bob } = setup();
    bob.subscriptions.maxSubscriptions = 1;
    const a = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary' });
    await w.run(50);
    const b = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary' });
    await w.run(50);
    expect(a.state).toBe('active');
    expect(b.termination).toEqual({ reason: 'failed', status: 503 });
    alice.subscriptions.maxSubscriptions = 1;
    expect(() => alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary' })).toThrow(
      SubscriptionLimitError,
    );
  });

  it('Event id (§8.2.1): the NOTIFYs carry the id of the SUBSCRIBE and match on it', async () => {
    const { w, alice, served } = setup();
    const sub = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary', id: 'a1' });
    await w.run(50);
    expect(served[0]!.event).toEqual({ type: 'message-summary', id: 'a1' });
    expect(sub.lastNotify?.request.get('event')).toBe('message-summary;id=a1');
    expect(sub.state).toBe('active');
  });

  it('bad SUBSCRIBEs: no Event → 400, a malformed Expires → 400, an Accept the package cannot serve → 406', async () => {
    const { w, alice, served } = setup();
    const raw = (headers: [string, string][]) =>
      alice.send(
        createRequest({
          method: 'SUBSCRIBE',
          uri: 'sip:bob@127.0.0.2:5060',
          from: '<sip:alice@127.0.0.1>',
          to: '<sip:bob@127.0.0.2>',
          headers,
        }),
      );
    const r = [
      raw([]),
      raw([
        ['Event', 'message-summary'],
        ['Expires', 'soon'],
      ]),
      raw([
        ['Event', 'message-summary'],
        ['Accept', 'application/pidf+xml'],
      ]),
    ];
    await w.run(50);
    expect(await Promise.all(r.map((p) => p.then((x) => x.status)))).toEqual([400, 400, 406]);
    expect(served).toHaveLength(0);
  });

  it('adversarial SUBSCRIBE/NOTIFY headers: a 4xx each, never an exception or an error event', async () => {
    const { w, alice, bob, served } = setup();
    const errors: unknown[] = [];
    bob.on('error', (e) => errors.push(e));
    alice.on('error', (e) => errors.push(e));
    const sub = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary' });
    await w.run(50);
    const d = served[0]!.dialog!;
    const cases: [string, [string, string][]][] = [
      ['SUBSCRIBE', [['Event', ';;;']]],
      [
        'SUBSCRIBE',
        [
          ['Event', 'message-summary'],
          ['Contact', '<sip:'],
        ],
      ],
      // too large is clamped to 2^32-1 (RFC 3261 §20.19), then to the package's maximum: accepted
      [
        'SUBSCRIBE',
        [
          ['Event', 'message-summary'],
          ['Expires', '99999999999999999999'],
        ],
      ],
      [
        'SUBSCRIBE',
        [
          ['Event', 'message-summary'],
          ['Expires', '5'],
        ],
      ],
      ['SUBSCRIBE', [['Event', 'x'.repeat(300)]]],
      [
        'NOTIFY',
        [
          ['Event', 'message-summary'],
          ['Subscription-State', 'bogus;;'],
        ],
      ],
    ];
    const out = cases.map(([method, headers]) =>
      alice.send(
        createRequest({
          method,
          uri: 'sip:bob@127.0.0.2:5060',
          from: '<sip:alice@127.0.0.1>',
          to: method === 'NOTIFY' ? '<sip:bob@127.0.0.2>;tag=zz' : '<sip:bob@127.0.0.2>',
          headers,
        }),
      ),
    );
    // in the live dialog: a NOTIFY with an unreadable Subscription-State
    out.push(bob.send(d.createRequest('NOTIFY', { headers: { Event: 'message-summary', 'Subscription-State': 'x' } })));
    await w.run(100);
    const statuses = await Promise.all(out.map((p) => p.then((x) => x.status)));
    expect(statuses).toEqual([400, 400, 200, 423, 400, 481, 400]);
    expect(errors).toEqual([]);
    expect(sub.state).toBe('active');
  });

  it('the dialog package (RFC 4235): pending until authorized, then active with dialog-info versions 0 and 1', async () => {
    const { w, alice, bob } = setup();
    let served: IncomingSubscription | undefined;
    bob.subscriptions.addPackage('dialog', {
      contentTypes: [DIALOG_INFO_TYPE],
      onSubscribe(sub) {
        served = sub;
        // §4.2.1.1: not yet authorized → pending (no state in the body yet)
        sub.accept({ state: 'pending' });
      },
    });
    const info = (version: number, state: 'early' | 'confirmed') =>
      buildDialogInfo({
        version,
        state: 'full',
        entity: 'sip:bob@127.0.0.2',
        dialogs: [{ id: 'd1', callId: 'c1', localTag: 'l', remoteTag: 'r', direction: 'recipient', state }],
      });
    const sub = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'dialog' });
    const states: string[] = [];
    const docs: ReturnType<typeof parseDialogInfo>[] = [];
    sub.on('state', (s) => states.push(s));
    sub.on('notify', (n) => {
      if (n.body) docs.push(parseDialogInfo(n.body));
    });
    await w.run(50);
    expect(served!.request.get('accept')).toBe(DIALOG_INFO_TYPE);
    expect(sub.state).toBe('pending');
    void served!.notify({ state: 'active', body: info(0, 'early'), contentType: DIALOG_INFO_TYPE });
    void served!.notify({ body: info(1, 'confirmed') });
    await w.run(50);
    expect(states).toEqual(['pending', 'active']);
    expect(docs.map((d) => [d.version, d.dialogs[0]!.state])).toEqual([
      [0, 'early'],
      [1, 'confirmed'],
    ]);
    expect(sub.lastNotify?.contentType).toBe(DIALOG_INFO_TYPE);
  });

  it('close(): served subscriptions get a final NOTIFY, made ones are unsubscribed', async () => {
    const { w, alice, bob } = setup();
    const sub = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary' });
    await w.run(50);
    const closing = bob.close();
    await w.run(50);
    await closing;
    expect(sub.termination).toEqual({ reason: 'noresource' });
    const closingA = alice.close();
    await w.run(50);
    await closingA;
  });

  it('close() of the subscriber: its subscriptions end (closed) and the notifier is unsubscribed', async () => {
    const { w, alice, served } = setup();
    const sub = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary' });
    await w.run(50);
    const closing = alice.close();
    await w.run(50);
    await closing;
    expect(sub.termination).toEqual({ reason: 'closed' });
    expect(served[0]!.endReason).toBe('unsubscribed');
  });

  it('an abort signal ends a subscription still waiting for its first NOTIFY', async () => {
    const { w, tb, alice } = setup();
    tap(tb, w.loop, (m) => !m.startsWith('NOTIFY'));
    const sub = alice.subscribe('sip:bob@127.0.0.2:5060', { event: 'message-summary', timeoutMs: 5000 });
    await w.run(5_100, 100);
    expect(sub.state).toBe('terminated');
    expect(sub.termination?.reason).toBe('aborted');
  });
});
