/*
 * edge/tg_conf.c: reads the stack file's target_groups (targets and weights, algorithm,
 * health_check, deregistration_delay, slow_start, stickiness) into edge_conf.tgs, with
 * ALB's ranges and defaults, reporting every problem against its node.
 */
#include "edge/edge_conf_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/value.h"
#include "core/mem.h"

#define EDGE_CONF_WEIGHT_MAX 999
#define EDGE_CONF_HC_PATH_MAX 1024        /* ALB HealthCheckPath */
#define EDGE_CONF_MATCHERS_MAX 8          /* parts of a matcher: edge_health_conf arrays */

static const char *const tg_keys[] = {
    "targets", "algorithm", "health_check", "deregistration_delay", "slow_start", "stickiness",
    NULL,
};
static const char *const health_keys[] = {
    "enabled", "path", "interval", "timeout", "healthy_threshold", "unhealthy_threshold",
    "matcher", NULL,
};
static const char *const stickiness_keys[] = { "enabled", "duration", NULL };
static const char *const target_keys[] = { "address", "weight", NULL };
static const char *const algorithms[] = {
    "round_robin", "least_outstanding_requests", "weighted_random", NULL,
};

static void
tg_conf_read_target(struct edge_tg_conf *tg, const struct conf_node *item, const char *what,
                      struct diag *d)
{
    const struct conf_node *addr_node = item;
    struct edge_target_conf t = { .weight = 1 };
    uint64_t weight;

    if (item->kind == CONF_MAP) {
        conf_check_keys(item, target_keys, what, d);
        addr_node = conf_require(item, "address", what, d);
        const struct conf_node *w = conf_map_get(item, "weight");
        if (w && conf_uint(w, 1, EDGE_CONF_WEIGHT_MAX, &weight, d) == 0)
            t.weight = (unsigned)weight;
        if (!addr_node)
            return;
    } else if (item->kind == CONF_SEQ) {
        diag_at(d, item, "%s: expected an address or a map with address and weight, got a list",
                what);
        return;
    }
    if (edge_conf_addr(addr_node, what, &t.addr, &t.addr_text, d) < 0)
        return;
    if (sock_addr_port(&t.addr) == 0) {
        diag_at(d, addr_node, "%s: port 0 cannot be connected to; give the target's real port",
                what);
        free(t.addr_text);
        return;
    }
    for (unsigned i = 0; i < tg->ntargets; i++) {
        if (sock_addr_equal(&tg->targets[i].addr, &t.addr)) {
            diag_at(d, addr_node, "%s: %s is listed twice; remove one (use weight to send it "
                    "more traffic)", what, t.addr_text);
            free(t.addr_text);
            return;
        }
    }
    tg->targets[tg->ntargets++] = t;
}

/* Every group carries health settings, enabled or not: passive checks use the thresholds. */
static void
tg_conf_tg_defaults(struct edge_tg_conf *tg)
{
    struct edge_health_conf *h = &tg->health;

    h->enabled = false;
    h->path = mem_strdup_or_exit("/");
    h->interval_ms = 30 * EDGE_CONF_SEC;
    h->timeout_ms = 5 * EDGE_CONF_SEC;
    h->healthy_threshold = 5;
    h->unhealthy_threshold = 2;
    h->matcher = mem_strdup_or_exit("200");
    h->matcher_lo[0] = h->matcher_hi[0] = 200;
    h->nmatchers = 1;
    tg->deregistration_delay_ms = 300 * EDGE_CONF_SEC;
    tg->slow_start_ms = 0;
    tg->stickiness = false;
    tg->stickiness_ms = 86400 * EDGE_CONF_SEC;
}

/* Reads one status code of a matcher; NULL when there are no digits. */
static const char *
tg_conf_matcher_code(const char *p, unsigned *out)
{
    unsigned v = 0;
    const char *start = p;

    for (; *p >= '0' && *p <= '9'; p++)
        v = v < 10000 ? v * 10 + (unsigned)(*p - '0') : v;     /* stays out of range */
    if (p == start)
        return NULL;
    *out = v;
    return p;
}

