/*
 * shield/cidr.h: addresses and CIDR prefixes (IPv4 mapped into IPv6), strict parsing for
 * the stack file, and an immutable longest-prefix-match set: the prefixes are flattened
 * into sorted disjoint ranges, each carrying the value of its most specific prefix, so a
 * lookup is one binary search (about 17 steps at 100,000 prefixes) over a flat array.
 */
#ifndef SHIELD_CIDR_H
#define SHIELD_CIDR_H
#include <stdbool.h>
#include <stddef.h>

#include "shield/shield.h"

struct cidr {
    struct shield_addr addr;    /* host bits zero */
    unsigned plen;              /* over the 128-bit mapped address: an IPv4 /8 is 104 */
};

struct cidrset;

/* Parses "192.0.2.7", "10.0.0.0/8", "2001:db8::/32" (len bytes of s). Returns 0, or
 * -EINVAL with a reason in why: an address or length that does not parse, a length out of
 * range, or host bits set (why then suggests the network: "did you mean 10.0.0.0/8?"). */
int cidr_parse(const char *s, size_t len, struct cidr *out, char *why, size_t whylen);
/* Parses one address without a prefix. Returns 0 or -EINVAL. */
int cidr_addr_parse(const char *s, size_t len, struct shield_addr *out);
/* Writes "192.0.2.7" or "2001:db8::1" (at least 46 bytes). */
void cidr_addr_format(const struct shield_addr *a, char *out, size_t n);
/* Writes the prefix as written in configuration: "10.0.0.0/8", "2001:db8::/32",
 * a single address without "/32" or "/128" (at least 50 bytes). */
void cidr_format(const struct cidr *c, char *out, size_t n);
bool cidr_is_v4(const struct shield_addr *a);
bool cidr_contains(const struct cidr *c, const struct shield_addr *a);
/* a with every bit after the first plen (over the 128-bit mapped address) cleared: plen 120
 * is an IPv4 address's /24, 64 an IPv6 address's /64. */
void cidr_addr_mask(const struct shield_addr *a, unsigned plen, struct shield_addr *out);
/* The client an address stands for: an IPv4 address alone, an IPv6 address as its
 * /ipv6_prefix (128: alone; 0 is taken as 128). */
void cidr_client(const struct shield_addr *a, unsigned ipv6_prefix, struct cidr *out);

/* Builds a set from n prefixes with values (>= 0); the same prefix twice keeps the larger
 * value. Returns a new set or NULL when out of memory. */
struct cidrset *cidrset_new(const struct cidr *prefixes, const int *values, size_t n);
void cidrset_free(struct cidrset *s);
/* The value of the longest prefix holding a, or -1. NULL s holds nothing. */
int cidrset_lookup(const struct cidrset *s, const struct shield_addr *a);
/* True when some address of c looks up to value (a prefix ban must not cover an allowed
 * address, even when c itself is not allowed). NULL s holds nothing. */
bool cidrset_overlaps(const struct cidrset *s, const struct cidr *c, int value);
/* Number of disjoint ranges (for tests and the bench). */
size_t cidrset_ranges(const struct cidrset *s);

#endif
