import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { DtlsEngine, type DtlsEvent, generateCertificate, validateCertificatePath, verifyChain } from '../src/index.js';
import { drain } from './net.js';

// RFC 5280 §6.1 path validation on chains built here (the openssl differential corpus is tests/interop/x509-openssl).

const DAY = 86_400_000;
const NOW = Date.UTC(2030, 0, 1);

interface Made {
  der: Uint8Array;
  key: KeyObject;
}

const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const name = (cn: string) =>
  new Name([
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ printableString: cn }) }),
    ]),
  ]);

let serial = 1;
/** An ECDSA P-256 certificate for `cn`, signed by `issuer` (or self-signed), with the given extensions. */
function make(
  cn: string,
  o: {
    issuer?: { cn: string; key: KeyObject };
    ca?: boolean;
    pathLen?: number;
    keyUsage?: number;
    from?: number;
    to?: number;
    critical?: string;
    issuerNameCase?: boolean;
  } = {},
): Made & { cn: string } {
  const kp = keyPair();
  const ext: Extension[] = [];
  if (o.ca !== undefined)
    ext.push(
      new Extension({
        extnID: id_ce_basicConstraints,
        critical: true,
        extnValue: new OctetString(
          AsnConvert.serialize(
            new BasicConstraints({ cA: o.ca, ...(o.pathLen !== undefined ? { pathLenConstraint: o.pathLen } : {}) }),
          ),
        ),
      }),
    );
  if (o.keyUsage !== undefined)
    ext.push(
      new Extension({
        extnID: id_ce_keyUsage,
        critical: true,
        extnValue: new OctetString(AsnConvert.serialize(new KeyUsage(o.keyUsage))),
      }),
    );
  if (o.critical)
    ext.push(new Extension({ extnID: o.critical, critical: true, extnValue: new OctetString(new Uint8Array([5, 0])) }));
  const alg = () => new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' });
  const issuerCn = o.issuer?.cn ?? cn;
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array([serial++]).buffer,
    signature: alg(),
    issuer: name(o.issuerNameCase ? issuerCn.toUpperCase() : issuerCn),
    validity: new Validity({ notBefore: new Date(o.from ?? NOW - DAY), notAfter: new Date(o.to ?? NOW + 365 * DAY) }),
    subject: name(cn),
    subjectPublicKeyInfo: AsnConvert.parse(kp.publicKey.export({ format: 'der', type: 'spki' }), SubjectPublicKeyInfo),
    ...(ext.length > 0 ? { extensions: new Extensions(ext) } : {}),
  });
  const tbsDer = AsnConvert.serialize(tbs);
  const sig = sign('sha256', new Uint8Array(tbsDer), o.issuer?.key ?? kp.privateKey);
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: alg(),
    signatureValue: new Uint8Array(sig).buffer,
  });
  return { der: new Uint8Array(AsnConvert.serialize(cert)), key: kp.privateKey, cn };
}

const CA_KU = KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign;
const root = make('Root', { ca: true, keyUsage: CA_KU });
const int = make('Int', { issuer: root, ca: true, keyUsage: CA_KU });
const leaf = make('Leaf', { issuer: int, ca: false, keyUsage: KeyUsageFlags.digitalSignature });
const check = (chain: Made[], anchors: Made[], time = NOW) =>
  validateCertificatePath(
    chain.map((c) => c.der),
    anchors.map((c) => c.der),
    { time },
  );

