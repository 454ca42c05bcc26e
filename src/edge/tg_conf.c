/*
 * edge/tg_conf.c: reads the stack file's target_groups (targets and weights, algorithm,
 * health_check, deregistration_delay, slow_start, initial_wait, stickiness) into
 * edge_conf.tgs through the key table (edge_keys.c holds ALB's ranges and defaults, and
 * tierd's for initial_wait), reporting every problem against its node. The rules that
 * span keys, and the matcher syntax, are here.
 */
#include "edge/edge_conf_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/keys.h"
#include "conf/ref.h"
#include "conf/value.h"
#include "core/mem.h"
#include "edge/uptls.h"

#define K EDGE_K
#define TG_CONF_MATCHERS_MAX 8          /* parts of a matcher: edge_health_conf arrays */
#define TG_CONF_SLOW_START_MIN_MS 30000 /* ALB: 0 (off) or 30..900 seconds */

static void
tg_conf_read_target(struct edge_tg_conf *tg, const struct conf_node *item, const char *what,
                    struct diag *d)
{
    const struct conf_node *addr_node = item;
    struct edge_target_conf t = { .weight = 0 };
    uint64_t weight;

    /* A bare address gets the default weight as well. */
    if (conf_key_uint(item, K(EK_TG_T_WEIGHT), &weight, d) == 0)
        t.weight = (unsigned)weight;
    if (item->kind == CONF_MAP) {
        edge_conf_check_map(item, EK_TG_TARGETS, what, d);
        addr_node = conf_key_get(item, K(EK_TG_T_ADDRESS));
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
    uint16_t lo[TG_CONF_MATCHERS_MAX], hi[TG_CONF_MATCHERS_MAX];
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
        if (n == TG_CONF_MATCHERS_MAX) {
            snprintf(why, whylen, "more than %d codes and ranges; join neighbouring codes into "
                     "ranges like 200-299", TG_CONF_MATCHERS_MAX);
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

/* The probe's request target: sent as is, so it must be a valid one (its length is the
 * table's bound). */
static void
tg_conf_check_hc_path(const struct conf_node *n, const char *s, const char *what,
                      struct diag *d)
{
    if (s[0] != '/') {
        diag_at(d, n, "%s: path \"%.60s\" must start with '/'; write \"/%.60s\"", what, s, s);
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

/* health_check: absent (or empty "health_check:") leaves active checks off, with every
 * other setting at its default: passive checks use the thresholds. A block turns them on
 * unless it says enabled: false. Values mirror ALB's HealthCheck* fields. */
static void
tg_conf_read_health(struct edge_health_conf *h, const struct conf_node *tg, const char *tgwhat,
                    struct diag *d)
{
    char what[192], why[160], a[32], b[32];
    const struct conf_node *hn, *in, *tn;
    const char *s;
    uint64_t v;
    bool on;

    snprintf(what, sizeof(what), "%s: health_check", tgwhat);
    hn = edge_conf_section(tg, EK_TG_HC, what, d);
    edge_conf_check_map(hn, EK_TG_HC, what, d);
    if (conf_key_bool(hn, K(EK_HC_ENABLED), &on, d) == 0)
        h->enabled = hn && on;
    if (conf_key_string(hn, K(EK_HC_PATH), &s, d) == 0) {
        h->path = mem_strdup_or_exit(s);
        if (conf_key_get(hn, K(EK_HC_PATH)))
            tg_conf_check_hc_path(conf_key_get(hn, K(EK_HC_PATH)), s, what, d);
    }
    bool times_ok = conf_key_duration(hn, K(EK_HC_INTERVAL), &h->interval_ms, d) == 0;
    times_ok &= conf_key_duration(hn, K(EK_HC_TIMEOUT), &h->timeout_ms, d) == 0;
    in = conf_key_get(hn, K(EK_HC_INTERVAL));
    tn = conf_key_get(hn, K(EK_HC_TIMEOUT));
    if (times_ok && h->timeout_ms >= h->interval_ms)
        diag_at(d, tn ? tn : in ? in : hn,
                "%s: timeout (%s) must be shorter than interval (%s), as on ALB; lower timeout "
                "or raise interval", what, conf_duration_text(h->timeout_ms, a, sizeof(a)),
                conf_duration_text(h->interval_ms, b, sizeof(b)));
    if (conf_key_uint(hn, K(EK_HC_HEALTHY), &v, d) == 0)
        h->healthy_threshold = (unsigned)v;
    if (conf_key_uint(hn, K(EK_HC_UNHEALTHY), &v, d) == 0)
        h->unhealthy_threshold = (unsigned)v;
    if (conf_key_string(hn, K(EK_HC_MATCHER), &s, d) == 0) {
        if (tg_conf_parse_matcher(s, h, why, sizeof(why)) == 0)
            h->matcher = mem_strdup_or_exit(s);
        else
            diag_at(d, conf_key_get(hn, K(EK_HC_MATCHER)), "%s: matcher \"%.60s\": %s", what, s,
                    why);
    }
}

/* slow_start: 0 (off) or 30s..900s, only with round_robin. Read by hand for one message
 * that names the gap, rather than the table's plain range. */
static void
tg_conf_read_slow_start(struct edge_tg_conf *tg, const struct conf_node *v, const char *what,
                        struct diag *d)
{
    const struct conf_key *k = K(EK_TG_SLOW_START);
    const struct conf_node *n = conf_key_get(v, k);
    uint64_t ms;

    if (!n) {
        conf_key_duration(v, k, &tg->slow_start_ms, d);
        return;
    }
    if (conf_duration_ms(n, &ms, d) < 0)
        return;
    if (ms > 0 && (ms < TG_CONF_SLOW_START_MIN_MS || ms > k->max)) {
        diag_at(d, n, "%s: %.60s is out of range; write a duration of 0 (off) or from %" PRIu64
                "s to %" PRIu64 "s", n->path, n->str, (uint64_t)TG_CONF_SLOW_START_MIN_MS / 1000,
                k->max / 1000);
        return;
    }
    tg->slow_start_ms = ms;
    if (ms > 0 && tg->algorithm != EDGE_ALG_ROUND_ROBIN)
        diag_at(d, n, "%s: slow_start cannot be used with algorithm %s (as on ALB, it needs "
                "round_robin); set slow_start: 0 or algorithm: round_robin", what,
                K(EK_TG_ALGORITHM)->words[tg->algorithm]);
}

/* The target group attributes: deregistration_delay, slow_start, initial_wait, stickiness.
 * Reads after the algorithm, which slow_start depends on. */
static void
tg_conf_read_tg_attrs(struct edge_tg_conf *tg, const struct conf_node *v, const char *what,
                      struct diag *d)
{
    char swhat[192];
    const struct conf_node *st;

    conf_key_duration(v, K(EK_TG_DEREG_DELAY), &tg->deregistration_delay_ms, d);
    tg_conf_read_slow_start(tg, v, what, d);
    /* Meaningful only with active checks (without them targets start healthy); accepted
     * either way so that a group can switch its checks off without losing the setting. */
    conf_key_duration(v, K(EK_TG_INITIAL_WAIT), &tg->initial_wait_ms, d);

    snprintf(swhat, sizeof(swhat), "%s: stickiness", what);
    st = edge_conf_section(v, EK_TG_STICKINESS, swhat, d);
    edge_conf_check_map(st, EK_TG_STICKINESS, swhat, d);
    conf_key_bool(st, K(EK_ST_ENABLED), &tg->stickiness, d);
    conf_key_duration(st, K(EK_ST_DURATION), &tg->stickiness_ms, d);
}

/* Names a params key may not take: tierd sets them from the request, or (HTTP_PROXY)
 * they must never reach an application (httpoxy, CVE-2016-5385). */
static bool
tg_conf_param_reserved(const char *name)
{
    static const char *const names[] = {
        "SCRIPT_FILENAME", "SCRIPT_NAME", "PATH_INFO", "REQUEST_URI", "QUERY_STRING",
        "REQUEST_METHOD", "CONTENT_TYPE", "CONTENT_LENGTH", "REMOTE_ADDR", "REMOTE_PORT",
        "HTTP_PROXY", NULL,
    };

    for (unsigned i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* fastcgi: only with protocol: fastcgi, which needs it. root must be an absolute, existing
 * directory; it is resolved once here, so that a script's realpath can be compared with
 * it. ${RELEASE_DIR} (a root per instance) is the releases work of issue 16: not yet. */
static void
tg_conf_read_fastcgi(struct edge_tg_conf *tg, const struct conf_node *v, const char *tgwhat,
                     struct diag *d)
{
    char what[192], w[320];
    const struct conf_node *fn = conf_key_get(v, K(EK_TG_FASTCGI));
    const struct conf_node *n;
    const char *s;

    snprintf(what, sizeof(what), "%s: fastcgi", tgwhat);
    if (tg->protocol != EDGE_TG_PROTO_FASTCGI) {
        if (fn && !conf_is_null(fn))
            diag_at(d, fn, "%s: only a group with protocol: fastcgi has a fastcgi block; add "
                    "protocol: fastcgi or remove fastcgi", what);
        return;
    }
    fn = edge_conf_section(v, EK_TG_FASTCGI, what, d);
    if (!fn) {
        diag_at(d, v, "%s: protocol fastcgi needs a fastcgi block with at least root: (the "
                "document root, e.g. fastcgi: { root: /srv/app/public })", tgwhat);
        return;
    }
    edge_conf_check_map(fn, EK_TG_FASTCGI, what, d);
    struct edge_fcgi_conf *fc = mem_alloc_or_exit(sizeof(*fc));
    memset(fc, 0, sizeof(*fc));
    tg->fastcgi = fc;
    if (conf_key_string(fn, K(EK_FC_ROOT), &s, d) == 0) {
        n = conf_key_get(fn, K(EK_FC_ROOT));
        char *real = NULL;
        if (strstr(s, "${")) {
            diag_at(d, n, "%s: root \"%.60s\": variables such as ${RELEASE_DIR} are not "
                    "supported yet; write the directory itself", what, s);
        } else if (s[0] != '/') {
            diag_at(d, n, "%s: root \"%.60s\" is relative; write an absolute path (PHP-FPM "
                    "resolves SCRIPT_FILENAME from its own working directory)", what, s);
        } else if (!(real = realpath(s, NULL))) {
            diag_at(d, n, "%s: root \"%.60s\": %s; create the directory or fix the path",
                    what, s, strerror(errno));
        } else {
            struct stat st;
            if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
                diag_at(d, n, "%s: root \"%.60s\" is not a directory; give the document "
                        "root", what, s);
        }
        fc->root = real ? real : mem_strdup_or_exit(s);
    }
    if (conf_key_string(fn, K(EK_FC_INDEX), &s, d) == 0) {
        n = conf_key_get(fn, K(EK_FC_INDEX));
        if (!s[0] || s[0] == '/' || strstr(s, ".."))
            diag_at(d, n ? n : fn, "%s: index \"%.60s\" must be a file name relative to root "
                    "without \"..\" (like index.php)", what, s);
        fc->index = mem_strdup_or_exit(s);
    }
    if (conf_key_string(fn, K(EK_FC_SPLIT_PATH), &s, d) == 0) {
        n = conf_key_get(fn, K(EK_FC_SPLIT_PATH));
        if (s[0] != '.' || strchr(s, '/') || !s[1])
            diag_at(d, n ? n : fn, "%s: split_path \"%.30s\" must be an extension starting "
                    "with '.', like .php", what, s);
        fc->split_path = mem_strdup_or_exit(s);
        if (fc->index && (strlen(fc->index) < strlen(s) ||
                          strcmp(fc->index + strlen(fc->index) - strlen(s), s) != 0))
            diag_at(d, conf_key_get(fn, K(EK_FC_INDEX)) ? conf_key_get(fn, K(EK_FC_INDEX)) : fn,
                    "%s: index \"%.60s\" does not end in split_path \"%.30s\", so it could "
                    "never run; name a %s file", what, fc->index, s, s);
    }
    n = conf_key_get(fn, K(EK_FC_PARAMS));
    if (!n || conf_is_null(n))
        return;
    snprintf(w, sizeof(w), "%s: params", what);
    if (conf_expect(n, CONF_MAP, w, d) < 0)
        return;
    if (n->n > K(EK_FC_PARAMS)->max) {
        diag_at(d, n, "%s: at most %llu params", w, (unsigned long long)K(EK_FC_PARAMS)->max);
        return;
    }
    fc->param_names = mem_alloc_or_exit((n->n + 1) * sizeof(char *));
    fc->param_values = mem_alloc_or_exit((n->n + 1) * sizeof(char *));
    for (unsigned i = 0; i < n->n; i++) {
        const struct conf_node *k = n->pairs[i].key, *pv = n->pairs[i].value;
        snprintf(w, sizeof(w), "%s: params.%.60s", what, k->str);
        if (!conf_ref_name_ok(k->str, strlen(k->str))) {
            diag_at(d, k, "%s: a param name uses letters, digits and '_' and does not start "
                    "with a digit", w);
            continue;
        }
        if (tg_conf_param_reserved(k->str)) {
            diag_at(d, k, "%s: tierd sets %s from each request%s; remove it", w, k->str,
                    strcmp(k->str, "HTTP_PROXY") == 0 ? " (never, in fact: httpoxy)" : "");
            continue;
        }
        if (pv->kind != CONF_SCALAR) {
            diag_at(d, pv, "%s: expected a string, got %s", w, conf_kind_name(pv->kind));
            continue;
        }
        fc->param_names[fc->nparams] = mem_strdup_or_exit(k->str);
        fc->param_values[fc->nparams++] = mem_strdup_or_exit(pv->str ? pv->str : "");
    }
}

/* protocol and tls: tls only with https; its CA file must hold PEM certificates now, so a
 * typo is found by check rather than by the first request. */
static void
tg_conf_read_tls(struct edge_tg_conf *tg, const struct conf_node *v, const char *what,
                 struct diag *d)
{
    char twhat[192], why[320];
    const struct conf_node *tn, *can;
    const char *s;

    int proto = conf_key_enum(v, K(EK_TG_PROTOCOL), d);
    if (proto >= 0)
        tg->protocol = (enum edge_tg_protocol)proto;
    snprintf(twhat, sizeof(twhat), "%s: tls", what);
    tn = edge_conf_section(v, EK_TG_TLS, twhat, d);
    if (tn && tg->protocol != EDGE_TG_PROTO_HTTPS) {
        diag_at(d, tn, "%s applies only to protocol: https (this group speaks %s); add "
                "protocol: https or remove tls", twhat, K(EK_TG_PROTOCOL)->words[tg->protocol]);
        return;
    }
    edge_conf_check_map(tn, EK_TG_TLS, twhat, d);
    conf_key_bool(tn, K(EK_TT_VERIFY), &tg->tls.verify, d);
    if (tn && conf_key_string(tn, K(EK_TT_SNI), &s, d) == 0 && conf_key_get(tn, K(EK_TT_SNI)))
        tg->tls.sni = mem_strdup_or_exit(s);
    if (tn && conf_key_string(tn, K(EK_TT_CA), &s, d) == 0 &&
        (can = conf_key_get(tn, K(EK_TT_CA)))) {
        tg->tls.ca = mem_strdup_or_exit(s);
        if (uptls_ca_check(s, why, sizeof(why)) < 0)
            diag_at(d, can, "%s: ca: %s", twhat, why);
    }
}

/* The group keeps its name even when invalid, so rules that forward to it resolve and only
 * the real problem is reported. */
static void
tg_conf_read_tg(struct edge_tg_conf *tg, const struct conf_node *key,
                const struct conf_node *v, struct diag *d)
{
    char what[128], item_what[160];

    tg->name = mem_strdup_or_exit(key->str);
    snprintf(what, sizeof(what), "target group \"%.60s\"", key->str);
    conf_name_check(key, "target group", EDGE_KEYS_NAME_MAX, d);
    if (conf_is_null(v)) {
        diag_at(d, v, "%s: no settings; give it targets: [host:port, ...]", what);
        return;
    }
    if (conf_expect(v, CONF_MAP, what, d) < 0)
        return;
    edge_conf_check_map(v, EK_TG, what, d);

    int alg = conf_key_enum(v, K(EK_TG_ALGORITHM), d);
    if (alg >= 0)
        tg->algorithm = (enum edge_algorithm)alg;
    tg_conf_read_tls(tg, v, what, d);          /* protocol too */
    tg_conf_read_fastcgi(tg, v, what, d);
    tg_conf_read_health(&tg->health, v, what, d);
    tg_conf_read_tg_attrs(tg, v, what, d);

    /* No targets is valid: an auto scaling group or the control API registers them at
     * run time, and until then the group answers 503, as an empty ALB group does. */
    const struct conf_node *targets = conf_key_get(v, K(EK_TG_TARGETS));
    if (!targets)
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
    const struct conf_node *tgs = edge_conf_section(root, EK_TGS, "target_groups", d);

    if (!tgs)
        return;
    c->tgs = mem_alloc_or_exit(tgs->n * sizeof(*c->tgs));
    for (unsigned i = 0; i < tgs->n; i++)
        tg_conf_read_tg(&c->tgs[c->ntgs++], tgs->pairs[i].key, tgs->pairs[i].value, d);
}
