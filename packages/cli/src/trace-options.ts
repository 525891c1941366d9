/**
 * The trace options shared by `mdh call` and `mdh echo`: `--pcap FILE` (every SIP message and media datagram of
 * the process, see pcap-writer.ts) and `--keylog FILE` (the media keys, see keylog.ts). A command spreads {@link traceOptions} into its options and calls
 * {@link openTraces} after parsing.
 */
import type { OptionSpec } from './args.js';
import { startKeylog } from './keylog.js';
import { startPcapCapture } from './pcap-writer.js';

/** Option declarations of the traces. */
export const traceOptions: Record<string, OptionSpec> = {
  pcap: {
    type: 'string',
    value: 'FILE',
    help: 'write every SIP message and media packet (RTP/RTCP/SRTP/DTLS/STUN) to FILE (pcap; SIP over TCP/TLS as one UDP datagram per message, in clear)',
  },
  keylog: {
    type: 'string',
    value: 'FILE',
    help:
      'write the media keys to FILE (debugging only: it decrypts the calls): "CLIENT_RANDOM <hex> <hex>" (DTLS master ' +
      'secret, NSS key log format for Wireshark), "SRTP <sdes|dtls> <profile> <out|in> <from> <to> <ssrc|*> ' +
      '<base64 key||salt>", "DTLS_SRTP_EXPORTER <client random> <profile> <hex>" (docs/traces.md)',
  },
};

/** Running traces; `stop()` flushes and closes the files. */
export interface Traces {
  stop(): void;
}

/**
 * Opens the traces asked for in `values` (parsed options). Returns 1 after writing `mdh <command>: cannot write
 * FILE: <why>` to stderr when a file cannot be created.
 */
export function openTraces(command: string, values: Record<string, unknown>): Traces | number {
  const stops: (() => void)[] = [];
  const stop = () => {
    for (const s of stops.splice(0)) s();
  };
  let file: unknown;
  try {
    file = values.pcap;
    if (typeof file === 'string') stops.push(startPcapCapture(file).stop);
    file = values.keylog;
    if (typeof file === 'string') stops.push(startKeylog(file).stop);
  } catch (e) {
    stop();
    process.stderr.write(`mdh ${command}: cannot write ${String(file)}: ${(e as Error).message}\n`);
    return 1;
  }
  return { stop };
}
