/*
 * edge/tls.c: TLS termination with OpenSSL 3.0: the per-worker contexts of a TLS
 * listener (tls.h), the TLS transport (transport.h) and the ticket keys.
 *
 * Contexts. OpenSSL 3.0 takes locks inside an SSL_CTX that every handshake on it touches,
 * so threads sharing one serialise (HAProxy measured it; see docs/tls.md). Each worker
 * gets its own contexts, like nginx's processes: one per certificate group, a group being
 * the certificates that cover the same names, at most one per key type, so that OpenSSL
 * itself picks ECDSA or RSA from the client's signature algorithms. The first group's
 * context accepts; the servername callback moves a connection to the group its SNI names.
 *
 * Transport. Non-blocking: the handshake runs from the connection's readiness (on_ready)
 * before the session sees any byte; recv and send loop until OpenSSL wants the socket, so
 * a short count always means the socket is drained or full, as the edge-triggered loop
 * needs. A want in the other direction (a read that must write, a write that must read)
 * is remembered and turned into readiness when that direction's event comes. A plain HTTP
 * request on a TLS listener is answered in clear text, as nginx's 497 page.
 *
 * Tickets. Keys are derived from a secret made once per process and the number of the
 * current period, so every worker has the same keys without sharing a lock, and they
 * rotate by themselves; each worker caches the two it uses. Sessions resumed by id (TLS
 * 1.2 without tickets) live in tls_cache.c, shared by all workers.
 */
#include "edge/tls.h"
#include "edge/tls_alpn01.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "edge/conn.h"
#include "edge/session.h"
#include "edge/stats.h"
#include "edge/tls_cache.h"
#include "edge/tls_cert.h"
#include "edge/worker.h"

/* c->tp_flags */
enum {
    TLS_HS_DONE = 1u << 0,
    TLS_RD_WANTS_WRITE = 1u << 1,   /* SSL_read needs the socket writable */
    TLS_WR_WANTS_READ = 1u << 2,    /* SSL_write needs the socket readable */
};

static void tls_conn_free(struct conn *c);

#define TLS_FILE_CHUNK_BYTES 16384      /* one record of a file sent with read + write */

/* One worker's contexts: ctx[0] is the default group's. */
struct tls_wctx {
    struct tls_listener *tl;
    SSL_CTX **ctx;              /* ngroups */
};

struct tls_listener {
    atomic_int refs;            /* its generations and its connections */
    uint64_t files_sig;         /* of the certificate and key files when loaded */
    unsigned nworkers, ngroups;
    struct tls_cert_info *groups;   /* one per group: its names (for SNI) */
    struct tls_wctx *w;             /* nworkers */
    unsigned char alpn[32];         /* wire format, in preference order */
    unsigned alpn_len;
};

/* ---- ticket keys ---- */

static unsigned char tls_ticket_secret[32];
static EVP_CIPHER *tls_ticket_cipher;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static bool tls_init_ok;

static void
tls_init_once(void)
{
    tls_ticket_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
    tls_init_ok = tls_ticket_cipher && RAND_bytes(tls_ticket_secret, 32) == 1;
}

static void
tls_ticket_hash(uint64_t epoch, const char *label, unsigned char out[32])
{
    unsigned char in[32 + 8 + 8];

    memcpy(in, tls_ticket_secret, 32);
    for (int i = 0; i < 8; i++)
        in[32 + i] = (unsigned char)(epoch >> (8 * i));
    memset(in + 40, 0, 8);
    memcpy(in + 40, label, strlen(label) < 8 ? strlen(label) : 8);
    SHA256(in, sizeof(in), out);
}

void
tls_ticket_derive(uint64_t epoch, unsigned char name[16], unsigned char aes[32],
                  unsigned char mac[32])
{
    unsigned char n[32];

    pthread_once(&tls_once, tls_init_once);
    tls_ticket_hash(epoch, "name", n);
    memcpy(name, n, 16);
    tls_ticket_hash(epoch, "aes", aes);
    tls_ticket_hash(epoch, "mac", mac);
}

struct tls_tkey {
    uint64_t epoch;
    bool set;
    unsigned char name[16], aes[32], mac[32];
};

