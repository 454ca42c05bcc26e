/*
 * shield/cidr.c: address and prefix parsing, and the longest-prefix-match set used for
 * allow/deny, trusted_proxies and range bans. Prefixes nest or are disjoint, never
 * overlap partially, so sorting them by (first address, length) and sweeping with a
 * stack of the enclosing prefixes yields disjoint ranges labelled with the innermost
 * prefix's value. The set is built once per configuration and never changes.
 */
#include "shield/cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 cidr_u128;

struct cidr_range {
    cidr_u128 lo, hi;
    int value;
};

struct cidrset {
    struct cidr_range *r;
    size_t n;
};

static const unsigned char cidr_v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static cidr_u128
cidr_to_u128(const struct shield_addr *a)
{
    uint64_t hi, lo;

    memcpy(&hi, a->b, 8);
    memcpy(&lo, a->b + 8, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    hi = __builtin_bswap64(hi);
    lo = __builtin_bswap64(lo);
#endif
    return (cidr_u128)hi << 64 | lo;
}

static void
cidr_from_u128(cidr_u128 v, struct shield_addr *a)
{
    for (int i = 15; i >= 0; i--) {
        a->b[i] = (uint8_t)v;
        v >>= 8;
    }
}

static cidr_u128
cidr_mask(unsigned plen)
{
    return plen == 0 ? 0 : ~(cidr_u128)0 << (128 - plen);
}

bool
cidr_is_v4(const struct shield_addr *a)
{
    return memcmp(a->b, cidr_v4_prefix, 12) == 0;
}

void
cidr_addr_mask(const struct shield_addr *a, unsigned plen, struct shield_addr *out)
{
    cidr_from_u128(cidr_to_u128(a) & cidr_mask(plen), out);
}

void
cidr_client(const struct shield_addr *a, unsigned ipv6_prefix, struct cidr *out)
{
    out->plen = cidr_is_v4(a) || ipv6_prefix == 0 || ipv6_prefix > 128 ? 128 : ipv6_prefix;
    cidr_addr_mask(a, out->plen, &out->addr);
}

bool
cidr_contains(const struct cidr *c, const struct shield_addr *a)
{
    return (cidr_to_u128(a) & cidr_mask(c->plen)) == cidr_to_u128(&c->addr);
}

int
cidr_addr_parse(const char *s, size_t len, struct shield_addr *out)
{
    char buf[64];
    struct in_addr v4;

    if (len == 0 || len >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (strchr(buf, ':')) {
        if (inet_pton(AF_INET6, buf, out->b) != 1)
            return -EINVAL;
        return 0;
    }
    if (inet_pton(AF_INET, buf, &v4) != 1)
        return -EINVAL;
    memcpy(out->b, cidr_v4_prefix, 12);
    memcpy(out->b + 12, &v4, 4);
    return 0;
}

void
cidr_addr_format(const struct shield_addr *a, char *out, size_t n)
{
    if (cidr_is_v4(a)) {
        if (!inet_ntop(AF_INET, a->b + 12, out, (socklen_t)n) && n)
            out[0] = '\0';
    } else if (!inet_ntop(AF_INET6, a->b, out, (socklen_t)n) && n) {
        out[0] = '\0';
    }
}

void
cidr_format(const struct cidr *c, char *out, size_t n)
{
    char a[INET6_ADDRSTRLEN];
    bool v4 = cidr_is_v4(&c->addr) && c->plen >= 96;
    unsigned plen = v4 ? c->plen - 96 : c->plen;

    cidr_addr_format(&c->addr, a, sizeof(a));
    if ((v4 && plen == 32) || (!v4 && plen == 128))
        snprintf(out, n, "%s", a);
    else
        snprintf(out, n, "%s/%u", a, plen);
}

int
cidr_parse(const char *s, size_t len, struct cidr *out, char *why, size_t whylen)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    struct shield_addr a;
    unsigned plen, max;

    if (cidr_addr_parse(s, alen, &a) < 0) {
        snprintf(why, whylen, "not an IPv4 or IPv6 address");
        return -EINVAL;
    }
    max = cidr_is_v4(&a) && !memchr(s, ':', alen) ? 32 : 128;
    plen = max;
    if (slash) {
        const char *p = slash + 1, *end = s + len;
        if (p == end || end - p > 3) {
            snprintf(why, whylen, "the prefix length after '/' must be a number from 0 to %u",
                     max);
            return -EINVAL;
        }
        plen = 0;
        for (; p < end; p++) {
            if (*p < '0' || *p > '9') {
                snprintf(why, whylen,
                         "the prefix length after '/' must be a number from 0 to %u", max);
                return -EINVAL;
            }
            plen = plen * 10 + (unsigned)(*p - '0');
        }
        if (plen > max) {
            snprintf(why, whylen, "prefix length %u is out of range for %s (0 to %u)", plen,
                     max == 32 ? "IPv4" : "IPv6", max);
            return -EINVAL;
        }
    }
    out->plen = max == 32 ? plen + 96 : plen;
    cidr_addr_mask(&a, out->plen, &out->addr);
    if (memcmp(out->addr.b, a.b, 16) != 0) {
        char net[64];
        cidr_format(out, net, sizeof(net));
        snprintf(why, whylen, "host bits are set after /%u; did you mean %s?", plen, net);
        return -EINVAL;
    }
    return 0;
}

struct cidr_item {
    cidr_u128 lo, hi;
    unsigned plen;
    int value;
};

static int
cidr_item_cmp(const void *pa, const void *pb)
{
    const struct cidr_item *a = pa, *b = pb;

    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->plen != b->plen)
        return a->plen < b->plen ? -1 : 1;     /* enclosing prefix first */
    return a->value < b->value ? 1 : a->value > b->value ? -1 : 0;   /* larger value first */
}

