/*
 * edge/tls_cache.h: the TLS session cache every worker shares (tls_cache.c), for TLS 1.2
 * clients that resume by session id instead of by ticket.
 */
#ifndef EDGE_TLS_CACHE_H
#define EDGE_TLS_CACHE_H
#include <openssl/ssl.h>

/* Makes ctx keep its server sessions in the shared cache (and not in its own). */
void tls_cache_attach(SSL_CTX *ctx);

#define TLS_CACHE_SLOTS 20480

#endif
