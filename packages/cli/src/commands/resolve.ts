import { DnsError, Resolver } from '@mdh/loop';
import { type SipTarget, type SipTransportName, sipResolve } from '@mdh/sip';
import { type CommandSpec, commandLine, formatHelp, formatHostPort, hostPort } from '../args.js';

/** Options of `mdh resolve`. */
export const spec: CommandSpec = {
  name: 'resolve',
  synopsis: '<domain|sip-uri> [options]',
  summary: 'Locates the SIP servers of a domain or URI (RFC 3263: NAPTR → SRV → A/AAAA) and prints the failover list.',
  description:
    'IPv6 addresses print in brackets ([::1]:5061). When nothing is found the reason is given: the domain does\n' +
    'not exist (NXDOMAIN), it has no SRV records, or its names have no address. Exit 0 when a target was found.',
  positionals: { min: 1 },
  options: {
    transport: {
      type: 'string',
      choices: ['udp', 'tcp', 'tls', 'ws', 'wss'],
      help: 'only this transport (skips NAPTR)',
    },
    dns: {
      type: 'string',
      value: 'HOST:PORT',
      parse: hostPort(53),
      help: 'ask this DNS server (default: the system resolvers)',
    },
    ws: { type: 'boolean', help: 'include WebSocket transports (RFC 7118)' },
    json: { type: 'boolean', help: 'print the list as JSON' },
  },
};

/** Usage of `mdh resolve`. */
export const usage = formatHelp(spec);

/** Why a resolution found nothing: asks for the domain's addresses and SIP SRV records directly. */
export async function whyNothingFound(resolver: Resolver, target: string): Promise<string> {
  const domain = domainOf(target);
  const outcome = async (q: () => Promise<unknown[]>): Promise<string> => {
    try {
      return (await q()).length > 0 ? 'found' : 'NODATA';
    } catch (e) {
      return e instanceof DnsError ? e.code : 'error';
    }
  };
  const [a, aaaa] = await Promise.all([outcome(() => resolver.a(domain)), outcome(() => resolver.aaaa(domain))]);
  if (a === 'NXDOMAIN' || aaaa === 'NXDOMAIN') return `NXDOMAIN: ${domain} does not exist`;
  if (a !== 'found' && a !== 'NODATA' && a !== 'error') return `the DNS query failed (${a})`;
  const srvNames = ['_sip._udp', '_sip._tcp', '_sips._tcp'].map((s) => `${s}.${domain}`);
  const srv = await Promise.all(srvNames.map((n) => outcome(() => resolver.srv(n))));
  const why: string[] = [];
  if (!srv.includes('found')) why.push(`no SRV records (${srvNames.join(', ')})`);
  if (a !== 'found' && aaaa !== 'found') why.push(`no address: ${domain} has no A or AAAA record`);
  return why.length > 0 ? why.join('; ') : 'the SRV targets have no address';
}

function domainOf(target: string): string {
  const hostPart = target.replace(/^sips?:/i, '').replace(/^[^@]*@/, '');
  const m = /^\[([^\]]+)\]/.exec(hostPart) ?? /^([^:;?>]+)/.exec(hostPart);
  return (m?.[1] ?? hostPart).replace(/\.$/, '');
}

/** One line per target: `transport host:port (target, priority, weight, ttl)`. */
export function formatTarget(x: SipTarget): string {
  return `${x.transport.padEnd(4)} ${formatHostPort(x.host, x.port)}  (${x.target}, priority ${x.priority}, weight ${x.weight}, ttl ${x.ttl}s)`;
}

/** Runs `mdh resolve`. */
export async function run(argv: string[]): Promise<number> {
  const cl = commandLine(spec, argv);
  if (typeof cl === 'number') return cl;
  const target = cl.positionals[0]!;
  const dns = cl.values.dns as { host: string; port: number } | undefined;
  const resolver = new Resolver(dns ? { servers: [formatHostPort(dns.host, dns.port)] } : {});
  const transport = cl.values.transport as SipTransportName | undefined;
  let list: SipTarget[];
  try {
    list = await sipResolve(target, {
      resolver,
      websocket: cl.values.ws === true,
      ...(transport ? { transport } : {}),
    });
  } catch (e) {
    process.stderr.write(`mdh resolve: ${(e as Error).message}\n`);
    return 1;
  }
  if (cl.values.json === true) process.stdout.write(`${JSON.stringify(list)}\n`);
  else for (const x of list) process.stdout.write(`${formatTarget(x)}\n`);
  if (list.length > 0) return 0;
  process.stderr.write(`mdh resolve: no SIP servers found for ${target}: ${await whyNothingFound(resolver, target)}\n`);
  return 1;
}
