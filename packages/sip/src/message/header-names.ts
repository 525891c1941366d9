/**
 * Header names: canonical spelling, compact forms (RFC 3261 §7.3.3 and the IANA SIP parameters
 * registry) and which headers carry comma-separated lists (RFC 3261 §7.3.1).
 */

/** Compact form → long form (lower case). */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

const CANONICAL_LIST = [
  'Accept',
  'Accept-Contact',
  'Accept-Encoding',
  'Accept-Language',
  'Alert-Info',
  'Allow',
  'Allow-Events',
  'Authentication-Info',
  'Authorization',
  'Call-ID',
  'Call-Info',
  'Contact',
  'Content-Disposition',
  'Content-Encoding',
  'Content-Language',
  'Content-Length',
  'Content-Type',
  'CSeq',
  'Date',
  'Error-Info',
  'Event',
  'Expires',
  'From',
  'Identity',
  'Identity-Info',
  'In-Reply-To',
  'Max-Forwards',
  'MIME-Version',
  'Min-Expires',
  'Min-SE',
  'Organization',
  'Path',
  'Priority',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'RAck',
  'Reason',
  'Record-Route',
  'Refer-To',
  'Referred-By',
  'Reject-Contact',
  'Reply-To',
  'Request-Disposition',
  'Require',
  'Retry-After',
  'Route',
  'RSeq',
  'Security-Client',
  'Security-Server',
  'Security-Verify',
  'Server',
  'Service-Route',
  'Session-Expires',
  'SIP-ETag',
  'SIP-If-Match',
  'Subject',
  'Subscription-State',
  'Supported',
  'Timestamp',
  'To',
  'Unsupported',
  'User-Agent',
  'Via',
  'Warning',
  'WWW-Authenticate',
  'P-Asserted-Identity',
  'P-Preferred-Identity',
  'Privacy',
  'Replaces',
  'Refer-Sub',
];

const CANONICAL = new Map<string, string>();
for (const n of CANONICAL_LIST) CANONICAL.set(n.toLowerCase(), n);

/** Lower-case names of the headers known here. @internal */
export const KNOWN_HEADER_KEYS: readonly string[] = [...CANONICAL.keys()];

/**
 * Headers whose value is a comma-separated list (RFC 3261 §7.3.1): split on parse, one entry per element.
 * (WWW-Authenticate, Authorization and their Proxy- forms are NOT split: their parameters contain commas.)
 */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'allow',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'accept',
  'accept-encoding',
  'accept-language',
  'content-encoding',
  'content-language',
  'allow-events',
  'alert-info',
  'call-info',
  'error-info',
  'in-reply-to',
  'warning',
  'path',
  'service-route',
  'accept-contact',
  'reject-contact',
  'p-asserted-identity',
  'p-preferred-identity',
  'security-client',
  'security-server',
  'security-verify',
  'reason',
]);

/** List headers the parser splits at once (the transaction and dialog layers read them). @internal */
export const EAGER_SPLIT: ReadonlySet<string> = new Set(['via', 'contact', 'route', 'record-route']);

/** List headers split on first access (RFC 3261 §7.3.1 allows either form on the wire). @internal */
export const LAZY_LIST: ReadonlySet<string> = new Set([...LIST_HEADERS].filter((k) => !EAGER_SPLIT.has(k)));

/** Headers that may appear at most once in a message (RFC 3261 §7.3.1, §20). */
export const SINGLETON_HEADERS: ReadonlySet<string> = new Set([
  'call-id',
  'cseq',
  'from',
  'to',
  'max-forwards',
  'content-length',
  'content-type',
  'expires',
  'min-expires',
  'content-disposition',
  'date',
  'mime-version',
  'organization',
  'priority',
  'reply-to',
  'retry-after',
  'server',
  'subject',
  'timestamp',
  'user-agent',
  'rseq',
  'rack',
  'session-expires',
  'min-se',
  'event',
  'refer-to',
  'referred-by',
  'subscription-state',
]);

/** Lower-case long key of a header name (expands compact forms). */
export function headerKey(name: string): string {
  const l = name.toLowerCase();
  if (l.length === 1) return COMPACT_FORMS[l] ?? l;
  return l;
}

/** Canonical spelling of a header name (`call-id`, `i`, `CALL-ID` → `Call-ID`); unknown names are kept as given. */
export function canonicalHeaderName(name: string): string {
  const key = headerKey(name);
  return CANONICAL.get(key) ?? name;
}

/** Canonical spelling for a lower-case key, or undefined when unknown. @internal */
export function canonicalForKey(key: string): string | undefined {
  return CANONICAL.get(key);
}
