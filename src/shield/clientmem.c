/*
 * shield/clientmem.c: the long memory of clients and their networks (see clientmem.h).
 * Clients live in one addrmap, networks in another holding three counts (clients seen,
 * offending, good), kept in step whenever a client's class changes or it is forgotten, so
 * that the range rule is three comparisons, not a walk over the network's clients. A full
 * table refuses new clients instead of evicting old ones: an evicted client would leave
 * its counts behind.
 */
#include "shield/clientmem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shield/detect.h"

enum { CLS_NONE = 0, CLS_NEUTRAL, CLS_GOOD, CLS_OFFENDING };

struct clientmem_counts {
    uint32_t seen, offending, good;
};

enum clientmem_kind
clientmem_classify(struct slice path, int status, bool static_asset, bool *sensitive)
{
    *sensitive = path.len && detect_is_sensitive_path(path);
    return clientmem_classify_known(path, status, static_asset, *sensitive);
}

enum clientmem_kind
clientmem_classify_known(struct slice path, int status, bool static_asset, bool sensitive)
{
    /* A sensitive path served is not a page the client came for either. */
    if (sensitive)
        return status >= 400 ? CLIENTMEM_PROBE : CLIENTMEM_NEUTRAL;
    if (status >= 200 && status < 400)
        return CLIENTMEM_GOOD;
    /* Nonexistent or refused: 404, 410, 403, 400, 405. A missing asset (a stale favicon
     * link) says nothing about its client. */
    if ((status == 404 || status == 410 || status == 403 || status == 400 || status == 405) &&
        !static_asset && !detect_is_static_path(path))
        return CLIENTMEM_PROBE;
    return CLIENTMEM_NEUTRAL;
}

int
clientmem_init(struct clientmem *m, const struct clientmem_params *p, size_t max_clients,
               uint64_t seed)
{
    memset(m, 0, sizeof(*m));
    m->p = *p;
    if (addrmap_init(&m->clients, sizeof(struct clientmem_rec), max_clients, seed) < 0)
        return -ENOMEM;
    if (addrmap_init(&m->ranges, sizeof(struct clientmem_counts), max_clients, seed ^ 1) < 0) {
        addrmap_fini(&m->clients);
        return -ENOMEM;
    }
    return 0;
}

void
clientmem_fini(struct clientmem *m)
{
    addrmap_fini(&m->clients);
    addrmap_fini(&m->ranges);
}

void
clientmem_key(const struct clientmem *m, const struct shield_addr *addr, struct cidr *out)
{
    cidr_client(addr, m->p.ipv6_prefix, out);
}

/* The networks a client key belongs to: an IPv4 /24; an IPv6 /48, and its /64 when the
 * client is narrower. */
static size_t
clientmem_nets(const struct cidr *key, struct cidr *out)
{
    if (cidr_is_v4(&key->addr)) {
        out[0].plen = 120;
        cidr_addr_mask(&key->addr, 120, &out[0].addr);
        return 1;
    }
    size_t n = 0;
    out[n].plen = 48;
    cidr_addr_mask(&key->addr, 48, &out[n++].addr);
    if (key->plen > 64) {
        out[n].plen = 64;
        cidr_addr_mask(&key->addr, 64, &out[n++].addr);
    }
    return n;
}

/* Served a page or asset: a good answer was reported, or more requests were admitted than
 * answers reported (the edge reports failures only). */
static bool
clientmem_served(const struct clientmem_rec *r)
{
    return r->good || r->requests > r->answered;
}

static uint8_t
clientmem_class(const struct clientmem_rec *r)
{
    if (r->offended || (r->probes >= 2 && !clientmem_served(r)))
        return CLS_OFFENDING;
    return clientmem_served(r) ? CLS_GOOD : CLS_NEUTRAL;
}

static void
counts_add(struct clientmem_counts *c, uint8_t cls, int d)
{
    if (cls == CLS_NONE)
        return;
    c->seen += (uint32_t)d;
    if (cls == CLS_OFFENDING)
        c->offending += (uint32_t)d;
    else if (cls == CLS_GOOD)
        c->good += (uint32_t)d;
}

/* Moves the client from its counted class to new_cls (CLS_NONE: forgotten) in every
 * network it belongs to. */
