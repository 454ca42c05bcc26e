/*
 * shield/analyze_stats.c: what `tierd analyze` learns from the lines: per-client counts
 * (a client is an IPv4 address or an IPv6 address's /ipv6_prefix, as the detectors count
 * and the live shield bans), distinct paths, hosts, user agents and, in a prefix, addresses,
 * with a few samples, requests per minute (for the whole log and per client), and the
 * detectors' verdicts. Every line goes to one
 * struct detect as a DETECT_REQUEST then a DETECT_RESPONSE event at the line's time, as
 * the live shield would have seen it; any overflow makes the address an offender. One
 * check is analyze's own: "flood", more than flood_per_minute requests in 60 s, which the
 * live shield leaves to its rate_limit rules.
 *
 * Distinct counts use one hash set of 64-bit (address, kind, value) hashes for the whole
 * run, so no per-address set is allocated; its size is capped (the counts then become
 * lower bounds and the report says so). Nothing here allocates per line except when a
 * table grows. It does not parse or print.
 */
#include "shield/analyze.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "shield/cidr.h"
#include "shield/clientmem.h"

/* The live shield's defaults (shield.slow_scan, shield.range_bans). */
#define STATS_SLOW_PROBES 10
#define STATS_SLOW_SPAN_MS (3600ULL * 1000)
#define STATS_RANGE_MIN_OFFENDERS 8
#define STATS_RANGE_MIN_PCT 25

#define STATS_SEEN_MAX (1u << 24)           /* 128 MiB of hashes */
#define STATS_TIMELINE_MAX_MINUTES (1u << 22)   /* about 8 years */
#define STATS_ARENA_CHUNK (64 * 1024)

enum { SEEN_PATH = 0, SEEN_HOST, SEEN_AGENT, SEEN_ADDR };

static inline uint64_t
mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t
hash_bytes(const char *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;

    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x9fb21c651e98df25ULL;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    return mix64((h ^ w) * 0x9fb21c651e98df25ULL);
}

void
analyze_stats_init(struct analyze_stats *s, struct detect *det, unsigned flood_per_minute)
{
    memset(s, 0, sizeof(*s));
    s->det = det;
    s->flood_per_minute = flood_per_minute;
    s->ipv6_prefix = det ? detect_ipv6_prefix(det) : 128;
    s->index_cap = 1024;
    s->index = mem_alloc_or_exit(s->index_cap * sizeof(*s->index));
    s->seen_cap = 1u << 16;
    s->seen = mem_alloc_or_exit(s->seen_cap * sizeof(*s->seen));
}

void
analyze_stats_fini(struct analyze_stats *s)
{
    for (size_t i = 0; i < s->naddrs; i++) {
        free(s->addrs[i].minutes);
        free(s->addrs[i].hits);
    }
    while (s->arena) {
        char *prev;
        memcpy(&prev, s->arena, sizeof(prev));
        free(s->arena);
        s->arena = prev;
    }
    if (s->det)
        detect_free(s->det);
    free(s->addrs);
    free(s->index);
    free(s->seen);
    free(s->timeline);
    free(s->timeline_offenders);
    free(s->offenders);
    memset(s, 0, sizeof(*s));
}

/* A NUL-terminated copy of at most ANALYZE_SAMPLE_MAX_BYTES, from chunks freed at fini. */
static char *
arena_copy(struct analyze_stats *s, struct slice v)
{
    size_t n = v.len < ANALYZE_SAMPLE_MAX_BYTES ? v.len : ANALYZE_SAMPLE_MAX_BYTES;

    if (!s->arena || s->arena_used + n + 1 > s->arena_cap) {
        char *c = mem_alloc_or_exit(STATS_ARENA_CHUNK);
        memcpy(c, &s->arena, sizeof(s->arena));     /* chunks form a list */
        s->arena = c;
        s->arena_used = sizeof(char *);
        s->arena_cap = STATS_ARENA_CHUNK;
    }
    char *o = s->arena + s->arena_used;
    memcpy(o, v.p, n);
    o[n] = '\0';
    s->arena_used += n + 1;
    return o;
}

static inline uint64_t
addr_hash(const struct shield_addr *a)
{
    uint64_t x, y;
    memcpy(&x, a->b, 8);
    memcpy(&y, a->b + 8, 8);
    return mix64(x ^ mix64(y));
}