/* Each worker thread's two most recent keys: no lock on the handshake path. */
static __thread struct tls_tkey tls_tkeys[2];

static const struct tls_tkey *
tls_tkey_get(uint64_t epoch)
{
    struct tls_tkey *k = &tls_tkeys[epoch & 1];

    if (!k->set || k->epoch != epoch) {
        tls_ticket_derive(epoch, k->name, k->aes, k->mac);
        k->epoch = epoch;
        k->set = true;
    }
    return k;
}

static int
tls_ticket_mac_init(EVP_MAC_CTX *hctx, const struct tls_tkey *k)
{
    OSSL_PARAM p[3];

    p[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)k->mac, 32);
    p[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    p[2] = OSSL_PARAM_construct_end();
    return EVP_MAC_CTX_set_params(hctx, p) == 1 ? 0 : -1;
}

/* OpenSSL's ticket callback: 1 = use this key, 2 = accepted but renew the ticket (an
 * older key), 0 = unknown key (full handshake), -1 = error. */
static int
tls_ticket_cb(SSL *s, unsigned char key_name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
              EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
    uint64_t epoch = (uint64_t)time(NULL) / TLS_TICKET_PERIOD_S;

    (void)s;
    if (enc) {
        const struct tls_tkey *k = tls_tkey_get(epoch);
        if (RAND_bytes(iv, 16) != 1 ||
            EVP_EncryptInit_ex(cctx, tls_ticket_cipher, NULL, k->aes, iv) != 1 ||
            tls_ticket_mac_init(hctx, k) < 0)
            return -1;
        memcpy(key_name, k->name, 16);
        return 1;
    }
    for (unsigned age = 0; age < 2 && epoch >= age; age++) {
        const struct tls_tkey *k = tls_tkey_get(epoch - age);
        if (memcmp(key_name, k->name, 16) != 0)
            continue;
        if (EVP_DecryptInit_ex(cctx, tls_ticket_cipher, NULL, k->aes, iv) != 1 ||
            tls_ticket_mac_init(hctx, k) < 0)
            return -1;
        return age == 0 ? 1 : 2;
    }
    return 0;
}

/* ---- contexts ---- */

static const char *
tls_errstr(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();

    ERR_clear_error();
    if (!e)
        snprintf(buf, len, "no detail from OpenSSL");
    else
        ERR_error_string_n(e, buf, len);
    return buf;
}

/* What stat(2) says of every certificate and key file, folded into one number: a
 * replaced file (new inode), a rewritten one (mtime, size) or a missing one changes it. */
static uint64_t
tls_files_sig(const struct edge_tls_conf *tc)
{
    uint64_t h = 1469598103934665603ULL;

    for (unsigned i = 0; i < 2 * tc->ncerts; i++) {
        const char *path = i & 1 ? tc->certs[i / 2].key : tc->certs[i / 2].cert;
        struct stat st;
        uint64_t v[4] = { 0, 0, 0, 0 };
        if (stat(path, &st) == 0) {
            v[0] = (uint64_t)st.st_ino;
            v[1] = (uint64_t)st.st_size;
            v[2] = (uint64_t)st.st_mtim.tv_sec;
            v[3] = (uint64_t)st.st_mtim.tv_nsec;
        }
        for (unsigned k = 0; k < 4; k++)
            h = (h ^ v[k]) * 1099511628211ULL;
    }
    return h;
}

bool
tls_listener_files_changed(const struct tls_listener *tl, const struct edge_tls_conf *tc)
{
    return tls_files_sig(tc) != tl->files_sig;
}

void
tls_listener_files_seen(struct tls_listener *tl, const struct edge_tls_conf *tc)
{
    tl->files_sig = tls_files_sig(tc);
}

/* The servername callback: moves the connection to the group covering its SNI. */
static int
tls_on_servername(SSL *s, int *alert, void *arg)
{
    struct tls_wctx *wc = arg;
    const char *host = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);

    (void)alert;
    /* Hook for tls-alpn-01 (the ACME client): a challenge certificate for host goes
     * here, before the regular choice. */
    if (!host || wc->tl->ngroups < 2)
        return SSL_TLSEXT_ERR_OK;
    unsigned g = tls_cert_pick(wc->tl->groups, wc->tl->ngroups, host);
    if (g != 0 && !SSL_set_SSL_CTX(s, wc->ctx[g]))
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    return SSL_TLSEXT_ERR_OK;
}