static void
clientmem_recount(struct clientmem *m, const struct cidr *key, struct clientmem_rec *r,
                  uint8_t new_cls)
{
    struct cidr nets[2];

    if (r->cls == new_cls)
        return;
    size_t n = clientmem_nets(key, nets);
    for (size_t i = 0; i < n; i++) {
        bool want = new_cls != CLS_NONE;
        struct clientmem_counts *c = addrmap_get_prefix(&m->ranges, &nets[i].addr, nets[i].plen,
                                                        false, NULL);
        if (!c && want && m->ranges.n < m->ranges.max)
            c = addrmap_get_prefix(&m->ranges, &nets[i].addr, nets[i].plen, true, NULL);
        if (!c) {
            m->full += want;
            continue;
        }
        counts_add(c, r->cls, -1);
        counts_add(c, new_cls, 1);
        if (c->seen == 0)
            addrmap_remove_prefix(&m->ranges, &nets[i].addr, nets[i].plen);
    }
    r->cls = new_cls;
}

static struct clientmem_rec *
clientmem_get(struct clientmem *m, const struct cidr *key, uint64_t now_ms, bool create)
{
    struct clientmem_rec *r = addrmap_get_prefix(&m->clients, &key->addr, key->plen, false, NULL);

    if (r || !create)
        return r;
    if (m->clients.n >= m->clients.max) {
        m->full++;
        return NULL;
    }
    r = addrmap_get_prefix(&m->clients, &key->addr, key->plen, true, NULL);
    if (r)
        r->first_ms = r->last_ms = now_ms;
    return r;
}

static uint32_t
path_hash(struct slice p)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < p.len; i++)
        h = (h ^ (uint8_t)p.p[i]) * 16777619u;
    return h | 1;
}

bool
clientmem_observe(struct clientmem *m, const struct shield_addr *addr, enum clientmem_kind kind,
                  bool sensitive, struct slice path, uint64_t now_ms, char *ev, size_t evlen,
                  bool *became_offending)
{
    struct cidr key;

    if (became_offending)
        *became_offending = false;
    clientmem_key(m, addr, &key);
    struct clientmem_rec *r = clientmem_get(m, &key, now_ms, true);
    if (!r)
        return false;
    uint8_t before = r->cls;
    if (now_ms > r->last_ms)
        r->last_ms = now_ms;
    r->dirty = true;
    r->answered++;
    if (kind == CLIENTMEM_GOOD) {
        r->good++;
    } else if (kind == CLIENTMEM_PROBE) {
        bool count = true;
        if (!sensitive) {
            /* A non-sensitive missing path counts once: a monitor polling a removed URL is
             * not a scan. Past the remembered set, each new path still counts. */
            uint32_t h = path_hash(path);
            for (unsigned i = 0; i < r->npaths && count; i++)
                count = r->paths[i] != h;
            if (count && r->npaths < CLIENTMEM_PATHS)
                r->paths[r->npaths++] = h;
        }
        if (count) {
            if (!r->probes++)
                r->first_probe_ms = now_ms;
            r->last_probe_ms = now_ms;
        }
    }
    clientmem_recount(m, &key, r, clientmem_class(r));
    if (became_offending)
        *became_offending = before != CLS_OFFENDING && r->cls == CLS_OFFENDING;
    if (r->slow_reported || !m->p.slow_probes || clientmem_served(r) ||
        r->probes < m->p.slow_probes ||
        r->last_probe_ms - r->first_probe_ms < m->p.slow_span_ms)
        return false;
    r->slow_reported = true;
    uint64_t span_s = (r->last_probe_ms - r->first_probe_ms) / 1000;
    snprintf(ev, evlen, "%u probes of sensitive or nonexistent paths over %llu h %02llu min "
             "and no page or asset ever served; last %.*s", r->probes,
             (unsigned long long)(span_s / 3600), (unsigned long long)(span_s / 60 % 60),
             (int)(path.len > 80 ? 80 : path.len), path.p);
    return true;
}

void
clientmem_request(struct clientmem *m, const struct shield_addr *addr, uint64_t now_ms)
{
    struct cidr key;

    clientmem_key(m, addr, &key);
    struct clientmem_rec *r = clientmem_get(m, &key, now_ms, true);
    if (!r)
        return;
    r->requests++;
    r->dirty = true;
    if (now_ms > r->last_ms)
        r->last_ms = now_ms;
    clientmem_recount(m, &key, r, clientmem_class(r));
}

