/*
 * shield/shield.c: the shield's runtime behind shield.h. It owns the current configuration
 * (swapped under a read-write lock), 64 shards of per-address state (connection counts,
 * rate windows, detector buckets, the in-memory ban set), the ban store and the nftables
 * mirror, and one thread that turns detections into bans: commit to SQLite first, then
 * make the ban effective in memory, then mirror it into the kernel. Verdict calls run on
 * edge worker threads and never wait for I/O: they take the conf read lock and one shard
 * mutex. Rule semantics and defaults are in docs/shield.md.
 */
#include "shield/shield.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "shield/addrmap.h"
#include "shield/banstore.h"
#include "shield/clientmem.h"
#include "shield/crowdsec.h"
#include "shield/geo.h"
#include "shield/internal.h"
#include "shield/nftset.h"
#include "shield/ratelimit.h"

#define SHIELD_SHARDS 64
#define SHIELD_QUEUE_MAX 4096                   /* detections waiting for the ban thread */
#define SHIELD_CONNS_MAX (1u << 20)             /* addresses with open connections */
#define SHIELD_RATES_MAX (1u << 20)             /* rate-limit keys */
#define SHIELD_BANS_MAX (1u << 22)              /* active single-address bans */
#define SHIELD_RANGE_BANS_MAX 4096              /* manual CIDR bans */
#define SHIELD_SWEEP_MS 1000
#define SHIELD_PURGE_MS (3600ULL * 1000)
#define SHIELD_NFT_TABLES_MAX 16                /* recorded kernel tables handled per sync */
#define SHIELD_NFT_LEFT_MAX 8                   /* ours, could not be removed: unbans reach */
#define SHIELD_MEM_SHARDS 16                    /* long-memory tables, by network */
#define SHIELD_MEM_CLIENTS (1u << 15)           /* clients remembered per table */
#define SHIELD_MEM_FLUSH_MS 2000                /* the memory reaches shield.db this often */
#define SHIELD_MEM_LOAD_MS (30ULL * 86400 * 1000)   /* client_memory's maximum */
#define SHIELD_PROPOSED_MAX 64                  /* recent range proposals (not enforced) */

enum shield_counter {
    SC_DENY = 0, SC_DENY_COUNTED, SC_BAN, SC_BAN_COUNTED, SC_MAXCONN, SC_MAXCONN_COUNTED,
    SC_RATE, SC_RATE_COUNTED, SC_ALLOWLISTED, SC_HEALTH_CHECKS,
    SC_PATH_BRUTEFORCE, SC_SENSITIVE_FILES, SC_SCANNER_UA, SC_INJECTION, SC_VHOST_FUZZING,
    SC_LOGIN_BRUTEFORCE,
    SC_BANS_ADDED, SC_BANS_COUNTED_ONLY, SC_BANS_EXPIRED, SC_BANS_SKIPPED_ALLOW,
    SC_BANS_SKIPPED_ACTIVE, SC_QUEUE_DROPPED, SC_DB_ERRORS, SC_NFT_ERRORS,
    SC_SLOW_SCAN, SC_RANGE_BANS, SC_RANGE_BANS_PROPOSED,
    SC_GEO_BLOCK, SC_GEO_BLOCK_COUNTED, SC_GEO_COUNT,
    SC_NCOUNTERS
};

static const char *const shield_counter_names[SC_NCOUNTERS] = {
    "deny", "deny_counted", "ban", "ban_counted", "max_connections", "max_connections_counted",
    "rate_limit", "rate_limit_counted", "allowlisted", "health_checks",
    "detector_path_bruteforce", "detector_sensitive_files", "detector_scanner_ua",
    "detector_injection", "detector_vhost_fuzzing", "detector_login_bruteforce",
    "bans_added", "bans_counted_only", "bans_expired", "bans_skipped_allowlisted",
    "bans_skipped_active", "queue_dropped", "db_errors", "nft_errors",
    "detector_slow_scan", "range_bans", "range_bans_proposed",
    "geo_block", "geo_block_counted", "geo_count",
};

/* An in-memory ban; the store holds the reason and evidence. */
struct shield_ban {
    int64_t expiry_ms;          /* wall clock */
    bool counted_only;
    uint8_t plen;               /* of the entry's key: 128 for an address, else an IPv6 prefix */
};

struct shield_range_ban {
    struct cidr c;
    int64_t expiry_ms;
};

struct shield_shard {
    pthread_mutex_t lock;
    struct addrmap conns;       /* uint32_t open connections */
    struct addrmap rates;       /* struct ratelimit_window */
    struct addrmap bans;        /* struct shield_ban */
    struct detect *detect;
};

struct shield_job {
    struct shield_addr addr;    /* the address whose request tripped the detector */
    unsigned plen;              /* the client it stands for: addr's /plen (ipv6_prefix then) */
    const char *detector;       /* static string from detect.c */
    char evidence[256];
    bool counted_only;
    bool range;                 /* a network ban: addr's /plen, IPv4 included */
};

/* The long memory of clients (clientmem.h), by network: a network's clients share a table. */
struct shield_mem {
    pthread_mutex_t lock;
    struct clientmem m;
};

struct shield {
    struct crowdsec *cs;        /* the LAPI client thread, or NULL (shield.crowdsec) */
    atomic_uint_fast64_t ban_gen; /* +1 for every ban made effective */
    pthread_rwlock_t conf_lock;
    struct shield_conf *conf;
    struct shield_clock clk;
    int64_t wall_offset_ms;     /* wall = now_ms (mono) + offset */
    uint64_t seed;
    struct shield_shard shards[SHIELD_SHARDS];

    pthread_mutex_t ranges_lock;
    struct shield_range_ban *ranges;
    atomic_uint nranges;
    /* IPv6 prefix lengths (< 128) that ever had a ban in the shards' tables: a lookup tries
     * each (one, /64, unless ipv6_prefix changed or operators banned other lengths). Never
     * cleared: a stale bit costs one lookup, a missing one would miss a ban. */
    atomic_uint_fast64_t v6_plens[2];

    pthread_mutex_t slow_lock;  /* the store and the nftables mirror */
    struct banstore *store;
    struct nftset *nft;
    struct nftset *nft_left[SHIELD_NFT_LEFT_MAX];   /* tables tierd could not remove */
    unsigned nft_nleft;
    bool nft_warned;

    pthread_mutex_t q_lock;
    pthread_cond_t q_cond;
    struct shield_job *q;
    unsigned q_head, q_len;
    uint64_t q_queued, q_done;  /* jobs ever queued / finished, for shield_sync() */
    pthread_cond_t q_done_cond;
    bool stopping;
    pthread_t thread;

    atomic_uint_fast64_t counters[SC_NCOUNTERS];

    struct shield_mem mem[SHIELD_MEM_SHARDS];
    uint64_t mem_flushed_ms;                    /* mono, by the shield thread */
    struct shield_range_ban proposed[SHIELD_PROPOSED_MAX];  /* under slow_lock */
    unsigned nproposed;
    /* Geo rule hits by country (geo_code_index), for SC_GEO_BLOCK.. SC_GEO_COUNT in order. */
    atomic_uint_fast64_t geo_hits[3][GEO_CODES];
};

static void
shield_count(struct shield *s, enum shield_counter c)
{
    atomic_fetch_add_explicit(&s->counters[c], 1, memory_order_relaxed);
}

static int64_t
shield_wall_at(const struct shield *s, uint64_t now_ms)
{
    return (int64_t)now_ms + s->wall_offset_ms;
}

static struct shield_shard *
shield_shard_of(struct shield *s, const struct shield_addr *a)
{
    return &s->shards[addrmap_hash(a, s->seed) >> 58];
}

static bool
shield_addr_is_zero(const struct shield_addr *a)
{
    static const struct shield_addr zero;

    return memcmp(a->b, zero.b, 16) == 0;
}

void
shield_addr_from_sockaddr(struct shield_addr *out, const struct sockaddr_storage *ss)
{
    memset(out, 0, sizeof(*out));
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        out->b[10] = out->b[11] = 0xff;
        memcpy(out->b + 12, &in->sin_addr, 4);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        memcpy(out->b, &in6->sin6_addr, 16);
    }
}

/* ---- configuration and lifecycle ---- */

static int
shield_shard_init(struct shield_shard *sh, const struct detect_params *p, uint64_t seed)
{
    struct detect_params dp = *p;

    pthread_mutex_init(&sh->lock, NULL);
    dp.max_addresses = p->max_addresses / SHIELD_SHARDS ? p->max_addresses / SHIELD_SHARDS : 1;
    if (addrmap_init(&sh->conns, sizeof(uint32_t), SHIELD_CONNS_MAX / SHIELD_SHARDS, seed) ||
        addrmap_init(&sh->rates, sizeof(struct ratelimit_window), SHIELD_RATES_MAX / SHIELD_SHARDS,
                     seed + 1) ||
        addrmap_init(&sh->bans, sizeof(struct shield_ban), SHIELD_BANS_MAX / SHIELD_SHARDS,
                     seed + 2) ||
        !(sh->detect = detect_new(&dp)))
        return -ENOMEM;
    return 0;
}

static void
shield_shard_fini(struct shield_shard *sh)
{
    addrmap_fini(&sh->conns);
    addrmap_fini(&sh->rates);
    addrmap_fini(&sh->bans);
    detect_free(sh->detect);
    pthread_mutex_destroy(&sh->lock);
}

/* Whether a ban of c lives in the shards' tables, keyed (network, length): an address, or
 * an IPv6 prefix of at least SHIELD_V6_PREFIX_MIN bits (detectors ban an IPv6 client's
 * /ipv6_prefix; there may be a great many). Wider prefixes and IPv4 ranges are manual
 * and few: the range list. */
