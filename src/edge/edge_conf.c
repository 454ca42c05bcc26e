/*
 * edge/edge_conf.c: reads the edge's sections of the stack file (listeners with their rules,
 * target_groups, access_log, edge) into a struct edge_conf, filling defaults and reporting
 * every problem against its node. It validates and copies; it opens no sockets (its one
 * file-system access is a stat of each static root) and does not check top-level keys it
 * does not own (the daemon does, with edge_conf_keys).
 */
#include "edge/edge_conf.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/value.h"
#include "core/mem.h"
#include "edge/edge_conf_internal.h"

#define EDGE_CONF_WORKERS_MAX 256

const char *const edge_conf_keys[] = { "listeners", "target_groups", "access_log", "edge", NULL };

static const char *const listener_keys[] = { "name", "address", "rules", NULL };
static const char *const rule_keys[] = { "match", "forward", "static", NULL };
static const char *const match_keys[] = { "path_prefix", "host", "method", "header", NULL };
static const char *const header_keys[] = { "name", "value", NULL };
static const char *const static_keys[] = { "root", "index", "cache_max_age", NULL };
static const char *const access_log_keys[] = { "path", "format", NULL };
static const char *const edge_keys[] = { "workers", "timeouts", "limits", NULL };
static const char *const timeout_keys[] = {
    "client_header", "client_body", "keepalive", "send", "upstream_connect", "upstream_read",
    "tunnel", "shutdown", NULL,
};
static const char *const limit_keys[] = { "header_bytes", "headers", "body_bytes", NULL };
/* Indexed by enum edge_algorithm. */
static const char *const log_formats[] = { "combined", "json", NULL };

/* Names appear in metrics, logs and the control API, so they stay simple. */
bool
edge_conf_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > EDGE_CONF_NAME_MAX)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

/* An HTTP token (RFC 9110 tchar): methods and header names. */
static bool
edge_conf_is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch <= 0x20 || ch >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", ch))
            return false;
    }
    return true;
}

static bool
edge_conf_host_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("-._*?:[]", *s)))
            return false;
    return true;
}

/* A section that may be absent (or written as an empty "key:"); reports anything but a map. */
const struct conf_node *
edge_conf_section(const struct conf_node *map, const char *key, const char *what,
                  struct diag *d)
{
    const struct conf_node *n = conf_map_get(map, key);

    if (!n || conf_is_null(n))
        return NULL;
    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return NULL;
    return n;
}