static void
index_grow(struct analyze_stats *s)
{
    size_t cap = s->index_cap * 2;
    uint32_t *n = mem_alloc_or_exit(cap * sizeof(*n));

    for (size_t i = 0; i < s->naddrs; i++) {
        size_t j = addr_hash(&s->addrs[i].addr) & (cap - 1);
        while (n[j])
            j = (j + 1) & (cap - 1);
        n[j] = (uint32_t)(i + 1);
    }
    free(s->index);
    s->index = n;
    s->index_cap = cap;
}

/* The record of the client `addr` stands for (its key: the address, or its prefix). */
static struct analyze_addr *
addr_get(struct analyze_stats *s, const struct shield_addr *addr, struct slice text)
{
    struct cidr key;

    cidr_client(addr, s->ipv6_prefix, &key);
    size_t mask = s->index_cap - 1, j = addr_hash(&key.addr) & mask;

    for (; s->index[j]; j = (j + 1) & mask) {
        struct analyze_addr *a = &s->addrs[s->index[j] - 1];
        if (memcmp(a->addr.b, key.addr.b, 16) == 0)
            return a;
    }
    if (s->naddrs == s->addrs_cap) {
        s->addrs_cap = s->addrs_cap ? s->addrs_cap * 2 : 256;
        s->addrs = mem_realloc_or_exit(s->addrs, s->addrs_cap * sizeof(*s->addrs));
    }
    struct analyze_addr *a = &s->addrs[s->naddrs++];
    memset(a, 0, sizeof(*a));
    a->addr = key.addr;
    a->plen = (uint8_t)key.plen;
    if (key.plen < 128) {
        cidr_format(&key, a->text, sizeof(a->text));        /* "2001:db8:1:2::/64" */
    } else {
        /* As the log wrote it. */
        size_t n = text.len < sizeof(a->text) - 1 ? text.len : sizeof(a->text) - 1;
        memcpy(a->text, text.p, n);
        a->distinct_addrs = 1;
    }
    s->index[j] = (uint32_t)s->naddrs;
    if (s->naddrs * 2 > s->index_cap) {
        index_grow(s);
        a = &s->addrs[s->naddrs - 1];
    }
    return a;
}

static void
seen_grow(struct analyze_stats *s)
{
    size_t cap = s->seen_cap * 2;
    uint64_t *n = mem_alloc_or_exit(cap * sizeof(*n));

    for (size_t i = 0; i < s->seen_cap; i++) {
        uint64_t k = s->seen[i];
        if (!k)
            continue;
        size_t j = k & (cap - 1);
        while (n[j])
            j = (j + 1) & (cap - 1);
        n[j] = k;
    }
    free(s->seen);
    s->seen = n;
    s->seen_cap = cap;
}

static inline uint64_t
seen_key(size_t ai, unsigned kind, struct slice v)
{
    uint64_t k = mix64(hash_bytes(v.p, v.len) ^ ((uint64_t)ai << 2 | kind));
    return k + !k;
}

static inline void
seen_prefetch(const struct analyze_stats *s, uint64_t k)
{
    __builtin_prefetch(&s->seen[k & (s->seen_cap - 1)]);
}

/* True when key k (address, kind, value) was not seen before. */
static bool
seen_insert(struct analyze_stats *s, uint64_t k)
{
    size_t mask = s->seen_cap - 1, j;

    for (j = k & mask; s->seen[j]; j = (j + 1) & mask)
        if (s->seen[j] == k)
            return false;
    if (s->seen_full)
        return false;
    s->seen[j] = k;
    if (++s->seen_used * 2 > s->seen_cap) {
        if (s->seen_cap < STATS_SEEN_MAX)
            seen_grow(s);
        else if (s->seen_used * 4 > s->seen_cap * 3)
            s->seen_full = true;
    }
    return true;
}

void
analyze_stats_hit(struct analyze_stats *s, struct analyze_addr *a, const char *detector,
                  const char *evidence, uint64_t now_ms)
{
    struct analyze_hit *h = NULL;

    (void)s;
    for (unsigned i = 0; i < a->nhits; i++)
        if (strcmp(a->hits[i].detector, detector) == 0)
            h = &a->hits[i];
    if (!h) {
        a->hits = mem_realloc_or_exit(a->hits, (a->nhits + 1) * sizeof(*a->hits));
        h = &a->hits[a->nhits++];
        memset(h, 0, sizeof(*h));
        h->detector = detector;
        h->first_ms = now_ms;
        snprintf(h->evidence, sizeof(h->evidence), "%s", evidence);
    }
    h->count++;
    h->last_ms = now_ms;
}

