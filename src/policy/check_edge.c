/*
 * policy/check_edge.c: rules on what the edge exposes: plain-HTTP listeners (TD-EDGE-001),
 * the access log (005), the shield on public listeners (007, 008, 009, 011, 012, 013),
 * edge timeouts and limits (015), the control API's TCP address and token (TD-NET-010,
 * 011), and TLS: old versions and weak ciphers (002), no redirect from port 80 (016), no
 * HSTS (017), a private key others may read (018).
 * A "public" address is anything but loopback: wildcards and private addresses count,
 * because the checker cannot see the network (a listener that is really internal carries
 * a skip comment saying so). Each rule judges only what validation lets through: what it
 * refuses (a shield mode "off", ban: 0s, a "*" CIDR) is not judged a second time here.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "edge/edge_conf.h"
#include "policy/internal.h"

#define RES_MAX 192

static void
listener_res(const struct conf_node *l, unsigned i, char *buf, size_t cap)
{
    const char *name = inspect_str(conf_key_get(l, EK(EK_L_NAME)));

    if (name)
        snprintf(buf, cap, "%s.%s", EK(EK_LISTENERS)->path, name);
    else
        snprintf(buf, cap, "%s[%u]", EK(EK_LISTENERS)->path, i);
}

static bool
listener_is_public(const struct conf_node *l)
{
    return inspect_addr_is_public(inspect_str(conf_key_get(l, EK(EK_L_ADDRESS))));
}

static bool
any_public_listener(const struct conf_node *root)
{
    const struct conf_node *ls = conf_key_get(root, EK(EK_LISTENERS));

    for (unsigned i = 0; i < inspect_nseq(ls); i++)
        if (listener_is_public(ls->items[i]))
            return true;
    return false;
}

/* A listener whose every rule redirects to https: it serves nothing in clear text. */
static bool
listener_redirects_https(const struct conf_node *l)
{
    const struct conf_node *rules = conf_key_get(l, EK(EK_L_RULES));

    if (!inspect_nseq(rules))
        return false;
    for (unsigned i = 0; i < rules->n; i++) {
        const struct conf_node *rd = conf_key_get(rules->items[i], EK(EK_R_REDIRECT));
        if (!inspect_str_eq(conf_key_get(rd, EK(EK_RD_SCHEME)), "https"))
            return false;
    }
    return true;
}

static bool
listener_has_tls(const struct conf_node *l)
{
    return conf_key_get(l, EK(EK_L_TLS)) != NULL;
}

void
check_edge_plain_http(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *ls = conf_key_get(root, EK(EK_LISTENERS));
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nseq(ls); i++) {
        const struct conf_node *l = ls->items[i];
        const char *addr = inspect_str(conf_key_get(l, EK(EK_L_ADDRESS)));
        const struct conf_node *at = conf_key_node(l, EK(EK_L_ADDRESS));
        if (!addr)
            continue;
        listener_res(l, i, res, sizeof(res));
        if (!inspect_addr_is_public(addr) || listener_has_tls(l) || listener_redirects_https(l))
            policy_pass(cx, at, res);
        else
            policy_fail(cx, at, POLICY_HIGH, res,
                        "%s serves plain HTTP on the public address %s", res, addr);
    }
}

/* The port of "host:port", or 0. */
static unsigned
addr_port(const char *addr)
{
    const char *c = addr ? strrchr(addr, ':') : NULL;

    return c ? (unsigned)strtoul(c + 1, NULL, 10) : 0;
}

/* TD-EDGE-016: a public TLS listener, and nothing on port 80 that sends a browser typing
 * the bare name (http:// by default) to it. */
