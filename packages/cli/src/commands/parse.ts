import { readFile } from 'node:fs/promises';
import { parseMessage, type SipMessage, SipParseError, validateRequest } from '@mdh/sip';
import { type CommandSpec, commandLine, formatHelp } from '../args.js';

/** Options of `mdh parse`. */
export const spec: CommandSpec = {
  name: 'parse',
  synopsis: '<file|-> [options]',
  summary: 'Parses one SIP message (RFC 3261) from a file or stdin (-) and prints it as JSON on stdout.',
  description:
    'Exit 0 when valid; exit 1 when not, with {"valid":false,reason,message,offset,status} on stdout (status =\n' +
    'what a server would answer) and the reason on stderr; exit 2 on a usage or read error. A request that parses\n' +
    'but that the stack would reject (RFC 3261 §8.2, e.g. a malformed Date) is not valid either: exit 1, the\n' +
    'parsed message with "valid":false and "wouldReject":{status,reason}.',
  positionals: { min: 1 },
  options: {
    stream: {
      type: 'boolean',
      help: 'treat the input as one stream-framed message (Content-Length mandatory, RFC 3261 §18.3)',
    },
    json: { type: 'boolean', help: 'compact one-line JSON' },
  },
};

/** Usage of `mdh parse`. */
export const usage = formatHelp(spec);

async function readStdin(): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const c of process.stdin) {
    const u = c as Uint8Array;
    total += u.length;
    if (total > 16 * 1024 * 1024) throw new Error('input larger than 16 MiB');
    chunks.push(u);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function toJson(m: SipMessage): Record<string, unknown> {
  const view = (f: () => unknown) => {
    try {
      return f();
    } catch (e) {
      return e instanceof SipParseError ? { error: e.message } : undefined;
    }
  };
  const base: Record<string, unknown> =
    m.kind === 'request'
      ? {
          valid: true,
          kind: 'request',
          method: m.method,
          uri: m.uri,
          requestUri: view(() => m.requestUri),
          version: m.version,
        }
      : { valid: true, kind: 'response', status: m.status, reason: m.reason, version: m.version };
  const nameAddr = (f: () => { displayName?: string; uriText: string; params: unknown; tag?: string } | undefined) =>
    view(() => {
      const n = f();
      return n && { displayName: n.displayName, uri: n.uriText, tag: n.tag, params: n.params };
    });
  Object.assign(base, {
    headers: m.headers,
    via: view(() => m.vias),
    from: nameAddr(() => m.from),
    to: nameAddr(() => m.to),
    callId: view(() => m.callId),
    cseq: view(() => m.cseq),
    maxForwards: view(() => m.maxForwards),
    contact: view(() =>
      m.contactStar ? '*' : m.contacts.map((c) => ({ displayName: c.displayName, uri: c.uriText, params: c.params })),
    ),
    contentType: view(() => m.contentType),
    bodyLength: m.body.length,
    body: m.bodyText,
  });
  if (m.kind === 'request') {
    const rej = validateRequest(m);
    if (rej) {
      base.valid = false;
      base.wouldReject = { status: rej.status, reason: rej.reason, headers: rej.headers };
    }
  }
  return base;
}

/**
 * What `mdh parse` reports for `bytes`: the JSON object and the exit code (0 valid, 1 invalid — unparsable,
 * or a request the stack would reject).
 */
export function inspectMessage(bytes: Uint8Array, stream = false): { json: Record<string, unknown>; code: number } {
  try {
    const m = parseMessage(bytes, { transport: stream ? 'stream' : 'datagram' });
    const json = toJson(m);
    return { json, code: json.valid === true ? 0 : 1 };
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    return {
      json: { valid: false, reason: e.reason, message: e.message, offset: e.offset, status: e.status },
      code: 1,
    };
  }
}

/** Runs `mdh parse`. */
export async function run(argv: string[]): Promise<number> {
  const cl = commandLine(spec, argv);
  if (typeof cl === 'number') return cl;
  const src = cl.positionals[0]!;
  let bytes: Uint8Array;
  try {
    bytes = src === '-' ? await readStdin() : new Uint8Array(await readFile(src));
  } catch (e) {
    process.stderr.write(`mdh parse: cannot read ${src}: ${(e as Error).message}\n`);
    return 2;
  }
  const { json, code } = inspectMessage(bytes, cl.values.stream === true);
  if (json.kind === undefined) {
    // unparsable
    process.stdout.write(`${JSON.stringify(json)}\n`);
    process.stderr.write(
      `mdh parse: invalid: ${String(json.message)} (reason ${String(json.reason)}, offset ${String(json.offset)}, answer ${String(json.status)})\n`,
    );
    return code;
  }
  process.stdout.write(`${cl.values.json === true ? JSON.stringify(json) : JSON.stringify(json, null, 2)}\n`);
  if (code !== 0) {
    const r = json.wouldReject as { status: number; reason: string };
    process.stderr.write(`mdh parse: invalid: the stack would answer ${r.status} (${r.reason})\n`);
  }
  return code;
}
