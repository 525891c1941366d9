import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';

/** A DNS server address. */
export interface DnsServer {
  address: string;
  port: number;
}

/**
 * Parses 'ip', 'ip:port', '[v6]:port' or a bare IPv6 literal into a server (port 53 by default).
 * Throws TypeError for anything that is not an IP literal (a resolver cannot resolve its servers).
 */
export function parseServer(s: string): DnsServer {
  if (typeof s !== 'string') throw new TypeError('DNS server must be a string');
  let address = s;
  let port = 53;
  const br = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (br) {
    address = br[1]!;
    if (br[2] !== undefined) port = Number(br[2]);
  } else if (isIP(s) !== 6) {
    const m = /^([^:]+):(\d+)$/.exec(s);
    if (m) {
      address = m[1]!;
      port = Number(m[2]);
    }
  }
  if (!isIP(address.split('%')[0] ?? '')) throw new TypeError(`DNS server must be an IP literal[:port], got ${s}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`bad DNS server port in ${s}`);
  return { address, port };
}

/** What /etc/resolv.conf says (resolv.conf(5)): servers and `options timeout:/attempts:`. */
export interface ResolvConf {
  servers: DnsServer[];
  timeoutMs?: number;
  attempts?: number;
}

/** Parses resolv.conf text; unknown lines are ignored. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { servers: [] };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [kw, ...rest] = line.split(/\s+/);
    if (kw === 'nameserver' && rest[0]) {
      const a = rest[0];
      if (isIP(a.split('%')[0] ?? '')) out.servers.push({ address: a, port: 53 });
    } else if (kw === 'options') {
      for (const o of rest) {
        const m = /^(timeout|attempts):(\d+)$/.exec(o);
        if (m?.[1] === 'timeout') out.timeoutMs = Math.min(30, Number(m[2])) * 1000;
        if (m?.[1] === 'attempts') out.attempts = Math.min(5, Math.max(1, Number(m[2])));
      }
    }
  }
  return out;
}

/** Reads resolv.conf (default /etc/resolv.conf); missing file or no servers → 127.0.0.1:53 (resolv.conf(5)). */
export function readResolvConf(path = '/etc/resolv.conf'): ResolvConf {
  let rc: ResolvConf = { servers: [] };
  try {
    rc = parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    // no file: the documented default below
  }
  if (rc.servers.length === 0) rc.servers.push({ address: '127.0.0.1', port: 53 });
  return rc;
}

/** Host name → addresses, from a hosts(5) file. */
export type HostsTable = Map<string, { address: string; family: 4 | 6 }[]>;

/** Parses hosts(5) text: `IP name [aliases...]`, '#' comments; names are case-insensitive. */
export function parseHosts(text: string): HostsTable {
  const t: HostsTable = new Map();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const [ip, ...names] = line.split(/\s+/);
    if (!ip) continue;
    const fam = isIP(ip.split('%')[0] ?? '');
    if (fam !== 4 && fam !== 6) continue;
    for (const n of names) {
      const key = n.toLowerCase().replace(/\.$/, '');
      const list = t.get(key) ?? [];
      if (!list.some((e) => e.address === ip)) list.push({ address: ip, family: fam });
      t.set(key, list);
    }
  }
  return t;
}

/** A hosts file re-read when its modification time changes. */
export class HostsFile {
  private table: HostsTable = new Map();
  private mtimeMs = -1;

  constructor(readonly path: string) {}

  /** Entries for `name` (case-insensitive, trailing dot ignored), or undefined. */
  async lookup(name: string): Promise<{ address: string; family: 4 | 6 }[] | undefined> {
    try {
      const st = await stat(this.path);
      if (st.mtimeMs !== this.mtimeMs) {
        this.table = parseHosts(await readFile(this.path, 'utf8'));
        this.mtimeMs = st.mtimeMs;
      }
    } catch {
      this.table = new Map();
      this.mtimeMs = -1;
    }
    return this.table.get(name.toLowerCase().replace(/\.$/, ''));
  }
}
