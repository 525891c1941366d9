/*
 * libsrtp2 peer for packages/srtp/test/libsrtp.interop.test.ts.
 *   libsrtp_tool <suite> <protect|unprotect> <rtp|rtcp> <key||salt hex> <mki hex or ->
 * reads one packet per line (hex) on stdin and writes one line per packet: the result in hex, or "ERR <status>".
 * suite: cm128_80 cm128_32 cm256_80 cm256_32 cm192_80 null_80 gcm128 gcm256
 */
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unhex(const char *s, unsigned char *out, int max) {
  int n = 0;
  while (s[0] && s[1] && s[0] != '\n' && n < max) {
    unsigned v;
    if (sscanf(s, "%2x", &v) != 1) return -1;
    out[n++] = (unsigned char)v;
    s += 2;
  }
  return n;
}

int main(int argc, char **argv) {
  if (argc != 6) return 2;
  const char *suite = argv[1];
  int protect = strcmp(argv[2], "protect") == 0;
  int rtcp = strcmp(argv[3], "rtcp") == 0;
  if (srtp_init() != srtp_err_status_ok) return 1;
  srtp_policy_t p;
  memset(&p, 0, sizeof p);
  if (!strcmp(suite, "cm128_80")) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
  } else if (!strcmp(suite, "cm128_32")) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
  } else if (!strcmp(suite, "cm256_80")) {
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
  } else if (!strcmp(suite, "cm256_32")) {
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p.rtp);
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
  } else if (!strcmp(suite, "cm192_80")) {
    srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(&p.rtcp);
  } else if (!strcmp(suite, "null_80")) {
    srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&p.rtcp);
  } else if (!strcmp(suite, "gcm128")) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
  } else if (!strcmp(suite, "gcm256")) {
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
  } else {
    return 2;
  }
  static unsigned char key[64];
  static unsigned char mki[16];
  int kl = unhex(argv[4], key, sizeof key);
  int ml = strcmp(argv[5], "-") ? unhex(argv[5], mki, sizeof mki) : 0;
  if (kl <= 0 || ml < 0) return 2;
  srtp_master_key_t mk = { key, mki, (unsigned)ml };
  srtp_master_key_t *keys[1] = { &mk };
  if (ml > 0) {
    p.keys = keys;
    p.num_master_keys = 1;
  } else {
    p.key = key;
  }
  p.ssrc.type = protect ? ssrc_any_outbound : ssrc_any_inbound;
  p.window_size = 1024;
  p.next = NULL;
  srtp_t s;
  srtp_err_status_t st = srtp_create(&s, &p);
  if (st != srtp_err_status_ok) {
    fprintf(stderr, "srtp_create: %d\n", st);
    return 1;
  }
  static char line[8192];
  static unsigned char buf[4096];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    int len = unhex(line, buf, 3000);
    if (len < 0) return 2;
    if (protect) {
      if (rtcp)
        st = ml ? srtp_protect_rtcp_mki(s, buf, &len, 1, 0) : srtp_protect_rtcp(s, buf, &len);
      else
        st = ml ? srtp_protect_mki(s, buf, &len, 1, 0) : srtp_protect(s, buf, &len);
    } else {
      if (rtcp)
        st = ml ? srtp_unprotect_rtcp_mki(s, buf, &len, 1) : srtp_unprotect_rtcp(s, buf, &len);
      else
        st = ml ? srtp_unprotect_mki(s, buf, &len, 1) : srtp_unprotect(s, buf, &len);
    }
    if (st != srtp_err_status_ok) {
      printf("ERR %d\n", st);
      continue;
    }
    for (int i = 0; i < len; i++) printf("%02x", buf[i]);
    printf("\n");
  }
  srtp_dealloc(s);
  return 0;
}
