import { describe, expect, it } from 'vitest';
import {
  buildDialogInfo,
  buildMessageSummary,
  type DialogInfo,
  EventBodyError,
  parseDialogInfo,
  parseEventHeader,
  parseMessageSummary,
  parseSubscriptionState,
  tryParseDialogInfo,
  tryParseMessageSummary,
} from '../src/index.js';

// The bodies of the message-summary (RFC 3842) and dialog (RFC 4235) event packages, and the RFC 6665 headers.

describe('message-summary (RFC 3842 §5.2)', () => {
  it("reads the RFC's example (§6) and builds it back byte for byte", () => {
    const body =
      'Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\nVoice-Message: 2/8 (0/2)\r\n';
    const s = parseMessageSummary(body);
    expect(s).toEqual({
      waiting: true,
      account: 'sip:alice@vmail.example.com',
      messages: [{ context: 'voice-message', newMessages: 2, oldMessages: 8, newUrgent: 0, oldUrgent: 2 }],
    });
    expect(buildMessageSummary(s)).toBe(body);
  });

  it('is tolerant: case, LF line ends, several classes, no urgent pair, optional headers after a blank line', () => {
    const s = parseMessageSummary(
      'messages-waiting: NO\nfax-message: 0/1\nVoice-Message:3/4\nX-Unknown: 1\n\nSubject: hello\nTo: bob\n',
    );
    expect(s.waiting).toBe(false);
    expect(s.messages).toEqual([
      { context: 'fax-message', newMessages: 0, oldMessages: 1 },
      { context: 'voice-message', newMessages: 3, oldMessages: 4 },
    ]);
    expect(s.headers).toEqual([
      ['Subject', 'hello'],
      ['To', 'bob'],
    ]);
    const again = parseMessageSummary(buildMessageSummary(s));
    expect(again).toEqual(s);
  });

  it('bad input is a typed error, never a throw from tryParse', () => {
    expect(tryParseMessageSummary('Voice-Message: 1/2\r\n')).toBeInstanceOf(EventBodyError);
    expect(tryParseMessageSummary('Messages-Waiting: maybe\r\n')).toBeInstanceOf(EventBodyError);
    expect(tryParseMessageSummary('x'.repeat(70_000))).toBeInstanceOf(EventBodyError);
    expect(() => parseMessageSummary('')).toThrow(EventBodyError);
    // counts beyond 32 bits are skipped, not wrapped
    expect(parseMessageSummary('Messages-Waiting: yes\r\nVoice-Message: 99999999999/1\r\n').messages).toEqual([]);
    expect(() =>
      buildMessageSummary({ waiting: true, messages: [{ context: 'x', newMessages: 1, oldMessages: 0 }] }),
    ).toThrow(RangeError);
  });
});

describe('dialog-info (RFC 4235 §4)', () => {
  it("reads the RFC's examples (§6.2): full state, a trying dialog, then a partial confirmed one", () => {
    const full = parseDialogInfo(
      `<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info"
             version="0" state="full" entity="sip:alice@example.com">
  <dialog id="as7d900as8" call-id="a84b4c76e66710"
          local-tag="1928301774" direction="initiator">
    <state>trying</state>
  </dialog>
</dialog-info>`,
    );
    expect(full).toEqual({
      version: 0,
      state: 'full',
      entity: 'sip:alice@example.com',
      dialogs: [
        { id: 'as7d900as8', callId: 'a84b4c76e66710', localTag: '1928301774', direction: 'initiator', state: 'trying' },
      ],
    });
    const partial = parseDialogInfo(
      `<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="partial" entity="sip:alice@example.com">
  <!-- a comment -->
  <dialog id="as7d900as8" call-id="a84b4c76e66710" local-tag="1928301774" remote-tag="hh76a" direction="initiator">
    <state event="replaced" code="200">confirmed</state>
    <duration>274</duration>
    <local><identity display="Alice &amp; co">sip:alice@example.com</identity><target uri="sip:alice@pc33.example.com"/></local>
    <remote><identity>sip:bob@example.org</identity></remote>
  </dialog>
</dialog-info>`,
    );
    expect(partial.version).toBe(1);
    expect(partial.state).toBe('partial');
    expect(partial.dialogs[0]).toEqual({
      id: 'as7d900as8',
      callId: 'a84b4c76e66710',
      localTag: '1928301774',
      remoteTag: 'hh76a',
      direction: 'initiator',
      state: 'confirmed',
      event: 'replaced',
      code: 200,
      duration: 274,
      local: { identity: 'sip:alice@example.com', display: 'Alice & co', target: 'sip:alice@pc33.example.com' },
      remote: { identity: 'sip:bob@example.org' },
    });
  });

  it('build → parse round trip, with characters that must be escaped', () => {
    const info: DialogInfo = {
      version: 7,
      state: 'full',
      entity: 'sip:bob@example.com;x="<&>"',
      dialogs: [
        {
          id: 'd"1',
          callId: 'c@h',
          localTag: 'l',
          remoteTag: 'r',
          direction: 'recipient',
          state: 'early',
          local: { identity: 'sip:bob@example.com', display: "O'Brien <b>" },
          remote: { identity: 'sip:carol@example.com', target: 'sip:carol@10.0.0.1' },
        },
        { id: 'd2', state: 'terminated', event: 'remote-bye' },
      ],
    };
    expect(parseDialogInfo(buildDialogInfo(info))).toEqual(info);
  });

  it('is tolerant of namespace prefixes and single quotes; skips dialogs without id or with unknown state', () => {
    const x = `<d:dialog-info xmlns:d='urn:ietf:params:xml:ns:dialog-info' version='3' entity='sip:a@b'>
      <d:dialog id='x'><d:state>Confirmed</d:state></d:dialog>
      <d:dialog><d:state>early</d:state></d:dialog>
      <d:dialog id='y'><d:state>ringing</d:state></d:dialog>
    </d:dialog-info>`;
    expect(parseDialogInfo(x)).toEqual({
      version: 3,
      state: 'full',
      entity: 'sip:a@b',
      dialogs: [{ id: 'x', state: 'confirmed' }],
    });
  });

  it('bad input is a typed error: no root, no version, no entity, too deep, too big', () => {
    expect(tryParseDialogInfo('<foo/>')).toBeInstanceOf(EventBodyError);
    expect(tryParseDialogInfo('<dialog-info entity="sip:a@b"/>')).toBeInstanceOf(EventBodyError);
    expect(tryParseDialogInfo('<dialog-info version="1"/>')).toBeInstanceOf(EventBodyError);
    expect(tryParseDialogInfo(`<dialog-info version="1" entity="e">${'<a>'.repeat(100)}`)).toBeInstanceOf(
      EventBodyError,
    );
    expect(tryParseDialogInfo('<'.repeat(70_000))).toBeInstanceOf(EventBodyError);
    expect(() => parseDialogInfo('not xml')).toThrow(EventBodyError);
  });
});

describe('RFC 6665 headers', () => {
  it('Event with id; Subscription-State with expires, reason, retry-after', () => {
    expect(parseEventHeader('message-summary;id=12')).toEqual({ type: 'message-summary', id: '12' });
    expect(parseEventHeader(' dialog ')).toEqual({ type: 'dialog' });
    expect(parseEventHeader('')).toBeUndefined();
    expect(parseSubscriptionState('active;expires=600')).toEqual({ state: 'active', expires: 600 });
    expect(parseSubscriptionState('Terminated; reason=Probation; retry-after=30')).toEqual({
      state: 'terminated',
      reason: 'probation',
      retryAfter: 30,
    });
    expect(parseSubscriptionState('waiting')).toBeUndefined();
  });
});