void
check_edge_no_http_redirect(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *ls = conf_key_get(root, EK(EK_LISTENERS));
    bool redirect80 = false;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nseq(ls); i++) {
        const struct conf_node *l = ls->items[i];
        const char *addr = inspect_str(conf_key_get(l, EK(EK_L_ADDRESS)));
        if (addr && inspect_addr_is_public(addr) && addr_port(addr) == 80 && !listener_has_tls(l) &&
            listener_redirects_https(l))
            redirect80 = true;
    }
    for (unsigned i = 0; i < inspect_nseq(ls); i++) {
        const struct conf_node *l = ls->items[i];
        if (!listener_has_tls(l) || !listener_is_public(l))
            continue;
        listener_res(l, i, res, sizeof(res));
        if (redirect80)
            policy_pass(cx, conf_key_node(l, EK(EK_L_TLS)), res);
        else
            policy_fail(cx, conf_key_node(l, EK(EK_L_TLS)), POLICY_MEDIUM, res,
                        "%s speaks HTTPS but no public listener on port 80 redirects to it: "
                        "http://<name> finds nothing, or a plain site", res);
    }
}

/* TD-EDGE-017: a public TLS listener without HSTS, or with max_age 0. */
void
check_edge_no_hsts(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *ls = conf_key_get(root, EK(EK_LISTENERS));
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nseq(ls); i++) {
        const struct conf_node *l = ls->items[i], *tls = conf_key_get(l, EK(EK_L_TLS));
        if (!tls || !listener_is_public(l))
            continue;
        listener_res(l, i, res, sizeof(res));
        const struct conf_node *hsts = conf_key_get(tls, EK(EK_TLS_HSTS));
        uint64_t ms;
        if (!conf_key_node(tls, EK(EK_TLS_HSTS)))
            policy_fail(cx, conf_key_node(l, EK(EK_L_TLS)), POLICY_MEDIUM, res,
                        "%s sends no Strict-Transport-Security: a first visit over http:// "
                        "can be intercepted", res);
        else if (inspect_key_ms(hsts, EK(EK_HSTS_MAX_AGE), &ms) == 0 && ms < 86400000ULL)
            policy_fail(cx, inspect_key_or(hsts, EK(EK_HSTS_MAX_AGE),
                                           conf_key_node(tls, EK(EK_TLS_HSTS))),
                        POLICY_MEDIUM, res, "%s: hsts.max_age is below one day, so browsers "
                        "forget it at once", res);
        else
            policy_pass(cx, conf_key_node(tls, EK(EK_TLS_HSTS)), res);
    }
}

/* TD-EDGE-018: a private key file that other users may read (or write). Reads the file
 * system, as validation does for the certificates. */
void
check_edge_key_perms(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *ls = conf_key_get(root, EK(EK_LISTENERS));
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nseq(ls); i++) {
        const struct conf_node *l = ls->items[i], *tls = conf_key_get(l, EK(EK_L_TLS));
        const struct conf_node *certs = conf_key_get(tls, EK(EK_TLS_CERTS));
        for (unsigned j = 0; j < inspect_nseq(certs); j++) {
            const struct conf_node *kn = conf_key_get(certs->items[j], EK(EK_TLS_C_KEY));
            const char *key = inspect_str(kn);
            struct stat st;
            if (!key || stat(key, &st) < 0)
                continue;
            listener_res(l, i, res, sizeof(res));
            if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP))
                policy_fail(cx, kn, POLICY_HIGH, res, "%s: key file %s has mode %04o: other "
                            "users can read or change the private key", res, key,
                            (unsigned)(st.st_mode & 07777));
            else
                policy_pass(cx, kn, res);
        }
    }
}

static bool
version_is_old(const char *v)
{
    if (strncasecmp(v, "tlsv", 4) == 0)
        v += 4;
    else if (strncasecmp(v, "tls", 3) == 0)
        v += 3;
    while (*v == ' ' || *v == '_')
        v++;
    return strcmp(v, "1") == 0 || strcmp(v, "1.0") == 0 || strcmp(v, "1.1") == 0 ||
           strcmp(v, "1_0") == 0 || strcmp(v, "1_1") == 0 || strncasecmp(v, "ssl", 3) == 0;
}

