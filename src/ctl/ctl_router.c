/*
 * ctl/ctl_router.c: the route table of the control API. A pattern is split into path
 * segments once, when added; a "{name}" segment matches any one non-empty segment and is
 * handed to the handler percent-decoded. Linear search: there are a few dozen routes.
 */
#include "ctl/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"

void
ctl_router_init(struct ctl_router *rt)
{
    memset(rt, 0, sizeof(*rt));
}

void
ctl_router_fini(struct ctl_router *rt)
{
    for (unsigned i = 0; i < rt->n; i++) {
        struct ctl_route_ent *r = &rt->routes[i];
        for (unsigned k = 0; k < r->nsegs; k++)
            free(r->segs[k]);
        free(r->method);
        free(r->pattern);
    }
    rt->n = 0;
}

static bool
seg_is_param(const char *s)
{
    size_t n = strlen(s);
    return n > 2 && s[0] == '{' && s[n - 1] == '}';
}

int
ctl_router_add(struct ctl_router *rt, const char *method, const char *pattern,
               ctl_handler_fn fn, void *ctx)
{
    struct ctl_route_ent r = { 0 };
    unsigned nparams = 0;

    if (!method || !*method || !pattern || pattern[0] != '/' || !fn)
        return -EINVAL;
    if (rt->n == CTL_ROUTES_MAX)
        return -ENOSPC;
    for (unsigned i = 0; i < rt->n; i++)
        if (strcmp(rt->routes[i].method, method) == 0 &&
            strcmp(rt->routes[i].pattern, pattern) == 0)
            return -EEXIST;
    for (const char *p = pattern + 1; *p;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || r.nsegs == CTL_SEGS_MAX)
            goto bad;
        if (!(r.segs[r.nsegs] = strndup(p, n)))
            goto nomem;
        if (seg_is_param(r.segs[r.nsegs]) &&
            (++nparams > CTL_KV_MAX || n - 2 >= sizeof(((struct ctl_kv *)0)->name[0])))
            goto bad;
        r.nsegs++;
        p += n + (slash ? 1 : 0);
        if (slash && !*p)
            goto bad;           /* trailing slash */
    }
    r.method = strdup(method);
    r.pattern = strdup(pattern);
    if (!r.method || !r.pattern)
        goto nomem;
    r.fn = fn;
    r.ctx = ctx;
    rt->routes[rt->n++] = r;
    return 0;
bad:
    for (unsigned k = 0; k <= r.nsegs && k < CTL_SEGS_MAX; k++)
        free(r.segs[k]);
    return -EINVAL;
nomem:
    for (unsigned k = 0; k <= r.nsegs && k < CTL_SEGS_MAX; k++)
        free(r.segs[k]);
    free(r.method);
    free(r.pattern);
    return -ENOMEM;
}

ssize_t
ctl_router_decode(const char *s, size_t len, bool plus_is_space, char *out, size_t n)
{
    size_t o = 0;

    if (n == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -EINVAL;
            int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -EINVAL;
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (o + 1 >= n)
            return -EINVAL;
        out[o++] = c;
    }
    out[o] = '\0';
    return (ssize_t)o;
}

/* Matches one route's segments against path; fills params when it matches. */
static bool
route_matches(const struct ctl_route_ent *r, const char *path, size_t len, struct ctl_kv *params,
              bool *bad_param)
{
    size_t i = 1;
    unsigned seg = 0;

    if (len == 0 || path[0] != '/')
        return false;
    params->n = 0;
    while (seg < r->nsegs) {
        size_t start = i;
        while (i < len && path[i] != '/')
            i++;
        size_t n = i - start;
        const char *s = r->segs[seg];
        if (n == 0)
            return false;
        if (seg_is_param(s)) {
            unsigned k = params->n++;
            size_t nl = strlen(s) - 2;
            memcpy(params->name[k], s + 1, nl);
            params->name[k][nl] = '\0';
            if (ctl_router_decode(path + start, n, false, params->value[k],
                                  sizeof(params->value[k])) < 0)
                *bad_param = true;
        } else if (strlen(s) != n || memcmp(s, path + start, n) != 0) {
            return false;
        }
        seg++;
        if (seg < r->nsegs) {
            if (i == len)
                return false;
            i++;                /* the '/' */
        }
    }
    return i == len;
}

enum ctl_match
ctl_router_match(const struct ctl_router *rt, const char *method, const char *path,
                 size_t path_len, struct ctl_kv *params, const struct ctl_route_ent **out,
                 char *allow, size_t allow_len)
{
    struct ctl_kv scratch;
    bool path_found = false;
    size_t used = 0;

    if (allow_len)
        allow[0] = '\0';
    for (unsigned i = 0; i < rt->n; i++) {
        const struct ctl_route_ent *r = &rt->routes[i];
        bool bad = false;
        if (!route_matches(r, path, path_len, &scratch, &bad))
            continue;
        if (strcmp(r->method, method) == 0) {
            if (bad)
                return CTL_MATCH_BAD_PARAM;
            *params = scratch;
            *out = r;
            return CTL_MATCH_OK;
        }
        path_found = true;
        if (!strstr(allow, r->method) && used < allow_len) {
            int k = snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "",
                             r->method);
            if (k > 0)
                used += (size_t)k < allow_len - used ? (size_t)k : allow_len - used - 1;
        }
    }
    return path_found ? CTL_MATCH_NO_METHOD : CTL_MATCH_NO_PATH;
}
