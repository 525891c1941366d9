import { readFileSync } from 'node:fs';
import {
  type CipherSuiteName,
  cipherSuiteInfo,
  connect,
  DTLS_SRTP_PROFILES,
  type DtlsCertificate,
  type DtlsConnectionInfo,
  type DtlsSession,
  dtlsSrtpProfile,
  fingerprint,
  generateCertificate,
  listen,
  loadCertificate,
} from '@mdh/dtls';
import { type CommandSpec, commandLine, formatHelp, integer, parseArgs, parseHostPort, usageError } from '../args.js';

/** Options of `mdh dtls`. */
export const spec: CommandSpec = {
  name: 'dtls',
  synopsis: 'connect|listen HOST:PORT [options]',
  summary:
    'Performs a DTLS 1.2 handshake (RFC 6347) with DTLS-SRTP (RFC 5764) and prints one JSON object per handshake.',
  description:
    'The object: {"version","cipherSuite","srtpProfile","keyingMaterial" (hex, EXTRACTOR-dtls_srtp), "peerFingerprint"}.\n' +
    'Without --fingerprint or --ca the peer is not authenticated (a warning says so on stderr).\n' +
    'Exits 0 after a handshake, non-zero with the reason on stderr when it fails; connect exits 1 when --srtp was\n' +
    'given and no SRTP profile was agreed.',
  positionals: { min: 2, max: 16 },
  options: {
    srtp: {
      type: 'string',
      value: 'P1,P2',
      default: DTLS_SRTP_PROFILES.map((p) => p.name).join(','),
      help: 'SRTP profiles to offer/accept',
    },
    cert: {
      type: 'string',
      value: 'FILE',
      help: 'PEM certificate chain (default: a fresh self-signed ECDSA P-256 certificate)',
    },
    key: { type: 'string', value: 'FILE', help: 'PEM private key, with --cert' },
    fingerprint: {
      type: 'string',
      value: 'FP',
      help: 'accept the peer only with this RFC 8122 fingerprint ("sha-256 AB:CD:...")',
    },
    ca: { type: 'string', value: 'FILE', help: 'accept the peer only with a chain to a CA in this PEM file' },
    cipher: { type: 'string', value: 'S1,S2', help: 'cipher suites (IANA names)' },
    mtu: { type: 'string', value: 'N', default: '1200', parse: integer(100, 65507), help: 'largest datagram to send' },
    'no-client-cert': { type: 'boolean', help: 'listen: do not request a client certificate' },
    timeout: {
      type: 'string',
      value: 'MS',
      default: '30000',
      parse: integer(1, 3_600_000),
      help: 'handshake deadline in ms',
    },
    once: { type: 'boolean', help: 'listen: exit after the first handshake' },
    json: { type: 'boolean', help: 'JSON output (the default; kept for symmetry with other commands)' },
  },
};

/** Usage of `mdh dtls`. */
export const usage = formatHelp(spec);

function result(info: DtlsConnectionInfo, session: DtlsSession) {
  const km = session.srtpKeyingMaterial();
  return {
    version: info.version,
    cipherSuite: info.cipherSuite,
    srtpProfile: info.srtpProfile?.name ?? null,
    keyingMaterial: km ? Buffer.from(km.material).toString('hex') : null,
    peerFingerprint: info.peerFingerprint === '' ? null : info.peerFingerprint,
  };
}

/** What `mdh dtls` was asked to do, read from its arguments. */
interface DtlsCommand {
  mode: 'connect' | 'listen';
  hp: { host: string; port: number };
  certificate: DtlsCertificate;
  srtpProfiles: string[];
  srtpAsked: boolean;
  once: boolean;
  requestClientCertificate: boolean;
  common: Parameters<typeof connect>[0] & Parameters<typeof listen>[0];
}

/** Runs `mdh dtls`. */
export async function run(argv: string[]): Promise<number> {
  const cl = commandLine(spec, argv); // strict: unknown flags and bad values are usage errors (exit 2)
  if (typeof cl === 'number') return cl;
  const { positional, flags } = parseArgs(argv, ['once', 'json', 'no-client-cert']);
  const [mode, target] = positional;
  if ((mode !== 'connect' && mode !== 'listen') || !target) {
    return usageError(spec, `the first argument must be connect or listen (got '${mode}')`);
  }
  let cmd: DtlsCommand;
  try {
    cmd = readCommand(mode, positional, flags);
  } catch (e) {
    process.stderr.write(`mdh dtls: ${(e as Error).message}\n`);
    return 2;
  }
  process.stderr.write(`local fingerprint: ${fingerprint(cmd.certificate.chain[0]!)}\n`);
  if (!cmd.common.expectedFingerprints && !cmd.common.ca) {
    // Without a fingerprint or a CA, any certificate is accepted: the channel is encrypted but a man in the middle
    // cannot be told from the peer (RFC 5763 §5/§6.7.1: DTLS-SRTP relies on the fingerprint exchanged in signalling).
    process.stderr.write(
      'mdh dtls: WARNING: the peer is NOT authenticated (no --fingerprint or --ca): any certificate is accepted, ' +
        'so a man in the middle would go unnoticed\n',
    );
  }
  return cmd.mode === 'connect' ? runConnect(cmd) : runListen(cmd);
}