/* Appends [lo, hi] = value, merging with the previous range when adjacent and equal. */
static void
cidr_emit(struct cidrset *s, cidr_u128 lo, cidr_u128 hi, int value)
{
    if (s->n && s->r[s->n - 1].value == value && s->r[s->n - 1].hi + 1 == lo) {
        s->r[s->n - 1].hi = hi;
        return;
    }
    s->r[s->n++] = (struct cidr_range){ lo, hi, value };
}

struct cidrset *
cidrset_new(const struct cidr *prefixes, const int *values, size_t n)
{
    struct cidrset *s = calloc(1, sizeof(*s));
    struct cidr_item *it = n ? calloc(n, sizeof(*it)) : NULL;
    struct cidr_item *stack[129];
    unsigned depth = 0;
    cidr_u128 pos = 0;
    bool done = false;          /* pos wrapped past the last address */

    /* Each prefix adds at most two ranges (the part before it and itself). */
    if (!s || (n && !it) || !(s->r = calloc(2 * n + 1, sizeof(*s->r)))) {
        free(it);
        if (s)
            free(s->r);
        free(s);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        it[i].lo = cidr_to_u128(&prefixes[i].addr) & cidr_mask(prefixes[i].plen);
        it[i].hi = it[i].lo | ~cidr_mask(prefixes[i].plen);
        it[i].plen = prefixes[i].plen;
        it[i].value = values[i];
    }
    if (n)                      /* qsort(NULL, 0, ...) is undefined */
        qsort(it, n, sizeof(*it), cidr_item_cmp);
    for (size_t i = 0; i < n; i++) {
        struct cidr_item *e = &it[i];
        if (i && e->lo == it[i - 1].lo && e->plen == it[i - 1].plen)
            continue;           /* duplicate prefix: the first (larger value) wins */
        while (depth && stack[depth - 1]->hi < e->lo) {
            struct cidr_item *top = stack[--depth];
            if (!done && pos <= top->hi)
                cidr_emit(s, pos, top->hi, top->value);
            pos = top->hi + 1;
            done = pos == 0;
        }
        if (depth && pos < e->lo)
            cidr_emit(s, pos, e->lo - 1, stack[depth - 1]->value);
        stack[depth++] = e;
        pos = e->lo;
        done = false;
    }
    while (depth) {
        struct cidr_item *top = stack[--depth];
        if (!done && pos <= top->hi)
            cidr_emit(s, pos, top->hi, top->value);
        pos = top->hi + 1;
        done = done || pos == 0;
    }
    free(it);
    return s;
}

void
cidrset_free(struct cidrset *s)
{
    if (!s)
        return;
    free(s->r);
    free(s);
}

int
cidrset_lookup(const struct cidrset *s, const struct shield_addr *a)
{
    cidr_u128 v;
    size_t lo = 0, hi;

    if (!s || !s->n)
        return -1;
    v = cidr_to_u128(a);
    hi = s->n;
    /* The last range starting at or before v. */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->r[mid].lo <= v)
            lo = mid;
        else
            hi = mid;
    }
    if (s->r[lo].lo <= v && v <= s->r[lo].hi)
        return s->r[lo].value;
    return -1;
}

bool
cidrset_overlaps(const struct cidrset *s, const struct cidr *c, int value)
{
    cidr_u128 lo, hi;
    size_t a = 0, b;

    if (!s || !s->n)
        return false;
    lo = cidr_to_u128(&c->addr) & cidr_mask(c->plen);
    hi = lo | ~cidr_mask(c->plen);
    /* The first range ending at or after lo, then every range starting by hi. */
    b = s->n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (s->r[mid].hi < lo)
            a = mid + 1;
        else
            b = mid;
    }
    for (; a < s->n && s->r[a].lo <= hi; a++)
        if (s->r[a].value == value)
            return true;
    return false;
}

size_t
cidrset_ranges(const struct cidrset *s)
{
    return s ? s->n : 0;
}