static void
timeline_add(struct analyze_stats *s, int64_t minute)
{
    if (!s->have_base) {
        s->base_minute = minute;
        s->have_base = true;
    }
    if (minute < s->base_minute) {
        /* An earlier line (files given out of order): move the timeline's origin. */
        size_t shift = (size_t)(s->base_minute - minute);
        if (s->nminutes + shift > STATS_TIMELINE_MAX_MINUTES)
            return;
        size_t need = s->nminutes + shift;
        if (need > s->timeline_cap) {
            s->timeline_cap = need * 2;
            s->timeline = mem_realloc_or_exit(s->timeline, s->timeline_cap * sizeof(uint32_t));
        }
        memmove(s->timeline + shift, s->timeline, s->nminutes * sizeof(uint32_t));
        memset(s->timeline, 0, shift * sizeof(uint32_t));
        s->nminutes = need;
        s->base_minute = minute;
    }
    size_t i = (size_t)(minute - s->base_minute);
    if (i >= STATS_TIMELINE_MAX_MINUTES)
        return;
    if (i >= s->nminutes) {
        if (i >= s->timeline_cap) {
            size_t cap = s->timeline_cap ? s->timeline_cap : 1024;
            while (cap <= i)
                cap *= 2;
            s->timeline = mem_realloc_or_exit(s->timeline, cap * sizeof(uint32_t));
            s->timeline_cap = cap;
        }
        memset(s->timeline + s->nminutes, 0, (i + 1 - s->nminutes) * sizeof(uint32_t));
        s->nminutes = i + 1;
    }
    s->timeline[i]++;
}

static void
minute_push(struct analyze_addr *a, struct analyze_minute m)
{
    if (a->nminutes == a->minutes_cap) {
        a->minutes_cap = a->minutes_cap ? a->minutes_cap * 2 : 4;
        a->minutes = mem_realloc_or_exit(a->minutes, a->minutes_cap * sizeof(*a->minutes));
    }
    a->minutes[a->nminutes++] = m;
}

/* The address's requests per minute, and the flood check over the last 60 s (the current
 * minute plus the previous one's share, as a sliding-window rate limiter estimates it).
 * The current minute lives in the address itself; the array grows once a minute. */
static void
minute_add(struct analyze_stats *s, struct analyze_addr *a, uint64_t now_ms)
{
    uint32_t minute = (uint32_t)(now_ms / 60000);

    if (a->cur.requests == 0) {
        a->cur.minute = minute;
    } else if (minute > a->cur.minute) {
        minute_push(a, a->cur);
        a->prev = a->cur;
        a->cur = (struct analyze_minute){ .minute = minute, .requests = 0 };
    } else if (minute < a->cur.minute && a->prev.requests && a->prev.minute == minute) {
        a->prev.requests++;     /* a line logged slightly out of order */
        a->minutes[a->nminutes - 1].requests++;
        if (a->prev.requests > a->peak_minute_requests)
            a->peak_minute_requests = a->prev.requests;
        return;
    }
    a->cur.requests++;
    if (a->cur.requests > a->peak_minute_requests)
        a->peak_minute_requests = a->cur.requests;
    if (!s->flood_per_minute)
        return;
    uint64_t est = a->cur.requests;
    if (a->prev.requests && a->prev.minute + 1 == minute)
        est += (uint64_t)a->prev.requests * (60000 - now_ms % 60000) / 60000;
    /* One hit per minute at most: the first request over the limit. */
    if (est == (uint64_t)s->flood_per_minute + 1 ||
        (a->cur.requests == 1 && est > s->flood_per_minute)) {
        char ev[128];
        snprintf(ev, sizeof(ev), "about %llu requests in the 60 s before this one (limit %u)",
                 (unsigned long long)est, s->flood_per_minute);
        analyze_stats_hit(s, a, "flood", ev, now_ms);
    }
}

static void
sample(struct analyze_stats *s, char **samples, uint8_t *n, unsigned max, struct slice v)
{
    if (*n < max)
        samples[(*n)++] = arena_copy(s, v);
}

