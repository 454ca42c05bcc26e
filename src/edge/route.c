/*
 * edge/route.c: listener rules, first match wins (ALB listener-rule semantics): path
 * prefix, host pattern, method and header conditions. Pure functions over the parsed
 * request; owns nothing.
 */
#include "edge/route.h"

#include <string.h>


static inline unsigned char
lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/* Case-insensitive glob: '*' any run (also empty), '?' one byte. Iterative with one
 * backtrack point, so it is linear-ish and cannot blow up on hostile input. */
bool
route_glob_match(const char *pat, const char *s, size_t len)
{
    const char *star = NULL;
    size_t i = 0, star_i = 0;

    while (i < len) {
        if (*pat == '*') {
            star = ++pat;
            star_i = i;
        } else if (*pat && (*pat == '?' || lower((unsigned char)*pat) == lower((unsigned char)s[i]))) {
            pat++;
            i++;
        } else if (star) {
            pat = star;
            i = ++star_i;
        } else {
            return false;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == '\0';
}

static bool
host_matches(const char *pat, struct slice host)
{
    size_t len = host.len;

    /* Drop the port, but not inside an IPv6 literal. */
    for (size_t i = len; i > 0; i--) {
        if (host.p[i - 1] == ':') {
            len = i - 1;
            break;
        }
        if (host.p[i - 1] == ']' || host.p[i - 1] < '0' || host.p[i - 1] > '9')
            break;
    }
    return route_glob_match(pat, host.p, len);
}

static bool
rule_matches(const struct edge_rule *rule, const struct h1_request *r)
{
    const struct edge_match *m = &rule->match;

    if (!rule->has_match)
        return true;
    if (m->path_prefix) {
        size_t n = strlen(m->path_prefix);
        if (r->path.len < n || memcmp(r->path.p, m->path_prefix, n) != 0)
            return false;
    }
    if (m->method && !slice_eq(r->method, slice_make(m->method, strlen(m->method))))
        return false;
    if (m->host && !host_matches(m->host, r->host))
        return false;
    if (m->header_name) {
        bool found = false;
        for (unsigned i = 0; i < r->nheaders && !found; i++)
            if (slice_eq_lit_nocase(r->headers[i].name, m->header_name) &&
                route_glob_match(m->header_value, r->headers[i].value.p,
                                 r->headers[i].value.len))
                found = true;
        if (!found)
            return false;
    }
    return true;
}

const struct edge_rule *
route_match(const struct edge_listener_conf *lc, const struct h1_request *r)
{
    for (unsigned i = 0; i < lc->nrules; i++)
        if (rule_matches(&lc->rules[i], r))
            return &lc->rules[i];
    return NULL;
}
