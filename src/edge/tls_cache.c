/*
 * edge/tls_cache.c: one session cache for every worker's contexts, so that a TLS 1.2
 * client resuming by session id finds its session whichever worker the kernel hands its
 * connection to (each context's own cache would only know its worker's). A fixed table of
 * TLS_CACHE_SLOTS entries, direct-mapped by the session id's hash: a new session takes its
 * slot, evicting what was there, so memory is bounded without an LRU. Entries hold the
 * session serialised (i2d_SSL_SESSION), never an SSL_SESSION shared between threads. One
 * mutex; it is taken only on full TLS 1.2 handshakes and id resumptions (TLS 1.3 and
 * ticket resumptions never come here), never on the request path.
 */
#include "edge/tls_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct tls_cache_ent {
    unsigned char id[SSL_MAX_SSL_SESSION_ID_LENGTH];
    unsigned idlen;
    unsigned derlen;
    unsigned char *der;         /* owned; NULL: free slot */
};

static struct tls_cache_ent tls_cache[TLS_CACHE_SLOTS];
static pthread_mutex_t tls_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned
tls_cache_slot(const unsigned char *id, unsigned len)
{
    uint64_t h = 1469598103934665603ULL;

    for (unsigned i = 0; i < len; i++)
        h = (h ^ id[i]) * 1099511628211ULL;
    return (unsigned)(h % TLS_CACHE_SLOTS);
}

/* OpenSSL made a session that can be resumed by id: keep a serialised copy. Returns 0:
 * OpenSSL keeps its reference and frees the session itself. */
static int
tls_cache_on_new(SSL *s, SSL_SESSION *sess)
{
    unsigned idlen;
    const unsigned char *id = SSL_SESSION_get_id(sess, &idlen);
    int n = i2d_SSL_SESSION(sess, NULL);

    (void)s;
    if (idlen == 0 || idlen > SSL_MAX_SSL_SESSION_ID_LENGTH || n <= 0)
        return 0;
    unsigned char *der = malloc((size_t)n), *p = der;
    if (!der || i2d_SSL_SESSION(sess, &p) != n) {
        free(der);
        return 0;
    }
    struct tls_cache_ent *e = &tls_cache[tls_cache_slot(id, idlen)];
    pthread_mutex_lock(&tls_cache_lock);
    unsigned char *old = e->der;
    memcpy(e->id, id, idlen);
    e->idlen = idlen;
    e->der = der;
    e->derlen = (unsigned)n;
    pthread_mutex_unlock(&tls_cache_lock);
    free(old);
    return 0;
}

/* A client offers session id `id`: a new SSL_SESSION from the copy, or NULL. OpenSSL then
 * checks its context and timeout itself. */
static SSL_SESSION *
tls_cache_on_get(SSL *s, const unsigned char *id, int len, int *copy)
{
    unsigned char buf[8192];
    unsigned n = 0;

    (void)s;
    *copy = 0;                  /* the returned session is OpenSSL's to free */
    if (len <= 0 || len > SSL_MAX_SSL_SESSION_ID_LENGTH)
        return NULL;
    struct tls_cache_ent *e = &tls_cache[tls_cache_slot(id, (unsigned)len)];
    pthread_mutex_lock(&tls_cache_lock);
    if (e->der && e->idlen == (unsigned)len && memcmp(e->id, id, (size_t)len) == 0 &&
        e->derlen <= sizeof(buf)) {
        n = e->derlen;
        memcpy(buf, e->der, n);
    }
    pthread_mutex_unlock(&tls_cache_lock);
    const unsigned char *p = buf;
    return n ? d2i_SSL_SESSION(NULL, &p, (long)n) : NULL;
}

/* OpenSSL drops a session (expired, or its connection failed): drop our copy too. */
static void
tls_cache_on_remove(SSL_CTX *ctx, SSL_SESSION *sess)
{
    unsigned idlen;
    const unsigned char *id = SSL_SESSION_get_id(sess, &idlen);
    unsigned char *old = NULL;

    (void)ctx;
    if (idlen == 0 || idlen > SSL_MAX_SSL_SESSION_ID_LENGTH)
        return;
    struct tls_cache_ent *e = &tls_cache[tls_cache_slot(id, idlen)];
    pthread_mutex_lock(&tls_cache_lock);
    if (e->der && e->idlen == idlen && memcmp(e->id, id, idlen) == 0) {
        old = e->der;
        e->der = NULL;
        e->idlen = 0;
    }
    pthread_mutex_unlock(&tls_cache_lock);
    free(old);
}

void
tls_cache_attach(SSL_CTX *ctx)
{
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx, tls_cache_on_new);
    SSL_CTX_sess_set_get_cb(ctx, tls_cache_on_get);
    SSL_CTX_sess_set_remove_cb(ctx, tls_cache_on_remove);
}