void
analyze_stats_add(struct analyze_stats *s, const struct analyze_line *l)
{
    struct analyze_addr *a = addr_get(s, &l->addr, l->addr_text);
    size_t ai = (size_t)(a - s->addrs);
    struct detect_event ev = {
        .kind = DETECT_REQUEST, .addr = l->addr, .method = l->method, .path = l->path,
        .query = l->query, .host = l->host, .user_agent = l->user_agent, .now_ms = l->time_ms,
        /* The log does not say which static rule served a request; the detectors' own
         * static-extension list applies. */
        .static_asset = false,
    };
    struct detect_hit hit;
    /* Most addresses keep one user agent and host: only a change needs the set. Start
     * loading the set's slots now; the detectors run while they arrive. */
    uint64_t kp = seen_key(ai, SEEN_PATH, l->path);
    uint64_t kh = l->host.len ? seen_key(ai, SEEN_HOST, l->host) : 0;
    uint64_t ka = l->user_agent.len ? seen_key(ai, SEEN_AGENT, l->user_agent) : 0;
    bool new_host = kh && kh != a->last_host_key, new_agent = ka && ka != a->last_agent_key;

    seen_prefetch(s, kp);
    if (new_host)
        seen_prefetch(s, kh);
    if (new_agent)
        seen_prefetch(s, ka);
    if (detect_feed(s->det, &ev, &hit))
        analyze_stats_hit(s, a, hit.detector, hit.evidence, l->time_ms);
    ev.kind = DETECT_RESPONSE;
    ev.status = l->status;
    if (detect_feed(s->det, &ev, &hit))
        analyze_stats_hit(s, a, hit.detector, hit.evidence, l->time_ms);

    if (!s->requests++ || l->time_ms < s->first_ms)
        s->first_ms = l->time_ms;
    if (l->time_ms > s->last_ms)
        s->last_ms = l->time_ms;
    if (!a->requests++ || l->time_ms < a->first_ms)
        a->first_ms = l->time_ms;
    if (l->time_ms > a->last_ms)
        a->last_ms = l->time_ms;
    a->status_4xx += l->status >= 400 && l->status < 500;
    a->status_5xx += l->status >= 500 && l->status < 600;
    bool new_path = l->path.len && seen_insert(s, kp);
    if (new_path) {
        a->distinct_paths++;
        sample(s, a->paths, &a->npaths, ANALYZE_SAMPLE_PATHS, l->path);
    }
    bool sensitive = detect_path_sensitive(s->det, l->path, l->query);
    enum clientmem_kind kind = clientmem_classify_known(l->path, l->status, false, sensitive);
    if (kind == CLIENTMEM_GOOD) {
        a->served++;
    } else if (kind == CLIENTMEM_PROBE && (sensitive || new_path)) {
        if (!a->probes++ || l->time_ms < a->first_probe_ms)
            a->first_probe_ms = l->time_ms;
        if (l->time_ms > a->last_probe_ms)
            a->last_probe_ms = l->time_ms;
    }
    if (new_host) {
        a->last_host_key = kh;
        if (seen_insert(s, kh)) {
            a->distinct_hosts++;
            sample(s, a->hosts, &a->nhosts, ANALYZE_SAMPLE_HOSTS, l->host);
        }
    }
    if (new_agent) {
        a->last_agent_key = ka;
        if (seen_insert(s, ka)) {
            a->distinct_agents++;
            sample(s, a->agents, &a->nagents, ANALYZE_SAMPLE_AGENTS, l->user_agent);
        }
    }
    if (a->plen < 128) {
        /* Which addresses of the prefix: the evidence that it rotates. */
        uint64_t kx = seen_key(ai, SEEN_ADDR, slice_make((const char *)l->addr.b, 16));
        if (kx != a->last_addr_key) {
            a->last_addr_key = kx;
            if (seen_insert(s, kx)) {
                a->distinct_addrs++;
                sample(s, a->addr_samples, &a->naddr_samples, ANALYZE_SAMPLE_ADDRS,
                       l->addr_text);
            }
        }
    }
    timeline_add(s, (int64_t)(l->time_ms / 60000));
    minute_add(s, a, l->time_ms);
}

static int
offender_cmp(const void *x, const void *y, void *ctx)
{
    const struct analyze_addr *addrs = ctx;
    const struct analyze_addr *a = &addrs[*(const size_t *)x], *b = &addrs[*(const size_t *)y];

    if (a->requests != b->requests)
        return a->requests > b->requests ? -1 : 1;
    return memcmp(a->addr.b, b->addr.b, 16);
}

