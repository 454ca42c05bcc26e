/*
 * shield/shield_conf.c: reads the stack file's `shield:` section into a struct shield_conf
 * through the key table (shield_keys.c: names, defaults, bounds), reporting every problem
 * against its node (file:line:col), the way edge_conf.c does. CIDRs are parsed strictly: a
 * length out of range or host bits set is an error that names the value and, for host bits,
 * the network that was probably meant. It validates and builds lookup sets; it opens nothing.
 */
#include "shield/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/keys.h"
#include "conf/ref.h"
#include "conf/value.h"
#include "core/err.h"
#include "core/mem.h"
#include "shield/geo.h"
#include "shield/shield_keys.h"

#define SHIELD_CONF_PATH_MAX 256

#define K(id) (&shield_keys[id])

static void shield_conf_read_settings(struct shield_conf *c, const struct conf_node *sh,
                                      struct diag *d);

struct shield_conf *
shield_conf_new_off(void)
{
    struct shield_conf *c = mem_alloc_or_exit(sizeof(*c));
    struct diag d;

    c->login_paths = mem_alloc_or_exit(sizeof(char *));
    detect_params_default(&c->detect);
    c->detect.login_paths = (const char *const *)c->login_paths;
    /* Every setting from its table default: the same values `shield: {}` gets. */
    diag_init(&d);
    shield_conf_read_settings(c, NULL, &d);
    BUG_ON(diag_count(&d) != 0);
    diag_fini(&d);
    return c;
}

void
shield_conf_free(struct shield_conf *c)
{
    if (!c)
        return;
    cidrset_free(c->firewall);
    cidrset_free(c->trusted);
    geo_conf_fini(c);
    for (unsigned i = 0; i < c->nlogin; i++)
        free(c->login_paths[i]);
    free(c->login_paths);
    free(c->nft_table);
    free(c->nft_set);
    free(c->cs_url);
    free(c->cs_api_key);
    free(c->cs_login);
    free(c->cs_password);
    free(c);
}

uint64_t
shield_conf_ban_ms(const struct shield_conf *c, unsigned n)
{
    uint64_t ms = c->ban_ms;

    for (unsigned i = 0; i < n && ms < c->max_ban_ms; i++)
        ms *= c->repeat_ban_factor ? c->repeat_ban_factor : 1;
    return ms < c->max_ban_ms ? ms : c->max_ban_ms;
}

/* The map or list of entry `id` in `parent` (which may be NULL), or NULL when absent or
 * written as null; anything else than `kind` is reported. */
static const struct conf_node *
shield_conf_section(const struct conf_node *parent, enum shield_key id, enum conf_kind kind,
                    struct diag *d)
{
    const struct conf_node *n = conf_key_get(parent, K(id));

    if (!n || conf_expect(n, kind, K(id)->path, d) < 0)
        return NULL;
    return n;
}

/* Values that read without a diagnostic, for the checks finer than an entry's bounds (a
 * set of allowed values): the caller reports the value; a value that does not read is left
 * to the conf_key_* reader, which says why. */
static bool
shield_conf_peek_duration(const struct conf_node *n, uint64_t *v)
{
    return n && n->kind == CONF_SCALAR && conf_parse_duration_ms(n->str, v) == 0;
}

/* Decimal digits as conf_uint() reads them (leading zeros included), without its bounds. */
static bool
shield_conf_peek_uint(const struct conf_node *n, uint64_t *v)
{
    uint64_t x = 0;

    if (!n || n->kind != CONF_SCALAR || !n->str[0])
        return false;
    for (const char *s = n->str; *s; s++) {
        if (*s < '0' || *s > '9' || x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return false;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    *v = x;
    return true;
}

struct shield_conf_cidrs {
    struct cidr *c;
    int *v;
    const struct conf_node **at;
    size_t n, cap;
};

static void
shield_conf_cidrs_add(struct shield_conf_cidrs *a, const struct cidr *c, int v,
                      const struct conf_node *at)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->c = mem_realloc_or_exit(a->c, a->cap * sizeof(*a->c));
        a->v = mem_realloc_or_exit(a->v, a->cap * sizeof(*a->v));
        a->at = mem_realloc_or_exit(a->at, a->cap * sizeof(*a->at));
    }
    a->c[a->n] = *c;
    a->v[a->n] = v;
    a->at[a->n] = at;
    a->n++;
}

