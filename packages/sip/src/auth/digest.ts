import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * HTTP Digest for SIP: RFC 2617/RFC 7616 computation as profiled for SIP by RFC 3261 §22.4 and
 * RFC 8760 (SHA-256 and SHA-512/256 in addition to MD5; `-sess` variants; qop=auth).
 */

/** Digest algorithms (RFC 7616 §3.2, RFC 8760 §2). */
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

const NODE_HASH: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

/** Preference order when a server offers several challenges (RFC 8760 §2.4: strongest first). */
export const DIGEST_PREFERENCE: readonly DigestAlgorithm[] = ['SHA-512-256', 'SHA-256', 'MD5'];

/** A parse failure of a WWW-Authenticate / Authorization value. */
export class DigestParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigestParseError';
  }
}

/** A parsed `Digest` challenge (WWW-Authenticate / Proxy-Authenticate, RFC 7616 §3.3). */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  /** Offered qop values ("auth", "auth-int"); empty for RFC 2069 style. */
  qop: string[];
  opaque?: string;
  stale: boolean;
  domain?: string;
}

/** Parsed `Digest` credentials (Authorization / Proxy-Authorization, RFC 7616 §3.4). */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

const MAX_HEADER = 4096;

/** Splits `Digest a=b, c="d,e"` into the scheme and a map of lower-cased parameter names. */
export function parseAuthParams(value: string): { scheme: string; params: Map<string, string> } {
  if (value.length > MAX_HEADER) throw new DigestParseError('auth header too long');
  const s = value.trim();
  const sp = s.search(/\s/);
  if (sp <= 0) throw new DigestParseError('missing auth scheme');
  const scheme = s.slice(0, sp);
  const params = new Map<string, string>();
  let i = sp;
  const n = s.length;
  while (i < n) {
    while (i < n && (s[i] === ' ' || s[i] === '\t' || s[i] === ',' || s[i] === '\r' || s[i] === '\n')) i++;
    if (i >= n) break;
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new DigestParseError(`auth parameter without '=' at ${i}`);
    const name = s.slice(i, eq).trim().toLowerCase();
    if (!/^[a-z0-9_.!%*+`'~-]+$/.test(name)) throw new DigestParseError(`bad auth parameter name '${name}'`);
    i = eq + 1;
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    let v = '';
    if (s[i] === '"') {
      i++;
      while (i < n && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < n) i++;
        v += s[i];
        i++;
      }
      if (i >= n) throw new DigestParseError('unterminated quoted string');
      i++;
    } else {
      const start = i;
      while (i < n && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
      v = s.slice(start, i);
    }
    params.set(name, v);
  }
  return { scheme, params };
}

function normAlgorithm(a: string | undefined): DigestAlgorithm {
  if (a === undefined) return 'MD5';
  const u = a.toUpperCase();
  const all: DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess', 'SHA-512-256', 'SHA-512-256-sess'];
  const hit = all.find((x) => x.toUpperCase() === u);
  if (!hit) throw new DigestParseError(`unsupported digest algorithm '${a}'`);
  return hit;
}

/** Parses a `WWW-Authenticate`/`Proxy-Authenticate` value with scheme Digest. */
export function parseDigestChallenge(value: string): DigestChallenge {
  const { scheme, params } = parseAuthParams(value);
  if (scheme.toLowerCase() !== 'digest') throw new DigestParseError(`not a Digest challenge: ${scheme}`);
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined || nonce === undefined) throw new DigestParseError('challenge needs realm and nonce');
  const c: DigestChallenge = {
    realm,
    nonce,
    algorithm: normAlgorithm(params.get('algorithm')),
    qop: (params.get('qop') ?? '')
      .split(',')
      .map((q) => q.trim().toLowerCase())
      .filter((q) => q.length > 0),
    stale: (params.get('stale') ?? '').toLowerCase() === 'true',
  };
  const opaque = params.get('opaque');
  if (opaque !== undefined) c.opaque = opaque;
  const domain = params.get('domain');
  if (domain !== undefined) c.domain = domain;
  return c;
}

/** Parses an `Authorization`/`Proxy-Authorization` value with scheme Digest. */
export function parseDigestCredentials(value: string): DigestCredentials {
  const { scheme, params } = parseAuthParams(value);
  if (scheme.toLowerCase() !== 'digest') throw new DigestParseError(`not Digest credentials: ${scheme}`);
  const need = (k: string): string => {
    const v = params.get(k);
    if (v === undefined) throw new DigestParseError(`credentials lack ${k}`);
    return v;
  };
  const c: DigestCredentials = {
    username: need('username'),
    realm: need('realm'),
    nonce: need('nonce'),
    uri: need('uri'),
    response: need('response'),
    algorithm: normAlgorithm(params.get('algorithm')),
  };
  for (const k of ['qop', 'nc', 'cnonce', 'opaque'] as const) {
    const v = params.get(k);
    if (v !== undefined) c[k] = v;
  }
  if (c.qop !== undefined && (c.nc === undefined || c.cnonce === undefined)) {
    throw new DigestParseError('qop given without nc and cnonce');
  }
  return c;
}

const q = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;

/** Formats a challenge as a header value. */
export function formatDigestChallenge(c: DigestChallenge): string {
  let s = `Digest realm=${q(c.realm)}, nonce=${q(c.nonce)}`;
  if (c.opaque !== undefined) s += `, opaque=${q(c.opaque)}`;
  s += `, algorithm=${c.algorithm}`;
  if (c.qop.length) s += `, qop=${q(c.qop.join(','))}`;
  if (c.stale) s += ', stale=TRUE';
  return s;
}

/** Formats credentials as a header value (RFC 3261 §25.1 grammar; qop and nc unquoted). */
export function formatDigestCredentials(c: DigestCredentials): string {
  let s = `Digest username=${q(c.username)}, realm=${q(c.realm)}, nonce=${q(c.nonce)}, uri=${q(c.uri)}, response=${q(c.response)}, algorithm=${c.algorithm}`;
  if (c.qop !== undefined) s += `, qop=${c.qop}, nc=${c.nc ?? '00000001'}, cnonce=${q(c.cnonce ?? '')}`;
  if (c.opaque !== undefined) s += `, opaque=${q(c.opaque)}`;
  return s;
}

function hashFor(alg: DigestAlgorithm): (s: string) => string {
  const base = alg.replace(/-sess$/, '');
  const name = NODE_HASH[base];
  if (!name) throw new DigestParseError(`unsupported digest algorithm '${alg}'`);
  return (s) => createHash(name).update(s, 'utf8').digest('hex');
}

/** Inputs of {@link computeDigestResponse}. */
export interface DigestInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  nonce: string;
  method: string;
  uri: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  /** The message body, for qop=auth-int. */
  body?: Uint8Array;
}

/**
 * The `response` value (RFC 7616 §3.4.1, RFC 2617 §3.2.2.1):
 * HA1 = H(user:realm:pass) (for -sess: H(H(user:realm:pass):nonce:cnonce)); HA2 = H(method:uri[:H(body)]);
 * response = H(HA1:nonce:nc:cnonce:qop:HA2), or H(HA1:nonce:HA2) without qop.
 */
export function computeDigestResponse(i: DigestInput): string {
  const H = hashFor(i.algorithm);
  let ha1 = H(`${i.username}:${i.realm}:${i.password}`);
  if (i.algorithm.endsWith('-sess')) ha1 = H(`${ha1}:${i.nonce}:${i.cnonce ?? ''}`);
  let ha2: string;
  if (i.qop === 'auth-int') {
    const base = NODE_HASH[i.algorithm.replace(/-sess$/, '')]!;
    const bodyHash = createHash(base)
      .update(i.body ?? new Uint8Array(0))
      .digest('hex');
    ha2 = H(`${i.method}:${i.uri}:${bodyHash}`);
  } else ha2 = H(`${i.method}:${i.uri}`);
  if (i.qop) return H(`${ha1}:${i.nonce}:${i.nc ?? ''}:${i.cnonce ?? ''}:${i.qop}:${ha2}`);
  return H(`${ha1}:${i.nonce}:${ha2}`);
}

/**
 * The client side: answers 401/407 challenges, keeping a nonce count per nonce (RFC 7616 §3.4).
 *
 * ```ts
 * const dc = new DigestClient({ username: 'alice', password: 'secret' });
 * const value = dc.authorize(['Digest realm="x", nonce="n", qop="auth"'], 'REGISTER', 'sip:example.com');
 * ```
 */
export class DigestClient {
  private readonly username: string;
  private readonly password: string;
  private readonly random: () => string;
  private readonly nc = new Map<string, number>();

  constructor(opts: { username: string; password: string; cnonce?: () => string }) {
    this.username = opts.username;
    this.password = opts.password;
    this.random = opts.cnonce ?? (() => randomBytes(12).toString('hex'));
  }

  /** Picks the challenge with the strongest supported algorithm (RFC 8760 §2.4), or undefined. */
  static pick(challenges: readonly string[]): DigestChallenge | undefined {
    let best: DigestChallenge | undefined;
    let bestRank = Number.POSITIVE_INFINITY;
    for (const v of challenges) {
      let c: DigestChallenge;
      try {
        c = parseDigestChallenge(v);
      } catch {
        continue;
      }
      const rank = DIGEST_PREFERENCE.indexOf(c.algorithm.replace(/-sess$/, '') as DigestAlgorithm);
      if (rank >= 0 && rank < bestRank) {
        best = c;
        bestRank = rank;
      }
    }
    return best;
  }

  /** Builds the Authorization value for `method uri` from the challenge values; undefined if none usable. */
  authorize(challenges: readonly string[], method: string, uri: string, body?: Uint8Array): string | undefined {
    const c = DigestClient.pick(challenges);
    if (!c) return undefined;
    return this.authorizeWith(c, method, uri, body);
  }

  /** Builds the Authorization value for a parsed challenge. */
  authorizeWith(c: DigestChallenge, method: string, uri: string, body?: Uint8Array): string {
    const cred: DigestCredentials = {
      username: this.username,
      realm: c.realm,
      nonce: c.nonce,
      uri,
      response: '',
      algorithm: c.algorithm,
    };
    const input: DigestInput = {
      algorithm: c.algorithm,
      username: this.username,
      realm: c.realm,
      password: this.password,
      nonce: c.nonce,
      method,
      uri,
    };
    const qop = c.qop.includes('auth') ? 'auth' : c.qop.includes('auth-int') ? 'auth-int' : undefined;
    if (qop) {
      const n = (this.nc.get(c.nonce) ?? 0) + 1;
      if (this.nc.size > 64) this.nc.clear();
      this.nc.set(c.nonce, n);
      cred.qop = input.qop = qop;
      cred.nc = input.nc = n.toString(16).padStart(8, '0');
      cred.cnonce = input.cnonce = this.random();
      if (body) input.body = body;
    } else if (c.algorithm.endsWith('-sess')) {
      cred.cnonce = input.cnonce = this.random();
    }
    if (c.opaque !== undefined) cred.opaque = c.opaque;
    cred.response = computeDigestResponse(input);
    return formatDigestCredentials(cred);
  }
}

/** Outcome of {@link DigestServer.verify}. */
export type DigestVerdict =
  | { ok: true; username: string }
  | {
      ok: false;
      /** Why: no credentials, unknown user, wrong response, expired (stale) or replayed nonce. */
      reason: 'missing' | 'malformed' | 'unknown-user' | 'bad-response' | 'stale' | 'replay' | 'realm';
      /** Challenge header values to send in the 401/407 (one per algorithm). */
      challenges: string[];
    };

/** Options of {@link DigestServer}. */
export interface DigestServerOptions {
  realm: string;
  /** Returns the password of a user, or undefined when unknown. */
  lookup: (username: string) => string | undefined;
  /** Algorithms to challenge with, in preference order (default SHA-256 then MD5). */
  algorithms?: DigestAlgorithm[];
  /** Nonce lifetime in ms (default 5 minutes); an older nonce with a correct response gets stale=true. */
  nonceTtlMs?: number;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** Server secret for stateless nonces (default random). */
  secret?: Uint8Array;
}

/**
 * The server side: issues HMAC-protected nonces (stateless), verifies responses, detects stale nonces
 * (RFC 7616 §3.3 stale=true) and replayed nonce counts.
 *
 * ```ts
 * const ds = new DigestServer({ realm: 'mdh', lookup: (u) => (u === 'alice' ? 'secret' : undefined) });
 * const v = ds.verify(authorizationValue, 'REGISTER');
 * if (!v.ok) respond(401, { 'WWW-Authenticate': v.challenges });
 * ```
 */
export class DigestServer {
  readonly realm: string;
  private readonly lookup: (u: string) => string | undefined;
  private readonly algorithms: DigestAlgorithm[];
  private readonly ttl: number;
  private readonly now: () => number;
  private readonly secret: Uint8Array;
  private readonly seenNc = new Map<string, number>();

  constructor(o: DigestServerOptions) {
    this.realm = o.realm;
    this.lookup = o.lookup;
    this.algorithms = o.algorithms ?? ['SHA-256', 'MD5'];
    this.ttl = o.nonceTtlMs ?? 300_000;
    this.now = o.now ?? Date.now;
    this.secret = o.secret ?? new Uint8Array(randomBytes(32));
  }

  /** A fresh nonce: `<ms-hex>.<random>.<hmac>`. */
  newNonce(): string {
    const ts = Math.floor(this.now()).toString(16);
    const rnd = randomBytes(8).toString('hex');
    return `${ts}.${rnd}.${this.mac(`${ts}.${rnd}`)}`;
  }

  private mac(s: string): string {
    return createHmac('sha256', this.secret).update(s).digest('hex').slice(0, 32);
  }

  /** Challenge header values (one per configured algorithm). */
  challenges(stale = false): string[] {
    const nonce = this.newNonce();
    return this.algorithms.map((algorithm) =>
      formatDigestChallenge({ realm: this.realm, nonce, algorithm, qop: ['auth'], stale }),
    );
  }

  /** Checks credentials (the Authorization values of a request) for `method`. */
  verify(authorizations: readonly string[] | string | undefined, method: string, body?: Uint8Array): DigestVerdict {
    const list =
      authorizations === undefined ? [] : typeof authorizations === 'string' ? [authorizations] : authorizations;
    const fail = (reason: Exclude<DigestVerdict, { ok: true }>['reason'], stale = false): DigestVerdict => ({
      ok: false,
      reason,
      challenges: this.challenges(stale),
    });
    let cred: DigestCredentials | undefined;
    for (const v of list) {
      try {
        const c = parseDigestCredentials(v);
        if (c.realm === this.realm) {
          cred = c;
          break;
        }
      } catch {}
    }
    if (!cred) return fail(list.length ? 'malformed' : 'missing');
    const parts = cred.nonce.split('.');
    if (parts.length !== 3 || this.mac(`${parts[0]}.${parts[1]}`) !== parts[2]) return fail('bad-response');
    const password = this.lookup(cred.username);
    if (password === undefined) return fail('unknown-user');
    const input: DigestInput = {
      algorithm: cred.algorithm,
      username: cred.username,
      realm: cred.realm,
      password,
      nonce: cred.nonce,
      method,
      uri: cred.uri,
    };
    if (cred.qop !== undefined) input.qop = cred.qop;
    if (cred.nc !== undefined) input.nc = cred.nc;
    if (cred.cnonce !== undefined) input.cnonce = cred.cnonce;
    if (body) input.body = body;
    const expect = computeDigestResponse(input);
    const a = Buffer.from(expect, 'utf8');
    const b = Buffer.from(cred.response.toLowerCase(), 'utf8');
    if (a.length !== b.length || !timingSafeEqual(a, b)) return fail('bad-response');
    const issued = Number.parseInt(parts[0]!, 16);
    if (!(this.now() - issued <= this.ttl)) return fail('stale', true);
    if (cred.nc !== undefined) {
      const nc = Number.parseInt(cred.nc, 16);
      const prev = this.seenNc.get(cred.nonce) ?? 0;
      if (!(nc > prev)) return fail('replay');
      if (this.seenNc.size > 10_000) this.seenNc.clear();
      this.seenNc.set(cred.nonce, nc);
    }
    return { ok: true, username: cred.username };
  }
}
