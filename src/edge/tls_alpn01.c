/*
 * edge/tls_alpn01.c: tls-alpn-01 answers in the TLS handshake (see tls_alpn01.h). Holds
 * the hook, set once before the workers start and read-only afterwards.
 *
 * The certificate is put on the connection from the ALPN callback. With TLS 1.3 (what
 * validating CAs speak: Boulder and Pebble use Go's TLS) OpenSSL runs that callback
 * before it picks the certificate, so the validation certificate is the one sent; it is a
 * P-256 key like the listener's, so under TLS 1.2 it replaces the chosen one in place.
 */
#include "edge/tls_alpn01.h"

#include <string.h>

static const unsigned char alpn01_proto[] = "acme-tls/1";
#define ALPN01_LEN (sizeof(alpn01_proto) - 1)

static edge_alpn_cert_fn alpn01_fn;
static void *alpn01_ctx;

void
tls_alpn01_set_hook(edge_alpn_cert_fn fn, void *ctx)
{
    alpn01_fn = fn;
    alpn01_ctx = ctx;
}

bool
tls_alpn01_select(SSL *s, const unsigned char *in, unsigned inlen, const unsigned char **out,
                  unsigned char *outlen)
{
    const char *host;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    bool ok;

    if (!alpn01_fn)
        return false;
    /* The client's list: length-prefixed protocol names (RFC 7301 §3.1). */
    const unsigned char *p = in, *end = in + inlen, *found = NULL;
    while (p < end && !found) {
        unsigned n = *p++;
        if (n > (unsigned)(end - p))
            return false;
        if (n == ALPN01_LEN && memcmp(p, alpn01_proto, ALPN01_LEN) == 0)
            found = p;
        p += n;
    }
    if (!found || !(host = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name)) ||
        !alpn01_fn(alpn01_ctx, host, &cert, &key))
        return false;
    ok = SSL_use_certificate(s, cert) == 1 && SSL_use_PrivateKey(s, key) == 1;
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!ok)
        return false;
    *out = found;
    *outlen = (unsigned char)ALPN01_LEN;
    return true;
}

bool
tls_alpn01_chosen(const SSL *s)
{
    const unsigned char *p = NULL;
    unsigned len = 0;

    SSL_get0_alpn_selected(s, &p, &len);
    return len == ALPN01_LEN && memcmp(p, alpn01_proto, ALPN01_LEN) == 0;
}