#define SHIELD_V6_PREFIX_MIN 32
static bool
shield_ban_hashed(const struct cidr *c)
{
    return c->plen == 128 || (!cidr_is_v4(&c->addr) && c->plen >= SHIELD_V6_PREFIX_MIN);
}

static void
shield_v6_plen_mark(struct shield *s, unsigned plen)
{
    if (plen < 128)
        atomic_fetch_or(&s->v6_plens[plen / 64], (uint_fast64_t)1 << (plen % 64));
}

/* Makes a ban effective in memory (an address, an IPv6 prefix, or a range). */
static void
shield_ban_set(struct shield *s, const struct cidr *c, int64_t expiry_ms, bool counted_only)
{
    atomic_fetch_add_explicit(&s->ban_gen, 1, memory_order_relaxed);
    if (shield_ban_hashed(c)) {
        struct shield_shard *sh = shield_shard_of(s, &c->addr);
        /* Marked before the entry exists, so a lookup that sees the entry tries its length. */
        shield_v6_plen_mark(s, c->plen);
        pthread_mutex_lock(&sh->lock);
        struct shield_ban *b = addrmap_get_prefix(&sh->bans, &c->addr, c->plen, true, NULL);
        if (b && (b->expiry_ms < expiry_ms || b->counted_only)) {
            b->expiry_ms = expiry_ms;
            b->counted_only = counted_only;
        }
        if (b)
            b->plen = (uint8_t)c->plen;
        pthread_mutex_unlock(&sh->lock);
        return;
    }
    if (counted_only)
        return;                 /* range bans are manual, hence enforced */
    pthread_mutex_lock(&s->ranges_lock);
    unsigned n = atomic_load(&s->nranges);
    for (unsigned i = 0; i < n; i++) {
        if (s->ranges[i].c.plen == c->plen && memcmp(s->ranges[i].c.addr.b, c->addr.b, 16) == 0) {
            if (s->ranges[i].expiry_ms < expiry_ms)
                s->ranges[i].expiry_ms = expiry_ms;
            pthread_mutex_unlock(&s->ranges_lock);
            return;
        }
    }
    if (n < SHIELD_RANGE_BANS_MAX) {
        s->ranges[n] = (struct shield_range_ban){ *c, expiry_ms };
        atomic_store(&s->nranges, n + 1);
    }
    pthread_mutex_unlock(&s->ranges_lock);
}

static void shield_nft_remove(struct shield *s, const struct cidr *c, size_t n);

/* Removes a ban from memory, and an address's or IPv6 prefix's from every kernel set tierd
 * owns whether or not mirroring is on now (a table it could not remove still drops
 * packets); true when one was in memory. Called with slow_lock held. */
static bool
shield_ban_unset(struct shield *s, const struct cidr *c)
{
    bool found = false;

    if (shield_ban_hashed(c)) {
        struct shield_shard *sh = shield_shard_of(s, &c->addr);
        pthread_mutex_lock(&sh->lock);
        found = addrmap_remove_prefix(&sh->bans, &c->addr, c->plen);
        pthread_mutex_unlock(&sh->lock);
        shield_nft_remove(s, c, 1);         /* only these are ever mirrored */
        return found;
    }
    pthread_mutex_lock(&s->ranges_lock);
    unsigned n = atomic_load(&s->nranges);
    for (unsigned i = 0; i < n; i++) {
        if (s->ranges[i].c.plen == c->plen && memcmp(s->ranges[i].c.addr.b, c->addr.b, 16) == 0) {
            s->ranges[i] = s->ranges[n - 1];
            atomic_store(&s->nranges, n - 1);
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&s->ranges_lock);
    return found;
}

static void
shield_on_stored_ban(void *ctx, const struct banstore_row *r)
{
    struct shield *s = ctx;
    struct cidr c;
    char why[128];

    if (cidr_parse(r->addr, strlen(r->addr), &c, why, sizeof(why)) < 0) {
        log_warn("shield", "stored ban skipped addr=%s: %s", r->addr, why);
        return;
    }
    shield_ban_set(s, &c, r->expiry_ms, r->counted_only);
}

static void *shield_thread_main(void *arg);

static void
shield_mem_params(const struct shield_conf *c, struct clientmem_params *p)
{
    *p = (struct clientmem_params){
        .memory_ms = c->client_memory_ms,
        .slow_probes = c->slow_enabled ? c->slow_probes : 0,
        .slow_span_ms = c->slow_over_ms,
        .range_min_offenders = c->range_min_offenders,
        .range_min_pct = c->range_min_share,
        .ipv6_prefix = c->ipv6_prefix,
    };
}

/* The memory table of addr's network: its IPv4 /24 or IPv6 /48 (which holds its /64s). */
static struct shield_mem *
shield_mem_of(struct shield *s, const struct shield_addr *a)
{
    struct shield_addr net;

    cidr_addr_mask(a, cidr_is_v4(a) ? 120 : 48, &net);
    return &s->mem[addrmap_hash(&net, s->seed ^ 0x5bd1e995u) % SHIELD_MEM_SHARDS];
}

static void
shield_on_stored_client(void *ctx, const char *key, const struct clientmem_rec *r)
{
    struct shield *s = ctx;
    struct cidr c;
    char why[128];

    if (cidr_parse(key, strlen(key), &c, why, sizeof(why)) < 0)
        return;
    struct shield_mem *m = shield_mem_of(s, &c.addr);
    pthread_mutex_lock(&m->lock);
    clientmem_restore(&m->m, &c, r);
    pthread_mutex_unlock(&m->lock);
}

struct shield_mem_batch {
    char (*keys)[64];
    const char **kp;
    struct clientmem_rec *recs;
    size_t n, cap;
};

static void
shield_mem_collect(void *ctx, const struct cidr *key, const struct clientmem_rec *r)
{
    struct shield_mem_batch *b = ctx;

    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->keys = mem_realloc_or_exit(b->keys, b->cap * sizeof(*b->keys));
        b->recs = mem_realloc_or_exit(b->recs, b->cap * sizeof(*b->recs));
    }
    cidr_format(key, b->keys[b->n], sizeof(b->keys[b->n]));
    b->recs[b->n++] = *r;
}

/* Forgets clients past client_memory and writes the changed ones to shield.db, one
 * transaction. A crash loses at most SHIELD_MEM_FLUSH_MS of evidence, never a ban (bans are
 * committed before they act). Runs on the shield thread, and at shield_free. */
static void
shield_mem_flush(struct shield *s)
{
    struct shield_mem_batch b = { 0 };
    uint64_t now = s->clk.wall_ms();

    for (unsigned i = 0; i < SHIELD_MEM_SHARDS; i++) {
        pthread_mutex_lock(&s->mem[i].lock);
        clientmem_expire(&s->mem[i].m, now);
        clientmem_visit(&s->mem[i].m, true, shield_mem_collect, &b);
        pthread_mutex_unlock(&s->mem[i].lock);
    }
    if (b.n) {
        b.kp = mem_alloc_or_exit(b.n * sizeof(*b.kp));
        for (size_t i = 0; i < b.n; i++)
            b.kp[i] = b.keys[i];
        pthread_mutex_lock(&s->slow_lock);
        if (banstore_clients_put(s->store, b.kp, b.recs, b.n) < 0)
            shield_count(s, SC_DB_ERRORS);
        pthread_mutex_unlock(&s->slow_lock);
    }
    free(b.keys);
    free(b.kp);
    free(b.recs);
}

struct shield *
shield_new_clock(const char *state_dir, const struct shield_clock *clk, char *errbuf,
                 size_t errlen)
{
    struct shield *s = mem_alloc_or_exit(sizeof(*s));
    pthread_condattr_t ca;
    int rc;

    s->clk = *clk;
    s->wall_offset_ms = (int64_t)clk->wall_ms() - (int64_t)clk->mono_ms();
    s->seed = (uint64_t)clock_mono_us() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s;
    pthread_rwlock_init(&s->conf_lock, NULL);
    pthread_mutex_init(&s->ranges_lock, NULL);
    pthread_mutex_init(&s->slow_lock, NULL);
    pthread_mutex_init(&s->q_lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->q_cond, &ca);
    pthread_cond_init(&s->q_done_cond, NULL);
    pthread_condattr_destroy(&ca);
    s->conf = shield_conf_new_off();
    s->ranges = mem_alloc_or_exit(SHIELD_RANGE_BANS_MAX * sizeof(*s->ranges));
    s->q = mem_alloc_or_exit(SHIELD_QUEUE_MAX * sizeof(*s->q));
    struct clientmem_params mp;
    shield_mem_params(s->conf, &mp);
    for (unsigned i = 0; i < SHIELD_MEM_SHARDS; i++) {
        pthread_mutex_init(&s->mem[i].lock, NULL);
        /* Out of memory this early: the table holds nothing and tracks no one. */
        if (clientmem_init(&s->mem[i].m, &mp, SHIELD_MEM_CLIENTS, s->seed * (i + 101)) < 0)
            log_error("shield", "out of memory for the client memory table=%u", i);
    }
    for (unsigned i = 0; i < SHIELD_SHARDS; i++) {
        if (shield_shard_init(&s->shards[i], &s->conf->detect, s->seed * (i + 3)) < 0) {
            snprintf(errbuf, errlen, "shield: out of memory");
            for (unsigned j = 0; j <= i; j++)
                shield_shard_fini(&s->shards[j]);
            goto fail_shards;
        }
    }
    if ((rc = banstore_open(state_dir, &s->store, errbuf, errlen)) < 0)
        goto fail;
    banstore_purge(s->store, (int64_t)clk->wall_ms() - (int64_t)BANSTORE_KEEP_MS);
    if (banstore_load_active(s->store, (int64_t)clk->wall_ms(), shield_on_stored_ban, s) < 0) {
        snprintf(errbuf, errlen, "%s/shield.db: cannot read the bans", state_dir ? state_dir : "");
        goto fail;
    }
    if (banstore_clients_load(s->store, (int64_t)clk->wall_ms() - (int64_t)SHIELD_MEM_LOAD_MS,
                              shield_on_stored_client, s) < 0) {
        snprintf(errbuf, errlen, "%s/shield.db: cannot read the client memory",
                 state_dir ? state_dir : "");
        goto fail;
    }
    if ((rc = pthread_create(&s->thread, NULL, shield_thread_main, s)) != 0) {
        snprintf(errbuf, errlen, "shield: cannot start its thread: %s", strerror(rc));
        goto fail;
    }
    return s;
fail:
    for (unsigned i = 0; i < SHIELD_SHARDS; i++)
        shield_shard_fini(&s->shards[i]);
fail_shards:
    for (unsigned i = 0; i < SHIELD_MEM_SHARDS; i++) {
        clientmem_fini(&s->mem[i].m);
        pthread_mutex_destroy(&s->mem[i].lock);
    }
    banstore_close(s->store);
    shield_conf_free(s->conf);
    free(s->ranges);
    free(s->q);
    free(s);
    return NULL;
}