/* CBC, static-RSA key exchange, 3DES and the like, by IANA or OpenSSL name. */
static bool
cipher_is_weak(const char *c)
{
    static const char *const bad[] = { "CBC", "DES", "RC4", "NULL", "EXPORT", "MD5", "anon",
                                       NULL };
    bool aead = strcasestr(c, "GCM") || strcasestr(c, "CHACHA20") || strcasestr(c, "CCM");

    for (const char *const *b = bad; *b; b++)
        if (strcasestr(c, *b))
            return true;
    if (strncasecmp(c, "TLS_AES_", 8) == 0 || strncasecmp(c, "TLS_CHACHA20_", 13) == 0)
        return false;                   /* TLS 1.3 suites */
    if (strncasecmp(c, "TLS_ECDHE_", 10) == 0 || strncasecmp(c, "TLS_DHE_", 8) == 0 ||
        strncasecmp(c, "ECDHE-", 6) == 0 || strncasecmp(c, "DHE-", 4) == 0)
        return !aead;                   /* forward secret, but SHA1/SHA256 suffixes are CBC */
    return true;                        /* TLS_RSA_*, AES128-GCM-SHA256: static RSA */
}

static const char *
weak_cipher(const struct conf_node *ciphers, char *buf, size_t cap)
{
    if (ciphers && ciphers->kind == CONF_SEQ) {
        for (unsigned i = 0; i < ciphers->n; i++) {
            const char *c = inspect_str(ciphers->items[i]);
            if (c && cipher_is_weak(c))
                return c;
        }
        return NULL;
    }
    const char *s = inspect_str(ciphers);
    while (s && *s) {                   /* "A:B:C" or "A,B,C" */
        size_t n = strcspn(s, ":, ");
        if (n > 0 && n < cap) {
            memcpy(buf, s, n);
            buf[n] = '\0';
            if (buf[0] != '!' && buf[0] != '-' && cipher_is_weak(buf))
                return buf;
        }
        s += n;
        s += strspn(s, ":, ");
    }
    return NULL;
}

/* TD-EDGE-002. min_version below 1.2 cannot load (validation refuses it); the test stays for
 * a file checked by an older or newer tierd. */
void
check_edge_weak_tls(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *ls = conf_key_get(root, EK(EK_LISTENERS));
    char res[RES_MAX], buf[128];

    for (unsigned i = 0; i < inspect_nseq(ls); i++) {
        const struct conf_node *l = ls->items[i], *tls = conf_key_get(l, EK(EK_L_TLS));
        if (!tls)
            continue;
        listener_res(l, i, res, sizeof(res));
        const char *minv = inspect_str(conf_key_get(tls, EK(EK_TLS_MIN_VERSION)));
        const char *weak = weak_cipher(conf_key_get(tls, EK(EK_TLS_CIPHERS)), buf, sizeof(buf));
        bool failed = false;
        if (minv && version_is_old(minv)) {
            policy_fail(cx, inspect_key(tls, "min_version"), POLICY_HIGH, res,
                        "%s accepts TLS %s; TLS 1.2 is the oldest version to accept", res,
                        minv);
            failed = true;
        }
        if (weak) {
            policy_fail(cx, inspect_key(tls, "ciphers"), POLICY_HIGH, res,
                        "%s enables the weak cipher suite %s", res, weak);
            failed = true;
        }
        if (!failed)
            policy_pass(cx, inspect_key(l, "tls"), res);
    }
}

void
check_edge_access_log(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_key *ak = EK(EK_ACCESS_LOG), *fk = EK(EK_AL_FORMAT);
    const struct conf_node *al = conf_key_get(root, ak);
    const char *path = inspect_str(conf_key_get(al, EK(EK_AL_PATH)));

    /* "off" is the path's special value (edge_conf.c); no entry names it. */
    if (!al || (path && strcmp(path, "off") == 0)) {
        policy_fail(cx, al ? conf_key_node(al, EK(EK_AL_PATH)) : root, POLICY_MEDIUM,
                    ak->path, "no access log: requests leave no trace to investigate");
    } else if (inspect_key_is(al, fk, EDGE_LOG_COMBINED)) {
        policy_fail(cx, inspect_key_or(al, fk, conf_key_node(root, ak)), POLICY_INFO, ak->path,
                    "the combined access-log format does not record the Host header; "
                    "format: json does");
    } else {
        policy_pass(cx, conf_key_node(root, ak), ak->path);
    }
}

