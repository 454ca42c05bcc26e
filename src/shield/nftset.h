/*
 * shield/nftset.h: mirrors bans into the kernel with libnftables: an `inet` table holding
 * two sets with per-element timeouts (<set>_v4 of ipv4_addr, <set>_v6 of ipv6_addr) and an
 * input-hook chain (priority -10, before the usual filter chain) that drops packets from
 * them. Every call returns an error instead of failing hard; the caller logs it and the
 * in-process ban stays in force. Needs CAP_NET_ADMIN. Not thread-safe.
 */
#ifndef SHIELD_NFTSET_H
#define SHIELD_NFTSET_H
#include <stddef.h>
#include <stdint.h>

#include "shield/shield.h"

struct nftset;

/* Returns a new mirror for table/set (names already validated), or NULL when libnftables
 * cannot make a context. Creates nothing yet. */
struct nftset *nftset_new(const char *table, const char *set);
void nftset_free(struct nftset *n);
/* Creates the table, both sets and the chain with its two rules if missing, and empties
 * the sets (the caller re-adds active bans with their remaining time). 0 or -EIO. */
int nftset_setup(struct nftset *n);
/* Adds addr to its family's set, dropped by the kernel after timeout_s. 0 or -EIO. */
int nftset_add(struct nftset *n, const struct shield_addr *addr, uint64_t timeout_s);
/* Removes addr; an element the kernel already expired is not an error. 0 or -EIO. */
int nftset_remove(struct nftset *n, const struct shield_addr *addr);
/* Deletes the whole table (when the operator turns mirroring off). 0 or -EIO. */
int nftset_drop_table(struct nftset *n);
/* The text of the last failure (libnftables' message, one line). */
const char *nftset_error(const struct nftset *n);

#endif