/* Parses an ALB matcher ("200", "200,202", "200-299", "200,300-399"; spaces around the
 * parts are allowed) into h's ranges. Returns 0, or -EINVAL with the reason and its fix in
 * `why` (h is unchanged then). */
static int
tg_conf_parse_matcher(const char *s, struct edge_health_conf *h, char *why, size_t whylen)
{
    uint16_t lo[EDGE_CONF_MATCHERS_MAX], hi[EDGE_CONF_MATCHERS_MAX];
    unsigned n = 0;
    const char *p = s;

    for (;;) {
        unsigned a, b;
        const char *pa, *pb, *ea, *eb;
        while (*p == ' ')
            p++;
        pa = p;
        if (!(p = ea = tg_conf_matcher_code(p, &a)))
            goto syntax;
        b = a;
        pb = pa;
        eb = ea;
        while (*p == ' ')
            p++;
        if (*p == '-') {
            p++;
            while (*p == ' ')
                p++;
            pb = p;
            if (!(p = eb = tg_conf_matcher_code(p, &b)))
                goto syntax;
            while (*p == ' ')
                p++;
        }
        if (*p && *p != ',')
            goto syntax;
        if (a < 200 || a > 499 || b < 200 || b > 499) {
            bool bad_a = a < 200 || a > 499;
            const char *bad = bad_a ? pa : pb;
            ptrdiff_t blen = bad_a ? ea - pa : eb - pb;
            snprintf(why, whylen, "%.*s is not a code a health check can match; use codes from "
                     "200 to 499", (int)(blen > 20 ? 20 : blen), bad);   /* as written */
            return -EINVAL;
        }
        if (a > b) {
            snprintf(why, whylen, "the range %u-%u runs backwards; write %u-%u", a, b, b, a);
            return -EINVAL;
        }
        if (n == EDGE_CONF_MATCHERS_MAX) {
            snprintf(why, whylen, "more than %d codes and ranges; join neighbouring codes into "
                     "ranges like 200-299", EDGE_CONF_MATCHERS_MAX);
            return -EINVAL;
        }
        lo[n] = (uint16_t)a;
        hi[n] = (uint16_t)b;
        n++;
        if (!*p)
            break;
        p++;                    /* ',' */
    }
    memcpy(h->matcher_lo, lo, n * sizeof(lo[0]));
    memcpy(h->matcher_hi, hi, n * sizeof(hi[0]));
    h->nmatchers = n;
    return 0;
syntax:
    snprintf(why, whylen, "not a list of status codes; write codes and ranges like \"200\", "
             "\"200,202\" or \"200-299\"");
    return -EINVAL;
}

/* The probe's request target: sent as is, so it must be a valid one. */
static void
tg_conf_check_hc_path(const struct conf_node *n, const char *s, const char *what,
                        struct diag *d)
{
    size_t len = strlen(s);

    if (s[0] != '/') {
        diag_at(d, n, "%s: path \"%.60s\" must start with '/'; write \"/%.60s\"", what, s, s);
        return;
    }
    if (len > EDGE_CONF_HC_PATH_MAX) {
        diag_at(d, n, "%s: path is %zu characters long; shorten it to at most %d", what, len,
                EDGE_CONF_HC_PATH_MAX);
        return;
    }
    for (const char *c = s; *c; c++) {
        unsigned char ch = (unsigned char)*c;
        if (ch <= 0x20 || ch >= 0x7f) {
            diag_at(d, n, "%s: path \"%.60s\" has a space, a control character or a non-ASCII "
                    "byte; percent-encode it (a space is %%20)", what, s);
            return;
        }
    }
}

/* health_check: absent (or empty "health_check:") leaves active checks off; a block turns
 * them on unless it says enabled: false. Values mirror ALB's HealthCheck* fields. */
