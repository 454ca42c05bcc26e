/*
 * edge/tls_conf.c: reads a listener's `tls` block (certificates, acme, versions, ciphers,
 * alpn, hsts) and the `redirect` rule action into edge_conf structs, through the key table
 * of edge_keys.c, and checks what can be checked before serving: each key matches its
 * certificate, no certificate has expired, every literal host name a TLS listener routes
 * on is covered by a certificate or by acme. Certificate files are read through tls_cert.c;
 * this file opens no socket and builds no SSL_CTX (tls.c does, per worker).
 */
#include "edge/tls_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf/keys.h"
#include "conf/value.h"
#include "core/mem.h"
#include "edge/edge_conf_internal.h"
#include "edge/tls_cert.h"

#define K EDGE_K

/* check warns about a certificate that expires within this (Let's Encrypt renews at 30
 * days left, so 14 means renewal has failed for two weeks). */
#define TLS_CONF_EXPIRY_WARN_S (14 * 86400)

/* A DNS name as a certificate or ACME order carries it: labels of letters, digits and
 * '-', a leading "*." allowed when `wild`. */
static bool
tls_conf_dns_ok(const char *s, bool wild)
{
    size_t label = 0, n = strlen(s);

    if (n == 0 || n > 253)
        return false;
    if (wild && strncmp(s, "*.", 2) == 0)
        s += 2;
    for (; *s; s++) {
        if (*s == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                   (*s >= '0' && *s <= '9') || *s == '-') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0;
}

/* A block that must be a map with something in it: true when it is one (its unknown keys
 * reported); else false after one diagnostic (`empty` says what to write). */
static bool
tls_conf_block(const struct conf_node *n, enum edge_key id, const char *what, const char *empty,
               struct diag *d)
{
    if (conf_is_null(n)) {
        diag_at(d, n, "%s: %s", what, empty);
        return false;
    }
    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return false;
    edge_conf_check_map(n, id, what, d);
    return true;
}

/* Reads a list of scalars into a new NULL-terminated array of new strings (*n items). */
static char **
tls_conf_strings(const struct conf_node *list, const char *what, unsigned *n, struct diag *d)
{
    char **out;

    *n = 0;
    if (conf_expect(list, CONF_SEQ, what, d) < 0)
        return NULL;
    out = mem_alloc_or_exit((list->n + 1) * sizeof(*out));
    for (unsigned i = 0; i < list->n; i++) {
        const char *s;
        if (conf_string(list->items[i], &s, d) == 0)
            out[(*n)++] = mem_strdup_or_exit(s);
    }
    out[*n] = NULL;
    return out;
}

static void
tls_conf_read_acme(struct edge_tls_conf *t, const struct conf_node *root,
                   const struct conf_node *n, const char *what, struct diag *d)
{
    char awhat[192];
    const char *s;

    snprintf(awhat, sizeof(awhat), "%s: tls.acme", what);
    if (!tls_conf_block(n, EK_TLS_ACME, awhat, "needs at least the domains, like { email: "
                        "ops@example.com, domains: [example.com] }", d))
        return;

    struct edge_acme_conf *a = mem_alloc_or_exit(sizeof(*a));
    t->acme = a;
    if (conf_key_string(n, K(EK_ACME_EMAIL), &s, d) == 0) {
        const char *at = strchr(s, '@');
        if (!at || at == s || !tls_conf_dns_ok(at + 1, false))
            diag_at(d, conf_key_get(n, K(EK_ACME_EMAIL)), "%s: email \"%.80s\" is not an "
                    "address; write one like ops@example.com, or leave email out", awhat, s);
        else
            a->email = mem_strdup_or_exit(s);
    }
    const struct conf_node *dl = conf_key_get(n, K(EK_ACME_DOMAINS));
    if (dl) {
        a->domains = tls_conf_strings(dl, awhat, &a->ndomains, d);
        if (dl->kind == CONF_SEQ && dl->n == 0)
            diag_at(d, dl, "%s: domains is empty; list the names the certificate is for, "
                    "like [example.com, www.example.com]", awhat);
        if (dl->kind == CONF_SEQ && dl->n > K(EK_ACME_DOMAINS)->max)
            diag_at(d, dl, "%s: %u domains; a certificate holds at most %llu", awhat, dl->n,
                    (unsigned long long)K(EK_ACME_DOMAINS)->max);
        for (unsigned i = 0; i < a->ndomains; i++) {
            for (char *p = a->domains[i]; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p - 'A' + 'a');
            if (!tls_conf_dns_ok(a->domains[i], true))
                diag_at(d, dl->items[i], "%s: \"%.80s\" is not a domain name; write one like "
                        "shop.example (\"*.shop.example\" needs a DNS challenge, which tierd "
                        "does not do)", awhat, a->domains[i]);
            else if (a->domains[i][0] == '*')
                diag_at(d, dl->items[i], "%s: \"%.80s\": a wildcard name can only be validated "
                        "by a DNS challenge, which tierd does not do; list each name, or use "
                        "certificates: for a wildcard certificate", awhat, a->domains[i]);
        }
    }
    if (conf_key_string(n, K(EK_ACME_DIRECTORY), &s, d) == 0) {
        if (strncmp(s, "https://", 8) != 0)
            diag_at(d, conf_key_get(n, K(EK_ACME_DIRECTORY)), "%s: directory \"%.80s\" must "
                    "be an https:// URL (RFC 8555 §6.1), like %s", awhat, s,
                    EDGE_ACME_DIRECTORY_DEFAULT);
        a->directory = mem_strdup_or_exit(s);
    }
    if (conf_key_string(n, K(EK_ACME_CA_BUNDLE), &s, d) == 0)
        a->ca_bundle = mem_strdup_or_exit(s);
    int ch = conf_key_enum(n, K(EK_ACME_CHALLENGE), d);
    if (ch >= 0)
        a->challenge = (enum edge_acme_challenge)ch;

    /* Without a state_dir written in the file, account and certificates would live in a
     * default directory that a container or a new host does not keep: every restart
     * would issue again and soon meet the CA's rate limits. */
    const struct conf_node *sd = conf_map_get(root, "state_dir");
    if (!sd || sd->kind != CONF_SCALAR || conf_is_null(sd))
        diag_at(d, n, "%s: needs a top-level state_dir, where the account key and the "
                "certificates are kept across restarts (without it every restart would ask "
                "the CA again and hit its rate limits); add state_dir: /var/lib/tierd", awhat);
    else
        a->state_dir = mem_strdup_or_exit(sd->str);
}

static void
tls_conf_read_alpn(struct edge_tls_conf *t, const struct conf_node *n, const char *what,
                   struct diag *d)
{
    char awhat[192];

    snprintf(awhat, sizeof(awhat), "%s: tls.alpn", what);
    if (conf_expect(n, CONF_SEQ, awhat, d) < 0)
        return;
    if (n->n == 0) {
        diag_at(d, n, "%s: is empty; write [h2, http/1.1], or leave alpn out for that "
                "default", awhat);
        return;
    }
    for (unsigned i = 0; i < n->n; i++) {
        const char *s;
        if (conf_string(n->items[i], &s, d) < 0)
            continue;
        unsigned bit = strcmp(s, "h2") == 0 ? EDGE_ALPN_H2 :
                       strcmp(s, "http/1.1") == 0 ? EDGE_ALPN_HTTP11 : 0;
        if (!bit) {
            diag_at(d, n->items[i], "%s: \"%.40s\" is not a protocol tierd speaks; use h2 or "
                    "http/1.1", awhat, s);
            continue;
        }
        if (t->alpn & bit) {
            diag_at(d, n->items[i], "%s: \"%s\" is listed twice", awhat, s);
            continue;
        }
        if (bit == EDGE_ALPN_H2 && !t->alpn)
            t->alpn_h2_first = true;
        t->alpn |= bit;
    }
}

static void
tls_conf_read_hsts(struct edge_tls_conf *t, const struct conf_node *n, const char *what,
                   struct diag *d)
{
    char hwhat[192], v[96];

    snprintf(hwhat, sizeof(hwhat), "%s: tls.hsts", what);
    if (!conf_is_null(n) && conf_expect(n, CONF_MAP, hwhat, d) < 0)
        return;
    edge_conf_check_map(n, EK_TLS_HSTS, hwhat, d);
    t->hsts = true;
    conf_key_duration(n, K(EK_HSTS_MAX_AGE), &t->hsts_max_age_ms, d);
    conf_key_bool(n, K(EK_HSTS_INCLUDE_SUB), &t->hsts_include_subdomains, d);
    conf_key_bool(n, K(EK_HSTS_PRELOAD), &t->hsts_preload, d);
    /* The preload list refuses a site without these (hstspreload.org's requirements). */
    if (t->hsts_preload && (!t->hsts_include_subdomains || t->hsts_max_age_ms < 365 * 86400000ULL))
        diag_at(d, n, "%s: preload needs include_subdomains: true and max_age of at least 365d "
                "(the browsers' preload list refuses anything less)", hwhat);
    snprintf(v, sizeof(v), "max-age=%llu%s%s", (unsigned long long)(t->hsts_max_age_ms / 1000),
             t->hsts_include_subdomains ? "; includeSubDomains" : "",
             t->hsts_preload ? "; preload" : "");
    t->hsts_value = mem_strdup_or_exit(v);
}

/* Reads the certificate files and holds them to their keys and dates now, so that
 * `check` and a reload refuse what the handshake would fail on. */
static void
tls_conf_read_certs(struct edge_tls_conf *t, const struct conf_node *n, const char *what,
                    struct tls_cert_info *infos, struct diag *d)
{
    char cwhat[192];

    snprintf(cwhat, sizeof(cwhat), "%s: tls.certificates", what);
    if (conf_expect(n, CONF_SEQ, cwhat, d) < 0)
        return;
    if (n->n > K(EK_TLS_CERTS)->max) {
        diag_at(d, n, "%s: %u certificates; at most %llu per listener", cwhat, n->n,
                (unsigned long long)K(EK_TLS_CERTS)->max);
        return;
    }
    t->certs = mem_alloc_or_exit((n->n ? n->n : 1) * sizeof(*t->certs));
    for (unsigned i = 0; i < n->n; i++) {
        const struct conf_node *it = n->items[i];
        char iwhat[224], why[256];
        const char *cert, *key;

        snprintf(iwhat, sizeof(iwhat), "%s[%u]", cwhat, i);
        if (conf_expect(it, CONF_MAP, iwhat, d) < 0)
            continue;
        edge_conf_check_map(it, EK_TLS_CERTS, iwhat, d);
        if (conf_key_string(it, K(EK_TLS_C_CERT), &cert, d) < 0 ||
            conf_key_string(it, K(EK_TLS_C_KEY), &key, d) < 0)
            continue;
        struct edge_tls_cert_conf *cc = &t->certs[t->ncerts];
        cc->cert = mem_strdup_or_exit(cert);
        cc->key = mem_strdup_or_exit(key);
        struct tls_cert_info *ci = &infos[t->ncerts++];
        const struct conf_node *at = conf_key_get(it, K(EK_TLS_C_CERT));
        int rc = tls_cert_inspect(cert, key, ci, why, sizeof(why));
        if (rc == -EKEYREJECTED)
            at = conf_key_get(it, K(EK_TLS_C_KEY));
        if (rc < 0) {
            diag_at(d, at, "%s: %s", iwhat, why);
            continue;
        }
        time_t now = time(NULL);
        if (ci->not_after < now) {
            char when[32];
            struct tm tm;
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime_r(&ci->not_after, &tm));
            diag_at(d, at, "%s: certificate %.200s expired on %s; renew it (or use acme: to "
                    "have tierd renew it)", iwhat, cert, when);
        } else if (ci->not_after < now + TLS_CONF_EXPIRY_WARN_S) {
            char when[32];
            struct tm tm;
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime_r(&ci->not_after, &tm));
            diag_warn_at(d, at, "%s: certificate %.200s expires on %s, in less than 14 days; "
                         "renew it soon", iwhat, cert, when);
        }
        for (unsigned j = 0; j + 1 < t->ncerts; j++)
            if (infos[j].key_type == ci->key_type && tls_cert_same_names(&infos[j], ci))
                diag_at(d, at, "%s: certificate %.200s has the same names and key type as "
                        "certificates[%u], so it would never be chosen; keep one of them",
                        iwhat, cert, j);
    }
}