struct shield *
shield_new(const char *state_dir, char *errbuf, size_t errlen)
{
    static const struct shield_clock clk = { clock_mono_ms, clock_wall_ms };

    return shield_new_clock(state_dir, &clk, errbuf, errlen);
}

static bool
shield_rate_same(const struct shield_conf *a, const struct shield_conf *b)
{
    return a->rate_enabled == b->rate_enabled && a->rate_window_ms == b->rate_window_ms &&
           a->rate_limit == b->rate_limit && a->rate_key == b->rate_key &&
           a->ipv6_prefix == b->ipv6_prefix;
}

struct shield_readd {
    int64_t wall_ms;
    struct nftset_prefix *e;    /* collected under a shard lock, sent after it */
    size_t n, cap;
    unsigned dropped;           /* out of memory */
};

static bool
shield_readd_one(void *ctx, const struct shield_addr *addr, void *value)
{
    struct shield_readd *r = ctx;
    const struct shield_ban *b = value;

    if (b->counted_only || b->expiry_ms <= r->wall_ms)
        return false;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        struct nftset_prefix *e = realloc(r->e, cap * sizeof(*e));
        if (!e) {
            r->dropped++;
            return false;
        }
        r->e = e;
        r->cap = cap;
    }
    r->e[r->n++] = (struct nftset_prefix){ *addr, b->plen ? b->plen : 128,
                                           (uint64_t)(b->expiry_ms - r->wall_ms + 999) / 1000 };
    return false;
}

/* Fills the new mirror from the in-memory bans (the store's active ones, loaded at start)
 * with their remaining time, one shard at a time; no kernel call under a shard lock. */
static void
shield_nft_refill(struct shield *s)
{
    struct shield_readd r = { (int64_t)s->clk.wall_ms(), NULL, 0, 0, 0 };
    unsigned failed = 0;

    for (unsigned i = 0; i < SHIELD_SHARDS; i++) {
        pthread_mutex_lock(&s->shards[i].lock);
        addrmap_visit(&s->shards[i].bans, shield_readd_one, &r);
        pthread_mutex_unlock(&s->shards[i].lock);
        if (r.n && nftset_add_prefixes(s->nft, r.e, r.n) < 0)
            failed++;
        r.n = 0;
    }
    free(r.e);
    if (failed || r.dropped) {
        log_warn("shield", "nftables refill incomplete table=%s shards_failed=%u dropped=%u: %s",
                 nftset_table(s->nft), failed, r.dropped, nftset_error(s->nft));
        atomic_fetch_add(&s->counters[SC_NFT_ERRORS], failed + r.dropped);
    }
}

/* Forgets the kernel handles (the tables stay). */
static void
shield_nft_close(struct shield *s)
{
    nftset_free(s->nft);
    s->nft = NULL;
    for (unsigned i = 0; i < s->nft_nleft; i++)
        nftset_free(s->nft_left[i]);
    s->nft_nleft = 0;
}

static void
shield_nft_remove_failed(struct shield *s, const struct nftset *t, const struct cidr *c, size_t n)
{
    char text[64];

    shield_count(s, SC_NFT_ERRORS);
    cidr_format(&c[0], text, sizeof(text));
    log_warn("shield", "nftables delete failed table=%s addr=%s count=%zu: %s", nftset_table(t),
             text, n, nftset_error(t));
}

/* Deletes addresses and prefixes from the mirror and from every table tierd created but
 * could not remove. Called with slow_lock held. */
static void
shield_nft_remove(struct shield *s, const struct cidr *c, size_t n)
{
    if (!n)
        return;
    if (s->nft && nftset_remove_many(s->nft, c, n) < 0)
        shield_nft_remove_failed(s, s->nft, c, n);
    for (unsigned i = 0; i < s->nft_nleft;) {
        struct nftset *t = s->nft_left[i];
        int rc = nftset_remove_many(t, c, n);
        if (rc == -ENOENT) {
            /* Gone since (an operator removed it): nothing left to reach. The record
             * stays until the next sync looks. */
            nftset_free(t);
            s->nft_left[i] = s->nft_left[--s->nft_nleft];
            continue;
        }
        if (rc < 0)
            shield_nft_remove_failed(s, t, c, n);
        i++;
    }
}