static void
shield_conf_cidrs_fini(struct shield_conf_cidrs *a)
{
    free(a->c);
    free(a->v);
    free(a->at);
}

/* Reads a list of CIDRs (or single addresses) into a, with value v. Returns the count. */
static unsigned
shield_conf_read_cidrs(const struct conf_node *sh, enum shield_key id, int v,
                       struct shield_conf_cidrs *a, struct diag *d)
{
    const char *what = K(id)->path;
    const struct conf_node *list;
    char why[160];
    unsigned n = 0;

    if (!(list = shield_conf_section(sh, id, CONF_SEQ, d)))
        return 0;
    if (list->n > K(id)->max) {
        diag_at(d, list, "%s: %u entries is more than the %llu allowed; merge them into wider "
                "prefixes", what, list->n, (unsigned long long)K(id)->max);
        return 0;
    }
    for (unsigned i = 0; i < list->n; i++) {
        const struct conf_node *item = list->items[i];
        const char *s;
        struct cidr c;
        if (conf_string(item, &s, d) < 0)
            continue;
        if (cidr_parse(s, strlen(s), &c, why, sizeof(why)) < 0) {
            diag_at(d, item, "%s: \"%.60s\" is not a valid address or CIDR: %s", item->path, s,
                    why);
            continue;
        }
        shield_conf_cidrs_add(a, &c, v, item);
        n++;
    }
    return n;
}

/* Reports a prefix listed in both allow and deny (the lists would contradict). */
static void
shield_conf_check_conflicts(struct shield_conf_cidrs *a, struct diag *d)
{
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i] != SHIELD_FW_DENY)
            continue;
        for (size_t j = 0; j < a->n; j++) {
            if (a->v[j] != SHIELD_FW_ALLOW || a->c[j].plen != a->c[i].plen ||
                memcmp(a->c[j].addr.b, a->c[i].addr.b, 16) != 0)
                continue;
            char net[64];
            cidr_format(&a->c[i], net, sizeof(net));
            diag_at(d, a->at[i], "%s: %s is also in %s (%s:%u:%u); remove it from one of the "
                    "lists", a->at[i]->path, net, K(SK_ALLOW)->path, a->at[j]->file,
                    a->at[j]->line, a->at[j]->col);
            break;
        }
    }
}

/* The rate-based rule; rl NULL (no rate_limit) leaves it off, with the table's defaults. */
static void
shield_conf_read_rate(struct shield_conf *c, const struct conf_node *sh, struct diag *d)
{
    const struct conf_node *rl = shield_conf_section(sh, SK_RATE, CONF_MAP, d), *n;
    uint64_t v;
    int i;

    c->rate_enabled = rl != NULL;
    conf_key_check_map(rl, shield_keys, SK_COUNT, K(SK_RATE), K(SK_RATE)->path, d);
    /* WAF's EvaluationWindowSec takes exactly these. */
    n = conf_key_get(rl, K(SK_RATE_WINDOW));
    if (shield_conf_peek_duration(n, &v) && v != 60000 && v != 120000 && v != 300000 &&
        v != 600000)
        diag_at(d, n, "%s: %.60s is not an evaluation window; write 60s, 120s, 300s or 600s "
                "(as AWS WAF)", n->path, n->str);
    else if (conf_key_duration(rl, K(SK_RATE_WINDOW), &v, d) == 0)
        c->rate_window_ms = v;
    if (conf_key_uint(rl, K(SK_RATE_LIMIT), &v, d) == 0)
        c->rate_limit = v;
    if ((i = conf_key_enum(rl, K(SK_RATE_KEY), d)) >= 0)
        c->rate_key = (enum shield_rate_key)i;
    n = conf_key_get(rl, K(SK_RATE_STATUS));
    if (shield_conf_peek_uint(n, &v) && v != 403 && v != 429)
        diag_at(d, n, "%s: %.60s is not allowed; write 403 (as AWS WAF blocks) or 429",
                n->path, n->str);
    else if (conf_key_uint(rl, K(SK_RATE_STATUS), &v, d) == 0)
        c->rate_status = (int)v;
}

