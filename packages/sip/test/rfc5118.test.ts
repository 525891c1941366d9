import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMessage, SipParseError, type SipRequest, type SipUri, serializeMessage } from '../src/message-layer.js';

const DIR = fileURLToPath(new URL('../../../tests/vectors/sip-torture/ipv6/', import.meta.url));
interface Entry {
  file: string;
  wire_file: string;
  section: string;
  valid: boolean | string;
  archive: {
    sha256: string;
    ends_with_empty_line: boolean;
    content_length_printed: number;
    body_octets_as_archived: number;
  };
  wire: { sha256: string };
}
const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as { messages: Entry[] };
const wire = (f: string) => parseMessage(new Uint8Array(readFileSync(`${DIR}wire/${f}.dat`))) as SipRequest;
const sip = (u: unknown) => u as SipUri;

describe('RFC 5118 IPv6 torture messages', () => {
  it('corpus is byte-exact (archive and wire forms)', () => {
    expect(manifest.messages.length).toBe(12);
    for (const m of manifest.messages) {
      expect(
        createHash('sha256')
          .update(readFileSync(DIR + m.file))
          .digest('hex'),
      ).toBe(m.archive.sha256);
      expect(
        createHash('sha256')
          .update(readFileSync(DIR + m.wire_file))
          .digest('hex'),
      ).toBe(m.wire.sha256);
    }
  });

  for (const m of manifest.messages) {
    it(`§${m.section} ${m.file}: ${m.valid === false ? 'rejected' : 'accepted'} (wire form)`, () => {
      const bytes = new Uint8Array(readFileSync(DIR + m.wire_file));
      if (m.valid === false) {
        expect(() => parseMessage(bytes)).toThrow(SipParseError);
        try {
          parseMessage(bytes);
        } catch (e) {
          expect((e as SipParseError).status).toBe(400);
        }
      } else {
        const msg = parseMessage(bytes);
        msg.vias;
        msg.contacts;
        expect(parseMessage(serializeMessage(msg)).headers).toEqual(msg.headers);
      }
    });
    it(`§${m.section} ${m.file}: archive form (LF line ends) behaves the same where it is well framed`, () => {
      const bytes = new Uint8Array(readFileSync(DIR + m.file));
      const framed =
        Buffer.from(bytes).includes('\n\n') && m.archive.content_length_printed <= m.archive.body_octets_as_archived;
      if (m.valid === false || !framed) expect(() => parseMessage(bytes)).toThrow(SipParseError);
      else expect(parseMessage(bytes).kind).toBeDefined();
    });
  }

  it('§4.1 ipv6-good values', () => {
    const r = wire('ipv6-good');
    expect(sip(r.requestUri).host).toBe('[2001:db8::10]');
    expect(r.via?.host).toBe('[2001:db8::9:1]');
    expect(sip(r.contacts[0]?.uri).host).toBe('[2001:db8::1]');
  });
  it('§4.3 port-ambiguous: one address, no port', () => {
    const u = sip(wire('port-ambiguous').requestUri);
    expect(u.host).toBe('[2001:db8::10:5070]');
    expect(u.port).toBeUndefined();
  });
  it('§4.4 port-unambiguous: address and port', () => {
    const u = sip(wire('port-unambiguous').requestUri);
    expect(u.host).toBe('[2001:db8::10]');
    expect(u.port).toBe(5070);
  });
  it('§4.5 received with and without brackets', () => {
    expect(wire('via-received-param-with-delim').via?.received).toBe('[2001:db8::9:255]');
    const v = wire('via-received-param-no-delim').via;
    expect(v?.received).toBe('2001:db8::9:255');
    expect(v?.branch).toBe('z9hG4bKas3');
  });
  it('§4.7 mixed Via list', () => {
    const v = wire('mult-ip-in-header').vias;
    expect(v.map((x) => [x.host, x.port, x.received])).toEqual([
      ['[2001:db8::9:1]', 6050, undefined],
      ['192.0.2.1', undefined, undefined],
      ['[2001:db8::9:255]', undefined, '192.0.2.200'],
    ]);
  });
  it('§4.6/§4.8 SDP bodies with IPv6', () => {
    expect(wire('ipv6-in-sdp').bodyText).toContain('IN IP6 2001:db8::20');
    expect(wire('mult-ip-in-sdp').bodyText).toMatch(/IN IP6/);
  });
  it('§4.9 IPv4-mapped IPv6', () => {
    const r = wire('ipv4-mapped-ipv6');
    expect(r.vias.map((v) => v.host)).toEqual(['[::ffff:192.0.2.10]', '[::ffff:192.0.2.2]']);
    expect(r.vias[0]?.port).toBe(19823);
    expect(sip(r.contacts[0]?.uri).host).toBe('[::ffff:192.0.2.2]');
  });
  it('§4.10 both the buggy three-colon and the correct two-colon forms are tolerated', () => {
    expect(sip(wire('ipv6-bug-abnf-3-colons').requestUri).host).toBe('[2001:db8:::192.0.2.1]');
    expect(sip(wire('ipv6-correct-abnf-2-colons').requestUri).host).toBe('[2001:db8::192.0.2.1]');
  });
});
