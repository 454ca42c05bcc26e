/*
 * shield/nftset.h: mirrors bans into the kernel with libnftables: an `inet` table holding
 * two sets with per-element timeouts (<set>_v4 of ipv4_addr, <set>_v6 of ipv6_addr) and an
 * input-hook chain (priority -10, before the usual filter chain) that drops packets from
 * them; IPv6 prefix bans get a set and a chain per prefix length (below). A table this
 * module creates carries tierd's mark in its comment ("tierd <token>"), so that a later
 * start can tell it from a table someone else made under the same name; which tables were
 * created is the caller's record (docs/internals/nftables.md). Every call returns an error
 * instead of failing hard; the caller logs it and the in-process ban stays in force. Needs
 * CAP_NET_ADMIN. Not thread-safe.
 */
#ifndef SHIELD_NFTSET_H
#define SHIELD_NFTSET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shield/cidr.h"
#include "shield/shield.h"

#define NFTSET_TOKEN_MAX 40     /* bytes of a token, with its NUL */

struct nftset;

/* What nftset_probe() finds under the table's name. */
enum nftset_owner {
    NFTSET_ABSENT = 0,          /* no such table */
    NFTSET_OURS,                /* its comment is this handle's mark */
    NFTSET_FOREIGN,             /* a table tierd did not create (or another tierd's) */
};

/* Returns a new mirror for table/set (names already validated), or NULL when libnftables
 * cannot make a context. Creates nothing yet. */
struct nftset *nftset_new(const char *table, const char *set);
void nftset_free(struct nftset *n);
/* Sets the token of the mark (letters and digits, < NFTSET_TOKEN_MAX bytes; others are
 * dropped) that nftset_setup() writes and nftset_probe() looks for. Without one, setup
 * writes no comment and probe calls every existing table foreign. */
void nftset_set_token(struct nftset *n, const char *token);
/* Looks the table up in the kernel: an enum nftset_owner, or -EIO. Lists the table without
 * its set elements, so it costs the same with a million bans. */
int nftset_probe(struct nftset *n);
/* Creates the table (with the mark), both sets and the chain with its two rules if
 * missing, and empties the sets (the caller re-adds active bans with their remaining
 * time). Never call it on a table nftset_probe() called foreign. 0 or -EIO. */
int nftset_setup(struct nftset *n);
/* The same in one kernel transaction with deleting the table first, for a table that
 * nftset_probe() called ours: its layout becomes exactly this version's (sets renamed,
 * chains added or gone). 0 or -EIO. */
int nftset_replace(struct nftset *n);
/* Adds addr to its family's set, dropped by the kernel after timeout_s; an element that
 * is there already gets the new timeout. 0, -ENOENT (no such table or set) or -EIO. */
int nftset_add(struct nftset *n, const struct shield_addr *addr, uint64_t timeout_s);
/* Removes addr; an element that is not there (the kernel expired it, or it was never
 * added) is not an error. 0, -ENOENT (no such table or set) or -EIO. */
int nftset_remove(struct nftset *n, const struct shield_addr *addr);
/* The same for count addresses and networks (each at most once; plen 128, or an IPv4
 * address, is the address's own element), a few thousand per kernel transaction. */
int nftset_remove_many(struct nftset *n, const struct cidr *c, size_t count);
/* An IPv6 network banned as a whole (shield.ipv6_prefix): net has its host bits cleared.
 * plen 128 (or an IPv4 address) is the address's own element. */
struct nftset_prefix {
    struct shield_addr net;
    unsigned plen;
    uint64_t timeout_s;         /* 0 is taken as 1 */
};
/* Adds the networks, each to the set of its prefix length (<set>_v6_<plen>, made with its
 * drop rule on first use), or sets a new timeout; a few thousand per kernel transaction.
 * 0, -ENOENT (no such table) or -EIO. */
int nftset_add_prefixes(struct nftset *n, const struct nftset_prefix *p, size_t count);
int nftset_add_prefix(struct nftset *n, const struct shield_addr *net, unsigned plen,
                      uint64_t timeout_s);
/* Removes the network; one that is not there is not an error. 0, -ENOENT (no such table)
 * or -EIO. */
int nftset_remove_prefix(struct nftset *n, const struct shield_addr *net, unsigned plen);
/* Deletes the whole table. 0, -ENOENT when there is none, or -EIO. */
int nftset_drop_table(struct nftset *n);
/* The table's name, as given to nftset_new(). */
const char *nftset_table(const struct nftset *n);
/* The text of the last failure (libnftables' message, one line). */
const char *nftset_error(const struct nftset *n);

/* Whether this process may change nftables: CAP_NET_ADMIN in its effective set (root has
 * it unless it was dropped; a service user can be given it: docs/internals/nftables.md). */
bool nftset_permitted(void);
/* The table comment in `list table` output (the line after "table ... {"), unquoted into
 * out; "" when the table has none. Pure; exposed for the unit test. */
void nftset_comment_parse(const char *listing, char *out, size_t outlen);

#endif
