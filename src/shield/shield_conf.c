/*
 * shield/shield_conf.c: reads the stack file's `shield:` section into a struct shield_conf,
 * filling defaults and reporting every problem against its node (file:line:col), the way
 * edge_conf.c does. CIDRs are parsed strictly: a length out of range or host bits set is an
 * error that names the value and, for host bits, the network that was probably meant.
 * It validates and builds lookup sets; it opens nothing.
 */
#include "shield/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/value.h"
#include "core/mem.h"

#define SHIELD_CONF_CIDRS_MAX 1000000
#define SHIELD_CONF_LOGIN_MAX 64
#define SHIELD_CONF_PATH_MAX 256
#define SHIELD_CONF_NAME_MAX 32

const char *const shield_conf_keys[] = { "shield", NULL };

static const char *const shield_keys[] = {
    "mode", "allow", "deny", "trusted_proxies", "max_connections_per_ip", "rate_limit",
    "scanners", "login_paths", "nftables", NULL,
};
static const char *const rate_keys[] = { "window", "limit", "key", "status", NULL };
static const char *const scanner_keys[] = { "enabled", "ban", "repeat_ban_factor", "max_ban",
                                            NULL };
static const char *const nft_keys[] = { "enabled", "table", "set", NULL };
static const char *const modes[] = { "block", "count", NULL };            /* enum shield_mode */
static const char *const rate_key_names[] = { "ip", "ip_24", "forwarded_ip", NULL };

struct shield_conf *
shield_conf_new_off(void)
{
    struct shield_conf *c = mem_alloc_or_exit(sizeof(*c));

    c->mode = SHIELD_MODE_BLOCK;
    c->rate_window_ms = 300000;
    c->rate_status = 403;
    c->scanners_enabled = true;
    c->ban_ms = SHIELD_DEFAULT_BAN_MS;
    c->max_ban_ms = SHIELD_DEFAULT_MAX_BAN_MS;
    c->repeat_ban_factor = SHIELD_DEFAULT_REPEAT_FACTOR;
    c->login_paths = mem_alloc_or_exit(sizeof(char *));
    c->nft_table = mem_strdup_or_exit("tierd");
    c->nft_set = mem_strdup_or_exit("banned");
    detect_params_default(&c->detect);
    c->detect.login_paths = (const char *const *)c->login_paths;
    return c;
}

