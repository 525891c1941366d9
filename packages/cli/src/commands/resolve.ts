import { Resolver } from '@mdh/loop';
import { type SipTransportName, sipResolve } from '@mdh/sip';
import { parseArgs, parseHostPort } from '../args.js';

/** Usage of `mdh resolve`. */
export const usage = `mdh resolve <domain|sip-uri> [--transport udp|tcp|tls|ws|wss] [--dns HOST:PORT] [--ws] [--json]
  Locates SIP servers (RFC 3263: NAPTR → SRV → A/AAAA) and prints the ordered failover list.`;

const TRANSPORTS = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/** Runs `mdh resolve`. */
export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, ['json', 'ws']);
  const target = a.positional[0];
  if (!target) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const t = a.flags.get('transport');
  if (t !== undefined && (typeof t !== 'string' || !TRANSPORTS.includes(t))) {
    process.stderr.write(`mdh resolve: --transport must be one of ${TRANSPORTS.join(', ')}\n`);
    return 2;
  }
  const dns = a.flags.get('dns');
  let servers: string[] | undefined;
  try {
    if (typeof dns === 'string') {
      const hp = parseHostPort(dns, 53);
      servers = [hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`];
    }
  } catch (e) {
    process.stderr.write(`mdh resolve: ${(e as Error).message}\n`);
    return 2;
  }
  const resolver = new Resolver(servers ? { servers } : {});
  try {
    const list = await sipResolve(target, {
      resolver,
      websocket: a.flags.has('ws'),
      ...(typeof t === 'string' ? { transport: t as SipTransportName } : {}),
    });
    if (a.flags.has('json')) process.stdout.write(`${JSON.stringify(list)}\n`);
    else if (list.length === 0) process.stdout.write(`no SIP servers found for ${target}\n`);
    else {
      for (const x of list) {
        process.stdout.write(
          `${x.transport.padEnd(4)} ${x.host}:${x.port}  (${x.target}, priority ${x.priority}, weight ${x.weight}, ttl ${x.ttl}s)\n`,
        );
      }
    }
    return list.length > 0 ? 0 : 1;
  } catch (e) {
    process.stderr.write(`mdh resolve: ${(e as Error).message}\n`);
    return 1;
  }
}