/* A fresh random token for a table's mark (hex). */
static void
shield_nft_token(char *out, size_t n)
{
    uint8_t b[16];

    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        /* Unique enough to tell tierd's tables apart; it is a mark, not a secret. */
        uint64_t x = clock_mono_us() ^ ((uint64_t)getpid() << 32) ^ clock_wall_ms();
        memcpy(b, &x, 8);
        x *= 0x9e3779b97f4a7c15ULL;
        memcpy(b + 8, &x, 8);
    }
    for (size_t i = 0; i < sizeof(b) && 2 * i + 2 < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* A table tierd recorded and no longer wants: removed when it is still the one tierd
 * created, then forgotten; left alone (and forgotten) when someone else's table took its
 * name. One tierd could not remove stays recorded, and unbans keep reaching it. */
static void
shield_nft_retire(struct shield *s, const struct banstore_nft *t)
{
    struct nftset *n = nftset_new(t->table, t->set);
    int st;

    if (!n) {
        shield_count(s, SC_NFT_ERRORS);
        log_warn("shield", "nftables unavailable (no context); table=%s stays", t->table);
        return;
    }
    nftset_set_token(n, t->token);
    st = nftset_probe(n);
    if (st == NFTSET_OURS) {
        int rc = nftset_drop_table(n);
        if (rc < 0 && rc != -ENOENT) {
            shield_count(s, SC_NFT_ERRORS);
            log_warn("shield", "nftables table not removed table=%s: %s; unbans still reach it",
                     t->table, nftset_error(n));
            if (s->nft_nleft < SHIELD_NFT_LEFT_MAX) {
                s->nft_left[s->nft_nleft++] = n;
                return;
            }
            nftset_free(n);
            return;
        }
        log_info("shield", "nftables table removed table=%s", t->table);
    } else if (st == NFTSET_FOREIGN) {
        log_warn("shield", "nftables table left alone table=%s: it is no longer the one tierd "
                 "created", t->table);
    } else if (st < 0) {
        shield_count(s, SC_NFT_ERRORS);
        log_warn("shield", "nftables table not inspected table=%s: %s; tierd retries on the "
                 "next reload or start", t->table, nftset_error(n));
        nftset_free(n);
        return;
    }
    if (banstore_nft_forget(s->store, t->family, t->table) < 0)
        shield_count(s, SC_DB_ERRORS);
    nftset_free(n);
}

/* Makes c's table the mirror: never one tierd did not create; recorded before it is made;
 * rebuilt when tierd made it before (its layout is then exactly this version's); refilled.
 * rec is its record from earlier, or NULL. */
static void
shield_nft_open(struct shield *s, const struct shield_conf *c, const struct banstore_nft *rec)
{
    struct banstore_nft t;
    struct nftset *n = nftset_new(c->nft_table, c->nft_set);
    int st;

    if (!n) {
        log_warn("shield", "nftables unavailable (no context); bans are enforced in-process only");
        shield_count(s, SC_NFT_ERRORS);
        return;
    }
    if (rec) {
        t = *rec;
    } else {
        memset(&t, 0, sizeof(t));
        snprintf(t.family, sizeof(t.family), "inet");
        snprintf(t.table, sizeof(t.table), "%s", c->nft_table);
        shield_nft_token(t.token, sizeof(t.token));
        t.created_ms = (int64_t)s->clk.wall_ms();
    }
    snprintf(t.set, sizeof(t.set), "%s", c->nft_set);
    nftset_set_token(n, t.token);
    st = nftset_probe(n);
    if (st == NFTSET_FOREIGN) {
        log_warn("shield", "nftables table left alone table=%s: tierd did not create it; bans "
                 "are enforced in-process only (delete that table, or choose another "
                 "shield.nftables.table)", c->nft_table);
        shield_count(s, SC_NFT_ERRORS);
        if (rec && banstore_nft_forget(s->store, rec->family, rec->table) < 0)
            shield_count(s, SC_DB_ERRORS);
        goto fail;
    }
    if (st < 0) {
        log_warn("shield", "nftables table not inspected table=%s: %s; bans stay in-process",
                 c->nft_table, nftset_error(n));
        shield_count(s, SC_NFT_ERRORS);
        goto fail;
    }
    /* A table tierd has no record of would outlive it unnoticed: record first. */
    if (banstore_nft_put(s->store, &t) < 0) {
        log_warn("shield", "nftables table not created table=%s: cannot record it in "
                 "shield.db; bans stay in-process", c->nft_table);
        shield_count(s, SC_DB_ERRORS);
        goto fail;
    }
    if ((st == NFTSET_OURS ? nftset_replace(n) : nftset_setup(n)) < 0) {
        log_warn("shield", "nftables set-up failed table=%s: %s; bans stay in-process",
                 c->nft_table, nftset_error(n));
        shield_count(s, SC_NFT_ERRORS);
        goto fail;
    }
    s->nft = n;
    shield_nft_refill(s);
    log_info("shield", "nftables mirror ready table=%s sets=%s_v4,%s_v6", c->nft_table,
             c->nft_set, c->nft_set);
    return;
fail:
    nftset_free(n);
}

/* Brings the kernel in line with conf and with what tierd created before (its record in
 * shield.db): tables of other names, or all of them when mirroring is off, are removed;
 * the current one is set up and refilled from the in-memory bans. Tables tierd did not
 * create are never touched. Called with slow_lock held and the conf write lock held. */
static void
shield_nft_sync(struct shield *s, const struct shield_conf *old, const struct shield_conf *c)
{
    bool want = c->enabled && c->nft_enabled;
    bool same = s->nft && old->nft_enabled && strcmp(old->nft_table, c->nft_table) == 0 &&
                strcmp(old->nft_set, c->nft_set) == 0;
    struct banstore_nft rec[SHIELD_NFT_TABLES_MAX];
    const struct banstore_nft *mine = NULL;
    size_t nrec = 0;

    if (want && same)
        return;
    shield_nft_close(s);
    if (banstore_nft_list(s->store, rec, SHIELD_NFT_TABLES_MAX, &nrec) < 0) {
        shield_count(s, SC_DB_ERRORS);
        log_warn("shield", "nftables left as they are: shield.db cannot list the tables tierd "
                 "created; bans are enforced in-process only");
        return;
    }
    if (!want && nrec == 0)
        return;
    if (!nftset_permitted()) {
        if (!s->nft_warned)
            log_warn("shield", "nftables needs CAP_NET_ADMIN (run as root, or give tierd's user "
                     "the capability); %s", want ? "bans are enforced in-process only" :
                     "the tables tierd created before stay");
        s->nft_warned = true;
        return;
    }
    for (size_t i = 0; i < nrec; i++) {
        if (want && !mine && strcmp(rec[i].family, "inet") == 0 &&
            strcmp(rec[i].table, c->nft_table) == 0)
            mine = &rec[i];
        else
            shield_nft_retire(s, &rec[i]);
    }
    if (want)
        shield_nft_open(s, c, mine);
}

void
shield_apply(struct shield *s, struct shield_conf *conf)
{
    struct shield_conf *old;

    pthread_mutex_lock(&s->slow_lock);
    pthread_rwlock_wrlock(&s->conf_lock);
    old = s->conf;
    s->conf = conf;
    /* Detector buckets start afresh with the new parameters (login_paths belong to the new
     * conf); rate windows too when the rule changed, as WAF resets on any rate setting. */
    for (unsigned i = 0; i < SHIELD_SHARDS; i++) {
        struct shield_shard *sh = &s->shards[i];
        struct detect_params dp = conf->detect;
        dp.max_addresses = dp.max_addresses / SHIELD_SHARDS ? dp.max_addresses / SHIELD_SHARDS : 1;
        struct detect *nd = detect_new(&dp);
        if (nd) {
            detect_free(sh->detect);
            sh->detect = nd;
        }
        if (!shield_rate_same(old, conf)) {
            size_t max = sh->rates.max;
            addrmap_fini(&sh->rates);
            addrmap_init(&sh->rates, sizeof(struct ratelimit_window), max, s->seed + i);
        }
    }
    struct clientmem_params mp;
    shield_mem_params(conf, &mp);
    for (unsigned i = 0; i < SHIELD_MEM_SHARDS; i++) {
        pthread_mutex_lock(&s->mem[i].lock);
        s->mem[i].m.p = mp;
        pthread_mutex_unlock(&s->mem[i].lock);
    }
    shield_nft_sync(s, old, conf);
    pthread_rwlock_unlock(&s->conf_lock);
    pthread_mutex_unlock(&s->slow_lock);
    /* Outside the locks: the CrowdSec thread takes them to add bans, and stop joins it. */
    if (!crowdsec_same(old, conf) || (!s->cs && conf->cs_url)) {
        crowdsec_stop(s->cs);
        s->cs = crowdsec_start(s, conf);
    }
    shield_conf_free(old);
}

bool
shield_enabled(const struct shield *s)
{
    struct shield *m = (struct shield *)s;      /* the lock is not part of the value */
    bool on;

    pthread_rwlock_rdlock(&m->conf_lock);
    on = m->conf->enabled;
    pthread_rwlock_unlock(&m->conf_lock);
    return on;
}

/* ---- the ban thread ---- */

static enum shield_counter
shield_detector_counter(const char *detector)
{
    static const struct {
        const char *name;
        enum shield_counter c;
    } map[] = {
        { "path_bruteforce", SC_PATH_BRUTEFORCE }, { "sensitive_files", SC_SENSITIVE_FILES },
        { "scanner_ua", SC_SCANNER_UA }, { "injection", SC_INJECTION },
        { "vhost_fuzzing", SC_VHOST_FUZZING }, { "login_bruteforce", SC_LOGIN_BRUTEFORCE },
    };
    for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].name, detector) == 0)
            return map[i].c;
    return SC_PATH_BRUTEFORCE;
}

/* True when the ban keyed (net, plen) is in memory and has not expired at wall time now;
 * sh is net's shard. */
static bool
shield_ban_active_prefix(struct shield_shard *sh, const struct shield_addr *net, unsigned plen,
                         int64_t now, bool *counted_only)
{
    struct shield_ban *b = addrmap_get_prefix(&sh->bans, net, plen, false, NULL);

    if (!b)
        return false;
    if (b->expiry_ms <= now) {
        addrmap_remove_prefix(&sh->bans, net, plen);
        return false;
    }
    if (counted_only)
        *counted_only = b->counted_only;
    return true;
}

/* The same for the ban of the single address addr. */
static bool
shield_ban_active(struct shield_shard *sh, const struct shield_addr *addr, int64_t now,
                  bool *counted_only)
{
    return shield_ban_active_prefix(sh, addr, 128, now, counted_only);
}

/* For a network kept in the range list (IPv4, wide IPv6): an unexpired ban of exactly c, or
 * (counted_only) a proposal of it. Called with slow_lock free. */
static bool
shield_range_known(struct shield *s, const struct cidr *c, int64_t now, bool counted_only,
                   bool *was_counted)
{
    bool hit = false;

    pthread_mutex_lock(&s->ranges_lock);
    unsigned n = atomic_load(&s->nranges);
    for (unsigned i = 0; i < n && !hit; i++)
        hit = s->ranges[i].expiry_ms > now && s->ranges[i].c.plen == c->plen &&
              memcmp(s->ranges[i].c.addr.b, c->addr.b, 16) == 0;
    pthread_mutex_unlock(&s->ranges_lock);
    *was_counted = false;
    if (hit || !counted_only)
        return hit;
    pthread_mutex_lock(&s->slow_lock);
    unsigned np = s->nproposed < SHIELD_PROPOSED_MAX ? s->nproposed : SHIELD_PROPOSED_MAX;
    for (unsigned i = 0; i < np && !hit; i++)
        hit = s->proposed[i].expiry_ms > now && s->proposed[i].c.plen == c->plen &&
              memcmp(s->proposed[i].c.addr.b, c->addr.b, 16) == 0;
    pthread_mutex_unlock(&s->slow_lock);
    *was_counted = hit;
    return hit;
}

/* One detection: re-check the allow list, skip addresses already banned, then store,
 * enforce and mirror. Runs on the shield thread. */
