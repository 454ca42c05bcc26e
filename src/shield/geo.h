/*
 * shield/geo.h: the country of an address, from a database in Tor's geoip format (Debian's
 * tor-geoipdb: /usr/share/tor/geoip for IPv4, geoip6 for IPv6; IPFire Location data, CC
 * BY-SA 4.0). Lines read "FIRST,LAST,CC" (IPv4 as decimal numbers, IPv6 as addresses);
 * '#' starts a comment; "??" (no country) is skipped. The ranges are kept in two sorted
 * flat arrays (IPv4 12 bytes a range, IPv6 40), adjacent ranges of one country merged, so a
 * lookup is one binary search: no syscall, no allocation, no lock (the db is immutable once
 * built and belongs to one shield configuration generation).
 */
#ifndef SHIELD_GEO_H
#define SHIELD_GEO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shield/shield.h"

#define GEO_DEFAULT_V4 "/usr/share/tor/geoip"
#define GEO_DEFAULT_V6 "/usr/share/tor/geoip6"
#define GEO_STALE_S (60LL * 86400)      /* older than this: a warning */
#define GEO_CODES (26 * 26)             /* geo_code_index() is below this */

struct geo;

/* A country code as two letters packed ('S' << 8 | 'G'); 0 is no country. */
typedef uint16_t geo_code;

struct geo *geo_new(void);
void geo_free(struct geo *g);
/* Adds the ranges of one file's bytes (v6: IPv6 lines, else IPv4), remembering the
 * "# Generated: <RFC 1123 date>" header when there is one. Returns 0, or -EBADMSG with
 * "line N: reason" in why (nothing is added then). */
int geo_parse(struct geo *g, bool v6, const char *buf, size_t len, char *why, size_t whylen);
/* Reads the file at path and geo_parse()s it; without a Generated header the file's mtime
 * stands for its age. Returns 0 or a negative errno (-EBADMSG: why says where). */
int geo_load(struct geo *g, bool v6, const char *path, char *why, size_t whylen);
/* Sorts and merges; ranges that overlap are -EBADMSG with both in why. Call once, after
 * the last geo_parse/geo_load, before geo_lookup. */
int geo_finish(struct geo *g, char *why, size_t whylen);

/* The country of a (0: unknown). NULL g knows none. */
geo_code geo_lookup(const struct geo *g, const struct shield_addr *a);
/* Ranges held, IPv4 and IPv6, after merging. */
size_t geo_ranges(const struct geo *g, bool v6);
/* Unix seconds the data was generated (the oldest file's), 0 when unknown. */
int64_t geo_generated_s(const struct geo *g);

/* "SG" -> its code; 0 unless exactly two ASCII letters (upper case only when strict). */
geo_code geo_code_parse(const char *s, bool strict);
/* True for an ISO 3166-1 alpha-2 code officially assigned (249 of them) or one the
 * databases use for a region (EU, AP). */
bool geo_code_is_assigned(geo_code c);
/* 0..GEO_CODES-1 for a code (tables indexed by country), c must be nonzero. */
static inline unsigned
geo_code_index(geo_code c)
{
    return (unsigned)((c >> 8) - 'A') * 26 + (unsigned)((c & 0xff) - 'A');
}
/* Writes "SG" (3 bytes) or "" for 0. */
void geo_code_format(geo_code c, char out[3]);

#endif