/* Every literal host a rule of this TLS listener matches should be covered by a
 * certificate or by acme, or its clients would get the default certificate and a name
 * mismatch. Patterns with wildcards cannot be judged and are left alone. */
static void
tls_conf_check_hosts(const struct edge_listener_conf *l, const struct conf_node *ln,
                     const struct tls_cert_info *infos, const char *what, struct diag *d)
{
    const struct edge_tls_conf *t = l->tls;
    const struct conf_node *rules = conf_map_get(ln, "rules");

    for (unsigned i = 0; i < l->nrules; i++) {
        const char *h = l->rules[i].match.host;
        if (!h || strpbrk(h, "*?[]:"))
            continue;
        bool covered = false;
        for (unsigned j = 0; j < t->ncerts && !covered; j++)
            covered = tls_cert_covers(&infos[j], h);
        for (unsigned j = 0; t->acme && j < t->acme->ndomains && !covered; j++)
            covered = strcasecmp(t->acme->domains[j], h) == 0;
        if (covered)
            continue;
        const struct conf_node *at = rules && rules->kind == CONF_SEQ && i < rules->n ?
                                     rules->items[i] : ln;
        const struct conf_node *m = conf_map_get(at, "match");
        if (m && conf_map_get(m, "host"))
            at = conf_map_get(m, "host");
        diag_at(d, at, "%s rule %u: host \"%.80s\" is not covered by any certificate of this "
                "listener%s; add a certificate for it%s", what, i + 1, h,
                t->acme ? " nor by acme.domains" : "",
                t->acme ? " or list it under acme.domains" : " or an acme: block with it in domains");
    }
}

