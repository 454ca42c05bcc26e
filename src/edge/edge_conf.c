/*
 * edge/edge_conf.c: reads the edge's sections of the stack file (listeners with their rules,
 * target_groups, access_log, edge) into a struct edge_conf through the key table of
 * edge_keys.c (every key, its default and simple bounds), reporting every problem against
 * its node. It validates and copies; it opens no sockets (its one file-system access is a
 * stat of each static root) and does not check top-level keys it does not own (the daemon
 * does, from the key tables).
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

#include "conf/keys.h"
#include "conf/value.h"
#include "core/mem.h"
#include "edge/edge_conf_internal.h"
#include "edge/h2conf.h"
#include "edge/edge_keys.h"
#include "edge/tls_conf.h"

#define K EDGE_K

void
edge_conf_check_map(const struct conf_node *map, enum edge_key parent, const char *what,
                    struct diag *d)
{
    conf_key_check_map(map, edge_keys, EK_COUNT, K(parent), what, d);
}

const struct conf_node *
edge_conf_raw(const struct conf_node *map, enum edge_key id)
{
    return conf_map_get(map, conf_key_leaf(K(id)));
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

const struct conf_node *
edge_conf_section(const struct conf_node *map, enum edge_key id, const char *what,
                  struct diag *d)
{
    const struct conf_node *n = conf_key_get(map, K(id));

    if (!n || conf_expect(n, CONF_MAP, what, d) < 0)
        return NULL;
    return n;
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

/* Reads an optional string condition into a new string; NULL when absent or invalid. A
 * condition written without a value is an error, not "any": it would make the rule match
 * every request while it looks like it does not. */
