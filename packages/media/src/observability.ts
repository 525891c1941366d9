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
