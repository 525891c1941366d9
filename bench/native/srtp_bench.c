/*
 * libsrtp2 reference harness for bench/srtp.mjs.
 * Reads commands on stdin, one per line: "<cm|gcm> <protect|unprotect> <packets>"
 * and answers each with one line: "<ops/s by process CPU time> <ops/s by wall time>".
 * Packets are 172-octet RTP packets (12-octet header, 160-octet payload), the same as the JS side.
 * Keys: master key 0x07 * 16, master salt 0x09 * 14 (cm) or 0x09 * 12 (gcm).
 */
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PKT 172
#define MAXN 60000

static unsigned char keybuf[64];

static double now(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static srtp_t make(int gcm, int inbound) {
  srtp_policy_t p;
  memset(&p, 0, sizeof p);
  if (gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
  } else {
    srtp_crypto_policy_set_rtp_default(&p.rtp);
    srtp_crypto_policy_set_rtcp_default(&p.rtcp);
  }
  memset(keybuf, 0, sizeof keybuf);
  memset(keybuf, 0x07, 16);
  memset(keybuf + 16, 0x09, gcm ? 12 : 14);
  p.key = keybuf;
  p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  p.window_size = 128;
  p.allow_repeat_tx = 0;
  p.next = NULL;
  srtp_t s;
  if (srtp_create(&s, &p) != srtp_err_status_ok) {
    fprintf(stderr, "srtp_create failed\n");
    exit(1);
  }
  return s;
}

static void template_packet(unsigned char *b, unsigned seq) {
  memset(b, 0xab, PKT);
  b[0] = 0x80;
  b[1] = 0;
  b[2] = (seq >> 8) & 0xff;
  b[3] = seq & 0xff;
  b[4] = b[5] = b[6] = b[7] = 0;
  b[8] = 0;
  b[9] = 0;
  b[10] = 0;
  b[11] = 1;
}

static unsigned char store[MAXN][PKT + SRTP_MAX_TRAILER_LEN];
static int storelen[MAXN];

int main(void) {
  if (srtp_init() != srtp_err_status_ok) return 1;
  char mode[16], op[16];
  long n;
  unsigned char buf[PKT + SRTP_MAX_TRAILER_LEN + 16];
  unsigned seq = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (scanf("%15s %15s %ld", mode, op, &n) == 3) {
    int gcm = strcmp(mode, "gcm") == 0;
    if (n > MAXN) n = MAXN;
    int ok = 1;
    double c0, w0, c1, w1;
    if (strcmp(op, "protect") == 0) {
      srtp_t tx = make(gcm, 0);
      c0 = now(CLOCK_PROCESS_CPUTIME_ID);
      w0 = now(CLOCK_MONOTONIC);
      for (long i = 0; i < n; i++) {
        template_packet(buf, seq++);
        int len = PKT;
        if (srtp_protect(tx, buf, &len) != srtp_err_status_ok) ok = 0;
      }
      c1 = now(CLOCK_PROCESS_CPUTIME_ID);
      w1 = now(CLOCK_MONOTONIC);
      srtp_dealloc(tx);
    } else {
      srtp_t tx = make(gcm, 0);
      for (long i = 0; i < n; i++) {
        template_packet(store[i], (unsigned)i);
        storelen[i] = PKT;
        if (srtp_protect(tx, store[i], &storelen[i]) != srtp_err_status_ok) ok = 0;
      }
      srtp_dealloc(tx);
      srtp_t rx = make(gcm, 1);
      c0 = now(CLOCK_PROCESS_CPUTIME_ID);
      w0 = now(CLOCK_MONOTONIC);
      for (long i = 0; i < n; i++) {
        int len = storelen[i];
        memcpy(buf, store[i], len);
        if (srtp_unprotect(rx, buf, &len) != srtp_err_status_ok || len != PKT) ok = 0;
      }
      c1 = now(CLOCK_PROCESS_CPUTIME_ID);
      w1 = now(CLOCK_MONOTONIC);
      srtp_dealloc(rx);
    }
    if (!ok) {
      printf("error\n");
    } else {
      printf("%.0f %.0f\n", n / (c1 - c0), n / (w1 - w0));
    }
  }
  return 0;
}