int
tls_conf_read(struct edge_listener_conf *l, const struct conf_node *root,
              const struct conf_node *ln, const char *what, struct diag *d)
{
    const struct conf_node *n = edge_conf_raw(ln, EK_L_TLS);
    char twhat[160];
    const char *s;

    if (!n)
        return 0;
    snprintf(twhat, sizeof(twhat), "%s: tls", what);
    if (conf_is_null(n) || (n->kind == CONF_MAP && n->n == 0)) {
        diag_at(d, n, "%s: needs certificates or acme, like certificates: [{ cert: "
                "/etc/tierd/tls/site.pem, key: /etc/tierd/tls/site.key }]", twhat);
        return -EINVAL;
    }
    if (conf_expect(n, CONF_MAP, twhat, d) < 0)
        return -EINVAL;
    edge_conf_check_map(n, EK_L_TLS, twhat, d);

    struct edge_tls_conf *t = mem_alloc_or_exit(sizeof(*t));
    struct tls_cert_info infos[16];
    memset(infos, 0, sizeof(infos));
    l->tls = t;
    const struct conf_node *certs = edge_conf_raw(n, EK_TLS_CERTS);
    if (certs && !conf_is_null(certs))
        tls_conf_read_certs(t, certs, what, infos, d);
    const struct conf_node *acme = edge_conf_raw(n, EK_TLS_ACME);
    if (acme)
        tls_conf_read_acme(t, root, acme, what, d);
    if (!t->ncerts && !acme && (!certs || conf_is_null(certs) || certs->n == 0))
        diag_at(d, n, "%s: has no certificate; add certificates: [{ cert: ..., key: ... }] or "
                "an acme: block", twhat);

    int v = conf_key_enum(n, K(EK_TLS_MIN_VERSION), d);
    if (v >= 0)
        t->min_version = (enum edge_tls_version)v;
    char why[256];
    if (conf_key_string(n, K(EK_TLS_CIPHERS), &s, d) == 0) {
        t->ciphers = mem_strdup_or_exit(s);
        if (tls_cert_cipher_list_ok(s, false, why, sizeof(why)) < 0)
            diag_at(d, conf_key_get(n, K(EK_TLS_CIPHERS)), "%s: ciphers: %s", twhat, why);
    }
    if (conf_key_string(n, K(EK_TLS_CIPHERSUITES), &s, d) == 0) {
        t->ciphersuites = mem_strdup_or_exit(s);
        if (tls_cert_cipher_list_ok(s, true, why, sizeof(why)) < 0)
            diag_at(d, conf_key_get(n, K(EK_TLS_CIPHERSUITES)), "%s: ciphersuites: %s", twhat,
                    why);
    }
    const struct conf_node *alpn = conf_key_get(n, K(EK_TLS_ALPN));
    if (alpn)
        tls_conf_read_alpn(t, alpn, what, d);
    const struct conf_node *hsts = edge_conf_raw(n, EK_TLS_HSTS);
    if (hsts)
        tls_conf_read_hsts(t, hsts, what, d);
    tls_conf_check_hosts(l, ln, infos, what, d);
    for (unsigned i = 0; i < t->ncerts; i++)
        tls_cert_info_fini(&infos[i]);
    return 0;
}