/* Writes ms as a duration in its largest exact unit ("5s", "1500ms", "2m") for messages. */
const char *
edge_conf_ms_text(uint64_t ms, char *buf, size_t len)
{
    static const struct {
        const char *unit;
        uint64_t ms;
    } units[] = { { "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 } };

    for (unsigned i = 0; ms && i < sizeof(units) / sizeof(units[0]); i++) {
        if (ms % units[i].ms == 0) {
            snprintf(buf, len, "%" PRIu64 "%s", ms / units[i].ms, units[i].unit);
            return buf;
        }
    }
    snprintf(buf, len, ms ? "%" PRIu64 "ms" : "%" PRIu64, ms);
    return buf;
}

/* Reads a duration within [min_ms, max_ms]; `range` says the bounds in words for the
 * message ("from 5s to 300s"). Returns 0, or -EINVAL after one diagnostic. */
int
edge_conf_duration_in(const struct conf_node *n, uint64_t min_ms, uint64_t max_ms,
                      const char *range, uint64_t *out, struct diag *d)
{
    uint64_t ms;

    if (conf_duration_ms(n, &ms, d) < 0)
        return -EINVAL;
    if (ms < min_ms || ms > max_ms) {
        diag_at(d, n, "%s: %.60s is out of range; write a duration %s", n->path, n->str, range);
        return -EINVAL;
    }
    *out = ms;
    return 0;
}

/* Reads "host:port" from a scalar. Returns 0 and sets *addr and *text (a new string, the
 * normalised form), or -EINVAL after one diagnostic. */
int
edge_conf_addr(const struct conf_node *n, const char *what, struct sock_addr *addr, char **text,
               struct diag *d)
{
    const char *s, *why = "invalid";
    char buf[80];

    if (n->kind != CONF_SCALAR || conf_is_null(n)) {
        diag_at(d, n, "%s: expected an address like 127.0.0.1:8080, got %s", what,
                conf_is_null(n) ? "nothing" : conf_kind_name(n->kind));
        return -EINVAL;
    }
    s = n->str;
    if (sock_addr_parse(s, addr, &why) < 0) {
        diag_at(d, n, "%s: \"%.60s\" is not an address: %s; write it like 127.0.0.1:8080 or "
                "[::1]:8080", what, s, why);
        return -EINVAL;
    }
    sock_addr_format(addr, buf, sizeof(buf));
    *text = mem_strdup_or_exit(buf);
    return 0;
}


/* Reads an optional string condition into a new string; NULL when absent or invalid. */
static char *
edge_conf_match_str(const struct conf_node *match, const char *key, struct diag *d)
{
    const struct conf_node *n = conf_map_get(match, key);
    const char *s;

    if (!n || conf_string(n, &s, d) < 0)
        return NULL;
    return mem_strdup_or_exit(s);
}

static void
edge_conf_read_match(struct edge_match *m, const struct conf_node *match, const char *what,
                     struct diag *d)
{
    if (conf_is_null(match) || (match->kind == CONF_MAP && match->n == 0)) {
        diag_at(d, match, "%s: match has no conditions; remove \"match\" to make this the "
                "default rule, or add path_prefix, host, method or header", what);
        return;
    }
    if (conf_expect(match, CONF_MAP, what, d) < 0)
        return;
    conf_check_keys(match, match_keys, what, d);

    m->path_prefix = edge_conf_match_str(match, "path_prefix", d);
    if (m->path_prefix && m->path_prefix[0] != '/')
        diag_at(d, conf_map_get(match, "path_prefix"),
                "%s: path_prefix \"%.60s\" must start with '/'; write \"/%.60s\"", what,
                m->path_prefix, m->path_prefix);
    m->host = edge_conf_match_str(match, "host", d);
    if (m->host && !edge_conf_host_ok(m->host))
        diag_at(d, conf_map_get(match, "host"),
                "%s: host \"%.60s\" is not a host name pattern; use letters, digits, '-', '.' and "
                "the wildcards '*' and '?'", what, m->host);
    m->method = edge_conf_match_str(match, "method", d);
    if (m->method && !edge_conf_is_token(m->method))
        diag_at(d, conf_map_get(match, "method"),
                "%s: method \"%.60s\" is not an HTTP method; write one like GET or POST", what,
                m->method);

    const struct conf_node *h = conf_map_get(match, "header");
    if (!h)
        return;
    char hwhat[192];
    snprintf(hwhat, sizeof(hwhat), "%s: header", what);
    if (conf_is_null(h)) {
        diag_at(d, h, "%s: needs a name and a value, like { name: X-Env, value: beta* }", hwhat);
        return;
    }
    if (conf_expect(h, CONF_MAP, hwhat, d) < 0)
        return;
    conf_check_keys(h, header_keys, hwhat, d);
    const struct conf_node *hn = conf_require(h, "name", hwhat, d);
    const struct conf_node *hv = conf_require(h, "value", hwhat, d);
    const char *s;
    if (hn && conf_string(hn, &s, d) == 0) {
        if (edge_conf_is_token(s))
            m->header_name = mem_strdup_or_exit(s);
        else
            diag_at(d, hn, "%s: \"%.60s\" is not a header name; use letters, digits and '-'",
                    hwhat, s);
    }
    if (hv && conf_string(hv, &s, d) == 0)
        m->header_value = mem_strdup_or_exit(s);
}

/* The root must be a directory now; a relative one is looked up from the current
 * directory, which the message names so that a wrong start directory is obvious. */
static void
edge_conf_check_root(const struct conf_node *n, const char *root, const char *what,
                     struct diag *d)
{
    char cwd[4096], tried[4352];
    struct stat st;

    if (!root[0]) {
        diag_at(d, n, "%s: root is empty; give the directory that holds the files, like "
                "./public", what);
        return;
    }
    if (root[0] == '/')
        snprintf(tried, sizeof(tried), "%s", root);
    else
        snprintf(tried, sizeof(tried), "%s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : ".", root);
    if (stat(root, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            diag_at(d, n, "%s: root \"%.60s\" is not a directory (tried %.200s); give the "
                    "directory that holds the files", what, root, tried);
        return;
    }
    if (errno == ENOENT || errno == ENOTDIR)
        diag_at(d, n, "%s: root \"%.60s\" does not exist (tried %.200s%s); create the directory "
                "or fix the path", what, root, tried,
                root[0] == '/' ? "" : ", relative to the current directory");
    else
        diag_at(d, n, "%s: root \"%.60s\" cannot be used (tried %.200s): %s; check its "
                "permissions", what, root, tried, strerror(errno));
}

/* Reads a static action into a new edge_static_conf (the rule owns it), or NULL when
 * the value is not a map. */
static struct edge_static_conf *
edge_conf_read_static(const struct conf_node *n, const char *rwhat, struct diag *d)
{
    char what[192];
    const struct conf_node *v;
    const char *s;

    snprintf(what, sizeof(what), "%s: static", rwhat);
    if (conf_is_null(n)) {
        diag_at(d, n, "%s: needs a root directory, like { root: ./public }", what);
        return NULL;
    }
    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return NULL;
    conf_check_keys(n, static_keys, what, d);

    struct edge_static_conf *sc = mem_alloc_or_exit(sizeof(*sc));
    sc->index = mem_strdup_or_exit("index.html");
    if ((v = conf_require(n, "root", what, d)) && conf_string(v, &s, d) == 0) {
        sc->root = mem_strdup_or_exit(s);
        edge_conf_check_root(v, s, what, d);
    }
    if ((v = conf_map_get(n, "index")) && conf_string(v, &s, d) == 0) {
        if (!s[0] || strchr(s, '/') || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
            diag_at(d, v, "%s: index \"%.60s\" must be a plain file name like index.html, "
                    "without '/'", what, s);
        } else {
            free(sc->index);
            sc->index = mem_strdup_or_exit(s);
        }
    }
    if ((v = conf_map_get(n, "cache_max_age")))
        edge_conf_duration_in(v, 0, 365 * 86400 * EDGE_CONF_SEC, "from 0 to 365d",
                              &sc->cache_max_age_ms, d);
    return sc;
}

/* Collects the target group names for "did you mean" (a new NULL-terminated array). */
static const char **
edge_conf_tg_names(const struct edge_conf *c)
{
    const char **names = mem_alloc_or_exit((c->ntgs + 1) * sizeof(*names));

    for (unsigned i = 0; i < c->ntgs; i++)
        names[i] = c->tgs[i].name;
    names[c->ntgs] = NULL;
    return names;
}

static void
edge_conf_read_rule(struct edge_conf *c, struct edge_rule *r, const struct conf_node *n,
                    const char *what, struct diag *d)
{
    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return;
    conf_check_keys(n, rule_keys, what, d);

    const struct conf_node *match = conf_map_get(n, "match");
    if (match) {
        r->has_match = true;
        edge_conf_read_match(&r->match, match, what, d);
    }
    const struct conf_node *fwd = conf_map_get(n, "forward");
    const struct conf_node *st = conf_map_get(n, "static");
    if (fwd && st)
        diag_at(d, n, "%s: a rule has one action: forward or static; keep one of them", what);
    else if (!fwd && !st)
        diag_at(d, n, "%s: a rule needs an action; add forward: <target group> or static: "
                "{ root: <directory> }", what);
    if (st)
        r->static_files = edge_conf_read_static(st, what, d);
    if (!fwd)
        return;
    fwd = conf_require(n, "forward", what, d);     /* reports "forward:" with no value */
    const char *name;
    if (!fwd || conf_string(fwd, &name, d) < 0)
        return;
    r->forward = mem_strdup_or_exit(name);
    int i = edge_conf_tg_find(c, name);
    if (i >= 0) {
        r->tg_index = (unsigned)i;
        return;
    }
    const char **names = edge_conf_tg_names(c);
    const char *near = conf_suggest(name, names);
    if (near)
        diag_at(d, fwd, "%s: forward: no target group named \"%.60s\"; did you mean \"%s\"?",
                what, name, near);
    else
        diag_at(d, fwd, "%s: forward: no target group named \"%.60s\"; define it under "
                "target_groups", what, name);
    free(names);
}

static void
edge_conf_read_listener(struct edge_conf *c, struct edge_listener_conf *l,
                        const struct conf_node *n, unsigned idx, struct diag *d)
{
    char what[128], rwhat[160];
    const char *s;

    snprintf(what, sizeof(what), "listener %u", idx + 1);
    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return;

    const struct conf_node *name = conf_require(n, "name", what, d);
    if (name && conf_string(name, &s, d) == 0) {
        snprintf(what, sizeof(what), "listener \"%.60s\"", s);
        if (!edge_conf_name_ok(s)) {
            diag_at(d, name, "%s: a name may use only letters, digits, '-', '_' and '.' (at most "
                    "%d)", what, EDGE_CONF_NAME_MAX);
        } else {
            for (unsigned i = 0; i < c->nlisteners; i++)
                if (c->listeners[i].name && strcmp(c->listeners[i].name, s) == 0)
                    diag_at(d, name, "%s: the name is already used by listener %u; names must "
                            "be unique", what, i + 1);
            l->name = mem_strdup_or_exit(s);
        }
    }
    conf_check_keys(n, listener_keys, what, d);

    const struct conf_node *addr = conf_require(n, "address", what, d);
    if (addr && edge_conf_addr(addr, what, &l->addr, &l->addr_text, d) == 0) {
        /* Port 0 asks the kernel for a free port, so two of them never clash. */
        for (unsigned i = 0; i < c->nlisteners && sock_addr_port(&l->addr) != 0; i++) {
            const struct edge_listener_conf *o = &c->listeners[i];
            if (o->addr_text && sock_addr_equal(&o->addr, &l->addr))
                diag_at(d, addr, "%s: address %s is already used by listener \"%s\"; give each "
                        "listener its own address", what, l->addr_text,
                        o->name ? o->name : "?");
        }
    }

    const struct conf_node *rules = conf_require(n, "rules", what, d);
    if (!rules)
        return;
    snprintf(rwhat, sizeof(rwhat), "%s: rules", what);
    if (conf_expect(rules, CONF_SEQ, rwhat, d) < 0)
        return;
    if (rules->n == 0) {
        diag_at(d, rules, "%s: no rules; add at least one, like - forward: <target group>", what);
        return;
    }
    l->rules = mem_alloc_or_exit(rules->n * sizeof(*l->rules));
    int catch_all = -1;
    for (unsigned i = 0; i < rules->n; i++) {
        snprintf(rwhat, sizeof(rwhat), "%s rule %u", what, i + 1);
        if (catch_all >= 0 && catch_all + 1 == (int)i)
            diag_at(d, rules->items[i], "%s is never used: rule %d has no match and takes every "
                    "request; move the rule without match to the end", rwhat, catch_all + 1);
        struct edge_rule *r = &l->rules[l->nrules++];
        edge_conf_read_rule(c, r, rules->items[i], rwhat, d);
        if (!r->has_match && catch_all < 0)
            catch_all = (int)i;
    }
}

static void
edge_conf_read_listeners(struct edge_conf *c, const struct conf_node *root, struct diag *d)
{
    const struct conf_node *ls = conf_map_get(root, "listeners");

    if (!ls) {
        diag_at(d, root, "missing required key \"listeners\"; add at least one listener with a "
                "name, an address and rules");
        return;
    }
    if (conf_is_null(ls) || (ls->kind == CONF_SEQ && ls->n == 0)) {
        diag_at(d, ls, "listeners: none given; add at least one listener with a name, an "
                "address and rules");
        return;
    }
    if (conf_expect(ls, CONF_SEQ, "listeners", d) < 0)
        return;
    c->listeners = mem_alloc_or_exit(ls->n * sizeof(*c->listeners));
    for (unsigned i = 0; i < ls->n; i++) {
        /* Counted before reading, so later listeners compare against a partial one safely. */
        struct edge_listener_conf *l = &c->listeners[c->nlisteners];
        edge_conf_read_listener(c, l, ls->items[i], i, d);
        c->nlisteners++;
    }
}

static void
edge_conf_read_access_log(struct edge_conf *c, const struct conf_node *root, struct diag *d)
{
    const struct conf_node *al = edge_conf_section(root, "access_log", "access_log", d);
    const char *s;

    if (!al)
        return;
    conf_check_keys(al, access_log_keys, "access_log", d);
    const struct conf_node *path = conf_require(al, "path", "access_log", d);
    if (path && conf_string(path, &s, d) == 0 && strcmp(s, "off") != 0) {
        c->access_log.enabled = true;
        c->access_log.path = mem_strdup_or_exit(s);
    }
    const struct conf_node *fmt = conf_map_get(al, "format");
    if (!fmt || conf_string(fmt, &s, d) < 0)
        return;
    if (strcmp(s, "combined") == 0) {
        c->access_log.format = EDGE_LOG_COMBINED;
    } else if (strcmp(s, "json") == 0) {
        c->access_log.format = EDGE_LOG_JSON;
    } else {
        const char *near = conf_suggest(s, log_formats);
        if (near)
            diag_at(d, fmt, "access_log.format: unknown format \"%.60s\"; did you mean \"%s\"?",
                    s, near);
        else
            diag_at(d, fmt, "access_log.format: unknown format \"%.60s\"; use combined or json",
                    s);
    }
}

static void
edge_conf_read_timeouts(struct edge_timeouts *t, const struct conf_node *edge, struct diag *d)
{
    const struct conf_node *tn = edge_conf_section(edge, "timeouts", "edge.timeouts", d);
    uint64_t *fields[] = {
        &t->client_header_ms, &t->client_body_ms, &t->keepalive_ms, &t->send_ms,
        &t->upstream_connect_ms, &t->upstream_read_ms, &t->tunnel_ms, &t->shutdown_ms,
    };
    uint64_t ms;

    if (!tn)
        return;
    conf_check_keys(tn, timeout_keys, "edge.timeouts", d);
    for (unsigned i = 0; timeout_keys[i]; i++) {
        const struct conf_node *n = conf_map_get(tn, timeout_keys[i]);
        if (!n || conf_duration_ms(n, &ms, d) < 0)
            continue;
        if (ms == 0)
            diag_at(d, n, "edge.timeouts.%s: must be more than 0; write a duration like \"30s\"",
                    timeout_keys[i]);
        else
            *fields[i] = ms;
    }
}

static void
edge_conf_read_limits(struct edge_limits *lim, const struct conf_node *edge, struct diag *d)
{
    const struct conf_node *ln = edge_conf_section(edge, "limits", "edge.limits", d);
    const struct conf_node *n;
    uint64_t v;

    if (!ln)
        return;
    conf_check_keys(ln, limit_keys, "edge.limits", d);
    if ((n = conf_map_get(ln, "header_bytes")) && conf_size_bytes(n, &v, d) == 0) {
        if (v < 1024 || v > 1024 * 1024)
            diag_at(d, n, "edge.limits.header_bytes: %" PRIu64 " bytes is out of range; write "
                    "a size from 1k to 1m", v);
        else
            lim->header_bytes = v;
    }
    if ((n = conf_map_get(ln, "headers")) && conf_uint(n, 1, 256, &v, d) == 0)
        lim->headers = v;
    if ((n = conf_map_get(ln, "body_bytes")) && conf_size_bytes(n, &v, d) == 0)
        lim->body_bytes = v;
}

static void
edge_conf_read_edge(struct edge_conf *c, const struct conf_node *root, struct diag *d)
{
    const struct conf_node *edge = edge_conf_section(root, "edge", "edge", d);
    const struct conf_node *w;
    uint64_t v;

    if (!edge)
        return;
    conf_check_keys(edge, edge_keys, "edge", d);
    w = conf_map_get(edge, "workers");
    if (w && !(w->kind == CONF_SCALAR && strcmp(w->str, "auto") == 0)) {
        if (w->kind == CONF_SCALAR && w->str[0] >= '0' && w->str[0] <= '9') {
            if (conf_uint(w, 1, EDGE_CONF_WORKERS_MAX, &v, d) == 0)
                c->workers = (unsigned)v;
        } else if (w->kind == CONF_SCALAR && !conf_is_null(w)) {
            diag_at(d, w, "edge.workers: \"%.60s\" is not a worker count; write auto or a "
                    "number from 1 to %d", w->str, EDGE_CONF_WORKERS_MAX);
        } else {
            diag_at(d, w, "edge.workers: expected auto or a number from 1 to %d, got %s",
                    EDGE_CONF_WORKERS_MAX, conf_is_null(w) ? "nothing" : conf_kind_name(w->kind));
        }
    }
    edge_conf_read_timeouts(&c->timeouts, edge, d);
    edge_conf_read_limits(&c->limits, edge, d);
}

static unsigned
edge_conf_auto_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1)
        return 1;
    return n > EDGE_CONF_WORKERS_MAX ? EDGE_CONF_WORKERS_MAX : (unsigned)n;
}

int
edge_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
                struct edge_conf **out)
{
    struct diag *d = cx->d;
    unsigned before = diag_count(d);
    struct edge_conf c = {
        .timeouts = {
            .client_header_ms = 10000, .client_body_ms = 30000, .keepalive_ms = 75000,
            .send_ms = 60000, .upstream_connect_ms = 5000, .upstream_read_ms = 60000,
            .tunnel_ms = 3600000, .shutdown_ms = 30000,
        },
        .limits = { .header_bytes = 16 * 1024, .headers = 100, .body_bytes = 10 * 1024 * 1024 },
        .access_log = { .format = EDGE_LOG_COMBINED },
    };

    *out = NULL;
    if (!root) {
        diag_at(d, NULL, "the stack file is empty; it needs at least one listener, like: "
                "listeners: [{ name: public, address: 127.0.0.1:8080, rules: [{ forward: web }] "
                "}]");
        return -EINVAL;
    }
    if (root->kind != CONF_MAP) {
        diag_at(d, root, "the stack file must be a map of sections (listeners:, "
                "target_groups:, ...), not %s", conf_kind_name(root->kind));
        return -EINVAL;
    }
    tg_conf_read_all(&c, root, d);        /* first: rules resolve their forward here */
    edge_conf_read_listeners(&c, root, d);
    edge_conf_read_access_log(&c, root, d);
    edge_conf_read_edge(&c, root, d);
    if (!c.workers)
        c.workers = edge_conf_auto_workers();
    if (diag_count(d) > before) {
        edge_conf_fini(&c);
        return -EINVAL;
    }
    *out = mem_alloc_or_exit(sizeof(**out));
    **out = c;
    return 0;
}

void
edge_conf_free(struct edge_conf *c)
{
    if (!c)
        return;
    edge_conf_fini(c);
    free(c);
}

void
edge_conf_fini(struct edge_conf *c)
{
    for (unsigned i = 0; i < c->nlisteners; i++) {
        struct edge_listener_conf *l = &c->listeners[i];
        for (unsigned j = 0; j < l->nrules; j++) {
            struct edge_rule *r = &l->rules[j];
            free(r->match.path_prefix);
            free(r->match.host);
            free(r->match.method);
            free(r->match.header_name);
            free(r->match.header_value);
            free(r->forward);
            if (r->static_files) {
                free(r->static_files->root);
                free(r->static_files->index);
                free(r->static_files);
            }
        }
        free(l->rules);
        free(l->name);
        free(l->addr_text);
    }
    free(c->listeners);
    for (unsigned i = 0; i < c->ntgs; i++) {
        for (unsigned j = 0; j < c->tgs[i].ntargets; j++)
            free(c->tgs[i].targets[j].addr_text);
        free(c->tgs[i].targets);
        free(c->tgs[i].name);
        free(c->tgs[i].health.path);
        free(c->tgs[i].health.matcher);
    }
    free(c->tgs);
    free(c->access_log.path);
    memset(c, 0, sizeof(*c));
}

int
edge_conf_tg_find(const struct edge_conf *c, const char *name)
{
    for (unsigned i = 0; i < c->ntgs; i++)
        if (strcmp(c->tgs[i].name, name) == 0)
            return (int)i;
    return -1;
}