static void
shield_conf_read_scanners(struct shield_conf *c, const struct conf_node *sh, struct diag *d)
{
    const struct conf_node *sc = shield_conf_section(sh, SK_SCANNERS, CONF_MAP, d);
    uint64_t v;

    conf_key_check_map(sc, shield_keys, SK_COUNT, K(SK_SCANNERS), K(SK_SCANNERS)->path, d);
    conf_key_bool(sc, K(SK_SC_ENABLED), &c->scanners_enabled, d);
    if (conf_key_duration(sc, K(SK_SC_BAN), &v, d) == 0)
        c->ban_ms = v;
    if (conf_key_uint(sc, K(SK_SC_REPEAT_FACTOR), &v, d) == 0)
        c->repeat_ban_factor = (unsigned)v;
    if (conf_key_duration(sc, K(SK_SC_MAX_BAN), &v, d) == 0)
        c->max_ban_ms = v;
    if (c->max_ban_ms < c->ban_ms) {
        const struct conf_node *max = conf_key_get(sc, K(SK_SC_MAX_BAN));
        diag_at(d, max ? max : conf_key_get(sc, K(SK_SC_BAN)), "%s: %s is shorter than %s; "
                "raise %s or lower %s", K(SK_SCANNERS)->path, conf_key_leaf(K(SK_SC_MAX_BAN)),
                conf_key_leaf(K(SK_SC_BAN)), conf_key_leaf(K(SK_SC_MAX_BAN)),
                conf_key_leaf(K(SK_SC_BAN)));
    }
}

static void
shield_conf_read_login(struct shield_conf *c, const struct conf_node *sh, struct diag *d)
{
    const struct conf_node *list = shield_conf_section(sh, SK_LOGIN_PATHS, CONF_SEQ, d);
    const struct conf_key *k = K(SK_LOGIN_PATHS);

    if (!list)
        return;
    if (list->n > k->max) {
        diag_at(d, list, "%s: %u paths is more than the %llu allowed", k->path, list->n,
                (unsigned long long)k->max);
        return;
    }
    c->login_paths = mem_realloc_or_exit(c->login_paths, (list->n + 1) * sizeof(char *));
    for (unsigned i = 0; i < list->n; i++) {
        const struct conf_node *item = list->items[i];
        const char *s;
        if (conf_string(item, &s, d) < 0)
            continue;
        if (s[0] != '/' || strlen(s) > SHIELD_CONF_PATH_MAX || strpbrk(s, " \t?#")) {
            diag_at(d, item, "%s: \"%.60s\" is not a path prefix; write one starting with '/', "
                    "without spaces or a query, like /login", item->path, s);
            continue;
        }
        c->login_paths[c->nlogin++] = mem_strdup_or_exit(s);
    }
    c->login_paths[c->nlogin] = NULL;
    c->detect.login_paths = (const char *const *)c->login_paths;
}

/* An nftables table or set name into *dst. Stricter than a resource name: it goes into nft
 * commands, where a leading digit would read as a number and '.' is not part of a name. */
static void
shield_conf_read_nft_name(const struct conf_node *nf, enum shield_key id, char **dst,
                          struct diag *d)
{
    const struct conf_key *k = K(id);
    const char *s;

    if (conf_key_string(nf, k, &s, d) < 0)
        return;
    if (!conf_name_ok(s, (unsigned)k->max) || strchr(s, '.') ||
        !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
        const struct conf_node *n = conf_key_get(nf, k);
        diag_at(d, n, "%s: \"%.60s\" is not an nftables name; use up to %llu letters, digits, "
                "'_' or '-', starting with a letter", n->path, s, (unsigned long long)k->max);
        return;
    }
    free(*dst);
    *dst = mem_strdup_or_exit(s);
}