/* ALPN: the first of our protocols the client offers. None in common: the
 * no_application_protocol alert (RFC 7301 §3.2), as nginx sends. */
static int
tls_on_alpn(SSL *s, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
            unsigned inlen, void *arg)
{
    struct tls_listener *tl = arg;
    unsigned char *sel;

    if (tls_alpn01_select(s, in, inlen, out, outlen))
        return SSL_TLSEXT_ERR_OK;       /* an ACME validation: never reaches HTTP */
    if (SSL_select_next_proto(&sel, outlen, tl->alpn, tl->alpn_len, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *
tls_ctx_new(const struct edge_tls_conf *tc, struct tls_wctx *wc, const char *name,
            const unsigned *members, unsigned nmembers, char *err, size_t errlen)
{
    char why[200];
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    if (!ctx) {
        snprintf(err, errlen, "OpenSSL cannot make a context: %s", tls_errstr(why, sizeof(why)));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, tc->min_version == EDGE_TLS_1_3 ? TLS1_3_VERSION
                                                                       : TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                             SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* Buffers go back to the allocator while a connection idles (nginx does the same):
     * an idle TLS connection then holds only OpenSSL's state. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Whole records (and any that follow) in one recv(2), not a header and then a body:
     * one system call fewer per request. tls_recv() reads until OpenSSL wants the socket,
     * so nothing is left in OpenSSL's buffer behind the edge-triggered loop's back. */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_dh_auto(ctx, 1);
    if (SSL_CTX_set_cipher_list(ctx, tc->ciphers) != 1 ||
        SSL_CTX_set_ciphersuites(ctx, tc->ciphersuites) != 1) {
        snprintf(err, errlen, "listener \"%s\": ciphers: %s", name,
                 tls_errstr(why, sizeof(why)));
        goto fail;
    }
    for (unsigned i = 0; i < nmembers; i++) {
        const struct edge_tls_cert_conf *cc = &tc->certs[members[i]];
        if (SSL_CTX_use_certificate_chain_file(ctx, cc->cert) != 1) {
            snprintf(err, errlen, "listener \"%s\": certificate %s: %s", name, cc->cert,
                     tls_errstr(why, sizeof(why)));
            goto fail;
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, cc->key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            snprintf(err, errlen, "listener \"%s\": key %s: %s", name, cc->key,
                     tls_errstr(why, sizeof(why)));
            goto fail;
        }
    }
    /* Resumption: stateless tickets (one per handshake) under the shared keys, and the
     * shared session cache (tls_cache.c) for TLS 1.2 clients without tickets. */
    SSL_CTX_set_num_tickets(ctx, 1);
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, tls_ticket_cb);
    SSL_CTX_set_timeout(ctx, 2 * TLS_TICKET_PERIOD_S);
    tls_cache_attach(ctx);
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)name,
                                   (unsigned)(strlen(name) < 32 ? strlen(name) : 32));
    SSL_CTX_set_tlsext_servername_callback(ctx, tls_on_servername);
    SSL_CTX_set_tlsext_servername_arg(ctx, wc);
    SSL_CTX_set_alpn_select_cb(ctx, tls_on_alpn, wc->tl);
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* The ALPN list we offer: written order (or h2 first), h2 only with an HTTP/2 session.
 * The HTTP/2 session defines EDGE_HAVE_H2 in edge/session.h and then h2 is offered. */
static void
tls_alpn_build(struct tls_listener *tl, const struct edge_tls_conf *tc)
{
    unsigned want = tc->alpn ? tc->alpn : EDGE_ALPN_H2 | EDGE_ALPN_HTTP11;
    bool h2_first = tc->alpn ? tc->alpn_h2_first : true;
#ifndef EDGE_HAVE_H2
    want &= ~(unsigned)EDGE_ALPN_H2;
#endif
    unsigned char *p = tl->alpn;
    for (unsigned pass = 0; pass < 2; pass++) {
        bool h2 = (pass == 0) == h2_first;
        if (h2 && (want & EDGE_ALPN_H2)) {
            memcpy(p, "\x02h2", 3);
            p += 3;
        } else if (!h2 && (want & EDGE_ALPN_HTTP11)) {
            memcpy(p, "\x08http/1.1", 9);
            p += 9;
        }
    }
    tl->alpn_len = (unsigned)(p - tl->alpn);
}

struct tls_listener *
tls_listener_new(const struct edge_tls_conf *tc, const char *name, unsigned nworkers,
                 char *err, size_t errlen)
{
    pthread_once(&tls_once, tls_init_once);
    if (!tls_init_ok) {
        snprintf(err, errlen, "OpenSSL has no AES-256-CBC or no random numbers");
        return NULL;
    }
    struct tls_listener *tl = mem_alloc_or_exit(sizeof(*tl));
    unsigned group_of[16], ncerts = tc->ncerts;
    struct tls_cert_info infos[16];
    char why[256];

    memset(infos, 0, sizeof(infos));
    atomic_init(&tl->refs, 1);
    tl->files_sig = tls_files_sig(tc);
    tl->nworkers = nworkers;
    tls_alpn_build(tl, tc);
    /* Group the certificates by the names they cover; the first group is the default. */
    tl->groups = mem_alloc_or_exit((ncerts ? ncerts : 1) * sizeof(*tl->groups));
    for (unsigned i = 0; i < ncerts; i++) {
        if (tls_cert_inspect(tc->certs[i].cert, tc->certs[i].key, &infos[i], why,
                             sizeof(why)) < 0) {
            snprintf(err, errlen, "listener \"%s\": %s", name, why);
            goto fail;
        }
        unsigned g = 0;
        while (g < tl->ngroups && !tls_cert_same_names(&tl->groups[g], &infos[i]))
            g++;
        if (g == tl->ngroups) {
            tl->groups[g] = infos[i];
            memset(&infos[i], 0, sizeof(infos[i]));   /* moved */
            tl->ngroups++;
        }
        group_of[i] = g;
    }
    if (!tl->ngroups) {
        /* acme alone, before its first certificate: the ACME client installs one; until
         * then handshakes fail for want of a certificate. */
        tl->ngroups = 1;
    }
    tl->w = mem_alloc_or_exit(nworkers * sizeof(*tl->w));
    for (unsigned w = 0; w < nworkers; w++) {
        struct tls_wctx *wc = &tl->w[w];
        wc->tl = tl;
        wc->ctx = mem_alloc_or_exit(tl->ngroups * sizeof(*wc->ctx));
        for (unsigned g = 0; g < tl->ngroups; g++) {
            unsigned members[16], n = 0;
            for (unsigned i = 0; i < ncerts; i++)
                if (group_of[i] == g)
                    members[n++] = i;
            if (!(wc->ctx[g] = tls_ctx_new(tc, wc, name, members, n, err, errlen)))
                goto fail;
        }
    }
    for (unsigned i = 0; i < ncerts; i++)
        tls_cert_info_fini(&infos[i]);
    return tl;
fail:
    for (unsigned i = 0; i < ncerts; i++)
        tls_cert_info_fini(&infos[i]);
    tls_listener_release(tl);
    return NULL;
}

struct tls_listener *
tls_listener_ref(struct tls_listener *tl)
{
    atomic_fetch_add_explicit(&tl->refs, 1, memory_order_relaxed);
    return tl;
}

void
tls_listener_release(struct tls_listener *tl)
{
    if (!tl || atomic_fetch_sub_explicit(&tl->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (unsigned w = 0; tl->w && w < tl->nworkers; w++) {
        for (unsigned g = 0; tl->w[w].ctx && g < tl->ngroups; g++)
            SSL_CTX_free(tl->w[w].ctx[g]);      /* NULL is fine; live SSLs keep theirs */
        free(tl->w[w].ctx);
    }
    free(tl->w);
    for (unsigned g = 0; tl->groups && g < tl->ngroups; g++)
        tls_cert_info_fini(&tl->groups[g]);
    free(tl->groups);
    free(tl);
}

int
tls_conn_start(struct conn *c, struct tls_listener *tl, unsigned worker)
{
    SSL *s = SSL_new(tl->w[worker % tl->nworkers].ctx[0]);

    if (!s)
        return -ENOMEM;
    if (SSL_set_fd(s, c->io.fd) != 1) {
        SSL_free(s);
        return -ENOMEM;
    }
    SSL_set_accept_state(s);
    SSL_set_app_data(s, tls_listener_ref(tl));  /* its callbacks' argument lives on */
    c->tls = s;
    c->tp = CONN_TP_TLS;
    c->tp_flags = 0;
    return 0;
}

const char *
tls_conn_alpn(const struct conn *c)
{
    static __thread char proto[16];
    const unsigned char *p;
    unsigned len;

    if (c->tp != CONN_TP_TLS || !c->tls)
        return NULL;
    SSL_get0_alpn_selected(c->tls, &p, &len);
    if (!len || len >= sizeof(proto))
        return NULL;
    memcpy(proto, p, len);
    proto[len] = '\0';
    return proto;
}

/* ---- transport ---- */

/* Plain HTTP on a TLS listener: a clear answer in clear text, then a graceful close (the
 * rest of the request is read and dropped so that the answer is not lost to a reset). */
static void
tls_answer_plain_http(struct conn *c)
{
    static const char body[] =
        "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title>"
        "</head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n"
        "<center>The plain HTTP request was sent to HTTPS port: use https://</center>\r\n"
        "<hr><center>tierd</center>\r\n</body>\r\n</html>\r\n";

    tls_conn_free(c);
    c->tp = CONN_TP_PLAIN;
    c->close_after = true;
    buf_printf(&c->out, "HTTP/1.1 400 Bad Request\r\nServer: tierd\r\nContent-Type: text/html\r\n"
               "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", sizeof(body) - 1, body);
    c->wr_ready = true;
    conn_linger(c);
}

static void
tls_count(struct conn *c, enum stats_tls what)
{
    if (c->lstat != STATS_NONE)
        stats_add(&c->w->stats.l[c->lstat]->tls[what], 1);
}

static bool
tls_on_ready(struct conn *c, unsigned events)
{
    SSL *s = c->tls;

    if (!s)
        return true;
    if (!(c->tp_flags & TLS_HS_DONE)) {
        ERR_clear_error();
        int r = SSL_do_handshake(s);
        if (r == 1) {
            c->tp_flags |= TLS_HS_DONE;
            if (tls_alpn01_chosen(s)) {     /* RFC 8737 §3: nothing follows the handshake */
                conn_close(c);
                return false;
            }
            tls_count(c, SSL_session_reused(s) ? STATS_TLS_RESUMED : STATS_TLS_FULL);
            /* Application data may already sit in OpenSSL's buffer or the socket. */
            c->rd_ready = true;
            /* With ALPN h2, the connection's session becomes h2's (it reads the preface). */
            const unsigned char *ap;
            unsigned alen;
            SSL_get0_alpn_selected(s, &ap, &alen);
            if (alen == 2 && memcmp(ap, "h2", 2) == 0)
                c->sess = CONN_SESS_H2;
            return true;
        }
        int e = SSL_get_error(s, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return false;
        unsigned long err = ERR_peek_error();
        if (ERR_GET_LIB(err) == ERR_LIB_SSL && ERR_GET_REASON(err) == SSL_R_HTTP_REQUEST) {
            ERR_clear_error();
            log_debug("edge", "plain HTTP request on a TLS listener peer_port=%u",
                      c->peer_port);
            tls_answer_plain_http(c);
            return false;
        }
        /* A connection closed before or during its handshake with no TLS error (a TCP
         * probe, a client that gave up) is not a failed handshake. */
        if (err)
            tls_count(c, STATS_TLS_FAILED);
        if (log_min_level <= LOG_DEBUG) {
            char why[160];
            log_debug("edge", "TLS handshake failed peer_port=%u err=\"%s\"", c->peer_port,
                      tls_errstr(why, sizeof(why)));
        }
        ERR_clear_error();
        conn_close(c);
        return false;
    }
    if ((events & LOOP_WRITE) && (c->tp_flags & TLS_RD_WANTS_WRITE)) {
        c->tp_flags &= (uint8_t)~TLS_RD_WANTS_WRITE;
        c->rd_ready = true;
    }
    if ((events & LOOP_READ) && (c->tp_flags & TLS_WR_WANTS_READ)) {
        c->tp_flags &= (uint8_t)~TLS_WR_WANTS_READ;
        c->wr_ready = true;
    }
    return true;
}

static ssize_t
tls_recv(struct conn *c, void *p, size_t len)
{
    SSL *s = c->tls;
    size_t got = 0;

    if (!(c->tp_flags & TLS_HS_DONE)) {
        errno = EAGAIN;
        return -1;
    }
    ERR_clear_error();          /* SSL_get_error() reads the queue: start it empty */
    while (got < len) {
        size_t n;
        if (SSL_read_ex(s, (char *)p + got, len - got, &n) == 1) {
            got += n;
            continue;
        }
        int e = SSL_get_error(s, 0);
        if (e == SSL_ERROR_WANT_READ)
            break;
        if (e == SSL_ERROR_WANT_WRITE) {
            c->tp_flags |= TLS_RD_WANTS_WRITE;
            break;
        }
        if (got)
            return (ssize_t)got;    /* the error (sticky) comes back on the next call */
        ERR_clear_error();
        if (e == SSL_ERROR_ZERO_RETURN)
            return 0;
        errno = ECONNRESET;
        return -1;
    }
    if (got)
        return (ssize_t)got;
    errno = EAGAIN;
    return -1;
}

static ssize_t
tls_send(struct conn *c, const void *p, size_t len)
{
    SSL *s = c->tls;
    size_t put = 0;

    if (!(c->tp_flags & TLS_HS_DONE)) {
        errno = EAGAIN;
        return -1;
    }
    ERR_clear_error();
    while (put < len) {
        size_t n;
        if (SSL_write_ex(s, (const char *)p + put, len - put, &n) == 1) {
            put += n;
            continue;
        }
        int e = SSL_get_error(s, 0);
        if (e == SSL_ERROR_WANT_WRITE)
            break;
        if (e == SSL_ERROR_WANT_READ) {
            c->tp_flags |= TLS_WR_WANTS_READ;
            break;
        }
        ERR_clear_error();
        if (put)
            return (ssize_t)put;
        errno = EPIPE;
        return -1;
    }
    if (put)
        return (ssize_t)put;
    errno = EAGAIN;
    return -1;
}

/* Static files: read and SSL_write one record at a time. When OpenSSL keeps a record
 * it could not send, *off stays before it, and the retry reads the same bytes again, as
 * SSL_write wants (the file does not change under a response: static.c checks its size). */
static ssize_t
tls_sendfile(struct conn *c, int fd, off_t *off, size_t len)
{
    static __thread char chunk[TLS_FILE_CHUNK_BYTES];
    size_t sent = 0;

    while (sent < len) {
        size_t want = len - sent < sizeof(chunk) ? len - sent : sizeof(chunk);
        ssize_t n = pread(fd, chunk, want, *off);
        if (n <= 0) {
            if (sent)
                break;
            return n;
        }
        ssize_t w = tls_send(c, chunk, (size_t)n);
        if (w <= 0) {
            if (sent)
                break;
            return w;
        }
        *off += w;
        sent += (size_t)w;
        if (w < n)
            break;
    }
    return (ssize_t)sent;
}

static void
tls_shutdown_wr(struct conn *c)
{
    if (c->tls && (c->tp_flags & TLS_HS_DONE)) {
        ERR_clear_error();
        SSL_shutdown(c->tls);       /* close_notify; its answer is not awaited */
        ERR_clear_error();
    }
    shutdown(c->io.fd, SHUT_WR);
}

/* Frees a connection's SSL and its reference on the listener's contexts. */
static void
tls_conn_free(struct conn *c)
{
    SSL *s = c->tls;

    if (!s)
        return;
    struct tls_listener *tl = SSL_get_app_data(s);
    SSL_free(s);
    c->tls = NULL;
    tls_listener_release(tl);
}

static void
tls_close(struct conn *c)
{
    tls_conn_free(c);
}

const struct transport_ops tls_transport = {
    .name = "tls",
    .recv = tls_recv,
    .send = tls_send,
    .sendfile = tls_sendfile,
    .shutdown_wr = tls_shutdown_wr,
    .on_ready = tls_on_ready,
    .close = tls_close,
};
