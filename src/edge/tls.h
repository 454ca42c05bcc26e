/*
 * edge/tls.h: TLS termination (tls.c): the OpenSSL contexts of one TLS listener, one set
 * per worker so that handshakes on different workers share no SSL_CTX (OpenSSL 3.0 locks
 * inside a shared one), the transport (transport.h) a connection uses on a TLS listener,
 * and the ticket keys every worker shares.
 *
 * Lifetime: a tls_listener belongs to a configuration generation's confbox (gen.c) and is
 * built with it, on the control thread; a connection's SSL holds a reference on its
 * SSL_CTX, so a reload (new certificates) never cuts an open connection.
 */
#ifndef EDGE_TLS_H
#define EDGE_TLS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/edge_conf.h"
#include "edge/transport.h"

struct conn;
struct tls_listener;

/* Builds the contexts of listener conf tc for nworkers workers: loads every certificate
 * (grouped by the names they cover, one per key type), versions, ciphers, ALPN, tickets
 * and the session cache. Returns NULL with a sentence in err when a file does not load. */
struct tls_listener *tls_listener_new(const struct edge_tls_conf *tc, const char *name,
                                      unsigned nworkers, char *err, size_t errlen);
/* Reference counting: the generations that hold tl and its connections (each SSL). */
struct tls_listener *tls_listener_ref(struct tls_listener *tl);
void tls_listener_release(struct tls_listener *tl);
/* Whether tc's certificate or key files changed (stat) since tl loaded them. */
bool tls_listener_files_changed(const struct tls_listener *tl, const struct edge_tls_conf *tc);
/* Takes the files as they are now as loaded (after a reload that failed). */
void tls_listener_files_seen(struct tls_listener *tl, const struct edge_tls_conf *tc);

/* Makes c a TLS connection of tl on worker `worker`: the handshake starts with its first
 * readiness. 0, or -ENOMEM (c stays plain; the caller closes it). */
int tls_conn_start(struct conn *c, struct tls_listener *tl, unsigned worker);
/* The protocol ALPN chose ("http/1.1", "h2"), or NULL. */
const char *tls_conn_alpn(const struct conn *c);

/* Ticket keys: derived from a secret made at start, one key per period, the previous
 * one still accepted (so a ticket lives one to two periods). Exposed for the unit test:
 * fills name (16 bytes), aes (32) and mac (32) for period number `epoch`. */
void tls_ticket_derive(uint64_t epoch, unsigned char name[16], unsigned char aes[32],
                       unsigned char mac[32]);
#define TLS_TICKET_PERIOD_S (12 * 3600)

extern const struct transport_ops tls_transport;

#endif