static void
shield_job_run(struct shield *s, const struct shield_job *j)
{
    struct shield_shard *sh;
    struct banstore_row row;
    struct cidr c;
    uint64_t dur_ms;
    unsigned prev = 0;
    bool active, was_counted = false, nft_on;
    int64_t now = (int64_t)s->clk.wall_ms();

    if (j->range) {
        c.plen = j->plen;
        cidr_addr_mask(&j->addr, j->plen, &c.addr);
    } else {
        cidr_client(&j->addr, j->plen, &c);
    }
    pthread_rwlock_rdlock(&s->conf_lock);
    bool allowed = cidrset_lookup(s->conf->firewall, &j->addr) == SHIELD_FW_ALLOW;
    /* A network ban never covers an allowed address or a trusted proxy at all. */
    if (j->range)
        allowed = allowed || cidrset_overlaps(s->conf->firewall, &c, SHIELD_FW_ALLOW) ||
                  cidrset_overlaps(s->conf->trusted, &c, 0);
    /* A prefix ban must not reach an allowed address or a trusted proxy inside the prefix
     * (the kernel mirror would drop their packets): then the address alone is banned. */
    if (!allowed && !j->range && c.plen < 128 &&
        (cidrset_overlaps(s->conf->firewall, &c, SHIELD_FW_ALLOW) ||
         cidrset_overlaps(s->conf->trusted, &c, 0)))
        c = (struct cidr){ j->addr, 128 };
    struct shield_conf snap = *s->conf;         /* scalars only are used below */
    pthread_rwlock_unlock(&s->conf_lock);
    if (allowed || !snap.enabled) {
        shield_count(s, SC_BANS_SKIPPED_ALLOW);
        return;
    }
    sh = shield_shard_of(s, &c.addr);
    pthread_mutex_lock(&sh->lock);
    active = shield_ban_active_prefix(sh, &c.addr, c.plen, now, &was_counted);
    pthread_mutex_unlock(&sh->lock);
    if (!active && !shield_ban_hashed(&c))
        active = shield_range_known(s, &c, now, j->counted_only, &was_counted);
    /* An enforced ban covers everything; a counted-only one covers other counted-only
     * decisions but yields to a real ban (count mode switched to block). */
    if (active && (!was_counted || j->counted_only)) {
        shield_count(s, SC_BANS_SKIPPED_ACTIVE);
        return;
    }

    memset(&row, 0, sizeof(row));
    cidr_format(&c, row.addr, sizeof(row.addr));      /* "2001:db8:1:2::/64" for a prefix */
    snprintf(row.reason, sizeof(row.reason), "%s", j->detector);
    snprintf(row.evidence, sizeof(row.evidence), "%s", j->evidence);
    row.counted_only = j->counted_only;
    pthread_mutex_lock(&s->slow_lock);
    if (banstore_count(s->store, row.addr, &prev) < 0)
        shield_count(s, SC_DB_ERRORS);
    dur_ms = j->range ? snap.range_ban_ms : shield_conf_ban_ms(&snap, prev);
    row.start_ms = now;
    row.expiry_ms = now + (int64_t)dur_ms;
    if (banstore_insert(s->store, &row) < 0) {
        /* Failing closed: the ban is enforced though it will not survive a restart. */
        shield_count(s, SC_DB_ERRORS);
        log_error("shield", "ban not stored addr=%s reason=%s; enforced until restart",
                  row.addr, row.reason);
    }
    shield_ban_set(s, &c, row.expiry_ms, row.counted_only);
    if (j->range && row.counted_only && !shield_ban_hashed(&c)) {
        /* A proposal: remembered so the next offender of the range does not repeat it. */
        s->proposed[s->nproposed++ % SHIELD_PROPOSED_MAX] =
            (struct shield_range_ban){ c, row.expiry_ms };
    }
    if (j->range)
        shield_count(s, row.counted_only ? SC_RANGE_BANS_PROPOSED : SC_RANGE_BANS);
    nft_on = s->nft != NULL && !row.counted_only;
    if (nft_on && nftset_add_prefix(s->nft, &c.addr, c.plen, dur_ms / 1000) < 0) {
        shield_count(s, SC_NFT_ERRORS);
        log_warn("shield", "nftables add failed addr=%s: %s", row.addr, nftset_error(s->nft));
    }
    pthread_mutex_unlock(&s->slow_lock);
    shield_count(s, row.counted_only ? SC_BANS_COUNTED_ONLY : SC_BANS_ADDED);
    log_info("shield", "%s addr=%s reason=%s duration_s=%" PRIu64 " previous_bans=%u evidence=\"%s\"",
             row.counted_only ? "would ban (count mode)" : "banned", row.addr, row.reason,
             dur_ms / 1000, prev, row.evidence);
}

struct shield_sweep {
    int64_t now;
    uint64_t expired;
    struct cidr *gone;          /* expired enforced bans, to delete from the kernel */
    size_t ngone, cap;
};

/* Keeps addr for the kernel deletion; out of memory, the kernel's own timeout (at most a
 * second later) removes it. */
static void
shield_sweep_gone(struct shield_sweep *w, const struct shield_addr *addr, unsigned plen)
{
    if (w->ngone == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        struct cidr *g = realloc(w->gone, cap * sizeof(*g));
        if (!g)
            return;
        w->gone = g;
        w->cap = cap;
    }
    w->gone[w->ngone++] = (struct cidr){ *addr, plen ? plen : 128 };
}

/* Deletes the expired bans' elements from the kernel, the mirror's and a left-over table's
 * alike: the kernel's timeout is rounded up to a second and runs on its own clock. An
 * address banned again since the sweep keeps its element. */
static void
shield_nft_expire(struct shield *s, struct shield_sweep *w)
{
    size_t k = 0;

    pthread_mutex_lock(&s->slow_lock);
    if (s->nft || s->nft_nleft) {
        for (size_t i = 0; i < w->ngone; i++) {
            struct cidr *g = &w->gone[i];
            struct shield_shard *sh = shield_shard_of(s, &g->addr);
            pthread_mutex_lock(&sh->lock);
            bool again = shield_ban_active_prefix(sh, &g->addr, g->plen,
                                                  (int64_t)s->clk.wall_ms(), NULL);
            pthread_mutex_unlock(&sh->lock);
            if (!again)
                w->gone[k++] = w->gone[i];
        }
        shield_nft_remove(s, w->gone, k);
    }
    pthread_mutex_unlock(&s->slow_lock);
}

static bool
shield_sweep_one(void *ctx, const struct shield_addr *addr, void *value)
{
    struct shield_sweep *w = ctx;
    const struct shield_ban *b = value;

    if (b->expiry_ms > w->now)
        return false;
    w->expired++;
    if (!b->counted_only)
        shield_sweep_gone(w, addr, b->plen);
    return true;
}

/* Drops expired bans from memory (the kernel expires its own copies). */
static void
shield_sweep(struct shield *s)
{
    struct shield_sweep w = { (int64_t)s->clk.wall_ms(), 0, NULL, 0, 0 };

    for (unsigned i = 0; i < SHIELD_SHARDS; i++) {
        pthread_mutex_lock(&s->shards[i].lock);
        addrmap_visit(&s->shards[i].bans, shield_sweep_one, &w);
        pthread_mutex_unlock(&s->shards[i].lock);
    }
    pthread_mutex_lock(&s->ranges_lock);
    unsigned n = atomic_load(&s->nranges);
    for (unsigned i = 0; i < n;) {
        if (s->ranges[i].expiry_ms <= w.now) {
            s->ranges[i] = s->ranges[--n];
            w.expired++;
        } else {
            i++;
        }
    }
    atomic_store(&s->nranges, n);
    pthread_mutex_unlock(&s->ranges_lock);
    if (w.expired)
        atomic_fetch_add(&s->counters[SC_BANS_EXPIRED], w.expired);
    if (w.ngone)
        shield_nft_expire(s, &w);
    free(w.gone);
}

static void *
shield_thread_main(void *arg)
{
    struct shield *s = arg;
    struct shield_job *batch = mem_alloc_or_exit(SHIELD_QUEUE_MAX * sizeof(*batch));
    uint64_t last_sweep = s->clk.mono_ms(), last_purge = last_sweep;

    pthread_mutex_lock(&s->q_lock);
    for (;;) {
        if (!s->q_len && !s->stopping) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&s->q_cond, &s->q_lock, &ts);
        }
        unsigned n = s->q_len;
        for (unsigned i = 0; i < n; i++)
            batch[i] = s->q[(s->q_head + i) % SHIELD_QUEUE_MAX];
        s->q_head = (s->q_head + n) % SHIELD_QUEUE_MAX;
        s->q_len = 0;
        bool stop = s->stopping;
        pthread_mutex_unlock(&s->q_lock);

        for (unsigned i = 0; i < n; i++)
            shield_job_run(s, &batch[i]);
        uint64_t now = s->clk.mono_ms();
        if (now - last_sweep >= SHIELD_SWEEP_MS) {
            shield_sweep(s);
            last_sweep = now;
        }
        if (now - s->mem_flushed_ms >= SHIELD_MEM_FLUSH_MS) {
            shield_mem_flush(s);
            s->mem_flushed_ms = now;
        }
        if (now - last_purge >= SHIELD_PURGE_MS) {
            pthread_mutex_lock(&s->slow_lock);
            banstore_purge(s->store, (int64_t)s->clk.wall_ms() - (int64_t)BANSTORE_KEEP_MS);
            banstore_clients_purge(s->store,
                                   (int64_t)s->clk.wall_ms() - (int64_t)SHIELD_MEM_LOAD_MS);
            pthread_mutex_unlock(&s->slow_lock);
            last_purge = now;
        }
        pthread_mutex_lock(&s->q_lock);
        s->q_done += n;
        pthread_cond_broadcast(&s->q_done_cond);
        if (stop && !s->q_len)
            break;
    }
    pthread_mutex_unlock(&s->q_lock);
    free(batch);
    return NULL;
}

/* Queues a detection for the ban thread; drops it (counted) when the queue is full. The
 * ban is for addr's /plen (the ipv6_prefix the detector counted by; IPv4 ignores it). */
static void
shield_enqueue(struct shield *s, const struct shield_addr *addr, unsigned plen,
               const struct detect_hit *hit, bool counted_only, bool range)
{
    pthread_mutex_lock(&s->q_lock);
    if (s->q_len >= SHIELD_QUEUE_MAX) {
        pthread_mutex_unlock(&s->q_lock);
        shield_count(s, SC_QUEUE_DROPPED);
        return;
    }
    struct shield_job *j = &s->q[(s->q_head + s->q_len) % SHIELD_QUEUE_MAX];
    j->addr = *addr;
    j->plen = plen;
    j->detector = hit->detector;
    memcpy(j->evidence, hit->evidence, sizeof(j->evidence));
    j->counted_only = counted_only;
    j->range = range;
    s->q_len++;
    s->q_queued++;
    pthread_cond_signal(&s->q_cond);
    pthread_mutex_unlock(&s->q_lock);
}