void
check_edge_no_shield(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *ls = conf_key_get(root, EK(EK_LISTENERS));
    const struct conf_node *shield = conf_key_get(root, SK(SK_SHIELD));
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nseq(ls); i++) {
        const struct conf_node *l = ls->items[i];
        if (!listener_is_public(l))
            continue;
        listener_res(l, i, res, sizeof(res));
        /* A present shield is on: validation knows no mode or key that turns it off. */
        if (shield)
            policy_pass(cx, conf_key_node(l, EK(EK_L_ADDRESS)), res);
        else
            policy_fail(cx, conf_key_node(l, EK(EK_L_ADDRESS)), POLICY_HIGH, res,
                        "%s is public and the file has no shield section", res);
    }
}

void
check_edge_shield_count(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_key *sk = SK(SK_SHIELD);
    const struct conf_node *shield = conf_key_get(root, sk);

    if (!shield || shield->kind != CONF_MAP)
        return;
    /* The word is spelled here: enum shield_mode is in shield/internal.h, not for policy/. */
    if (inspect_str_eq(conf_key_get(shield, SK(SK_MODE)), "count") && any_public_listener(root))
        policy_fail(cx, conf_key_node(shield, SK(SK_MODE)), POLICY_MEDIUM, sk->path,
                    "the shield is in count mode (records, never blocks) while a public "
                    "listener exists");
    else
        policy_pass(cx, inspect_key_or(shield, SK(SK_MODE), conf_key_node(root, sk)),
                    sk->path);
}

void
check_edge_scanners_off(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_key *sck = SK(SK_SCANNERS);
    const struct conf_node *shield = conf_key_get(root, SK(SK_SHIELD));
    const struct conf_node *sc = conf_key_get(shield, sck);

    /* Validation keeps scanners a map and ban at 1s or more: only enabled can turn the
     * detectors off. */
    if (!shield || shield->kind != CONF_MAP)
        return;
    if (inspect_is_false(conf_key_get(sc, SK(SK_SC_ENABLED))))
        policy_fail(cx, conf_key_node(sc, SK(SK_SC_ENABLED)), POLICY_MEDIUM, sck->path,
                    "scanner detection is off");
    else
        policy_pass(cx, inspect_key_or(shield, sck, conf_key_node(root, SK(SK_SHIELD))),
                    sck->path);
}

static bool
path_looks_like_login(const char *p)
{
    static const char *const words[] = { "/login", "/signin", "/sign-in", "/sign_in", "/auth",
                                         "/oauth", "/token", "/session", NULL };

    for (const char *const *w = words; p && *w; w++)
        if (strcasestr(p, *w))
            return true;
    return false;
}

static bool
login_paths_cover(const struct conf_node *lp, const char *prefix)
{
    for (unsigned i = 0; i < inspect_nseq(lp); i++) {
        const char *p = inspect_str(lp->items[i]);
        if (p && (strncmp(prefix, p, strlen(p)) == 0 || strncmp(p, prefix, strlen(prefix)) == 0))
            return true;
    }
    return false;
}

/* Judged only when a shield exists: without one, TD-EDGE-007 is the finding. */
void
check_edge_login_paths(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_key *lpk = SK(SK_LOGIN_PATHS), *pk = EK(EK_M_PATH_PREFIX);
    const struct conf_node *shield = conf_key_get(root, SK(SK_SHIELD));
    const struct conf_node *lp = conf_key_get(shield, lpk);
    const struct conf_node *ls = conf_key_get(root, EK(EK_LISTENERS));
    char res[RES_MAX];

    if (!shield || shield->kind != CONF_MAP || !any_public_listener(root))
        return;
    if (inspect_nseq(lp) == 0)
        policy_fail(cx, inspect_key_or(shield, lpk, conf_key_node(root, SK(SK_SHIELD))),
                    POLICY_MEDIUM, lpk->path,
                    "shield.login_paths is empty while a public listener exists");
    else
        policy_pass(cx, conf_key_node(shield, lpk), lpk->path);
    for (unsigned i = 0; i < inspect_nseq(ls); i++) {
        const struct conf_node *l = ls->items[i], *rules = conf_key_get(l, EK(EK_L_RULES));
        if (!listener_is_public(l))
            continue;
        listener_res(l, i, res, sizeof(res));
        for (unsigned j = 0; j < inspect_nseq(rules); j++) {
            const struct conf_node *m = conf_key_get(rules->items[j], EK(EK_R_MATCH));
            const char *prefix = inspect_str(conf_key_get(m, pk));
            if (!path_looks_like_login(prefix) || inspect_nseq(lp) == 0)
                continue;
            if (login_paths_cover(lp, prefix))
                policy_pass(cx, conf_key_node(m, pk), res);
            else
                policy_fail(cx, conf_key_node(m, pk), POLICY_MEDIUM, res,
                            "%s routes the login-looking path %s, which shield.login_paths "
                            "does not cover", res, prefix);
        }
    }
}

