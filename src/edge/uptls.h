/*
 * edge/uptls.h: TLS to targets (uptls.c), for target groups with `protocol: https`. One
 * client context per group per thread that connects (each worker, and the health
 * prober), so handshakes on different threads share no SSL_CTX (OpenSSL 3.0 locks inside
 * a shared one; ../shared/reference/tls-http2.md). A context verifies the target's
 * certificate against tls.ca (or the system's store) for tls.sni, or the target's host,
 * unless tls.verify is false, and keeps the group's last session for resumption.
 *
 * Lifetime: built by the thread that uses it and freed by it; an SSL holds a reference
 * on its SSL_CTX, so a pooled connection outlives the context that made it.
 */
#ifndef EDGE_UPTLS_H
#define EDGE_UPTLS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "edge/edge_conf.h"

struct uptls;

/* Whether path holds at least one PEM certificate. 0, or -1 with a sentence in why. */
int uptls_ca_check(const char *path, char *why, size_t whylen);

/* The context of group tg (protocol https) for one thread; NULL with a sentence in err. */
struct uptls *uptls_new(const struct edge_tg_conf *tg, char *err, size_t errlen);
void uptls_free(struct uptls *ut);
/* A thread's contexts, one per distinct (ca, sni, verify), made on first use: the one for
 * tg from *list, or a new one added to it. NULL with a sentence in err (the CA file went
 * away since check). A reload frees the list (uptls_list_free) so CA files are re-read. */
struct uptls *uptls_get(struct uptls **list, const struct edge_tg_conf *tg, char *err,
                        size_t errlen);
void uptls_list_free(struct uptls **list);
/* Identifies what a connection made by ut was verified for (ca, sni, verify): pooled
 * connections are shared only between contexts with the same key. Never 0. */
uint64_t uptls_key(const struct uptls *ut);

/* A client SSL on connected socket fd to the target written as target_text
 * ("host:port"); NULL when out of memory. */
SSL *uptls_ssl_new(struct uptls *ut, int fd, const char *target_text);
/* Drives the handshake: 1 done, 0 wants more readiness, -1 failed (then uptls_failure or
 * uptls_error_text say why; the latter also clears the thread's OpenSSL error queue, which
 * must be empty before the next SSL call on any connection). */
int uptls_handshake(SSL *s);
/* The result rc of SSL_read or SSL_write on s in the shape of send/recv: bytes, 0 for the
 * end (close_notify, or EOF), or -1 with errno EAGAIN (try on the next readiness),
 * ECONNRESET, or EPROTO with OpenSSL's reason in why. Leaves the error queue empty. */
ssize_t uptls_io_result(SSL *s, int rc, char *why, size_t whylen);
/* Why the handshake on s failed, as a string that lives as long as the program (OpenSSL's
 * own tables): *verify says whether it was the certificate check. */
const char *uptls_failure(SSL *s, bool *verify);
/* The reason of the last failed I/O call on s (after SSL_ERROR_SSL), for logs. */
void uptls_error_text(SSL *s, char *why, size_t whylen);

#endif