void
shield_sync(struct shield *s)
{
    pthread_mutex_lock(&s->q_lock);
    uint64_t want = s->q_queued;
    pthread_cond_signal(&s->q_cond);
    while (s->q_done < want)
        pthread_cond_wait(&s->q_done_cond, &s->q_lock);
    pthread_mutex_unlock(&s->q_lock);
}

void
shield_free(struct shield *s)
{
    if (!s)
        return;
    crowdsec_stop(s->cs);       /* first: it adds bans through the ban store */
    s->cs = NULL;
    pthread_mutex_lock(&s->q_lock);
    s->stopping = true;
    pthread_cond_signal(&s->q_cond);
    pthread_mutex_unlock(&s->q_lock);
    pthread_join(s->thread, NULL);
    shield_mem_flush(s);
    for (unsigned i = 0; i < SHIELD_MEM_SHARDS; i++) {
        clientmem_fini(&s->mem[i].m);
        pthread_mutex_destroy(&s->mem[i].lock);
    }
    /* The kernel table stays: its elements time out by themselves, and the next start
     * refills it from the store. */
    shield_nft_close(s);
    banstore_close(s->store);
    for (unsigned i = 0; i < SHIELD_SHARDS; i++)
        shield_shard_fini(&s->shards[i]);
    shield_conf_free(s->conf);
    pthread_rwlock_destroy(&s->conf_lock);
    pthread_mutex_destroy(&s->ranges_lock);
    pthread_mutex_destroy(&s->slow_lock);
    pthread_mutex_destroy(&s->q_lock);
    pthread_cond_destroy(&s->q_cond);
    pthread_cond_destroy(&s->q_done_cond);
    free(s->ranges);
    free(s->q);
    free(s);
}

/* ---- verdicts ---- */

static const struct shield_decision shield_allow = { .verdict = SHIELD_ALLOW };

static struct shield_decision
shield_refusal(int status, const char *rule)
{
    return (struct shield_decision){ .verdict = SHIELD_DENY, .status = status, .rule = rule };
}

/* True when a range ban (manual CIDR) covers addr at wall time now. */
static bool
shield_range_banned(struct shield *s, const struct shield_addr *addr, int64_t now)
{
    bool hit = false;

    if (atomic_load_explicit(&s->nranges, memory_order_relaxed) == 0)
        return false;
    pthread_mutex_lock(&s->ranges_lock);
    unsigned n = atomic_load(&s->nranges);
    for (unsigned i = 0; i < n && !hit; i++)
        hit = s->ranges[i].expiry_ms > now && cidr_contains(&s->ranges[i].c, addr);
    pthread_mutex_unlock(&s->ranges_lock);
    return hit;
}

/* Whether addr is banned now: 1 enforced, 2 recorded in count mode only, 0 not. An IPv6
 * address is looked up alone, then as its /N for each prefix length banned so far; an
 * enforced ban wins over a counted-only one. */
static int
shield_banned(struct shield *s, const struct shield_addr *addr, int64_t now)
{
    struct shield_shard *sh = shield_shard_of(s, addr);
    bool counted = false, active, any_counted = false;

    pthread_mutex_lock(&sh->lock);
    active = shield_ban_active(sh, addr, now, &counted);
    pthread_mutex_unlock(&sh->lock);
    if (active && !counted)
        return 1;
    any_counted = active;
    for (unsigned w = 0; w < 2 && !cidr_is_v4(addr); w++) {
        uint_fast64_t bits = atomic_load_explicit(&s->v6_plens[w], memory_order_acquire);
        while (bits) {
            unsigned plen = w * 64 + (unsigned)__builtin_ctzll((unsigned long long)bits);
            struct shield_addr net;
            bits &= bits - 1;
            cidr_addr_mask(addr, plen, &net);
            sh = shield_shard_of(s, &net);
            pthread_mutex_lock(&sh->lock);
            active = shield_ban_active_prefix(sh, &net, plen, now, &counted);
            pthread_mutex_unlock(&sh->lock);
            if (active && !counted)
                return 1;
            any_counted = any_counted || active;
        }
    }
    if (shield_range_banned(s, addr, now))
        return 1;
    return any_counted ? 2 : 0;
}

struct shield_decision
shield_accept(struct shield *s, const struct shield_addr *peer, uint64_t now_ms)
{
    struct shield_decision d = shield_allow;
    const struct shield_conf *c;
    bool count_mode, allowed;

    pthread_rwlock_rdlock(&s->conf_lock);
    c = s->conf;
    if (!c->enabled)
        goto out;
    count_mode = c->mode == SHIELD_MODE_COUNT;
    int fw = cidrset_lookup(c->firewall, peer);
    allowed = fw == SHIELD_FW_ALLOW;
    if (fw == SHIELD_FW_DENY) {
        shield_count(s, count_mode ? SC_DENY_COUNTED : SC_DENY);
        if (!count_mode) {
            d = shield_refusal(0, "deny");
            goto out;
        }
    }
    if (!allowed) {
        int b = shield_banned(s, peer, shield_wall_at(s, now_ms));
        if (b) {
            shield_count(s, count_mode || b == 2 ? SC_BAN_COUNTED : SC_BAN);
            if (!count_mode && b == 1) {
                d = shield_refusal(0, "ban");
                goto out;
            }
        }
    }
    /* Every allowed connection is counted, allow-listed ones too, so that shield_release
     * always matches; only the limit skips allow-listed peers. */
    struct shield_shard *sh = shield_shard_of(s, peer);
    pthread_mutex_lock(&sh->lock);
    uint32_t *n = addrmap_get(&sh->conns, peer, true, NULL);
    if (n && !allowed && c->max_connections_per_ip && *n >= c->max_connections_per_ip) {
        shield_count(s, count_mode ? SC_MAXCONN_COUNTED : SC_MAXCONN);
        if (!count_mode) {
            pthread_mutex_unlock(&sh->lock);
            d = shield_refusal(0, "max_connections");
            goto out;
        }
    }
    if (n)
        (*n)++;
    pthread_mutex_unlock(&sh->lock);
out:
    pthread_rwlock_unlock(&s->conf_lock);
    return d;
}

void
shield_release(struct shield *s, const struct shield_addr *peer)
{
    struct shield_shard *sh = shield_shard_of(s, peer);

    pthread_mutex_lock(&sh->lock);
    uint32_t *n = addrmap_get(&sh->conns, peer, false, NULL);
    /* Missing when the shield was off at accept or the entry was evicted: nothing to undo. */
    if (n && --*n == 0)
        addrmap_remove(&sh->conns, peer);
    pthread_mutex_unlock(&sh->lock);
}

/* The aggregation key of a request for the configured rate_limit.key. */
static void
shield_rate_key(const struct shield_conf *c, const struct shield_request_info *r,
                struct shield_addr *key)
{
    const struct shield_addr *ip = shield_addr_is_zero(&r->peer) ? &r->client : &r->peer;

    struct cidr k;

    switch (c->rate_key) {
    case SHIELD_KEY_FORWARDED_IP:
        cidr_client(&r->client, c->ipv6_prefix, &k);
        *key = k.addr;
        break;
    case SHIELD_KEY_IP_24:
        /* A /24 or a /64, unless ipv6_prefix is wider: ip_24 never splits what ip groups. */
        cidr_addr_mask(ip, cidr_is_v4(ip) ? 120 : c->ipv6_prefix < 64 ? c->ipv6_prefix : 64,
                       key);
        break;
    case SHIELD_KEY_IP:
    default:
        cidr_client(ip, c->ipv6_prefix, &k);
        *key = k.addr;
        break;
    }
}

static void
shield_event_init(struct detect_event *ev, enum detect_kind kind,
                  const struct shield_request_info *r, uint64_t now_ms)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    ev->addr = r->client;
    ev->method = r->method;
    ev->path = r->path;
    ev->query = r->query;
    ev->host = r->host;
    ev->user_agent = r->user_agent;
    ev->now_ms = now_ms;
    ev->static_asset = r->static_asset;
}

static void shield_mem_offended(struct shield *s, const struct shield_conf *c,
                                const struct shield_addr *addr, uint64_t now_ms);

/* Feeds the detectors; on a trip, queues the ban and returns true. The detectors count an
 * IPv6 client by its prefix, so every address of the prefix goes to the prefix's shard. */
static bool
shield_detect(struct shield *s, const struct shield_conf *c, const struct detect_event *ev)
{
    struct cidr key;
    struct detect_hit hit;
    bool tripped;

    cidr_client(&ev->addr, c->detect.ipv6_prefix, &key);
    struct shield_shard *sh = shield_shard_of(s, &key.addr);

    pthread_mutex_lock(&sh->lock);
    tripped = detect_feed(sh->detect, ev, &hit);
    pthread_mutex_unlock(&sh->lock);
    if (!tripped)
        return false;
    shield_count(s, shield_detector_counter(hit.detector));
    shield_enqueue(s, &ev->addr, key.plen, &hit, c->mode == SHIELD_MODE_COUNT, false);
    shield_mem_offended(s, c, &ev->addr, ev->now_ms);
    return true;
}

