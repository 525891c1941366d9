import { parseArgs as parseNodeArgs } from 'node:util';
import {
  createProxy,
  type ForkMode,
  listenTransport,
  type ProxyStats,
  parseUri,
  Registrar,
  type SipProxy,
  type SipTransport,
  type TransportProtocol,
} from '@mdh/sip';
import { parseHostPort } from '../args.js';

/** Usage of `mdh proxy`. */
export const usage = `usage: mdh proxy [--listen HOST:PORT] [--transport udp|tcp] [--to URI]... [--fork parallel|sequential]
                 [--domain NAME]... [--no-record-route] [--timer-c SECONDS] [--json] [--quiet]

A stateful SIP proxy (RFC 3261 §16). With one or more --to every new request is forwarded to those targets
(several --to fork: parallel by default, or one after the other with --fork sequential). Without --to it is a
registrar for its domains (--domain, default: the listen address) and routes requests for them to the registered
contacts, and every other request to its Request-URI (RFC 3263). In-dialog requests follow their Route set.
Defaults: --listen 127.0.0.1:5060, --transport udp, --fork parallel, --timer-c 180.
Prints the listening address, then (on SIGINT/SIGTERM) the counters; exit 0, or 2 on a usage error.`;

/** Options of {@link startProxy}. */
export interface ProxyServerOptions {
  host?: string;
  port?: number;
  transport?: TransportProtocol;
  /** Fixed targets (fork when several); empty: registrar + Request-URI routing. */
  to?: string[];
  fork?: ForkMode;
  domains?: string[];
  recordRoute?: boolean;
  timerCMs?: number;
}

/** A running proxy (the library behind `mdh proxy`). */
export interface ProxyServer {
  readonly proxy: SipProxy;
  readonly transport: SipTransport;
  readonly registrar: Registrar | undefined;
  stats(): ProxyStats;
  stop(): Promise<void>;
}

/** Starts a proxy on one transport. */
export async function startProxy(o: ProxyServerOptions = {}): Promise<ProxyServer> {
  const transport = await listenTransport(o.transport ?? 'udp', { host: o.host ?? '127.0.0.1', port: o.port ?? 5060 });
  const to = o.to ?? [];
  const registrar = to.length ? undefined : new Registrar({ now: () => performance.now() });
  const proxy = createProxy({
    transports: [transport],
    ...(to.length ? { route: () => ({ targets: to, fork: o.fork ?? 'parallel' }) } : {}),
    ...(registrar ? { registrar } : {}),
    domains: o.domains ?? [],
    recordRoute: o.recordRoute !== false,
    ...(o.timerCMs !== undefined ? { timerC: o.timerCMs } : {}),
    onError: () => {},
  });
  return {
    proxy,
    transport,
    registrar,
    stats: () => proxy.stats(),
    stop: () => proxy.close(),
  };
}

class UsageError extends Error {}

function parse(argv: string[]): ProxyServerOptions & { json: boolean; quiet: boolean } {
  let v: ReturnType<typeof parseNodeArgs>['values'];
  try {
    ({ values: v } = parseNodeArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string' },
        transport: { type: 'string' },
        to: { type: 'string', multiple: true },
        fork: { type: 'string' },
        domain: { type: 'string', multiple: true },
        'no-record-route': { type: 'boolean' },
        'timer-c': { type: 'string' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const listen = parseHostPort(String(v.listen ?? '127.0.0.1:5060'), 5060);
  const transport = String(v.transport ?? 'udp');
  if (transport !== 'udp' && transport !== 'tcp')
    throw new UsageError(`--transport must be udp or tcp, not '${transport}'`);
  const fork = String(v.fork ?? 'parallel');
  if (fork !== 'parallel' && fork !== 'sequential')
    throw new UsageError(`--fork must be parallel or sequential, not '${fork}'`);
  const to = (v.to as string[] | undefined) ?? [];
  for (const t of to) {
    let ok = false;
    try {
      ok = parseUri(t).kind === 'sip';
    } catch {}
    if (!ok) throw new UsageError(`--to needs a sip: or sips: URI, not '${t}'`);
  }
  let timerCMs: number | undefined;
  if (v['timer-c'] !== undefined) {
    const s = Number(v['timer-c']);
    if (!Number.isFinite(s) || s <= 0)
      throw new UsageError(`--timer-c needs a number of seconds, not '${v['timer-c']}'`);
    timerCMs = s * 1000;
  }
  return {
    host: listen.host,
    port: listen.port,
    transport,
    to,
    fork,
    domains: (v.domain as string[] | undefined) ?? [],
    recordRoute: v['no-record-route'] !== true,
    ...(timerCMs !== undefined ? { timerCMs } : {}),
    json: v.json === true,
    quiet: v.quiet === true,
  };
}

/** Runs `mdh proxy` until SIGINT/SIGTERM. */
export async function run(argv: string[]): Promise<number> {
  let o: ReturnType<typeof parse>;
  try {
    o = parse(argv);
  } catch (e) {
    process.stderr.write(`mdh proxy: ${(e as Error).message}\n${usage}\n`);
    return 2;
  }
  let server: ProxyServer;
  try {
    server = await startProxy(o);
  } catch (e) {
    process.stderr.write(`mdh proxy: cannot listen on ${o.host}:${o.port}: ${(e as Error).message}\n`);
    return 1;
  }
  const where = `${o.transport}:${server.transport.localAddress}:${server.transport.localPort}`;
  if (o.json) process.stdout.write(`${JSON.stringify({ listening: where, to: o.to, fork: o.fork })}\n`);
  else if (!o.quiet)
    process.stdout.write(
      `mdh proxy listening on ${where}${o.to?.length ? ` → ${o.to.join(', ')} (${o.fork})` : ' (registrar + RFC 3263 routing)'}\n`,
    );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  const stats = server.stats();
  await Promise.race([server.stop(), new Promise((r) => setTimeout(r, 2000).unref())]);
  if (o.json) process.stdout.write(`${JSON.stringify({ stats })}\n`);
  else if (!o.quiet) process.stdout.write(`mdh proxy: ${JSON.stringify(stats)}\n`);
  return 0;
}