bool
clientmem_offended(struct clientmem *m, const struct shield_addr *addr, uint64_t now_ms)
{
    struct cidr key;

    clientmem_key(m, addr, &key);
    struct clientmem_rec *r = clientmem_get(m, &key, now_ms, true);
    if (!r || r->offended)
        return false;
    uint8_t before = r->cls;
    r->offended = true;
    r->dirty = true;
    if (now_ms > r->last_ms)
        r->last_ms = now_ms;
    clientmem_recount(m, &key, r, clientmem_class(r));
    return before != CLS_OFFENDING;
}

void
clientmem_range_get(struct clientmem *m, const struct cidr *net, struct clientmem_range *out)
{
    const struct clientmem_counts *c = addrmap_get_prefix(&m->ranges, &net->addr, net->plen,
                                                          false, NULL);
    out->net = *net;
    out->seen = c ? c->seen : 0;
    out->offending = c ? c->offending : 0;
    out->good = c ? c->good : 0;
}

size_t
clientmem_ranges_due(struct clientmem *m, const struct shield_addr *addr,
                     struct clientmem_range *out, size_t max, char *ev, size_t evlen)
{
    struct cidr key, nets[2];
    size_t k = 0;

    if (!m->p.range_min_offenders)
        return 0;
    clientmem_key(m, addr, &key);
    size_t n = clientmem_nets(&key, nets);
    for (size_t i = 0; i < n && k < max; i++) {
        struct clientmem_range r;
        clientmem_range_get(m, &nets[i], &r);
        if (r.good || r.offending < m->p.range_min_offenders ||
            (uint64_t)r.offending * 100 < (uint64_t)m->p.range_min_pct * r.seen)
            continue;
        if (k == 0) {
            char net[64];
            cidr_format(&r.net, net, sizeof(net));
            snprintf(ev, evlen, "%u of the %u clients seen in %s offended (banned, rate "
                     "limited or only probing), none got a page or asset", r.offending, r.seen,
                     net);
        }
        out[k++] = r;
    }
    return k;
}

struct expire_ctx {
    struct clientmem *m;
    uint64_t before;
    size_t n;
};

static bool
clientmem_expire_one(void *ctx, const struct shield_addr *addr, void *value)
{
    struct expire_ctx *x = ctx;
    struct clientmem_rec *r = value;

    if (r->last_ms >= x->before)
        return false;
    /* The key's length is not handed to visitors: rebuild it from the address. */
    struct cidr key;
    clientmem_key(x->m, addr, &key);
    clientmem_recount(x->m, &key, r, CLS_NONE);
    x->n++;
    return true;
}

size_t
clientmem_expire(struct clientmem *m, uint64_t now_ms)
{
    struct expire_ctx x = { m, now_ms > m->p.memory_ms ? now_ms - m->p.memory_ms : 0, 0 };

    addrmap_visit(&m->clients, clientmem_expire_one, &x);
    return x.n;
}

struct visit_ctx {
    struct clientmem *m;
    bool dirty_only;
    clientmem_fn fn;
    void *ctx;
};

static bool
clientmem_visit_one(void *ctx, const struct shield_addr *addr, void *value)
{
    struct visit_ctx *v = ctx;
    struct clientmem_rec *r = value;
    struct cidr key;

    if (v->dirty_only && !r->dirty)
        return false;
    r->dirty = false;
    clientmem_key(v->m, addr, &key);
    v->fn(v->ctx, &key, r);
    return false;
}

void
clientmem_visit(struct clientmem *m, bool dirty_only, clientmem_fn fn, void *ctx)
{
    struct visit_ctx v = { m, dirty_only, fn, ctx };
    addrmap_visit(&m->clients, clientmem_visit_one, &v);
}

void
clientmem_restore(struct clientmem *m, const struct cidr *key, const struct clientmem_rec *r)
{
    struct clientmem_rec *d = clientmem_get(m, key, r->last_ms, true);

    if (!d)
        return;
    uint8_t cls = d->cls;
    *d = *r;
    d->cls = cls;
    d->dirty = false;
    clientmem_recount(m, key, d, clientmem_class(d));
}
