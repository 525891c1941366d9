/**
 * `mdh call --keylog FILE` / `mdh echo --keylog FILE`: the media keys of every call of the process, one line per
 * key, in the format docs/traces.md describes:
 *
 * ```text
 * CLIENT_RANDOM <client random, hex> <DTLS master secret, hex>
 * SRTP <sdes|dtls> <profile> <out|in> <from address:port> <to address:port> <SSRC hex|*> <base64 master key||salt>
 * DTLS_SRTP_EXPORTER <client random, hex> <profile> <EXTRACTOR-dtls_srtp output, hex>
 * ```
 *
 * `CLIENT_RANDOM` is the NSS key log format (Wireshark's `tls.keylog_file` reads it and decrypts the DTLS
 * handshake); the other lines are mdh's and Wireshark skips them. The keys come from @mdh/media's
 * `mdh:media:keylog` diagnostics channel.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { MediaKeyEvent } from '@mdh/media';

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
const at = (a: { address: string; port: number } | undefined) =>
  a ? `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}` : '-';

/** The key log lines of one key event (each ending in a newline). */
export function keylogLines(e: MediaKeyEvent): string {
  if (e.kind === 'dtls-master') return `CLIENT_RANDOM ${hex(e.clientRandom)} ${hex(e.masterSecret)}\n`;
  const key = (k: { key: Uint8Array; salt: Uint8Array }) => {
    const ks = new Uint8Array(k.key.length + k.salt.length);
    ks.set(k.key);
    ks.set(k.salt, k.key.length);
    return b64(ks);
  };
  const ssrc = e.ssrc.toString(16).padStart(8, '0');
  let out =
    `SRTP ${e.keying} ${e.profile} out ${at(e.local)} ${at(e.remote)} ${ssrc} ${key(e.outbound)}\n` +
    `SRTP ${e.keying} ${e.profile} in ${at(e.remote)} ${at(e.local)} * ${key(e.inbound)}\n`;
  if (e.exporter && e.clientRandom)
    out += `DTLS_SRTP_EXPORTER ${hex(e.clientRandom)} ${e.profile} ${hex(e.exporter)}\n`;
  return out;
}

/** Writes the keys of this process's media sessions to `path` (created mode 0600, truncated) until `stop()`. */
export function startKeylog(path: string): { stop(): void } {
  const fd = openSync(path, 'w', 0o600);
  writeSync(fd, '# mdh key log (docs/traces.md): CLIENT_RANDOM lines are NSS key log format\n');
  const on = (m: unknown) => {
    try {
      writeSync(fd, keylogLines(m as MediaKeyEvent));
    } catch {
      // a full disk loses a line, never the call
    }
  };
  diagnostics_channel.subscribe('mdh:media:keylog', on);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      diagnostics_channel.unsubscribe('mdh:media:keylog', on);
      closeSync(fd);
    },
  };
}