void
shield_conf_free(struct shield_conf *c)
{
    if (!c)
        return;
    cidrset_free(c->firewall);
    cidrset_free(c->trusted);
    for (unsigned i = 0; i < c->nlogin; i++)
        free(c->login_paths[i]);
    free(c->login_paths);
    free(c->nft_table);
    free(c->nft_set);
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

/* Reads an enumerated scalar; returns its index or -1 after a diagnostic. */
static int
shield_conf_enum(const struct conf_node *n, const char *const *names, const char *what,
                 struct diag *d)
{
    const char *s;

    if (conf_string(n, &s, d) < 0)
        return -1;
    for (int i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    char list[128] = "";
    for (int i = 0; names[i]; i++) {
        strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
        strncat(list, names[i], sizeof(list) - strlen(list) - 1);
    }
    const char *near = conf_suggest(s, names);
    if (near)
        diag_at(d, n, "%s: \"%.60s\" is not %s; did you mean \"%s\"? (one of %s)", n->path, s,
                what, near, list);
    else
        diag_at(d, n, "%s: \"%.60s\" is not %s; write one of %s", n->path, s, what, list);
    return -1;
}

/* A section that may be absent or empty; anything but a map is reported. */
static const struct conf_node *
shield_conf_map(const struct conf_node *map, const char *key, const char *what, struct diag *d)
{
    const struct conf_node *n = conf_map_get(map, key);

    if (!n || conf_is_null(n))
        return NULL;
    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return NULL;
    return n;
}

/* A list that may be absent or empty; anything but a list is reported. */
static const struct conf_node *
shield_conf_list(const struct conf_node *map, const char *key, const char *what,
                 struct diag *d)
{
    const struct conf_node *n = conf_map_get(map, key);

    if (!n || conf_is_null(n))
        return NULL;
    if (conf_expect(n, CONF_SEQ, what, d) < 0)
        return NULL;
    return n;
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
shield_conf_read_cidrs(const struct conf_node *map, const char *key, int v,
                       struct shield_conf_cidrs *a, struct diag *d)
{
    char what[64], why[160];
    const struct conf_node *list;
    unsigned n = 0;

    snprintf(what, sizeof(what), "shield.%s", key);
    if (!(list = shield_conf_list(map, key, what, d)))
        return 0;
    if (list->n > SHIELD_CONF_CIDRS_MAX) {
        diag_at(d, list, "%s: %u entries is more than the %u allowed; merge them into wider "
                "prefixes", what, list->n, SHIELD_CONF_CIDRS_MAX);
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
            diag_at(d, a->at[i], "%s: %s is also in shield.allow (%s:%u:%u); remove it from one "
                    "of the lists", a->at[i]->path, net, a->at[j]->file, a->at[j]->line,
                    a->at[j]->col);
            break;
        }
    }
}

static bool
shield_conf_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > SHIELD_CONF_NAME_MAX)
        return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

static void
shield_conf_read_rate(struct shield_conf *c, const struct conf_node *sh, struct diag *d)
{
    const struct conf_node *rl = shield_conf_map(sh, "rate_limit", "shield.rate_limit", d), *n;
    uint64_t v;
    int i;

    if (!rl)
        return;
    conf_check_keys(rl, rate_keys, "shield.rate_limit", d);
    c->rate_enabled = true;
    if ((n = conf_map_get(rl, "window")) && conf_duration_ms(n, &v, d) == 0) {
        /* WAF's EvaluationWindowSec takes exactly these. */
        if (v != 60000 && v != 120000 && v != 300000 && v != 600000)
            diag_at(d, n, "%s: %.60s is not an evaluation window; write 60s, 120s, 300s or "
                    "600s (as AWS WAF)", n->path, n->str);
        else
            c->rate_window_ms = v;
    }
    if ((n = conf_require(rl, "limit", "shield.rate_limit", d)) &&
        conf_uint(n, 10, 2000000000, &v, d) == 0)
        c->rate_limit = v;
    if ((n = conf_map_get(rl, "key")) &&
        (i = shield_conf_enum(n, rate_key_names, "a rate-limit key", d)) >= 0)
        c->rate_key = (enum shield_rate_key)i;
    if ((n = conf_map_get(rl, "status")) && conf_uint(n, 0, 999, &v, d) == 0) {
        if (v != 403 && v != 429)
            diag_at(d, n, "%s: %.60s is not allowed; write 403 (as AWS WAF blocks) or 429",
                    n->path, n->str);
        else
            c->rate_status = (int)v;
    }
}

static void
shield_conf_read_scanners(struct shield_conf *c, const struct conf_node *sh, struct diag *d)
{
    const struct conf_node *sc = shield_conf_map(sh, "scanners", "shield.scanners", d), *n;
    const struct conf_node *ban = NULL, *max = NULL;
    uint64_t v;

    if (!sc)
        return;
    conf_check_keys(sc, scanner_keys, "shield.scanners", d);
    if ((n = conf_map_get(sc, "enabled")))
        conf_bool(n, &c->scanners_enabled, d);
    if ((ban = conf_map_get(sc, "ban")) && conf_duration_ms(ban, &v, d) == 0) {
        if (v < 1000 || v > 365ULL * 86400 * 1000)
            diag_at(d, ban, "%s: %.60s is out of range; write a duration from 1s to 365d",
                    ban->path, ban->str);
        else
            c->ban_ms = v;
    }
    if ((n = conf_map_get(sc, "repeat_ban_factor")) && conf_uint(n, 1, 100, &v, d) == 0)
        c->repeat_ban_factor = (unsigned)v;
    if ((max = conf_map_get(sc, "max_ban")) && conf_duration_ms(max, &v, d) == 0) {
        if (v < 1000 || v > 365ULL * 86400 * 1000)
            diag_at(d, max, "%s: %.60s is out of range; write a duration from 1s to 365d",
                    max->path, max->str);
        else
            c->max_ban_ms = v;
    }
    if (c->max_ban_ms < c->ban_ms)
        diag_at(d, max ? max : ban, "shield.scanners: max_ban is shorter than ban; raise "
                "max_ban or lower ban");
}

static void
shield_conf_read_login(struct shield_conf *c, const struct conf_node *sh, struct diag *d)
{
    const struct conf_node *list = shield_conf_list(sh, "login_paths", "shield.login_paths", d);

    if (!list)
        return;
    if (list->n > SHIELD_CONF_LOGIN_MAX) {
        diag_at(d, list, "shield.login_paths: %u paths is more than the %u allowed", list->n,
                SHIELD_CONF_LOGIN_MAX);
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

static void
shield_conf_read_nft(struct shield_conf *c, const struct conf_node *sh, struct diag *d)
{
    const struct conf_node *nf = shield_conf_map(sh, "nftables", "shield.nftables", d), *n;
    const char *s;

    if (!nf)
        return;
    conf_check_keys(nf, nft_keys, "shield.nftables", d);
    if ((n = conf_map_get(nf, "enabled")))
        conf_bool(n, &c->nft_enabled, d);
    static const char *const names[] = { "table", "set" };
    char **dst[] = { &c->nft_table, &c->nft_set };
    for (unsigned i = 0; i < 2; i++) {
        if (!(n = conf_map_get(nf, names[i])) || conf_string(n, &s, d) < 0)
            continue;
        if (!shield_conf_name_ok(s)) {
            diag_at(d, n, "%s: \"%.60s\" is not an nftables name; use up to %d letters, "
                    "digits, '_' or '-', starting with a letter", n->path, s,
                    SHIELD_CONF_NAME_MAX);
            continue;
        }
        free(*dst[i]);
        *dst[i] = mem_strdup_or_exit(s);
    }
}

int
shield_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
                  struct shield_conf **out)
{
    struct diag *d = cx->d;
    unsigned before = diag_count(d);
    struct shield_conf *c = shield_conf_new_off();
    const struct conf_node *sh, *n;
    struct shield_conf_cidrs fw = { 0 }, tr = { 0 };
    uint64_t v;
    int i;

    if (!root || root->kind != CONF_MAP || !(sh = shield_conf_map(root, "shield", "shield", d)))
        goto done;
    c->enabled = true;
    conf_check_keys(sh, shield_keys, "shield", d);
    if ((n = conf_map_get(sh, "mode")) && (i = shield_conf_enum(n, modes, "a mode", d)) >= 0)
        c->mode = (enum shield_mode)i;
    c->nallow = shield_conf_read_cidrs(sh, "allow", SHIELD_FW_ALLOW, &fw, d);
    c->ndeny = shield_conf_read_cidrs(sh, "deny", SHIELD_FW_DENY, &fw, d);
    c->ntrusted = shield_conf_read_cidrs(sh, "trusted_proxies", 0, &tr, d);
    shield_conf_check_conflicts(&fw, d);
    if ((n = conf_map_get(sh, "max_connections_per_ip")) && conf_uint(n, 0, 1000000, &v, d) == 0)
        c->max_connections_per_ip = v;
    shield_conf_read_rate(c, sh, d);
    shield_conf_read_scanners(c, sh, d);
    shield_conf_read_login(c, sh, d);
    shield_conf_read_nft(c, sh, d);
    if (diag_count(d) == before) {
        c->firewall = cidrset_new(fw.c, fw.v, fw.n);
        c->trusted = cidrset_new(tr.c, tr.v, tr.n);
        if (!c->firewall || !c->trusted)
            diag_at(d, sh, "shield: out of memory building the address lists");
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
