/*
 * edge/tls_alpn01.h: answering ACME tls-alpn-01 validation (RFC 8737) in the handshake.
 * When a client offers ALPN "acme-tls/1" and the ACME client is validating the name it
 * asks for (SNI), the connection gets the self-signed validation certificate instead of
 * the listener's, and is closed once the handshake is done (no HTTP on it). The lookup
 * is a hook the daemon sets (edge_set_alpn_challenge), so the edge never knows src/acme.
 */
#ifndef EDGE_TLS_ALPN01_H
#define EDGE_TLS_ALPN01_H
#include <stdbool.h>

#include <openssl/ssl.h>

#include "edge/edge.h"

/* Sets the lookup (before the workers start); NULL turns tls-alpn-01 answers off. */
void tls_alpn01_set_hook(edge_alpn_cert_fn fn, void *ctx);
/* From the ALPN callback: when the client offers acme-tls/1 and a validation certificate
 * exists for its SNI, puts that certificate on s, points *out at the protocol in `in` and
 * returns true. Otherwise false and s is untouched. */
bool tls_alpn01_select(SSL *s, const unsigned char *in, unsigned inlen,
                       const unsigned char **out, unsigned char *outlen);
/* Whether the handshake of s chose acme-tls/1 (then the caller closes the connection). */
bool tls_alpn01_chosen(const SSL *s);

#endif
