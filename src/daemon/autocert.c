/*
 * daemon/autocert.c: listeners' tls.acme blocks to the ACME client's certificate list
 * (see autocert.h). Knows both struct edge_acme_conf and struct acme_cert_conf; neither
 * subsystem knows the other.
 */
#include "daemon/autocert.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acme/acme.h"
#include "core/log.h"
#include "core/mem.h"
#include "edge/edge_conf.h"

#define AUTOCERT_CERTS_MAX 16     /* what a TLS listener takes (docs/stack-file.md) */

static char *
dup_or_null(const char *s)
{
    return s ? mem_strdup_or_exit(s) : NULL;
}

/* Whether an earlier listener already asked for the same first domain. */
static bool
autocert_seen(const struct acme_conf *out, const struct edge_acme_conf *a)
{
    for (unsigned i = 0; i < out->n; i++)
        if (strcasecmp(out->certs[i].domains[0], a->domains[0]) == 0)
            return true;
    return false;
}

/* Whether a plain listener takes port 80, where CAs send http-01 validation. */
static bool
autocert_has_port80(const struct edge_conf *c)
{
    for (unsigned i = 0; i < c->nlisteners; i++)
        if (!c->listeners[i].tls && sock_addr_port(&c->listeners[i].addr) == 80)
            return true;
    return false;
}

struct acme_conf *
autocert_conf(const struct edge_conf *c)
{
    struct acme_conf *out = mem_alloc_or_exit(sizeof(*out));
    bool port80 = autocert_has_port80(c);

    out->certs = mem_alloc_or_exit((c->nlisteners + 1) * sizeof(*out->certs));
    for (unsigned i = 0; i < c->nlisteners; i++) {
        const struct edge_listener_conf *l = &c->listeners[i];
        const struct edge_acme_conf *a = l->tls ? l->tls->acme : NULL;
        if (!a || a->ndomains == 0 || autocert_seen(out, a))
            continue;
        struct acme_cert_conf *cc = &out->certs[out->n++];
        cc->listener = dup_or_null(l->name);
        for (unsigned k = 0; k < a->ndomains && k < ACME_DOMAINS_MAX; k++)
            cc->domains[cc->ndomains++] = mem_strdup_or_exit(a->domains[k]);
        cc->email = dup_or_null(a->email);
        cc->directory = dup_or_null(a->directory);
        cc->ca_bundle = dup_or_null(a->ca_bundle);
        cc->challenge = a->challenge == EDGE_ACME_TLS_ALPN_01 ? ACME_TLSALPN01 : ACME_HTTP01;
        /* Public CAs validate http-01 on port 80 only (RFC 8555 §8.3); a test CA may use
         * another port, so this is a warning, not an error. */
        if (cc->challenge == ACME_HTTP01 && !port80)
            log_warn("daemon", "listener %s: acme challenge http-01 needs a plain listener on "
                     "port 80 (the CA connects there); add one, or set challenge: tls-alpn-01",
                     l->name);
    }
    return out;
}

void
autocert_add_files(struct edge_conf *c, const char *state_dir, int64_t now_s)
{
    for (unsigned i = 0; i < c->nlisteners; i++) {
        struct edge_tls_conf *t = c->listeners[i].tls;
        char cert[ACME_PATH_MAX], key[ACME_PATH_MAX];

        if (!t || !t->acme || t->acme->ndomains == 0 ||
            !acme_cert_ready(state_dir, t->acme->domains, t->acme->ndomains, now_s, cert, key))
            continue;
        if (t->ncerts >= AUTOCERT_CERTS_MAX) {
            log_warn("daemon", "listener %s: %u certificates already; the acme one is left out",
                     c->listeners[i].name, t->ncerts);
            continue;
        }
        t->certs = mem_realloc_or_exit(t->certs, (t->ncerts + 1) * sizeof(*t->certs));
        t->certs[t->ncerts].cert = mem_strdup_or_exit(cert);
        t->certs[t->ncerts].key = mem_strdup_or_exit(key);
        t->ncerts++;
    }
}