describe('validateCertificatePath (RFC 5280 §6.1)', () => {
  it('accepts root → int → leaf, in any order of the untrusted certificates, and names the path', () => {
    const r = check([leaf, int], [root]);
    expect(r).toEqual({ ok: true, path: [leaf.der, int.der, root.der] });
    expect(check([leaf, root, int], [root]).ok).toBe(true);
    expect(verifyChain([leaf.der, int.der], [root.der], NOW)).toBe(true);
  });

  it('compares names after RFC 5280 §7.1 case folding', () => {
    const l = make('Leaf2', { issuer: int, issuerNameCase: true, keyUsage: KeyUsageFlags.digitalSignature });
    expect(check([l, int], [root]).ok).toBe(true);
  });

  it('validity is judged at the injected time, for every certificate including the anchor', () => {
    expect(check([leaf, int], [root], NOW + 400 * DAY)).toMatchObject({ ok: false });
    expect(check([leaf, int], [root], NOW - 2 * DAY)).toMatchObject({ ok: false });
    const oldRoot = make('OldRoot', { ca: true, to: NOW - 1 });
    const l = make('L', { issuer: oldRoot });
    expect(check([l], [oldRoot])).toEqual({ ok: false, reason: 'issuer certificate is outside its validity period' });
  });

  it('refuses a non-CA issuer, a CA without keyCertSign, and keyCertSign without cA', () => {
    const evil = make('Evil', { issuer: leaf });
    expect(check([evil, leaf, int], [root])).toEqual({
      ok: false,
      reason: 'issuer is not a CA (basicConstraints cA is not set)',
    });
    const noBc = make('NoBc', { issuer: root });
    expect(check([make('L', { issuer: noBc }), noBc], [root]).ok).toBe(false);
    const badKu = make('BadKu', { issuer: root, ca: true, keyUsage: KeyUsageFlags.digitalSignature });
    expect(check([make('L', { issuer: badKu }), badKu], [root])).toEqual({
      ok: false,
      reason: 'issuer keyUsage lacks keyCertSign',
    });
    const kuNoCa = make('KuNoCa', { issuer: root, ca: false, keyUsage: CA_KU });
    expect(check([make('L', { issuer: kuNoCa }), kuNoCa], [root]).ok).toBe(false);
  });

  it('pathLenConstraint counts the intermediates below each CA', () => {
    const r0 = make('R0', { ca: true, pathLen: 0 });
    const i0 = make('I0', { issuer: r0, ca: true });
    expect(check([make('L', { issuer: r0 })], [r0]).ok).toBe(true);
    expect(check([make('L', { issuer: i0 }), i0], [r0])).toEqual({ ok: false, reason: 'pathLenConstraint exceeded' });
    const r1 = make('R1', { ca: true, pathLen: 1 });
    const i1 = make('I1', { issuer: r1, ca: true });
    const i2 = make('I2', { issuer: i1, ca: true });
    expect(check([make('L', { issuer: i1 }), i1], [r1]).ok).toBe(true);
    expect(check([make('L', { issuer: i2 }), i2, i1], [r1]).ok).toBe(false);
  });

  it('the leaf needs digitalSignature when it has keyUsage; unknown critical extensions are refused', () => {
    const l = make('L', { issuer: int, keyUsage: KeyUsageFlags.keyEncipherment });
    expect(check([l, int], [root])).toEqual({ ok: false, reason: 'leaf keyUsage lacks digitalSignature' });
    const c = make('C', { issuer: int, critical: '1.3.6.1.4.1.55555.9' });
    expect(check([c, int], [root])).toEqual({
      ok: false,
      reason: 'leaf: unhandled critical extension 1.3.6.1.4.1.55555.9',
    });
  });

  it('a self-signed leaf is accepted only as its own anchor; a bad signature or an unknown issuer fails', () => {
    const self = make('Self', { keyUsage: KeyUsageFlags.digitalSignature });
    expect(check([self], [root])).toEqual({ ok: false, reason: 'self-signed certificate is not trusted' });
    expect(check([self], [self]).ok).toBe(true);
    const forged = leaf.der.slice();
    forged[forged.length - 2]! ^= 1;
    expect(check([{ der: forged, key: leaf.key }, int], [root]).ok).toBe(false);
    expect(check([leaf], [root]).ok).toBe(false); // intermediate missing
    expect(check([leaf, int], []).ok).toBe(false);
  });

  it('bounds: empty, unparseable, too many certificates and too long a path are refused without throwing', () => {
    expect(check([], [root]).ok).toBe(false);
    expect(validateCertificatePath([new Uint8Array([0x30, 0x03, 1, 2, 3])], [root.der], { time: NOW }).ok).toBe(false);
    expect(validateCertificatePath(Array(17).fill(leaf.der), [root.der], { time: NOW })).toEqual({
      ok: false,
      reason: 'more than 16 certificates in the chain',
    });
    let top = make('C0', { ca: true });
    const anchor = top;
    const chain: Made[] = [];
    for (let i = 1; i <= 9; i++) {
      const c = make(`C${i}`, { issuer: top, ca: true });
      chain.unshift(c);
      top = c;
    }
    const l = make('L', { issuer: top });
    expect(check([l, ...chain], [anchor])).toEqual({ ok: false, reason: 'path longer than 8 certificates' });
    expect(
      validateCertificatePath(
        [l, ...chain].map((c) => c.der),
        [anchor.der],
        { time: NOW, maxPathLength: 11 },
      ).ok,
    ).toBe(true);
  });

  it('generateCertificate output is accepted as its own anchor', () => {
    const g = generateCertificate();
    expect(verifyChain(g.chain, g.chain, Date.now())).toBe(true);
    expect(verifyChain(g.chain, [], Date.now())).toBe(false);
  });
});

describe('the engine validates the peer chain with ca and wallClock', () => {
  function handshake(clientChain: Made[], leafKey: KeyObject, wallClock: number): DtlsEvent[] {
    const client = new DtlsEngine({
      role: 'client',
      certificate: { chain: clientChain.map((c) => c.der), privateKey: leafKey },
    });
    const server = new DtlsEngine({
      role: 'server',
      certificate: generateCertificate(),
      ca: [root.der],
      wallClock: () => wallClock,
      cookieExchange: false,
    });
    client.start(0);
    const events: DtlsEvent[] = [];
    for (let i = 0; i < 6; i++) {
      for (const d of drain(client).datagrams) server.handleInput(d, i);
      const s = drain(server);
      events.push(...s.events);
      for (const d of s.datagrams) client.handleInput(d, i);
    }
    return events;
  }
  it('accepts root → int → leaf at a time inside every validity period, refuses it after the leaf expired', () => {
    expect(handshake([leaf, int], leaf.key, NOW).map((e) => e.type)).toContain('connected');
    const late = handshake([leaf, int], leaf.key, NOW + 400 * DAY);
    const err = late.find((e) => e.type === 'error');
    expect(err?.type === 'error' && err.error.message).toMatch(/does not verify: leaf is outside its validity period/);
  });
  it('refuses a chain through a non-CA certificate with bad_certificate (issue #14 item 3)', () => {
    const evil = make('Evil', { issuer: leaf });
    const ev = handshake([evil, leaf, int], evil.key, NOW);
    const err = ev.find((e) => e.type === 'error');
    expect(err?.type === 'error' && err.error.alertName).toBe('badCertificate');
    expect(ev.map((e) => e.type)).not.toContain('connected');
  });
});
