/*
 * OpenSSL in-process DTLS 1.2 handshake rate, for bench/dtls.mjs.
 * Usage: dtls_bench GROUP SECONDS WARMUP_SECONDS   (GROUP: X25519 or P-256)
 * Each iteration: a fresh client and server SSL over memory BIOs, ECDSA P-256 certificates, mutual
 * authentication (the server requests and requires a client certificate), ECDHE-ECDSA-AES128-GCM-SHA256,
 * extended master secret, use_srtp. Prints one JSON line: {"group":..,"handshakes":..,"seconds":..,"perSecond":..}.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int accept_any(int ok, X509_STORE_CTX *ctx) {
  (void)ok;
  (void)ctx;
  return 1;
}

static void make_cert(EVP_PKEY **pkey, X509 **cert) {
  *pkey = EVP_EC_gen("P-256");
  *cert = X509_new();
  X509_set_version(*cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(*cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(*cert), -86400);
  X509_gmtime_adj(X509_getm_notAfter(*cert), 86400L * 30);
  X509_set_pubkey(*cert, *pkey);
  X509_NAME *name = X509_get_subject_name(*cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"bench", -1, -1, 0);
  X509_set_issuer_name(*cert, name);
  X509_sign(*cert, *pkey, EVP_sha256());
}

static SSL_CTX *make_ctx(int server, const char *group, EVP_PKEY *pkey, X509 *cert) {
  SSL_CTX *ctx = SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, pkey);
  SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256");
  /* The ECDSA P-256 certificates need P-256 in the group list too (RFC 8422 §5.1.1); the first is used. */
  char groups[64];
  snprintf(groups, sizeof groups, strcmp(group, "P-256") == 0 ? "%s" : "%s:P-256", group);
  SSL_CTX_set1_groups_list(ctx, groups);
  SSL_CTX_set_tlsext_use_srtp(ctx, "SRTP_AES128_CM_SHA1_80");
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU);
  if (server) SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
  else SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
  return ctx;
}

static void pump(BIO *from, BIO *to) {
  char buf[65536];
  int n;
  while ((n = BIO_read(from, buf, sizeof buf)) > 0) BIO_write(to, buf, n);
}

static int handshake(SSL_CTX *cctx, SSL_CTX *sctx) {
  SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
  BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
  BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(c_in, -1);
  BIO_set_mem_eof_return(s_in, -1);
  SSL_set_bio(c, c_in, c_out);
  SSL_set_bio(s, s_in, s_out);
  DTLS_set_link_mtu(c, 1500);
  DTLS_set_link_mtu(s, 1500);
  SSL_set_connect_state(c);
  SSL_set_accept_state(s);
  int cdone = 0, sdone = 0, ok = 0;
  for (int i = 0; i < 50 && !(cdone && sdone); i++) {
    if (!cdone) cdone = SSL_do_handshake(c) == 1;
    pump(c_out, s_in);
    if (!sdone) sdone = SSL_do_handshake(s) == 1;
    pump(s_out, c_in);
  }
  if (cdone && sdone) {
    unsigned char a[60], b[60];
    SSL_export_keying_material(c, a, 60, "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0);
    SSL_export_keying_material(s, b, 60, "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0);
    ok = memcmp(a, b, 60) == 0;
  }
  SSL_free(c);
  SSL_free(s);
  return ok;
}

int main(int argc, char **argv) {
  const char *group = argc > 1 ? argv[1] : "X25519";
  double seconds = argc > 2 ? atof(argv[2]) : 3.0;
  double warmup = argc > 3 ? atof(argv[3]) : 1.0;
  EVP_PKEY *sk, *ck;
  X509 *sc, *cc;
  make_cert(&sk, &sc);
  make_cert(&ck, &cc);
  SSL_CTX *sctx = make_ctx(1, group, sk, sc);
  SSL_CTX *cctx = make_ctx(0, group, ck, cc);
  double t0 = now_s();
  while (now_s() - t0 < warmup) {
    if (!handshake(cctx, sctx)) {
      ERR_print_errors_fp(stderr);
      fprintf(stderr, "handshake failed\n");
      return 1;
    }
  }
  long n = 0;
  t0 = now_s();
  double t;
  while ((t = now_s() - t0) < seconds && n < 10000000) {
    if (!handshake(cctx, sctx)) {
      fprintf(stderr, "handshake failed\n");
      return 1;
    }
    n++;
  }
  printf("{\"group\":\"%s\",\"handshakes\":%ld,\"seconds\":%.3f,\"perSecond\":%.1f}\n", group, n, t, n / t);
  return 0;
}
