import {
  createProxy,
  type ForkMode,
  listenTransport,
  type ProxyStats,
  Registrar,
  type SipProxy,
  type SipTransport,
  stripBrackets,
  type TransportProtocol,
} from '@mdh/sip';
import { type CommandSpec, commandLine, formatHelp, hostPort, seconds, usageError } from '../args.js';
import { sipUri } from './sip-options.js';

/** Options of `mdh proxy`. */
export const spec: CommandSpec = {
  name: 'proxy',
  synopsis: '[options]',
  summary: 'A stateful SIP proxy (RFC 3261 §16) on one transport.',
  description:
    'With one or more --to every new request is forwarded to those targets (several --to fork: in parallel, or\n' +
    'one after the other with --fork sequential). Without --to it is a registrar for its domains (--domain, and\n' +
    'its own address) and routes requests for them to the registered contacts (q-ordered), and every other\n' +
    'request to its Request-URI (RFC 3263). In-dialog requests follow their Route set. Prints the listening\n' +
    'address, then on SIGINT/SIGTERM the counters; exit 0, 1 when it cannot listen, 2 on a usage error.',
  options: {
    listen: {
      type: 'string',
      value: 'HOST:PORT',
      default: '127.0.0.1:5060',
      parse: hostPort(5060),
      help: 'address to listen on',
    },
    transport: { type: 'string', choices: ['udp', 'tcp'], default: 'udp', help: 'SIP transport' },
    to: { type: 'string', value: 'URI', multiple: true, parse: sipUri, help: 'a target (repeat to fork)' },
    fork: {
      type: 'string',
      choices: ['parallel', 'sequential'],
      default: 'parallel',
      help: 'how several --to are tried',
    },
    domain: { type: 'string', value: 'NAME', multiple: true, help: 'a domain this proxy is responsible for' },
    'no-record-route': { type: 'boolean', help: 'do not stay in the dialogs (no Record-Route)' },
    'timer-c': { type: 'string', value: 'S', default: '180', parse: seconds(1), help: 'Timer C (RFC 3261 §16.6)' },
    workers: {
      type: 'string',
      value: 'N|auto',
      help: 'run N worker processes on the one SIP port (auto: one per core); see docs/scaling.md',
    },
    json: { type: 'boolean', help: 'print the address and the counters as JSON' },
    quiet: { type: 'boolean', help: 'print nothing' },
  },
};

/** Usage of `mdh proxy`. */
export const usage = formatHelp(spec);

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
  /** A transport already listening (a cluster worker's); host, port and transport are then ignored. */
  sipTransport?: SipTransport;
  /** More `host:port`s naming this proxy (a cluster worker's shared port). */
  aliases?: string[];
}

/** A running proxy (the library behind `mdh proxy`). */
export interface ProxyServer {
  readonly proxy: SipProxy;
  readonly transport: SipTransport;
  readonly registrar: Registrar | undefined;
  /** The proxy's counters so far. */
  stats(): ProxyStats;
  /** Stops the proxy's timers and closes its transport. */
  stop(): Promise<void>;
}

/** Starts a proxy on one transport. */
export async function startProxy(o: ProxyServerOptions = {}): Promise<ProxyServer> {
  const transport =
    o.sipTransport ??
    (await listenTransport(o.transport ?? 'udp', { host: o.host ?? '127.0.0.1', port: o.port ?? 5060 }));
  const to = o.to ?? [];
  const registrar = to.length ? undefined : new Registrar({ now: () => performance.now() });
  const proxy = createProxy({
    transports: [transport],
    ...(to.length ? { route: () => ({ targets: to, fork: o.fork ?? 'parallel' }) } : {}),
    ...(registrar ? { registrar } : {}),
    domains: o.domains ?? [],
    ...(o.aliases?.length ? { aliases: o.aliases } : {}),
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

/** Runs `mdh proxy` until SIGINT/SIGTERM. */
export async function run(argv: string[]): Promise<number> {
  const cl = commandLine(spec, argv);
  if (typeof cl === 'number') return cl;
  const v = cl.values;
  const listen = v.listen as { host: string; port: number };
  const o = {
    host: listen.host,
    port: listen.port,
    transport: v.transport as TransportProtocol,
    to: (v.to as string[] | undefined) ?? [],
    fork: v.fork as ForkMode,
    domains: (v.domain as string[] | undefined) ?? [],
    recordRoute: v['no-record-route'] !== true,
    timerCMs: (v['timer-c'] as number) * 1000,
    json: v.json === true,
    quiet: v.quiet === true,
  };
  if (v.workers !== undefined) {
    const w = await import('../workers.js');
    let n: number;
    try {
      n = w.workerCount(v.workers as string);
    } catch (e) {
      return usageError(spec, (e as Error).message);
    }
    return w.runCluster<ProxyStats>(n, {
      name: 'mdh proxy',
      protocol: o.transport,
      host: o.host,
      port: o.port,
      start: async (sipTransport, shared) => {
        // Requests reach a worker on the shared port: it is ours too (Route, Request-URI, loop detection).
        const aliases = shared ? [`${stripBrackets(shared.localAddress)}:${shared.sharedPort}`] : [];
        const server = await startProxy({ ...o, sipTransport, aliases });
        return {
          host: server.transport.localAddress,
          port: server.transport.localPort,
          totals: () => server.stats(),
          stop: () => server.stop(),
        };
      },
      listening: (host, port, count) => {
        const where = `${o.transport}:${host}:${port}`;
        if (o.json)
          process.stdout.write(`${JSON.stringify({ listening: where, to: o.to, fork: o.fork, workers: count })}\n`);
        else if (!o.quiet) process.stdout.write(`mdh proxy listening on ${where} (${count} workers)\n`);
      },
      totals: (per) => {
        const stats = per.map((t) => t?.totals);
        if (o.json) process.stdout.write(`${JSON.stringify({ workers: stats })}\n`);
        else if (!o.quiet) process.stdout.write(`mdh proxy: ${JSON.stringify(stats)}\n`);
      },
    });
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