function readCommand(
  mode: 'connect' | 'listen',
  positional: string[],
  flags: Map<string, string | boolean>,
): DtlsCommand {
  const more = positional.slice(2);
  const str = (k: string): string | undefined => {
    const v = flags.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  const hp = parseHostPort(positional[1]!);
  const certFile = str('cert');
  const keyFile = str('key');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new Error('--cert and --key go together');
  const certificate =
    certFile && keyFile
      ? loadCertificate(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'))
      : generateCertificate();
  // `--srtp A,B` or `--srtp A B` (profiles after the first as extra words)
  const srtpProfiles = (str('srtp') ?? DTLS_SRTP_PROFILES.map((p) => p.name).join(','))
    .split(',')
    .concat(str('srtp') !== undefined ? more.flatMap((w) => w.split(',')) : [])
    .filter((s) => s.length > 0);
  if (str('srtp') === undefined && more.length > 0) throw new Error(`unexpected argument '${more[0]}'`);
  for (const p of srtpProfiles) if (!dtlsSrtpProfile(p)) throw new Error(`unknown SRTP profile '${p}'`);
  let cipherSuites: CipherSuiteName[] | undefined;
  const c = str('cipher');
  if (c) {
    cipherSuites = c.split(',').map((n) => {
      const s = cipherSuiteInfo(n);
      if (!s) throw new Error(`unknown cipher suite '${n}'`);
      return s.name;
    });
  }
  let mtu: number | undefined;
  const m = str('mtu');
  if (m !== undefined) {
    mtu = Number(m);
    if (!Number.isInteger(mtu) || mtu < 100 || mtu > 65507) throw new Error('--mtu must be 100..65507');
  }
  const timeout = Number(str('timeout') ?? 30_000);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Error('--timeout must be a positive number of ms');
  const caFile = str('ca');
  const ca = caFile ? readFileSync(caFile, 'utf8') : undefined;
  const fp = str('fingerprint');
  return {
    mode,
    hp,
    certificate,
    srtpProfiles,
    srtpAsked: str('srtp') !== undefined,
    once: flags.get('once') === true,
    requestClientCertificate: flags.get('no-client-cert') !== true,
    common: {
      host: hp.host,
      port: hp.port,
      certificate,
      srtpProfiles,
      handshakeTimeoutMs: timeout,
      ...(cipherSuites ? { cipherSuites } : {}),
      ...(mtu !== undefined ? { mtu } : {}),
      ...(fp ? { expectedFingerprints: [fp] } : {}),
      ...(ca ? { ca: [ca] } : {}),
    },
  };
}

async function runConnect(cmd: DtlsCommand): Promise<number> {
  try {
    const conn = await connect(cmd.common);
    process.stdout.write(`${JSON.stringify(result(conn.info, conn.session))}\n`);
    await conn.close();
    if (cmd.srtpAsked && !conn.info.srtpProfile) {
      // Asked for DTLS-SRTP keys and got none: the peer did not agree to any profile offered (RFC 5764 §4.1.1).
      process.stderr.write(`mdh dtls: no SRTP profile was agreed (offered ${cmd.srtpProfiles.join(', ')})\n`);
      return 1;
    }
    return 0;
  } catch (e) {
    process.stderr.write(`mdh dtls: handshake failed: ${(e as Error).message}\n`);
    return 1;
  }
}

function runListen(cmd: DtlsCommand): Promise<number> {
  return new Promise<number>((resolve) => {
    let server: Awaited<ReturnType<typeof listen>> | undefined;
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      void (server ? server.close() : Promise.resolve()).then(() => resolve(code));
    };
    listen(
      { ...cmd.common, requestClientCertificate: cmd.requestClientCertificate },
      (c) => {
        process.stdout.write(`${JSON.stringify(result(c.info, c.session))}\n`);
        if (cmd.once) {
          c.session.close();
          finish(0);
        }
      },
      (err, remote) => {
        process.stderr.write(`mdh dtls: handshake with ${remote.address}:${remote.port} failed: ${err.message}\n`);
        if (cmd.once) finish(1);
      },
    ).then(
      (s) => {
        server = s;
        process.stderr.write(`listening on ${s.address}:${s.port}\n`);
        if (finished) void s.close();
      },
      (e: Error) => {
        process.stderr.write(`mdh dtls: ${e.message}\n`);
        finish(1);
      },
    );
  });
}