static void
tg_conf_read_health(struct edge_health_conf *h, const struct conf_node *tg, const char *tgwhat,
                      struct diag *d)
{
    char what[192], why[160], a[32], b[32];
    const struct conf_node *n, *hn, *tn;
    const char *s;
    uint64_t v;
    bool times_ok = true;

    snprintf(what, sizeof(what), "%s: health_check", tgwhat);
    hn = edge_conf_section(tg, "health_check", what, d);
    if (!hn)
        return;
    conf_check_keys(hn, health_keys, what, d);
    h->enabled = true;
    if ((n = conf_map_get(hn, "enabled")))
        conf_bool(n, &h->enabled, d);
    if ((n = conf_map_get(hn, "path")) && conf_string(n, &s, d) == 0) {
        free(h->path);
        h->path = mem_strdup_or_exit(s);
        tg_conf_check_hc_path(n, s, what, d);
    }
    if ((n = conf_map_get(hn, "interval")) &&
        edge_conf_duration_in(n, 5 * EDGE_CONF_SEC, 300 * EDGE_CONF_SEC, "from 5s to 300s",
                              &h->interval_ms, d) < 0)
        times_ok = false;
    if ((tn = conf_map_get(hn, "timeout")) &&
        edge_conf_duration_in(tn, 2 * EDGE_CONF_SEC, 120 * EDGE_CONF_SEC, "from 2s to 120s",
                              &h->timeout_ms, d) < 0)
        times_ok = false;
    if (times_ok && h->timeout_ms >= h->interval_ms)
        diag_at(d, tn ? tn : conf_map_get(hn, "interval"),
                "%s: timeout (%s) must be shorter than interval (%s), as on ALB; lower timeout "
                "or raise interval", what, edge_conf_ms_text(h->timeout_ms, a, sizeof(a)),
                edge_conf_ms_text(h->interval_ms, b, sizeof(b)));
    if ((n = conf_map_get(hn, "healthy_threshold")) && conf_uint(n, 2, 10, &v, d) == 0)
        h->healthy_threshold = (unsigned)v;
    if ((n = conf_map_get(hn, "unhealthy_threshold")) && conf_uint(n, 2, 10, &v, d) == 0)
        h->unhealthy_threshold = (unsigned)v;
    if ((n = conf_map_get(hn, "matcher")) && conf_string(n, &s, d) == 0) {
        if (tg_conf_parse_matcher(s, h, why, sizeof(why)) == 0) {
            free(h->matcher);
            h->matcher = mem_strdup_or_exit(s);
        } else {
            diag_at(d, n, "%s: matcher \"%.60s\": %s", what, s, why);
        }
    }
}

/* The target group attributes: deregistration_delay, slow_start, stickiness. Reads after
 * the algorithm, which slow_start depends on. */
static void
tg_conf_read_tg_attrs(struct edge_tg_conf *tg, const struct conf_node *v, const char *what,
                        struct diag *d)
{
    char swhat[192];
    const struct conf_node *n, *st;

    if ((n = conf_map_get(v, "deregistration_delay")))
        edge_conf_duration_in(n, 0, 3600 * EDGE_CONF_SEC, "from 0s to 3600s",
                              &tg->deregistration_delay_ms, d);
    if ((n = conf_map_get(v, "slow_start")) &&
        edge_conf_duration_in(n, 0, 900 * EDGE_CONF_SEC, "of 0 (off) or from 30s to 900s",
                              &tg->slow_start_ms, d) == 0) {
        if (tg->slow_start_ms > 0 && tg->slow_start_ms < 30 * EDGE_CONF_SEC) {
            diag_at(d, n, "%s: %.60s is out of range; write a duration of 0 (off) or from 30s "
                    "to 900s", n->path, n->str);
            tg->slow_start_ms = 0;
        } else if (tg->slow_start_ms > 0 && tg->algorithm != EDGE_ALG_ROUND_ROBIN) {
            diag_at(d, n, "%s: slow_start cannot be used with algorithm %s (as on ALB, it needs "
                    "round_robin); set slow_start: 0 or algorithm: round_robin", what,
                    algorithms[tg->algorithm]);
        }
    }