static void
shield_conf_read_nft(struct shield_conf *c, const struct conf_node *sh, struct diag *d)
{
    const struct conf_node *nf = shield_conf_section(sh, SK_NFT, CONF_MAP, d);

    conf_key_check_map(nf, shield_keys, SK_COUNT, K(SK_NFT), K(SK_NFT)->path, d);
    conf_key_bool(nf, K(SK_NFT_ENABLED), &c->nft_enabled, d);
    shield_conf_read_nft_name(nf, SK_NFT_TABLE, &c->nft_table, d);
    shield_conf_read_nft_name(nf, SK_NFT_SET, &c->nft_set, d);
}

static void
shield_conf_read_memory(struct shield_conf *c, const struct conf_node *sh, struct diag *d)
{
    const struct conf_node *sl = shield_conf_section(sh, SK_SLOW, CONF_MAP, d);
    const struct conf_node *rb = shield_conf_section(sh, SK_RANGE, CONF_MAP, d);
    uint64_t v;

    if (conf_key_duration(sh, K(SK_CLIENT_MEMORY), &v, d) == 0)
        c->client_memory_ms = v;
    conf_key_check_map(sl, shield_keys, SK_COUNT, K(SK_SLOW), K(SK_SLOW)->path, d);
    conf_key_bool(sl, K(SK_SLOW_ENABLED), &c->slow_enabled, d);
    if (conf_key_uint(sl, K(SK_SLOW_PROBES), &v, d) == 0)
        c->slow_probes = (unsigned)v;
    if (conf_key_duration(sl, K(SK_SLOW_OVER), &v, d) == 0)
        c->slow_over_ms = v;
    if (c->slow_over_ms >= c->client_memory_ms) {
        const struct conf_node *n = conf_key_get(sl, K(SK_SLOW_OVER));
        diag_at(d, n ? n : conf_key_get(sh, K(SK_CLIENT_MEMORY)), "%s is not shorter than %s: "
                "a client would be forgotten before its probes could add up; lower %s or "
                "raise %s", K(SK_SLOW_OVER)->path, K(SK_CLIENT_MEMORY)->path,
                K(SK_SLOW_OVER)->path, K(SK_CLIENT_MEMORY)->path);
    }
    conf_key_check_map(rb, shield_keys, SK_COUNT, K(SK_RANGE), K(SK_RANGE)->path, d);
    conf_key_bool(rb, K(SK_RANGE_ENABLED), &c->range_enabled, d);
    if (conf_key_uint(rb, K(SK_RANGE_MIN_OFFENDERS), &v, d) == 0)
        c->range_min_offenders = (unsigned)v;
    if (conf_key_uint(rb, K(SK_RANGE_MIN_SHARE), &v, d) == 0)
        c->range_min_share = (unsigned)v;
    if (conf_key_duration(rb, K(SK_RANGE_BAN), &v, d) == 0)
        c->range_ban_ms = v;
}

/* Everything but the address lists, from `sh` or, where a key is absent (or sh is NULL),
 * from the table's defaults. */
static void
shield_conf_read_settings(struct shield_conf *c, const struct conf_node *sh, struct diag *d)
{
    uint64_t v;
    int i;

    if ((i = conf_key_enum(sh, K(SK_MODE), d)) >= 0)
        c->mode = (enum shield_mode)i;
    if (conf_key_uint(sh, K(SK_MAX_CONNS), &v, d) == 0)
        c->max_connections_per_ip = v;
    if (conf_key_uint(sh, K(SK_IPV6_PREFIX), &v, d) == 0) {
        c->ipv6_prefix = (unsigned)v;
        c->detect.ipv6_prefix = (unsigned)v;
    }
    shield_conf_read_rate(c, sh, d);
    shield_conf_read_scanners(c, sh, d);
    shield_conf_read_login(c, sh, d);
    shield_conf_read_nft(c, sh, d);
    shield_conf_read_memory(c, sh, d);
}