/* Queues a range ban (a proposal when range_bans is off) for each network in due. */
static void
shield_enqueue_ranges(struct shield *s, const struct shield_conf *c,
                      const struct shield_addr *addr, const struct clientmem_range *due,
                      size_t n, const char *ev)
{
    for (size_t i = 0; i < n; i++) {
        struct detect_hit hit = { .detector = "range" };
        snprintf(hit.evidence, sizeof(hit.evidence), "%s", ev);
        if (i > 0) {
            char net[64];
            cidr_format(&due[i].net, net, sizeof(net));
            snprintf(hit.evidence, sizeof(hit.evidence), "%u of the %u clients seen in %s "
                     "offended, none got a page or asset", due[i].offending, due[i].seen, net);
        }
        shield_enqueue(s, addr, due[i].net.plen, &hit,
                       c->mode == SHIELD_MODE_COUNT || !c->range_enabled, true);
    }
}

/* addr's client offended (a detector tripped, the rate limit refused it); networks that
 * now meet the range rule get their ban queued. now_ms is the verdict calls' clock. */
static void
shield_mem_offended(struct shield *s, const struct shield_conf *c,
                    const struct shield_addr *addr, uint64_t now_ms)
{
    struct shield_mem *m = shield_mem_of(s, addr);
    struct clientmem_range due[3];
    char ev[256];
    size_t n = 0;

    pthread_mutex_lock(&m->lock);
    if (clientmem_offended(&m->m, addr, (uint64_t)shield_wall_at(s, now_ms)))
        n = clientmem_ranges_due(&m->m, addr, due, 3, ev, sizeof(ev));
    pthread_mutex_unlock(&m->lock);
    shield_enqueue_ranges(s, c, addr, due, n, ev);
}

/* What an answered request adds to the long memory: a slow scanner is banned, a client that
 * now only probes may complete a range. */
static void
shield_mem_observe(struct shield *s, const struct shield_conf *c,
                   const struct shield_request_info *r, int status, uint64_t now_ms)
{
    struct shield_mem *m = shield_mem_of(s, &r->client);
    struct clientmem_range due[3];
    char ev[256], rev[256];
    bool sensitive, offending = false;
    size_t n = 0;
    enum clientmem_kind k = clientmem_classify(r->path, status, r->static_asset, &sensitive);

    pthread_mutex_lock(&m->lock);
    bool slow = clientmem_observe(&m->m, &r->client, k, sensitive, r->path,
                                  (uint64_t)shield_wall_at(s, now_ms), ev, sizeof(ev),
                                  &offending);
    if (slow)
        offending = clientmem_offended(&m->m, &r->client, (uint64_t)shield_wall_at(s, now_ms)) ||
                    offending;
    if (offending)
        n = clientmem_ranges_due(&m->m, &r->client, due, 3, rev, sizeof(rev));
    pthread_mutex_unlock(&m->lock);
    if (slow) {
        struct detect_hit hit = { .detector = "slow_scan" };
        struct cidr key;
        memcpy(hit.evidence, ev, sizeof(hit.evidence));
        cidr_client(&r->client, c->ipv6_prefix, &key);
        shield_count(s, SC_SLOW_SCAN);
        shield_enqueue(s, &r->client, key.plen, &hit, c->mode == SHIELD_MODE_COUNT, false);
    }
    shield_enqueue_ranges(s, c, &r->client, due, n, rev);
}

/* The geo match rule (AWS WAF's geo match statement with Block or Count): counts the hit,
 * per country too; true when the request is to be refused. */
static bool
shield_geo_refuses(struct shield *s, const struct shield_conf *c, geo_code cc, bool count_mode)
{
    unsigned ix = geo_code_index(cc), k;

    switch (c->geo_action[ix]) {
    case SHIELD_GEO_BLOCK:
        k = count_mode ? 1 : 0;
        break;
    case SHIELD_GEO_COUNT:
        k = 2;
        break;
    default:
        return false;
    }
    shield_count(s, (enum shield_counter)(SC_GEO_BLOCK + k));
    atomic_fetch_add_explicit(&s->geo_hits[k][ix], 1, memory_order_relaxed);
    return k == 0;
}

struct shield_decision
shield_request(struct shield *s, const struct shield_request_info *r, uint64_t now_ms)
{
    struct shield_decision d = shield_allow;
    const struct shield_conf *c;
    bool count_mode;
    geo_code cc;

    pthread_rwlock_rdlock(&s->conf_lock);
    c = s->conf;
    /* One binary search when shield.geo is on; the access log shows it for every client. */
    cc = c->enabled ? geo_lookup(c->geo, &r->client) : 0;
    if (!c->enabled)
        goto out;
    if (r->health_checker) {
        shield_count(s, SC_HEALTH_CHECKS);
        goto out;
    }
    count_mode = c->mode == SHIELD_MODE_COUNT;
    int fw = cidrset_lookup(c->firewall, &r->client);
    if (fw == SHIELD_FW_ALLOW) {
        shield_count(s, SC_ALLOWLISTED);
        goto out;
    }
    /* A client behind a trusted proxy: the accept-time checks saw only the proxy. */
    if (fw == SHIELD_FW_DENY) {
        shield_count(s, count_mode ? SC_DENY_COUNTED : SC_DENY);
        if (!count_mode) {
            d = shield_refusal(403, "deny");
            goto out;
        }
    }
    if (cc && c->geo_action[geo_code_index(cc)] &&
        geo_conf_in_scope(c, r->listener, r->path) && shield_geo_refuses(s, c, cc, count_mode)) {
        d = shield_refusal(403, "geo");
        goto out;
    }
    int b = shield_banned(s, &r->client, shield_wall_at(s, now_ms));
    if (b) {
        shield_count(s, count_mode || b == 2 ? SC_BAN_COUNTED : SC_BAN);
        if (!count_mode && b == 1) {
            d = shield_refusal(403, "ban");
            goto out;
        }
    }
    if (c->rate_enabled) {
        struct shield_addr key;
        shield_rate_key(c, r, &key);
        struct shield_shard *sh = shield_shard_of(s, &key);
        pthread_mutex_lock(&sh->lock);
        struct ratelimit_window *w = addrmap_get(&sh->rates, &key, true, NULL);
        bool pass = !w || ratelimit_hit(w, c->rate_window_ms, c->rate_limit, now_ms);
        pthread_mutex_unlock(&sh->lock);
        if (!pass) {
            shield_count(s, count_mode ? SC_RATE_COUNTED : SC_RATE);
            /* A refused client offends; the whole /24 is the key of ip_24 already. */
            if (c->rate_key != SHIELD_KEY_IP_24 && c->scanners_enabled)
                shield_mem_offended(s, c, c->rate_key == SHIELD_KEY_IP ? (shield_addr_is_zero(
                                              &r->peer) ? &r->client : &r->peer) : &r->client,
                                    now_ms);
            if (!count_mode) {
                /* Refused requests feed no detector (reference §10, feedback loop). */
                d = shield_refusal(c->rate_status, "rate_limit");
                goto out;
            }
        }
    }
    if (c->scanners_enabled) {
        struct detect_event ev;
        shield_event_init(&ev, DETECT_REQUEST, r, now_ms);
        if (shield_detect(s, c, &ev) && !count_mode)
            d = shield_refusal(403, "ban");
        /* Admitted: the long memory sees every client of a network, and (as the edge
         * reports failed answers only) a request never reported failed was served. */
        if (d.verdict == SHIELD_ALLOW) {
            struct shield_mem *m = shield_mem_of(s, &r->client);
            pthread_mutex_lock(&m->lock);
            clientmem_request(&m->m, &r->client, (uint64_t)shield_wall_at(s, now_ms));
            pthread_mutex_unlock(&m->lock);
        }
    }
out:
    if (cc)
        geo_code_format(cc, d.country);
    pthread_rwlock_unlock(&s->conf_lock);
    return d;
}

void
shield_response(struct shield *s, const struct shield_request_info *r, int status,
                uint64_t now_ms)
{
    const struct shield_conf *c;

    pthread_rwlock_rdlock(&s->conf_lock);
    c = s->conf;
    if (!c->enabled || !c->scanners_enabled || r->health_checker ||
        cidrset_lookup(c->firewall, &r->client) == SHIELD_FW_ALLOW)
        goto out;
    /* Never learn from our own refusals: a banned client's 403s would otherwise keep it
     * banned forever (reference §10). The edge does not call this for refused requests;
     * this guards the case where it does. */
    if (c->mode == SHIELD_MODE_BLOCK && shield_banned(s, &r->client, shield_wall_at(s, now_ms)))
        goto out;
    struct detect_event ev;
    shield_event_init(&ev, DETECT_RESPONSE, r, now_ms);
    ev.status = status;
    if (!shield_detect(s, c, &ev))
        shield_mem_observe(s, c, r, status, now_ms);
out:
    pthread_rwlock_unlock(&s->conf_lock);
}

/* ---- client address ---- */

/* Parses one X-Forwarded-For element: "a.b.c.d", "a.b.c.d:port", "[v6]", "[v6]:port" or a
 * bare IPv6 address. Returns 0 or -EINVAL. */
static int
shield_xff_parse(const char *p, size_t n, struct shield_addr *out)
{
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n && p[0] == '[') {
        const char *end = memchr(p, ']', n);
        if (!end)
            return -EINVAL;
        return cidr_addr_parse(p + 1, (size_t)(end - p - 1), out);
    }
    const char *colon = memchr(p, ':', n);
    if (colon && !memchr(colon + 1, ':', n - (size_t)(colon - p) - 1))
        n = (size_t)(colon - p);        /* one colon: IPv4 with a port */
    return cidr_addr_parse(p, n, out);
}

