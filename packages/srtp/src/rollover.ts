/**
 * SRTP packet index estimation (RFC 3711 §3.3.1 and Appendix A). The receiver keeps the highest index it has
 * authenticated, `top` = ROC·2^16 + s_l, and guesses the ROC of a new sequence number SEQ as ROC-1, ROC or ROC+1,
 * whichever puts the packet closest to s_l:
 *
 *     if s_l < 2^15:  v = (SEQ - s_l > 2^15) ? ROC - 1 : ROC
 *     else:           v = (s_l - 2^15 > SEQ) ? ROC + 1 : ROC
 *     index = v·2^16 + SEQ
 *
 * The result is negative when SEQ belongs before ROC 0 (a packet older than the stream as we know it).
 */
export function estimateSrtpIndex(top: number, seq: number): number {
  const roc = Math.floor(top / 65536);
  const sl = top % 65536;
  let v = roc;
  if (sl < 32768) {
    if (seq - sl > 32768) v = roc - 1;
  } else if (sl - 32768 > seq) {
    v = roc + 1;
  }
  return v * 65536 + seq;
}
