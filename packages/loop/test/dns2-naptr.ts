import dns2 from 'dns2';
import { encodeNameUncompressed, type NaptrData } from '../src/dns/naptr.js';

/** The NAPTR RR type number (RFC 3403 §4). */
export const NAPTR_TYPE = 35;

interface Dns2Reader {
  read(bits: number): number;
}
interface Dns2Writer {
  write(value: number, bits: number): void;
}
interface Dns2PacketLike {
  TYPE: Record<string, number>;
  Resource: Record<string, unknown>;
  Name: { decode(reader: Dns2Reader): string };
}

const dec = new TextDecoder('utf-8', { fatal: false });
const enc = new TextEncoder();

function readString(reader: Dns2Reader): { text: string; size: number } {
  const len = reader.read(8);
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = reader.read(8);
  return { text: dec.decode(b), size: len + 1 };
}

function writeString(writer: Dns2Writer, text: string): void {
  const b = enc.encode(text);
  if (b.length > 255) throw new RangeError(`NAPTR character-string longer than 255 octets (${b.length})`);
  writer.write(b.length, 8);
  for (const x of b) writer.write(x, 8);
}

/**
 * Adds the RFC 3403 NAPTR record to dns2's codec (`Packet.TYPE.NAPTR` and `Packet.Resource.NAPTR`),
 * so a dns2 server can answer NAPTR queries and dns2's own decoder can read them. Idempotent.
 * REPLACEMENT is written uncompressed, as RFC 3403 §4.1 requires.
 *
 * A record for dns2's server is `{ name, type: Packet.TYPE.NAPTR, class: 1, ttl, order, preference,
 * flags, services, regexp, replacement }`.
 *
 * @example
 * registerNaptrWithDns2();
 * const server = dns2.createServer({ udp: true, handle: (req, send) => {
 *   const res = dns2.Packet.createResponseFromRequest(req);
 *   res.answers.push({ name: 'example.com', type: 35, class: 1, ttl: 60, order: 10, preference: 50,
 *     flags: 's', services: 'SIP+D2U', regexp: '', replacement: '_sip._udp.example.com' });
 *   send(res);
 * } });
 */
export function registerNaptrWithDns2(packet: unknown = (dns2 as unknown as { Packet: unknown }).Packet): void {
  const P = packet as Dns2PacketLike;
  P.TYPE.NAPTR = NAPTR_TYPE;
  if (P.Resource.NAPTR) return;
  P.Resource.NAPTR = {
    decode(this: Record<string, unknown>, reader: Dns2Reader, _length: number) {
      this.order = reader.read(16);
      this.preference = reader.read(16);
      this.flags = readString(reader).text;
      this.services = readString(reader).text;
      this.regexp = readString(reader).text;
      this.replacement = P.Name.decode(reader);
      return this;
    },
    encode(record: NaptrData, writer: Dns2Writer) {
      writer.write(record.order, 16);
      writer.write(record.preference, 16);
      writeString(writer, record.flags ?? '');
      writeString(writer, record.services ?? '');
      writeString(writer, record.regexp ?? '');
      for (const b of encodeNameUncompressed(record.replacement ?? '')) writer.write(b, 8);
    },
  };
}