void
shield_client_addr(struct shield *s, const struct shield_addr *peer, const struct slice *xff,
                   unsigned nxff, struct shield_addr *out)
{
    const struct cidrset *trusted;

    *out = *peer;
    pthread_rwlock_rdlock(&s->conf_lock);
    trusted = s->conf->enabled ? s->conf->trusted : NULL;
    if (!trusted || cidrset_lookup(trusted, peer) < 0)
        goto out;
    /* Right to left over every element of every field: the first untrusted hop is the
     * client; a malformed element ends the walk at the last trusted hop. */
    for (unsigned v = nxff; v-- > 0;) {
        const char *p = xff[v].p;
        size_t end = xff[v].len;
        for (;;) {
            size_t start = end;
            while (start > 0 && p[start - 1] != ',')
                start--;
            struct shield_addr a;
            size_t len = end - start;
            bool blank = true;
            for (size_t i = start; i < end && blank; i++)
                blank = p[i] == ' ' || p[i] == '\t';
            if (!blank) {           /* empty list elements are ignored (RFC 9110 §5.6.1) */
                if (shield_xff_parse(p + start, len, &a) < 0)
                    goto out;
                *out = a;
                if (cidrset_lookup(trusted, &a) < 0)
                    goto out;
            }
            if (start == 0)
                break;
            end = start - 1;
        }
    }
out:
    pthread_rwlock_unlock(&s->conf_lock);
}

/* ---- bans for operators ---- */

struct shield_visit {
    shield_ban_fn fn;
    void *ctx;
    const struct geo *geo;      /* the current conf's, or NULL */
};

static void
shield_visit_row(void *ctx, const struct banstore_row *r)
{
    struct shield_visit *v = ctx;
    struct shield_ban_info b;

    memset(&b, 0, sizeof(b));
    snprintf(b.addr, sizeof(b.addr), "%s", r->addr);
    snprintf(b.reason, sizeof(b.reason), "%s", r->reason);
    snprintf(b.evidence, sizeof(b.evidence), "%s", r->evidence);
    b.start_s = r->start_ms / 1000;
    b.expiry_s = r->expiry_ms / 1000;
    b.counted_only = r->counted_only;
    struct cidr c;
    char why[96];
    if (v->geo && cidr_parse(r->addr, strlen(r->addr), &c, why, sizeof(why)) == 0)
        geo_code_format(geo_lookup(v->geo, &c.addr), b.country);
    v->fn(v->ctx, &b);
}

void
shield_bans_visit(struct shield *s, shield_ban_fn fn, void *ctx)
{
    struct shield_visit v = { fn, ctx, NULL };

    /* slow_lock, then conf_lock, as shield_apply() takes them. */
    pthread_mutex_lock(&s->slow_lock);
    pthread_rwlock_rdlock(&s->conf_lock);
    v.geo = s->conf->geo;
    if (banstore_load_active(s->store, (int64_t)s->clk.wall_ms(), shield_visit_row, &v) < 0)
        shield_count(s, SC_DB_ERRORS);
    pthread_rwlock_unlock(&s->conf_lock);
    pthread_mutex_unlock(&s->slow_lock);
}

uint64_t
shield_ban_generation(struct shield *s)
{
    return atomic_load_explicit(&s->ban_gen, memory_order_relaxed);
}

int
shield_ban_add(struct shield *s, const char *addr_or_cidr, int64_t duration_s,
               const char *reason)
{
    struct banstore_row row;
    struct cidr c;
    char why[128];
    int64_t now = (int64_t)s->clk.wall_ms();

    if (!addr_or_cidr || duration_s <= 0 ||
        cidr_parse(addr_or_cidr, strlen(addr_or_cidr), &c, why, sizeof(why)) < 0)
        return -EINVAL;
    memset(&row, 0, sizeof(row));
    cidr_format(&c, row.addr, sizeof(row.addr));
    snprintf(row.reason, sizeof(row.reason), "%s", reason && *reason ? reason : "manual");
    row.start_ms = now;
    row.expiry_ms = now + duration_s * 1000;
    pthread_mutex_lock(&s->slow_lock);
    if (banstore_insert(s->store, &row) < 0) {
        pthread_mutex_unlock(&s->slow_lock);
        shield_count(s, SC_DB_ERRORS);
        return -EIO;
    }
    shield_ban_set(s, &c, row.expiry_ms, false);
    if (s->nft && shield_ban_hashed(&c) &&
        nftset_add_prefix(s->nft, &c.addr, c.plen, (uint64_t)duration_s) < 0) {
        shield_count(s, SC_NFT_ERRORS);
        log_warn("shield", "nftables add failed addr=%s: %s", row.addr, nftset_error(s->nft));
    }
    pthread_mutex_unlock(&s->slow_lock);
    shield_count(s, SC_BANS_ADDED);
    log_info("shield", "banned addr=%s reason=%s duration_s=%" PRId64, row.addr, row.reason,
             duration_s);
    return 0;
}

int
shield_ban_remove(struct shield *s, const char *addr_or_cidr)
{
    struct cidr c;
    char text[64], why[128];
    int rc;

    if (!addr_or_cidr || cidr_parse(addr_or_cidr, strlen(addr_or_cidr), &c, why, sizeof(why)) < 0)
        return -EINVAL;
    cidr_format(&c, text, sizeof(text));
    pthread_mutex_lock(&s->slow_lock);
    rc = banstore_end(s->store, text, (int64_t)s->clk.wall_ms());
    bool in_mem = shield_ban_unset(s, &c);
    pthread_mutex_unlock(&s->slow_lock);
    if (rc == -EIO)
        shield_count(s, SC_DB_ERRORS);
    if (rc == 0 || in_mem) {
        log_info("shield", "unbanned addr=%s", text);
        return 0;
    }
    return rc == -EIO ? -EIO : -ENOENT;
}

/* ---- counters ---- */

struct shield_top {
    struct shield_offender_info o[SHIELD_OFFENDERS_MAX];
    unsigned n, max;
};

static bool
offender_before(const struct shield_offender_info *a, const struct shield_offender_info *b)
{
    return a->probes != b->probes ? a->probes > b->probes
           : a->refused != b->refused ? a->refused : a->requests > b->requests;
}

/* Keeps the top max offenders in order: insertion into a short sorted array. */
static void
shield_top_add(void *ctx, const struct cidr *key, const struct clientmem_rec *r)
{
    struct shield_top *top = ctx;
    struct shield_offender_info o = { .probes = r->probes, .requests = r->requests,
                                      .good = r->good, .refused = r->offended,
                                      .last_s = (int64_t)(r->last_ms / 1000) };

    if (!r->probes && !r->offended)
        return;
    cidr_format(key, o.addr, sizeof(o.addr));
    unsigned i = top->n < top->max ? top->n++ : top->max;
    if (i == top->max && !offender_before(&o, &top->o[top->max - 1]))
        return;
    if (i == top->max)
        i--;
    while (i > 0 && offender_before(&o, &top->o[i - 1])) {
        top->o[i] = top->o[i - 1];
        i--;
    }
    top->o[i] = o;
}

void
shield_offenders_visit(struct shield *s, unsigned max, shield_offender_fn fn, void *ctx)
{
    struct shield_top *top = mem_alloc_or_exit(sizeof(*top));

    top->n = 0;
    top->max = max == 0 || max > SHIELD_OFFENDERS_MAX ? SHIELD_OFFENDERS_MAX : max;
    for (unsigned i = 0; i < SHIELD_MEM_SHARDS; i++) {
        pthread_mutex_lock(&s->mem[i].lock);
        clientmem_visit(&s->mem[i].m, false, shield_top_add, top);
        pthread_mutex_unlock(&s->mem[i].lock);
    }
    for (unsigned i = 0; i < top->n; i++)
        fn(ctx, &top->o[i]);
    free(top);
}

void
shield_counters_visit(struct shield *s, shield_counter_fn fn, void *ctx)
{
    uint64_t ev_conns = 0, ev_rates = 0, ev_bans = 0, ev_detect = 0, n_bans = 0, n_conns = 0;
    unsigned q;

    for (unsigned i = 0; i < SC_NCOUNTERS; i++)
        fn(ctx, shield_counter_names[i], atomic_load_explicit(&s->counters[i],
                                                              memory_order_relaxed));
    for (unsigned i = 0; i < SHIELD_SHARDS; i++) {
        struct shield_shard *sh = &s->shards[i];
        pthread_mutex_lock(&sh->lock);
        ev_conns += sh->conns.evictions;
        ev_rates += sh->rates.evictions;
        ev_bans += sh->bans.evictions;
        ev_detect += detect_evictions(sh->detect);
        n_bans += sh->bans.n;
        n_conns += sh->conns.n;
        pthread_mutex_unlock(&sh->lock);
    }
    pthread_mutex_lock(&s->q_lock);
    q = s->q_len;
    pthread_mutex_unlock(&s->q_lock);
    fn(ctx, "table_evictions_connections", ev_conns);
    fn(ctx, "table_evictions_rate_limit", ev_rates);
    fn(ctx, "table_evictions_bans", ev_bans);
    fn(ctx, "table_evictions_detectors", ev_detect);
    fn(ctx, "bans_active", n_bans + atomic_load(&s->nranges));
    fn(ctx, "addresses_connected", n_conns);
    fn(ctx, "queue_length", q);
    /* Per country: "<counter>:<CC>", only those that ever counted (the daemon makes the
     * country a label). */
    for (unsigned k = 0; k < 3; k++)
        for (unsigned ix = 0; ix < GEO_CODES; ix++) {
            uint64_t v = atomic_load_explicit(&s->geo_hits[k][ix], memory_order_relaxed);
            if (!v)
                continue;
            char name[48];
            snprintf(name, sizeof(name), "%s:%c%c", shield_counter_names[SC_GEO_BLOCK + k],
                     'A' + ix / 26, 'A' + ix % 26);
            fn(ctx, name, v);
        }
}