static char *
edge_conf_match_str(const struct conf_node *match, enum edge_key id, struct diag *d)
{
    const struct conf_node *n = edge_conf_raw(match, id);
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
    edge_conf_check_map(match, EK_R_MATCH, what, d);

    m->path_prefix = edge_conf_match_str(match, EK_M_PATH_PREFIX, d);
    if (m->path_prefix && m->path_prefix[0] != '/')
        diag_at(d, edge_conf_raw(match, EK_M_PATH_PREFIX),
                "%s: path_prefix \"%.60s\" must start with '/'; write \"/%.60s\"", what,
                m->path_prefix, m->path_prefix);
    m->host = edge_conf_match_str(match, EK_M_HOST, d);
    if (m->host && !edge_conf_host_ok(m->host))
        diag_at(d, edge_conf_raw(match, EK_M_HOST),
                "%s: host \"%.60s\" is not a host name pattern; use letters, digits, '-', '.' and "
                "the wildcards '*' and '?'", what, m->host);
    m->method = edge_conf_match_str(match, EK_M_METHOD, d);
    if (m->method && !edge_conf_is_token(m->method))
        diag_at(d, edge_conf_raw(match, EK_M_METHOD),
                "%s: method \"%.60s\" is not an HTTP method; write one like GET or POST", what,
                m->method);

    const struct conf_node *h = edge_conf_raw(match, EK_M_HEADER);
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
    edge_conf_check_map(h, EK_M_HEADER, hwhat, d);      /* both are required */
    const char *s;
    if (conf_key_string(h, K(EK_M_HEADER_NAME), &s, d) == 0) {
        if (edge_conf_is_token(s))
            m->header_name = mem_strdup_or_exit(s);
        else
            diag_at(d, conf_key_get(h, K(EK_M_HEADER_NAME)),
                    "%s: \"%.60s\" is not a header name; use letters, digits and '-'", hwhat, s);
    }
    if (conf_key_string(h, K(EK_M_HEADER_VALUE), &s, d) == 0)
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
    const char *s;

    snprintf(what, sizeof(what), "%s: static", rwhat);
    if (conf_is_null(n)) {
        diag_at(d, n, "%s: needs a root directory, like { root: ./public }", what);
        return NULL;
    }
    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return NULL;
    edge_conf_check_map(n, EK_R_STATIC, what, d);

    struct edge_static_conf *sc = mem_alloc_or_exit(sizeof(*sc));
    if (conf_key_string(n, K(EK_S_ROOT), &s, d) == 0) {
        sc->root = mem_strdup_or_exit(s);
        edge_conf_check_root(conf_key_get(n, K(EK_S_ROOT)), s, what, d);
    }
    if (conf_key_string(n, K(EK_S_INDEX), &s, d) == 0) {
        if (!s[0] || strchr(s, '/') || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
            diag_at(d, conf_key_get(n, K(EK_S_INDEX)), "%s: index \"%.60s\" must be a plain file "
                    "name like index.html, without '/'", what, s);
        else
            sc->index = mem_strdup_or_exit(s);
    }
    conf_key_duration(n, K(EK_S_CACHE_MAX_AGE), &sc->cache_max_age_ms, d);
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
    edge_conf_check_map(n, EK_L_RULES, what, d);

    /* Present, even as an empty "match:", means the rule has conditions (or an error). */
    const struct conf_node *match = edge_conf_raw(n, EK_R_MATCH);
    if (match) {
        r->has_match = true;
        edge_conf_read_match(&r->match, match, what, d);
    }
    const struct conf_node *fwd = edge_conf_raw(n, EK_R_FORWARD);
    const struct conf_node *st = edge_conf_raw(n, EK_R_STATIC);
    const struct conf_node *rd = edge_conf_raw(n, EK_R_REDIRECT);
    if ((fwd != NULL) + (st != NULL) + (rd != NULL) > 1)
        diag_at(d, n, "%s: a rule has one action: forward, static or redirect; keep one of "
                "them", what);
    else if (!fwd && !st && !rd)
        diag_at(d, n, "%s: a rule needs an action; add forward: <target group>, static: "
                "{ root: <directory> } or redirect: { scheme: https }", what);
    if (st)
        r->static_files = edge_conf_read_static(st, what, d);
    if (rd)
        r->redirect = tls_conf_read_redirect(rd, what, d);
    if (!fwd)
        return;
    if (conf_is_null(fwd)) {
        diag_at(d, fwd, "%s: \"%s\" has no value; write one after the ':'", what,
                conf_key_leaf(K(EK_R_FORWARD)));
        return;
    }
    const char *name;
    if (conf_key_string(n, K(EK_R_FORWARD), &name, d) < 0)
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
                        const struct conf_node *root, const struct conf_node *n, unsigned idx,
                        struct diag *d)
{
    const struct conf_key *kname = K(EK_L_NAME), *krules = K(EK_L_RULES);
    char what[128], rwhat[160];
    const char *s;

    snprintf(what, sizeof(what), "listener %u", idx + 1);
    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return;

    /* Read first, so that every later message names the listener. */
    if (conf_key_string(n, kname, &s, d) == 0) {
        const struct conf_node *name = conf_key_get(n, kname);
        snprintf(what, sizeof(what), "listener \"%.60s\"", s);
        if (conf_name_check(name, "listener", (unsigned)kname->max, d) == 0) {
            for (unsigned i = 0; i < c->nlisteners; i++)
                if (c->listeners[i].name && strcmp(c->listeners[i].name, s) == 0)
                    diag_at(d, name, "%s: the name is already used by listener %u; names must "
                            "be unique", what, i + 1);
            l->name = mem_strdup_or_exit(s);
        }
    }
    edge_conf_check_map(n, EK_LISTENERS, what, d);

    const struct conf_node *addr = conf_key_get(n, K(EK_L_ADDRESS));
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

    h2conf_read(&l->http2, n, what, d);

    const struct conf_node *rules = conf_key_get(n, krules);
    snprintf(rwhat, sizeof(rwhat), "%s: rules", what);
    if (!rules || conf_expect(rules, CONF_SEQ, rwhat, d) < 0) {
        tls_conf_read(l, root, n, what, d);
        return;
    }
    if (rules->n < krules->min) {
        diag_at(d, rules, "%s: no rules; add at least one, like - forward: <target group>", what);
        tls_conf_read(l, root, n, what, d);
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
    tls_conf_read(l, root, n, what, d);
}

static void
edge_conf_read_listeners(struct edge_conf *c, const struct conf_node *root, struct diag *d)
{
    const struct conf_node *ls = edge_conf_raw(root, EK_LISTENERS);

    if (!ls) {
        diag_at(d, root, "missing required key \"listeners\"; add at least one listener with a "
                "name, an address and rules");
        return;
    }
    if (conf_is_null(ls) || (ls->kind == CONF_SEQ && ls->n < K(EK_LISTENERS)->min)) {
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
        edge_conf_read_listener(c, l, root, ls->items[i], i, d);
        c->nlisteners++;
    }
}

/* Absent: no access log (the format still gets its default). */
static void
edge_conf_read_access_log(struct edge_conf *c, const struct conf_node *root, struct diag *d)
{
    const struct conf_node *al = edge_conf_section(root, EK_ACCESS_LOG, "access_log", d);
    const char *s;

    edge_conf_check_map(al, EK_ACCESS_LOG, "access_log", d);
    if (conf_key_string(al, K(EK_AL_PATH), &s, d) == 0 && strcmp(s, "off") != 0) {
        c->access_log.enabled = true;
        c->access_log.path = mem_strdup_or_exit(s);
    }
    int f = conf_key_enum(al, K(EK_AL_FORMAT), d);
    if (f >= 0)
        c->access_log.format = (enum edge_log_format)f;
}

/* Each timeout must be more than 0: a zero would close every connection at once. */
static void
edge_conf_read_timeouts(struct edge_timeouts *t, const struct conf_node *edge, struct diag *d)
{
    const struct conf_node *tn = edge_conf_section(edge, EK_TIMEOUTS, "edge.timeouts", d);
    uint64_t *fields[] = {
        &t->client_header_ms, &t->client_body_ms, &t->keepalive_ms, &t->send_ms,
        &t->upstream_connect_ms, &t->upstream_read_ms, &t->tunnel_ms, &t->shutdown_ms,
    };
    _Static_assert(sizeof(fields) / sizeof(fields[0]) == EK_T_SHUTDOWN - EK_T_CLIENT_HEADER + 1,
                   "one field per timeout key");
    uint64_t ms;

    edge_conf_check_map(tn, EK_TIMEOUTS, "edge.timeouts", d);
    for (unsigned id = EK_T_CLIENT_HEADER; id <= EK_T_SHUTDOWN; id++) {
        const struct conf_key *k = K(id);
        const struct conf_node *n = conf_key_get(tn, k);
        /* A clearer message than the range "1ms to <the largest duration>". */
        if (n && n->kind == CONF_SCALAR && conf_parse_duration_ms(n->str, &ms) == 0 &&
            ms < k->min) {
            diag_at(d, n, "%s: must be more than 0; write a duration like \"30s\"", n->path);
            continue;
        }
        if (conf_key_duration(tn, k, &ms, d) == 0)
            *fields[id - EK_T_CLIENT_HEADER] = ms;
    }
}

static void
edge_conf_read_limits(struct edge_limits *lim, const struct conf_node *edge, struct diag *d)
{
    const struct conf_node *ln = edge_conf_section(edge, EK_LIMITS, "edge.limits", d);

    edge_conf_check_map(ln, EK_LIMITS, "edge.limits", d);
    conf_key_size(ln, K(EK_LIM_HEADER_BYTES), &lim->header_bytes, d);
    conf_key_uint(ln, K(EK_LIM_HEADERS), &lim->headers, d);
    conf_key_size(ln, K(EK_LIM_BODY_BYTES), &lim->body_bytes, d);
}

/* workers: "auto" (the default; resolved by the caller) or a count. */
static void
edge_conf_read_workers(struct edge_conf *c, const struct conf_node *edge, struct diag *d)
{
    const struct conf_key *k = K(EK_WORKERS);
    const struct conf_node *w = conf_key_get(edge, k);
    uint64_t v;

    c->workers = 0;
    if (!w || (w->kind == CONF_SCALAR && strcmp(w->str, "auto") == 0))
        return;
    if (w->kind == CONF_SCALAR && w->str[0] >= '0' && w->str[0] <= '9') {
        if (conf_key_uint(edge, k, &v, d) == 0)
            c->workers = (unsigned)v;
    } else if (w->kind == CONF_SCALAR) {
        diag_at(d, w, "%s: \"%.60s\" is not a worker count; write auto or a number from %" PRIu64
                " to %" PRIu64, w->path, w->str, k->min, k->max);
    } else {
        diag_at(d, w, "%s: expected auto or a number from %" PRIu64 " to %" PRIu64 ", got %s",
                w->path, k->min, k->max, conf_kind_name(w->kind));
    }
}

/* Absent: every default, read from the key table like written values. */
static void
edge_conf_read_edge(struct edge_conf *c, const struct conf_node *root, struct diag *d)
{
    const struct conf_node *edge = edge_conf_section(root, EK_EDGE, "edge", d);

    edge_conf_check_map(edge, EK_EDGE, "edge", d);
    edge_conf_read_workers(c, edge, d);
    edge_conf_read_timeouts(&c->timeouts, edge, d);
    edge_conf_read_limits(&c->limits, edge, d);
}

static unsigned
edge_conf_auto_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t max = K(EK_WORKERS)->max;

    if (n < 1)
        return 1;
    return (uint64_t)n > max ? (unsigned)max : (unsigned)n;
}

int
edge_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
                struct edge_conf **out)
{
    struct diag *d = cx->d;
    unsigned before = diag_count(d);
    struct edge_conf c = { .nlisteners = 0 };     /* defaults come from the key table */

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
            tls_conf_free_redirect(r->redirect);
        }
        tls_conf_free(l->tls);
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
        if (c->tgs[i].fastcgi) {
            struct edge_fcgi_conf *fc = c->tgs[i].fastcgi;
            for (unsigned j = 0; j < fc->nparams; j++) {
                free(fc->param_names[j]);
                free(fc->param_values[j]);
            }
            free(fc->param_names);
            free(fc->param_values);
            free(fc->root);
            free(fc->index);
            free(fc->split_path);
            free(fc);
        }
        free(c->tgs[i].tls.ca);
        free(c->tgs[i].tls.sni);
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
