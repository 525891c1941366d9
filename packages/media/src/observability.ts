import diagnostics_channel from 'node:diagnostics_channel';
import type { MediaAddress } from './types.js';

/**
 * Observability of the media adapter: every datagram a {@link MediaChannel} (or {@link MediaPorts} before its
 * session starts) sends or receives on its sockets — RTP, RTCP, SRTP, SRTCP, DTLS, STUN, as on the wire — is
 * published on the `node:diagnostics_channel` channel `mdh:media:packet` (only when someone subscribes: nothing
 * is built otherwise). This is what `mdh call --pcap` writes; an APM tool can subscribe without touching the
 * application.
 *
 * ```ts
 * import diagnostics_channel from 'node:diagnostics_channel';
 * import type { MediaPacketEvent } from '@mdh/media';
 * diagnostics_channel.subscribe('mdh:media:packet', (m) => {
 *   const e = m as MediaPacketEvent;
 *   console.log(e.direction, e.data.length, e.local.port, e.remote.port);
 * });
 * ```
 */
export interface MediaPacketEvent {
  direction: 'send' | 'receive';
  /** The datagram as sent or received (do not modify; copy to keep it). */
  data: Uint8Array;
  /** Our socket's address and port. */
  local: MediaAddress;
  /** The far end's address and port. */
  remote: MediaAddress;
}

/** The channel of every media datagram sent and received (`mdh:media:packet`). */
export const mediaPacketChannel = diagnostics_channel.channel('mdh:media:packet');

/** @internal Publishes one datagram when someone listens; a subscriber's exception is its own. */
export function tapMediaPacket(
  direction: 'send' | 'receive',
  data: Uint8Array,
  local: MediaAddress,
  remote: MediaAddress,
): void {
  if (!mediaPacketChannel.hasSubscribers) return;
  try {
    const e: MediaPacketEvent = {
      direction,
      data,
      local: { address: local.address, port: local.port },
      remote: { address: remote.address, port: remote.port },
    };
    mediaPacketChannel.publish(e);
  } catch {}
}

/** An SRTP master key and salt (RFC 3711 §8.2). */
export interface MediaMasterKey {
  key: Uint8Array;
  salt: Uint8Array;
}

/**
 * Key material of a media session, published on `mdh:media:keylog` (only when someone subscribes): what a key log
 * (`mdh call --keylog`) writes so that Wireshark or libsrtp can decrypt a capture. It is the call's secret: for
 * debugging only.
 * - `srtp`: the SRTP master keys once keyed (SDES from the `a=crypto` lines, RFC 4568; DTLS-SRTP from the
 *   exporter, RFC 5764 §4.2): `outbound` protects what `local` sends (our SSRC `ssrc`), `inbound` what it
 *   receives. With DTLS-SRTP `exporter` is the raw `EXTRACTOR-dtls_srtp` output (client key, server key, client
 *   salt, server salt) and `clientRandom` names the association.
 * - `dtls-master`: the DTLS client random and master secret (the NSS key log `CLIENT_RANDOM` line).
 */
export type MediaKeyEvent =
  | {
      kind: 'srtp';
      keying: 'sdes' | 'dtls';
      profile: string;
      local: MediaAddress;
      remote: MediaAddress | undefined;
      ssrc: number;
      outbound: MediaMasterKey;
      inbound: MediaMasterKey;
      exporter?: Uint8Array;
      clientRandom?: Uint8Array;
    }
  | { kind: 'dtls-master'; clientRandom: Uint8Array; masterSecret: Uint8Array };

/** The channel of media key material (`mdh:media:keylog`), see {@link MediaKeyEvent}. */
export const mediaKeylogChannel = diagnostics_channel.channel('mdh:media:keylog');

/** @internal Publishes key material when someone listens. */
export function publishMediaKeys(e: MediaKeyEvent): void {
  if (!mediaKeylogChannel.hasSubscribers) return;
  try {
    mediaKeylogChannel.publish(e);
  } catch {}
}