    snprintf(swhat, sizeof(swhat), "%s: stickiness", what);
    st = edge_conf_section(v, "stickiness", swhat, d);
    if (!st)
        return;
    conf_check_keys(st, stickiness_keys, swhat, d);
    if ((n = conf_map_get(st, "enabled")))
        conf_bool(n, &tg->stickiness, d);
    if ((n = conf_map_get(st, "duration")))
        edge_conf_duration_in(n, EDGE_CONF_SEC, 7 * 86400 * EDGE_CONF_SEC, "from 1s to 7d",
                              &tg->stickiness_ms, d);
}

/* The group keeps its name even when invalid, so rules that forward to it resolve and only
 * the real problem is reported. */
static void
tg_conf_read_tg(struct edge_tg_conf *tg, const struct conf_node *key,
                  const struct conf_node *v, struct diag *d)
{
    char what[128], item_what[160];

    tg_conf_tg_defaults(tg);
    tg->name = mem_strdup_or_exit(key->str);
    snprintf(what, sizeof(what), "target group \"%.60s\"", key->str);
    if (!edge_conf_name_ok(key->str))
        diag_at(d, key, "%s: a name may use only letters, digits, '-', '_' and '.' (at most %d)",
                what, EDGE_CONF_NAME_MAX);
    if (conf_is_null(v)) {
        diag_at(d, v, "%s: no settings; give it targets: [host:port, ...]", what);
        return;
    }
    if (conf_expect(v, CONF_MAP, what, d) < 0)
        return;
    conf_check_keys(v, tg_keys, what, d);

    const struct conf_node *alg = conf_map_get(v, "algorithm");
    const char *name;
    if (alg && conf_string(alg, &name, d) == 0) {
        int found = -1;
        for (int i = 0; algorithms[i] && found < 0; i++)
            if (strcmp(algorithms[i], name) == 0)
                found = i;
        const char *near = conf_suggest(name, algorithms);
        if (found >= 0)
            tg->algorithm = (enum edge_algorithm)found;
        else if (near)
            diag_at(d, alg, "%s: unknown algorithm \"%.60s\"; did you mean \"%s\"?", what,
                    name, near);
        else
            diag_at(d, alg, "%s: unknown algorithm \"%.60s\"; use round_robin, "
                    "least_outstanding_requests or weighted_random", what, name);
    }
    tg_conf_read_health(&tg->health, v, what, d);
    tg_conf_read_tg_attrs(tg, v, what, d);

    /* No targets is valid: an auto scaling group or the control API registers them at
     * run time, and until then the group answers 503, as an empty ALB group does. */
    const struct conf_node *targets = conf_map_get(v, "targets");
    if (!targets || conf_is_null(targets))
        return;
    snprintf(item_what, sizeof(item_what), "%s: targets", what);
    if (conf_expect(targets, CONF_SEQ, item_what, d) < 0 || targets->n == 0)
        return;
    tg->targets = mem_alloc_or_exit(targets->n * sizeof(*tg->targets));
    for (unsigned i = 0; i < targets->n; i++) {
        snprintf(item_what, sizeof(item_what), "%s target %u", what, i + 1);
        tg_conf_read_target(tg, targets->items[i], item_what, d);
    }
}

void
tg_conf_read_all(struct edge_conf *c, const struct conf_node *root, struct diag *d)
{
    const struct conf_node *tgs = edge_conf_section(root, "target_groups", "target_groups", d);

    if (!tgs)
        return;
    c->tgs = mem_alloc_or_exit(tgs->n * sizeof(*c->tgs));
    for (unsigned i = 0; i < tgs->n; i++)
        tg_conf_read_tg(&c->tgs[c->ntgs++], tgs->pairs[i].key, tgs->pairs[i].value, d);
}