void
analyze_stats_finish(struct analyze_stats *s)
{
    free(s->offenders);
    free(s->timeline_offenders);
    s->offenders = mem_alloc_or_exit((s->naddrs + 1) * sizeof(*s->offenders));
    s->timeline_offenders = mem_alloc_or_exit((s->nminutes + 1) * sizeof(uint32_t));
    s->noffenders = 0;
    for (size_t i = 0; i < s->naddrs; i++) {
        struct analyze_addr *a = &s->addrs[i];
        if (a->cur.requests) {
            minute_push(a, a->cur);
            a->cur.requests = 0;
        }
        /* The live shield's slow_scan: only ever probing, slowly, for an hour or more. */
        if (!a->served && a->probes >= STATS_SLOW_PROBES &&
            a->last_probe_ms - a->first_probe_ms >= STATS_SLOW_SPAN_MS) {
            char ev[160];
            uint64_t span = (a->last_probe_ms - a->first_probe_ms) / 1000;
            snprintf(ev, sizeof(ev), "%u probes of sensitive or nonexistent paths over %llu h "
                     "%02llu min and no page or asset ever served", a->probes,
                     (unsigned long long)(span / 3600), (unsigned long long)(span / 60 % 60));
            analyze_stats_hit(s, a, "slow_scan", ev, a->last_probe_ms);
        }
        if (!a->nhits)
            continue;
        s->offenders[s->noffenders++] = i;
        for (uint32_t k = 0; k < a->nminutes; k++) {
            int64_t m = (int64_t)a->minutes[k].minute - s->base_minute;
            if (m >= 0 && (size_t)m < s->nminutes)
                s->timeline_offenders[m] += a->minutes[k].requests;
        }
    }
    qsort_r(s->offenders, s->noffenders, sizeof(*s->offenders), offender_cmp, s->addrs);
}

struct stats_range_key {
    struct shield_addr net;
    unsigned plen;
    size_t client;
};

static int
range_key_cmp(const void *x, const void *y)
{
    const struct stats_range_key *a = x, *b = y;
    int c = memcmp(a->net.b, b->net.b, 16);
    return c ? c : (int)a->plen - (int)b->plen;
}

static int
range_cmp(const void *x, const void *y)
{
    const struct analyze_range *a = x, *b = y;
    if (a->due != b->due)
        return a->due ? -1 : 1;
    if (a->offending != b->offending)
        return a->offending > b->offending ? -1 : 1;
    return strcmp(a->entry, b->entry);
}

size_t
analyze_stats_ranges(const struct analyze_stats *s, struct analyze_range **out)
{
    struct stats_range_key *k = mem_alloc_or_exit((2 * s->naddrs + 1) * sizeof(*k));
    struct analyze_range *r = mem_alloc_or_exit((2 * s->naddrs + 1) * sizeof(*r));
    size_t nk = 0, nr = 0;

    for (size_t i = 0; i < s->naddrs; i++) {
        const struct analyze_addr *a = &s->addrs[i];
        if (cidr_is_v4(&a->addr)) {
            k[nk] = (struct stats_range_key){ .plen = 120, .client = i };
            cidr_addr_mask(&a->addr, 120, &k[nk++].net);
            continue;
        }
        k[nk] = (struct stats_range_key){ .plen = 48, .client = i };
        cidr_addr_mask(&a->addr, 48, &k[nk++].net);
        if (a->plen > 64) {
            k[nk] = (struct stats_range_key){ .plen = 64, .client = i };
            cidr_addr_mask(&a->addr, 64, &k[nk++].net);
        }
    }
    qsort(k, nk, sizeof(*k), range_key_cmp);
    for (size_t i = 0; i < nk;) {
        struct analyze_range g = { .plen = k[i].plen };
        size_t j = i;
        for (; j < nk && k[j].plen == k[i].plen && memcmp(k[j].net.b, k[i].net.b, 16) == 0;
             j++) {
            const struct analyze_addr *a = &s->addrs[k[j].client];
            bool offending = a->nhits || (a->probes >= 2 && !a->served);
            g.seen++;
            g.offending += offending;
            g.good += !offending && a->served;
        }
        if (g.offending >= 2) {
            struct cidr c = { k[i].net, k[i].plen };
            cidr_format(&c, g.entry, sizeof(g.entry));
            g.due = !g.good && g.offending >= STATS_RANGE_MIN_OFFENDERS &&
                    (uint64_t)g.offending * 100 >= (uint64_t)STATS_RANGE_MIN_PCT * g.seen;
            r[nr++] = g;
        }
        i = j;
    }
    free(k);
    qsort(r, nr, sizeof(*r), range_cmp);
    *out = r;
    return nr;
}