void
check_edge_trusted_proxies(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_key *tpk = SK(SK_TRUSTED_PROXIES), *rk = SK(SK_RATE_KEY);
    const struct conf_node *shield = conf_key_get(root, SK(SK_SHIELD));
    const struct conf_node *tp = conf_key_get(shield, tpk);
    const struct conf_node *rl = conf_key_get(shield, SK(SK_RATE));
    bool failed = false;

    if (!shield || shield->kind != CONF_MAP)
        return;
    for (unsigned i = 0; i < inspect_nseq(tp); i++) {
        const char *s = inspect_str(tp->items[i]);
        struct inspect_cidr c;
        if (!s)
            continue;
        /* Validation accepts only addresses and CIDRs ("*" and "any" are errors). */
        if (inspect_cidr_parse(s, &c) == 0 &&
            (c.family == AF_INET ? c.prefix < 8 : c.prefix < 16)) {
            policy_fail(cx, tp->items[i], POLICY_HIGH, tpk->path,
                        "trusted_proxies holds %s: any client can name its own address", s);
            failed = true;
        }
    }
    /* As for count: enum shield_rate_key is in shield/internal.h. */
    if (inspect_str_eq(conf_key_get(rl, rk), "forwarded_ip") && inspect_nseq(tp) == 0) {
        policy_fail(cx, conf_key_node(rl, rk), POLICY_HIGH, SK(SK_RATE)->path,
                    "rate_limit.key is forwarded_ip but trusted_proxies is empty");
        failed = true;
    }
    if (!failed)
        policy_pass(cx, inspect_key_or(shield, tpk, conf_key_node(root, SK(SK_SHIELD))),
                    tpk->path);
}

void
check_edge_allow_all(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_key *ak = SK(SK_ALLOW);
    const struct conf_node *shield = conf_key_get(root, SK(SK_SHIELD));
    const struct conf_node *allow = conf_key_get(shield, ak);
    bool failed = false;

    if (!shield || shield->kind != CONF_MAP)
        return;
    for (unsigned i = 0; i < inspect_nseq(allow); i++) {
        const char *s = inspect_str(allow->items[i]);
        struct inspect_cidr c;
        if (!s)
            continue;
        if (inspect_cidr_parse(s, &c) == 0 && c.prefix == 0) {
            policy_fail(cx, allow->items[i], POLICY_HIGH, ak->path,
                        "shield.allow holds %s: nobody is ever limited or banned", s);
            failed = true;
        } else if (inspect_cidr_parse(s, &c) == 0 && !inspect_cidr_is_private(&c) &&
                   c.prefix < (c.family == AF_INET ? 16u : 32u)) {
            policy_fail(cx, allow->items[i], POLICY_MEDIUM, ak->path,
                        "shield.allow exempts the wide public range %s", s);
            failed = true;
        }
    }
    if (!failed)
        policy_pass(cx, inspect_key_or(shield, ak, conf_key_node(root, SK(SK_SHIELD))),
                    ak->path);
}

/*
 * TD-EDGE-015's ceilings: judgements, not the loader's bounds (which take any timeout above
 * 0 and header_bytes up to 1m). Past them a few slow or idle clients tie up connections
 * and memory (nginx's client timeouts are 60s). `max` is in the entry's unit (ms for a
 * duration, bytes for a size); max_text is how the message writes it.
 */
