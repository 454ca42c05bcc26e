/*
 * edge/uptls.c: client TLS contexts for targets (uptls.h). Verification is OpenSSL's
 * chain check plus X509_VERIFY_PARAM host (or IP) matching; the handshake is driven by
 * the socket's readiness (upstream.c and health.c call uptls_handshake on each event).
 */
#include "edge/uptls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/mem.h"

struct uptls {
    struct uptls *next;         /* in its thread's list */
    SSL_CTX *ctx;
    SSL_SESSION *sess;          /* the last new session: offered on the next connection */
    char *sni;                  /* NULL: from the target */
    bool verify;
    uint64_t key;
};

int
uptls_ca_check(const char *path, char *why, size_t whylen)
{
    FILE *f = fopen(path, "r");
    unsigned n = 0;
    X509 *x;

    if (!f) {
        snprintf(why, whylen, "cannot read %.200s: %m; give a readable PEM file of CA "
                 "certificates", path);
        return -1;
    }
    while ((x = PEM_read_X509(f, NULL, NULL, NULL))) {
        X509_free(x);
        n++;
    }
    ERR_clear_error();
    fclose(f);
    if (n == 0) {
        snprintf(why, whylen, "%.200s holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\"); "
                 "give the CA certificate that signed the targets' certificates", path);
        return -1;
    }
    return 0;
}

static uint64_t
uptls_fnv(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL;
}

static uint64_t
uptls_conf_key(const struct edge_tg_tls_conf *tc)
{
    return uptls_fnv(uptls_fnv(uptls_fnv(14695981039346656037ULL, tc->ca), tc->sni),
                     tc->verify ? "v" : "-") | 1;
}

/* Keeps the newest session of the group (TLS 1.3 sends it after the handshake). */
static int
uptls_on_new_session(SSL *s, SSL_SESSION *sess)
{
    struct uptls *ut = SSL_CTX_get_app_data(SSL_get_SSL_CTX(s));

    if (!ut)
        return 0;               /* a pooled connection outlived its uptls (a reload) */
    if (ut->sess)
        SSL_SESSION_free(ut->sess);
    ut->sess = sess;
    return 1;                   /* the reference is ours */
}

struct uptls *
uptls_new(const struct edge_tg_conf *tg, char *err, size_t errlen)
{
    struct uptls *ut = calloc(1, sizeof(*ut));
    const struct edge_tg_tls_conf *tc = &tg->tls;

    if (!ut || !(ut->ctx = SSL_CTX_new(TLS_client_method()))) {
        snprintf(err, errlen, "out of memory");
        free(ut);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ut->ctx, TLS1_2_VERSION);
    /* A target that closes without close_notify ends a close-delimited body, as on TCP;
     * truncation is the framing's to find. */
    SSL_CTX_set_options(ut->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ut->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_app_data(ut->ctx, ut);
    SSL_CTX_set_session_cache_mode(ut->ctx, SSL_SESS_CACHE_CLIENT |
                                            SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ut->ctx, uptls_on_new_session);
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ut->ctx, alpn, sizeof(alpn) - 1);
    ut->verify = tc->verify;
    if (tc->verify) {
        int ok = tc->ca ? SSL_CTX_load_verify_locations(ut->ctx, tc->ca, NULL)
                        : SSL_CTX_set_default_verify_paths(ut->ctx);
        if (ok != 1) {
            snprintf(err, errlen, "target group %.60s: cannot load tls.ca %.200s", tg->name,
                     tc->ca ? tc->ca : "(system store)");
            ERR_clear_error();
            uptls_free(ut);
            return NULL;
        }
        SSL_CTX_set_verify(ut->ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ut->ctx, SSL_VERIFY_NONE, NULL);
    }
    ut->sni = tc->sni ? mem_strdup_or_exit(tc->sni) : NULL;
    ut->key = uptls_conf_key(tc);
    return ut;
}

struct uptls *
uptls_get(struct uptls **list, const struct edge_tg_conf *tg, char *err, size_t errlen)
{
    uint64_t key = uptls_conf_key(&tg->tls);

    for (struct uptls *ut = *list; ut; ut = ut->next)
        if (ut->key == key)
            return ut;
    struct uptls *ut = uptls_new(tg, err, errlen);
    if (ut) {
        ut->next = *list;
        *list = ut;
    }
    return ut;
}

void
uptls_list_free(struct uptls **list)
{
    while (*list) {
        struct uptls *next = (*list)->next;
        uptls_free(*list);
        *list = next;
    }
}

void
uptls_free(struct uptls *ut)
{
    if (!ut)
        return;
    if (ut->sess)
        SSL_SESSION_free(ut->sess);
    /* Pooled connections still hold the context: their sessions go nowhere now. */
    SSL_CTX_set_app_data(ut->ctx, NULL);
    SSL_CTX_free(ut->ctx);
    free(ut->sni);
    free(ut);
}

uint64_t
uptls_key(const struct uptls *ut)
{
    return ut->key;
}

SSL *
uptls_ssl_new(struct uptls *ut, int fd, const char *target_text)
{
    char host[256];
    const char *name = ut->sni;
    struct in6_addr a6;
    bool is_ip = false;
    SSL *s = SSL_new(ut->ctx);

    if (!s)
        return NULL;
    if (!name) {
        /* "host:port" or "[v6]:port": the host part. */
        const char *colon = strrchr(target_text, ':');
        size_t n = colon ? (size_t)(colon - target_text) : strlen(target_text);
        if (n && target_text[0] == '[' && target_text[n - 1] == ']') {
            target_text++;
            n -= 2;
        }
        snprintf(host, sizeof(host), "%.*s", (int)(n < sizeof(host) ? n : sizeof(host) - 1),
                 target_text);
        name = host;
        is_ip = inet_pton(AF_INET, host, &a6) == 1 || inet_pton(AF_INET6, host, &a6) == 1;
    }
    /* SNI carries host names only (RFC 6066 §3); an address is checked as an address. */
    if ((!is_ip && SSL_set_tlsext_host_name(s, name) != 1) || SSL_set_fd(s, fd) != 1)
        goto fail;
    if (ut->verify) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(s);
        X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if ((is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, name)
                   : X509_VERIFY_PARAM_set1_host(vp, name, 0)) != 1)
            goto fail;
    }
    if (ut->sess)
        SSL_set_session(s, ut->sess);
    SSL_set_connect_state(s);
    return s;
fail:
    ERR_clear_error();
    SSL_free(s);
    return NULL;
}

const char *
uptls_failure(SSL *s, bool *verify)
{
    long vr = SSL_get_verify_result(s);
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;

    *verify = vr != X509_V_OK;
    if (*verify)
        return X509_verify_cert_error_string(vr);
    return r ? r : "connection closed during the handshake";
}

void
uptls_error_text(SSL *s, char *why, size_t whylen)
{
    bool verify;
    const char *r = uptls_failure(s, &verify);

    snprintf(why, whylen, "%s%s", verify ? "certificate verify failed: " : "TLS: ", r);
    ERR_clear_error();
}

ssize_t
uptls_io_result(SSL *s, int rc, char *why, size_t whylen)
{
    if (rc > 0)
        return rc;
    switch (SSL_get_error(s, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (errno == 0 || errno == EAGAIN)
            errno = ECONNRESET;
        return -1;
    default:
        uptls_error_text(s, why, whylen);
        errno = EPROTO;
        return -1;
    }
}

int
uptls_handshake(SSL *s)
{
    int rc = SSL_do_handshake(s);

    if (rc == 1)
        return 1;
    switch (SSL_get_error(s, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return 0;
    default:
        return -1;
    }
}
