/*
 * shield/addrmap.h: a table from client address to a fixed-size value, bounded by a
 * maximum number of addresses with least-recently-used eviction. It owns its entries and
 * counts evictions. A key is an address with a prefix length (128 unless said otherwise),
 * so that a ban of 2001:db8::/64 and one of the single address 2001:db8:: are two entries.
 * Not thread-safe: the shield shards addresses over several tables, each behind its own
 * lock; analyze uses one.
 */
#ifndef SHIELD_ADDRMAP_H
#define SHIELD_ADDRMAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shield/shield.h"

struct addrmap_entry;

struct addrmap {
    struct addrmap_entry **buckets;
    size_t nbuckets;            /* a power of two */
    struct addrmap_entry *lru_head, *lru_tail;   /* head: most recently used */
    size_t n, max;
    size_t value_size;
    uint64_t seed;
    uint64_t evictions;         /* entries dropped because the table was full */
};

/* Prepares an empty table for values of value_size bytes, holding at most max (>= 1)
 * addresses. Returns 0 or -ENOMEM. */
int addrmap_init(struct addrmap *m, size_t value_size, size_t max, uint64_t seed);
void addrmap_fini(struct addrmap *m);
/* Borrows the value for addr (moved to most recently used), or NULL. With create, a
 * missing address gets a zeroed value (evicting the least recently used one when full),
 * and *created says so; NULL only when out of memory. */
void *addrmap_get(struct addrmap *m, const struct shield_addr *addr, bool create,
                  bool *created);
/* Returns true when addr was present. */
bool addrmap_remove(struct addrmap *m, const struct shield_addr *addr);
/* The same with the key (net, plen), for prefixes: net has its host bits cleared by the
 * caller; plen 128 is the address itself (addrmap_get's entry). */
void *addrmap_get_prefix(struct addrmap *m, const struct shield_addr *net, unsigned plen,
                         bool create, bool *created);
bool addrmap_remove_prefix(struct addrmap *m, const struct shield_addr *net, unsigned plen);
/* Calls fn for each entry (addr is the key's address, whatever its prefix length); fn
 * returns true to remove that entry. */
typedef bool (*addrmap_fn)(void *ctx, const struct shield_addr *addr, void *value);
void addrmap_visit(struct addrmap *m, addrmap_fn fn, void *ctx);
/* A 64-bit hash of an address under seed (also used to pick a shard). */
uint64_t addrmap_hash(const struct shield_addr *a, uint64_t seed);

#endif
