/*
 * shield/addrmap.c: the per-address table behind connection counts, rate windows, detector
 * buckets and bans: chained hashing with a fixed bucket array sized for the limit, an
 * intrusive LRU list, and eviction of the least recently seen address when full. The hash
 * is seeded so that a client cannot choose addresses that collide on purpose.
 */
#include "shield/addrmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct addrmap_entry {
    struct addrmap_entry *next;                 /* hash chain */
    struct addrmap_entry *lru_prev, *lru_next;
    struct shield_addr addr;
    uint8_t plen;                               /* 128: the address itself */
    _Alignas(max_align_t) unsigned char value[];
};

uint64_t
addrmap_hash(const struct shield_addr *a, uint64_t seed)
{
    uint64_t hi, lo, h;

    memcpy(&hi, a->b, 8);
    memcpy(&lo, a->b + 8, 8);
    h = seed ^ 0x9e3779b97f4a7c15ULL;
    h ^= hi;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
    h ^= lo;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h;
}

int
addrmap_init(struct addrmap *m, size_t value_size, size_t max, uint64_t seed)
{
    size_t nb = 16;

    memset(m, 0, sizeof(*m));
    if (max < 1)
        max = 1;
    while (nb < max && nb < ((size_t)1 << 30))
        nb <<= 1;
    m->buckets = calloc(nb, sizeof(*m->buckets));
    if (!m->buckets)
        return -ENOMEM;
    m->nbuckets = nb;
    m->max = max;
    m->value_size = value_size;
    m->seed = seed;
    return 0;
}

static void
addrmap_lru_unlink(struct addrmap *m, struct addrmap_entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        m->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        m->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void
addrmap_lru_push(struct addrmap *m, struct addrmap_entry *e)
{
    e->lru_prev = NULL;
    e->lru_next = m->lru_head;
    if (m->lru_head)
        m->lru_head->lru_prev = e;
    m->lru_head = e;
    if (!m->lru_tail)
        m->lru_tail = e;
}

/* A prefix and the address with the same bits share a bucket (the hash is over the
 * address only): prefixes are few, and addrmap_hash() stays the one hash of an address. */
static struct addrmap_entry **
addrmap_slot(struct addrmap *m, const struct shield_addr *addr, unsigned plen)
{
    struct addrmap_entry **p = &m->buckets[addrmap_hash(addr, m->seed) & (m->nbuckets - 1)];

    while (*p && ((*p)->plen != plen || memcmp((*p)->addr.b, addr->b, 16) != 0))
        p = &(*p)->next;
    return p;
}

static void
addrmap_drop(struct addrmap *m, struct addrmap_entry *e)
{
    struct addrmap_entry **p = addrmap_slot(m, &e->addr, e->plen);

    *p = e->next;
    addrmap_lru_unlink(m, e);
    m->n--;
    free(e);
}

void *
addrmap_get(struct addrmap *m, const struct shield_addr *addr, bool create, bool *created)
{
    return addrmap_get_prefix(m, addr, 128, create, created);
}

void *
addrmap_get_prefix(struct addrmap *m, const struct shield_addr *addr, unsigned plen,
                   bool create, bool *created)
{
    struct addrmap_entry **p = addrmap_slot(m, addr, plen);
    struct addrmap_entry *e = *p;

    if (created)
        *created = false;
    if (e) {
        if (m->lru_head != e) {
            addrmap_lru_unlink(m, e);
            addrmap_lru_push(m, e);
        }
        return e->value;
    }
    if (!create)
        return NULL;
    if (m->n >= m->max && m->lru_tail) {
        addrmap_drop(m, m->lru_tail);
        m->evictions++;
        p = addrmap_slot(m, addr, plen);    /* the chain may have changed */
    }
    e = calloc(1, sizeof(*e) + m->value_size);
    if (!e)
        return NULL;
    e->addr = *addr;
    e->plen = (uint8_t)plen;
    e->next = NULL;
    *p = e;
    addrmap_lru_push(m, e);
    m->n++;
    if (created)
        *created = true;
    return e->value;
}

bool
addrmap_remove(struct addrmap *m, const struct shield_addr *addr)
{
    return addrmap_remove_prefix(m, addr, 128);
}

bool
addrmap_remove_prefix(struct addrmap *m, const struct shield_addr *addr, unsigned plen)
{
    struct addrmap_entry *e = *addrmap_slot(m, addr, plen);

    if (!e)
        return false;
    addrmap_drop(m, e);
    return true;
}

void
addrmap_visit(struct addrmap *m, addrmap_fn fn, void *ctx)
{
    struct addrmap_entry *e = m->lru_head, *next;

    for (; e; e = next) {
        next = e->lru_next;
        if (fn(ctx, &e->addr, e->value))
            addrmap_drop(m, e);
    }
}

void
addrmap_fini(struct addrmap *m)
{
    struct addrmap_entry *e = m->lru_head, *next;

    for (; e; e = next) {
        next = e->lru_next;
        free(e);
    }
    free(m->buckets);
    memset(m, 0, sizeof(*m));
}
