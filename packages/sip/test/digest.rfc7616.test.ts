import { describe, expect, it } from 'vitest';
import {
  computeDigestResponse,
  DigestClient,
  DigestServer,
  parseDigestChallenge,
  parseDigestCredentials,
} from '../src/stack-layer.js';

describe('digest response vectors', () => {
  it('RFC 2617 §3.5 (MD5, qop=auth)', () => {
    expect(
      computeDigestResponse({
        algorithm: 'MD5',
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        password: 'Circle Of Life',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        method: 'GET',
        uri: '/dir/index.html',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  const rfc7616 = {
    username: 'Mufasa',
    realm: 'http-auth@example.org',
    password: 'Circle of Life',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    method: 'GET',
    uri: '/dir/index.html',
    qop: 'auth',
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };
  it('RFC 7616 §3.9.1 (MD5)', () => {
    expect(computeDigestResponse({ ...rfc7616, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });
  it('RFC 7616 §3.9.1 (SHA-256)', () => {
    expect(computeDigestResponse({ ...rfc7616, algorithm: 'SHA-256' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });
});

describe('challenge and credentials parsing', () => {
  it('parses a challenge with quoted commas and stale', () => {
    const c = parseDigestChallenge(
      'Digest realm="a,b", nonce="n1", qop="auth,auth-int", algorithm=SHA-256, opaque="op", stale=TRUE',
    );
    expect(c).toEqual({
      realm: 'a,b',
      nonce: 'n1',
      qop: ['auth', 'auth-int'],
      algorithm: 'SHA-256',
      opaque: 'op',
      stale: true,
    });
  });
  it('rejects a non-digest scheme and missing fields', () => {
    expect(() => parseDigestChallenge('Basic realm="x"')).toThrow(/Digest/);
    expect(() => parseDigestChallenge('Digest realm="x"')).toThrow(/nonce/);
    expect(() =>
      parseDigestCredentials('Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth'),
    ).toThrow(/nc/);
  });
  it('prefers the strongest algorithm offered (RFC 8760 §2.4)', () => {
    const c = DigestClient.pick([
      'Digest realm="r", nonce="1", algorithm=MD5',
      'Digest realm="r", nonce="2", algorithm=SHA-512-256',
      'Digest realm="r", nonce="3", algorithm=SHA-256',
    ]);
    expect(c?.algorithm).toBe('SHA-512-256');
  });
});

describe('client against server', () => {
  let t = 1_000_000;
  const server = new DigestServer({
    realm: 'mdh',
    lookup: (u) => (u === 'alice' ? 'wonderland' : undefined),
    algorithms: ['SHA-256', 'MD5'],
    nonceTtlMs: 10_000,
    now: () => t,
  });

  it('challenges, then accepts, counting nonces', () => {
    const v0 = server.verify(undefined, 'REGISTER');
    expect(v0.ok).toBe(false);
    if (v0.ok) return;
    expect(v0.reason).toBe('missing');
    expect(v0.challenges).toHaveLength(2);
    const client = new DigestClient({ username: 'alice', password: 'wonderland' });
    const a1 = client.authorize(v0.challenges, 'REGISTER', 'sip:mdh')!;
    expect(parseDigestCredentials(a1)).toMatchObject({ algorithm: 'SHA-256', nc: '00000001', qop: 'auth' });
    expect(server.verify(a1, 'REGISTER')).toEqual({ ok: true, username: 'alice' });
    // replay of the same nc is refused
    const replay = server.verify(a1, 'REGISTER');
    expect(replay.ok === false && replay.reason).toBe('replay');
    const a2 = client.authorize(v0.challenges, 'REGISTER', 'sip:mdh')!;
    expect(parseDigestCredentials(a2).nc).toBe('00000002');
    expect(server.verify(a2, 'REGISTER').ok).toBe(true);
  });

  it('MD5 only, wrong password and unknown user fail', () => {
    const md5 = server.challenges().filter((c) => c.includes('MD5'));
    const bad = new DigestClient({ username: 'alice', password: 'nope' }).authorize(md5, 'INVITE', 'sip:x')!;
    const v = server.verify(bad, 'INVITE');
    expect(v.ok === false && v.reason).toBe('bad-response');
    const who = new DigestClient({ username: 'bob', password: 'x' }).authorize(md5, 'INVITE', 'sip:x')!;
    const w = server.verify(who, 'INVITE');
    expect(w.ok === false && w.reason).toBe('unknown-user');
    const ok = new DigestClient({ username: 'alice', password: 'wonderland' }).authorize(md5, 'INVITE', 'sip:x')!;
    expect(server.verify(ok, 'INVITE').ok).toBe(true);
    // method is bound into HA2
    const ok2 = new DigestClient({ username: 'alice', password: 'wonderland' }).authorize(md5, 'INVITE', 'sip:x')!;
    expect(server.verify(ok2, 'BYE').ok).toBe(false);
  });

  it('an expired nonce yields stale=true, and a forged nonce is refused', () => {
    const ch = server.challenges();
    const client = new DigestClient({ username: 'alice', password: 'wonderland' });
    const a = client.authorize(ch, 'REGISTER', 'sip:mdh')!;
    t += 20_000;
    const v = server.verify(a, 'REGISTER');
    expect(v.ok === false && v.reason).toBe('stale');
    if (!v.ok) expect(parseDigestChallenge(v.challenges[0]!).stale).toBe(true);
    const forged = client.authorize(['Digest realm="mdh", nonce="123.456.789", qop="auth"'], 'REGISTER', 'sip:mdh')!;
    expect(server.verify(forged, 'REGISTER').ok).toBe(false);
  });
});
