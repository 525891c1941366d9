/** Transport addresses and the IP text ↔ octets conversions STUN address attributes need (RFC 8489 §14.1–14.2). */

/** A UDP transport address: an IP literal (IPv4 dotted quad or IPv6 text) and a port. */
export interface TransportAddress {
  readonly address: string;
  readonly port: number;
}

/** An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2) as its 4 IPv4 octets; others unchanged. */
function unmapV4(b: Uint8Array): Uint8Array {
  if (b.length !== 16 || b[10] !== 0xff || b[11] !== 0xff) return b;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return b;
  return b.subarray(12);
}

/**
 * True when the two transport addresses are the same IP (compared as octets, an IPv4-mapped IPv6 address equal to
 * its IPv4 address, as dual-stack sockets report them) and port.
 */
export function sameAddress(a: TransportAddress, b: TransportAddress): boolean {
  if (a.port !== b.port) return false;
  if (a.address === b.address) return true;
  const x0 = ipToBytes(a.address);
  const y0 = ipToBytes(b.address);
  if (!x0 || !y0) return false;
  const x = unmapV4(x0);
  const y = unmapV4(y0);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** `ip:port`, or `[ip]:port` for IPv6. */
export function formatAddress(a: TransportAddress): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function parseIpv4(s: string, out: Uint8Array, at: number): boolean {
  let part = 0;
  let digits = 0;
  let n = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 3) return false;
      out[at + part++] = n;
      n = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && n === 0) return false; // no leading zeros (they read as octal elsewhere)
      n = n * 10 + (c - 48);
      if (++digits > 3 || n > 255) return false;
    } else return false;
  }
  return part === 4;
}

/** IP literal to its 4 or 16 octets; undefined when it is not one (a zone id `%eth0` is ignored). */
export function ipToBytes(ip: string): Uint8Array | undefined {
  if (!ip.includes(':')) {
    const v4 = new Uint8Array(4);
    return parseIpv4(ip, v4, 0) ? v4 : undefined;
  }
  const pct = ip.indexOf('%');
  let s = pct >= 0 ? ip.slice(0, pct) : ip;
  const out = new Uint8Array(16);
  let tailV4 = false;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) > 0) {
    if (!parseIpv4(s.slice(lastColon + 1), out, 12)) return undefined;
    s = `${s.slice(0, lastColon + 1)}0:0`;
    tailV4 = true;
  }
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) return undefined;
  const parse = (t: string): number[] | undefined => {
    if (t === '') return [];
    const groups = t.split(':');
    const r: number[] = [];
    for (const g of groups) {
      if (g.length < 1 || g.length > 4 || !/^[0-9a-fA-F]+$/.test(g)) return undefined;
      r.push(Number.parseInt(g, 16));
    }
    return r;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = parse(s.slice(0, dbl));
    const tail = parse(s.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parse(s);
    if (all?.length !== 8) return undefined;
    groups = all;
  }
  for (let i = 0; i < 8; i++) {
    if (tailV4 && i >= 6) break;
    out[i * 2] = groups[i]! >> 8;
    out[i * 2 + 1] = groups[i]! & 0xff;
  }
  return out;
}

/** 4 or 16 octets to IP text (IPv6 in RFC 5952 canonical form). */
export function bytesToIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952 §4.2: compress the longest run (first on a tie) of two or more zero groups
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