/* shield.crowdsec: copies of the strings as written (references unexpanded). */
static void
shield_conf_read_crowdsec(struct shield_conf *c, const struct conf_node *sh,
                          const struct conf_ctx *cx)
{
    struct diag *d = cx->d;
    const struct conf_node *cs = shield_conf_section(sh, SK_CS, CONF_MAP, d);
    const struct conf_node *m;
    const char *url = NULL, *key = NULL, *login = NULL, *pw = NULL;
    uint64_t v;

    if (!cs)
        return;
    conf_key_check_map(cs, shield_keys, SK_COUNT, K(SK_CS), K(SK_CS)->path, d);
    if (conf_key_string(cs, K(SK_CS_URL), &url, d) == 0 &&
        strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        diag_at(d, conf_key_get(cs, K(SK_CS_URL)), "%s: \"%s\" is not an http:// or https:// "
                "URL; write the LAPI's address, like http://127.0.0.1:8080", K(SK_CS_URL)->path,
                url);
    if (conf_key_string(cs, K(SK_CS_API_KEY), &key, d) == 0)
        conf_ref_check(conf_key_get(cs, K(SK_CS_API_KEY)), K(SK_CS_API_KEY)->path, cx);
    if (conf_key_duration(cs, K(SK_CS_POLL), &v, d) == 0)
        c->cs_poll_ms = v;
    if ((m = shield_conf_section(cs, SK_CS_MACHINE, CONF_MAP, d))) {
        conf_key_check_map(m, shield_keys, SK_COUNT, K(SK_CS_MACHINE), K(SK_CS_MACHINE)->path,
                           d);
        conf_key_string(m, K(SK_CS_M_LOGIN), &login, d);
        if (conf_key_string(m, K(SK_CS_M_PASSWORD), &pw, d) == 0)
            conf_ref_check(conf_key_get(m, K(SK_CS_M_PASSWORD)), K(SK_CS_M_PASSWORD)->path, cx);
    }
    c->cs_url = url ? mem_strdup_or_exit(url) : NULL;
    c->cs_api_key = key ? mem_strdup_or_exit(key) : NULL;
    c->cs_login = login ? mem_strdup_or_exit(login) : NULL;
    c->cs_password = pw ? mem_strdup_or_exit(pw) : NULL;
}

int
shield_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
                  struct shield_conf **out)
{
    struct diag *d = cx->d;
    unsigned before = diag_count(d);
    struct shield_conf *c = shield_conf_new_off();
    const struct conf_node *sh;
    struct shield_conf_cidrs fw = { 0 }, tr = { 0 };

    if (!root || root->kind != CONF_MAP || !(sh = shield_conf_section(root, SK_SHIELD,
                                                                        CONF_MAP, d)))
        goto done;
    c->enabled = true;
    conf_key_check_map(sh, shield_keys, SK_COUNT, K(SK_SHIELD), K(SK_SHIELD)->path, d);
    c->nallow = shield_conf_read_cidrs(sh, SK_ALLOW, SHIELD_FW_ALLOW, &fw, d);
    c->ndeny = shield_conf_read_cidrs(sh, SK_DENY, SHIELD_FW_DENY, &fw, d);
    c->ntrusted = shield_conf_read_cidrs(sh, SK_TRUSTED_PROXIES, 0, &tr, d);
    shield_conf_check_conflicts(&fw, d);
    shield_conf_read_settings(c, sh, d);
    shield_conf_read_crowdsec(c, sh, cx);
    geo_conf_read(c, root, sh, d);
    if (diag_count(d) == before) {
        c->firewall = cidrset_new(fw.c, fw.v, fw.n);
        c->trusted = cidrset_new(tr.c, tr.v, tr.n);
        if (!c->firewall || !c->trusted)
            diag_at(d, sh, "%s: out of memory building the address lists", K(SK_SHIELD)->path);
    }
done:
    shield_conf_cidrs_fini(&fw);
    shield_conf_cidrs_fini(&tr);
    if (diag_count(d) != before) {
        shield_conf_free(c);
        *out = NULL;
        return -EINVAL;
    }
    *out = c;
    return 0;
}