/* The placeholders a redirect part may use, as ALB spells them. */
static bool
tls_conf_placeholders_ok(const char *s, const char **bad)
{
    static const char *const names[] = { "#{protocol}", "#{host}", "#{port}", "#{path}",
                                         "#{query}", NULL };

    for (const char *p = strstr(s, "#{"); p; p = strstr(p + 2, "#{")) {
        bool ok = false;
        for (unsigned i = 0; names[i] && !ok; i++)
            ok = strncmp(p, names[i], strlen(names[i])) == 0;
        if (!ok) {
            *bad = p;
            return false;
        }
    }
    return true;
}

/* Characters a URL may carry as written (RFC 3986), the placeholders' braces apart
 * (tls_conf_placeholders_ok() has checked each "#{" begins a placeholder). */
static bool
tls_conf_url_chars_ok(const char *s)
{
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '#' && p[1] == '{') {
            p = strchr(p, '}');
            if (!p)
                return false;
            continue;
        }
        if (ch <= 0x20 || ch >= 0x7f || strchr("\"<>\\^`{|}", ch))
            return false;
    }
    return true;
}

struct edge_redirect_conf *
tls_conf_read_redirect(const struct conf_node *n, const char *rwhat, struct diag *d)
{
    static const enum edge_key parts[] = { EK_RD_SCHEME, EK_RD_HOST, EK_RD_PORT, EK_RD_PATH,
                                           EK_RD_QUERY };
    char what[192];
    const char *s;

    snprintf(what, sizeof(what), "%s: redirect", rwhat);
    if (!tls_conf_block(n, EK_R_REDIRECT, what, "says nothing to change; write at least one "
                        "part, like { scheme: https, status: 301 }", d))
        return NULL;

    struct edge_redirect_conf *r = mem_alloc_or_exit(sizeof(*r));
    char **fields[] = { &r->scheme, &r->host, &r->port, &r->path, &r->query };
    for (unsigned i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        const struct conf_key *k = K(parts[i]);
        const char *bad;
        if (conf_key_string(n, k, &s, d) != 0)
            continue;
        const struct conf_node *at = conf_key_get(n, k);
        if (!tls_conf_placeholders_ok(s, &bad)) {
            diag_at(d, at, "%s: %s: \"%.30s\" is not a placeholder; use #{protocol}, #{host}, "
                    "#{port}, #{path} or #{query}", what, conf_key_leaf(k), bad);
            continue;
        }
        if (!tls_conf_url_chars_ok(s)) {
            diag_at(d, at, "%s: %s \"%.60s\" has a character a URL cannot carry (a space, "
                    "a control character, or one of \"<>\\^`{|}); percent-encode it", what,
                    conf_key_leaf(k), s);
            continue;
        }
        *fields[i] = mem_strdup_or_exit(s);
    }
    if (r->scheme) {
        for (char *p = r->scheme; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        if (strcmp(r->scheme, "http") != 0 && strcmp(r->scheme, "https") != 0 &&
            strcmp(r->scheme, "#{protocol}") != 0)
            diag_at(d, conf_key_get(n, K(EK_RD_SCHEME)), "%s: scheme \"%.30s\" must be http, "
                    "https or #{protocol}", what, r->scheme);
    }
    if (r->port && strcmp(r->port, "#{port}") != 0) {
        char *end;
        unsigned long p = strtoul(r->port, &end, 10);
        if (end == r->port || *end || p < 1 || p > 65535)
            diag_at(d, conf_key_get(n, K(EK_RD_PORT)), "%s: port \"%.30s\" must be a number "
                    "from 1 to 65535 or #{port}", what, r->port);
    }
    if (r->host && !r->host[0])
        diag_at(d, conf_key_get(n, K(EK_RD_HOST)), "%s: host is empty; leave it out to keep "
                "the request's host (#{host})", what);
    if (r->path && r->path[0] != '/')
        diag_at(d, conf_key_get(n, K(EK_RD_PATH)), "%s: path \"%.60s\" must start with '/' "
                "(as on ALB); write \"/%.60s\"", what, r->path, r->path);
    if (r->query && r->query[0] == '?')
        diag_at(d, conf_key_get(n, K(EK_RD_QUERY)), "%s: query is written without its '?' "
                "(as on ALB); write \"%.60s\"", what, r->query + 1);
    uint64_t st;
    if (conf_key_uint(n, K(EK_RD_STATUS), &st, d) == 0)
        r->status = (unsigned)st;
    /* ALB refuses a redirect that changes nothing: every request would loop. */
    if (r->scheme && r->host && r->path && r->query && strcmp(r->scheme, "#{protocol}") == 0 &&
        strcmp(r->host, "#{host}") == 0 && (!r->port || strcmp(r->port, "#{port}") == 0) &&
        strcmp(r->path, "/#{path}") == 0 && strcmp(r->query, "#{query}") == 0)
        diag_at(d, n, "%s: sends every request to the URL it asked for, a loop; change at "
                "least one part, like scheme: https", what);
    return r;
}

void
tls_conf_free_redirect(struct edge_redirect_conf *r)
{
    if (!r)
        return;
    free(r->scheme);
    free(r->host);
    free(r->port);
    free(r->path);
    free(r->query);
    free(r);
}

void
tls_conf_free(struct edge_tls_conf *t)
{
    if (!t)
        return;
    for (unsigned i = 0; i < t->ncerts; i++) {
        free(t->certs[i].cert);
        free(t->certs[i].key);
    }
    free(t->certs);
    if (t->acme) {
        free(t->acme->email);
        for (unsigned i = 0; i < t->acme->ndomains; i++)
            free(t->acme->domains[i]);
        free(t->acme->domains);
        free(t->acme->directory);
        free(t->acme->ca_bundle);
        free(t->acme->state_dir);
        free(t->acme);
    }
    free(t->ciphers);
    free(t->ciphersuites);
    free(t->hsts_value);
    free(t);
}