static const struct edge_ceiling {
    enum edge_key section, key;
    uint64_t max;
    enum policy_severity sev;
    const char *max_text;
} edge_ceilings[] = {
    { EK_TIMEOUTS, EK_T_CLIENT_HEADER, 60000, POLICY_MEDIUM, "60s" },
    { EK_TIMEOUTS, EK_T_CLIENT_BODY, 60000, POLICY_MEDIUM, "60s" },
    { EK_TIMEOUTS, EK_T_KEEPALIVE, 300000, POLICY_LOW, "300s" },
    { EK_TIMEOUTS, EK_T_TUNNEL, 86400000, POLICY_LOW, "24h" },
    { EK_LIMITS, EK_LIM_HEADER_BYTES, 65536, POLICY_LOW, "64k" },
};

/* One timeout or limit: fails above its ceiling. Validation already refuses 0 for a
 * timeout and caps edge.limits.headers at 256, so neither is judged here. */
static void
judge_limit(struct policy_ctx *cx, const struct conf_node *edge, const struct edge_ceiling *c)
{
    const struct conf_key *k = EK(c->key);
    const struct conf_node *map = conf_key_get(edge, EK(c->section));
    const struct conf_node *v = conf_key_get(map, k);
    uint64_t x;

    if (!inspect_str(v))
        return;
    if ((k->type == KT_SIZE ? inspect_size(v, &x) : inspect_duration_ms(v, &x)) < 0)
        return;
    if (x > c->max)
        policy_fail(cx, conf_key_node(map, k), c->sev, k->path, "%s is %s; keep it at most %s",
                    k->path, v->str, c->max_text);
    else
        policy_pass(cx, conf_key_node(map, k), k->path);
}

void
check_edge_timeouts(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *edge = conf_key_get(root, EK(EK_EDGE));
    unsigned before = cx->r->n;

    for (size_t i = 0; i < sizeof(edge_ceilings) / sizeof(edge_ceilings[0]); i++)
        judge_limit(cx, edge, &edge_ceilings[i]);
    if (cx->r->n == before)             /* every value at its default, which passes */
        policy_pass(cx, edge ? conf_key_node(root, EK(EK_EDGE)) : root, EK(EK_EDGE)->path);
}

void
check_edge_control_address(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *control = conf_key_get(root, CK(CK_CONTROL));
    const char *addr = inspect_str(conf_key_get(control, CK(CK_ADDRESS)));

    if (!addr)
        return;
    if (inspect_addr_is_public(addr))
        policy_fail(cx, conf_key_node(control, CK(CK_ADDRESS)), POLICY_HIGH,
                    CK(CK_CONTROL)->path,
                    "the control API listens on the non-loopback address %s", addr);
    else
        policy_pass(cx, conf_key_node(control, CK(CK_ADDRESS)), CK(CK_CONTROL)->path);
}

/* control.token (a literal or "${env:NAME}"): a literal is the key to the whole stack,
 * written where every reader of the file can copy it. */
void
check_edge_control_token(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *control = conf_key_get(root, CK(CK_CONTROL));
    const struct conf_node *ops = conf_key_get(control, CK(CK_TOKENS));
    const char *tok = inspect_str(conf_key_get(control, CK(CK_TOKEN)));

    if (tok && *tok && !inspect_is_env_ref(tok))
        policy_fail(cx, conf_key_node(control, CK(CK_TOKEN)), POLICY_HIGH, CK(CK_CONTROL)->path,
                    "control.token is written literally");
    else if (tok)
        policy_pass(cx, conf_key_node(control, CK(CK_TOKEN)), CK(CK_CONTROL)->path);
    /* Each operator's token of control.tokens alike. */
    for (unsigned i = 0; ops && ops->kind == CONF_MAP && i < ops->n; i++) {
        const char *t = inspect_str(ops->pairs[i].value);
        if (!t)
            continue;
        if (*t && !inspect_is_env_ref(t))
            policy_fail(cx, ops->pairs[i].key, POLICY_HIGH, CK(CK_CONTROL)->path,
                        "control.tokens.%s is written literally", ops->pairs[i].key->str);
        else
            policy_pass(cx, ops->pairs[i].key, CK(CK_CONTROL)->path);
    }
}
