/*
 * shield/clientmem.h: the shield's long memory of clients, and of the networks they sit
 * in. Two attacks stay under every leaky bucket of detect.h: a script probing one
 * sensitive path every few minutes all day (low and slow), and a flood or scan spread
 * over many addresses of one network, each below any per-address limit (coordinated).
 * Both are caught on evidence that accumulates over hours, kept per client:
 *
 *   - what its requests were: pages or assets served (good), sensitive or nonexistent
 *     paths (probes; a non-sensitive 404 counts once per distinct path, so a monitor
 *     polling a removed URL is one probe), or neither;
 *   - whether the shield refused it (a detector ban, the rate limit): offended.
 *
 * A client that only ever probed, never got a page or asset, and kept at it (slow_probes
 * probes over at least slow_span_ms) is a slow scanner. A client is offending when it
 * offended or only ever probed (2 probes or more, nothing good); good when it got a page
 * or asset and never offended. A network (IPv4 /24, IPv6 /48 and, when clients are
 * narrower than /64, /64) is due a range ban when at least range_min_offenders of its
 * clients offend, they are at least range_min_pct % of the clients seen in it, and none
 * is good: a range that also holds good traffic is never banned (NAT, carrier ranges).
 *
 * Pure over the caller's clock (wall milliseconds), no locks, no I/O: the live shield
 * keeps several tables (one per group of networks, so a network's clients are in one
 * table) behind its own locks and stores the records in shield.db; analyze uses one.
 */
#ifndef SHIELD_CLIENTMEM_H
#define SHIELD_CLIENTMEM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/slice.h"
#include "shield/addrmap.h"
#include "shield/cidr.h"

enum clientmem_kind { CLIENTMEM_NEUTRAL = 0, CLIENTMEM_GOOD, CLIENTMEM_PROBE };

/* What one answered request says about its client. A health check is neither (the caller
 * does not feed those). */
enum clientmem_kind clientmem_classify(struct slice path, int status, bool static_asset,
                                       bool *sensitive);
/* The same, with the path's sensitivity already known (detect_path_sensitive() has it
 * cached for a path the detectors just saw: analyze reads millions of lines). */
enum clientmem_kind clientmem_classify_known(struct slice path, int status, bool static_asset,
                                             bool sensitive);

struct clientmem_params {
    uint64_t memory_ms;         /* a client not seen for this long is forgotten */
    unsigned slow_probes;       /* probes that make a slow scanner (0: off) */
    uint64_t slow_span_ms;      /* ... from the first to the last at least this long */
    unsigned range_min_offenders;       /* 0: ranges off */
    unsigned range_min_pct;
    unsigned ipv6_prefix;       /* an IPv6 client is its /N */
};

#define CLIENTMEM_PATHS 6

/* One client, as stored (shield.db keeps these fields). */
struct clientmem_rec {
    uint64_t first_ms, last_ms;         /* seen */
    uint64_t first_probe_ms, last_probe_ms;
    uint32_t probes, good;
    uint32_t requests, answered;        /* admitted; answers reported (any kind) */
    uint32_t paths[CLIENTMEM_PATHS];    /* hashes of the non-sensitive paths counted */
    uint8_t npaths;
    bool offended;
    bool slow_reported;                 /* the slow-scan verdict was given once */
    bool dirty;                         /* changed since the caller last stored it */
    uint8_t cls;                        /* (internal) what its ranges count it as */
};

struct clientmem_range {
    struct cidr net;
    unsigned seen, offending, good;
};

struct clientmem {
    struct clientmem_params p;
    struct addrmap clients;     /* struct clientmem_rec by client key */
    struct addrmap ranges;      /* struct clientmem_counts by network */
    uint64_t full;              /* clients or ranges not tracked: the table was full */
};

/* Returns 0 or -ENOMEM. max_clients bounds the table; a client that does not fit is not
 * tracked (never evicted: the range counts would then be wrong). */
int clientmem_init(struct clientmem *m, const struct clientmem_params *p, size_t max_clients,
                   uint64_t seed);
void clientmem_fini(struct clientmem *m);
/* The client key of addr (an IPv4 address, an IPv6 address's /ipv6_prefix). */
void clientmem_key(const struct clientmem *m, const struct shield_addr *addr, struct cidr *out);

/* Records one answered request of addr's client at now_ms. Returns true once, when it
 * makes the client a slow scanner, with the evidence in ev. *became_offending (may be
 * NULL): this request made the client count as offending in its networks. */
bool clientmem_observe(struct clientmem *m, const struct shield_addr *addr,
                       enum clientmem_kind kind, bool sensitive, struct slice path,
                       uint64_t now_ms, char *ev, size_t evlen, bool *became_offending);
/* A request of addr's client was admitted (its answer may or may not be reported: the edge
 * reports failures only, so an admitted request never answered with one was served). */
void clientmem_request(struct clientmem *m, const struct shield_addr *addr, uint64_t now_ms);
/* The shield refused addr's client (a detector ban, the rate limit). True when that made
 * it count as offending (it did not before). */
bool clientmem_offended(struct clientmem *m, const struct shield_addr *addr, uint64_t now_ms);
/* The networks around addr that are due a range ban now, at most 3, into out; returns
 * how many. Each comes with its counts; ev gets the evidence of the first. */
size_t clientmem_ranges_due(struct clientmem *m, const struct shield_addr *addr,
                            struct clientmem_range *out, size_t max, char *ev, size_t evlen);
/* The counts of one network (seen 0 when it is not tracked). */
void clientmem_range_get(struct clientmem *m, const struct cidr *net,
                         struct clientmem_range *out);
/* Forgets clients not seen since now_ms - memory_ms. Returns how many. */
size_t clientmem_expire(struct clientmem *m, uint64_t now_ms);
/* Calls fn for every client (dirty_only: those changed since; their mark is cleared). */
typedef void (*clientmem_fn)(void *ctx, const struct cidr *key, const struct clientmem_rec *r);
void clientmem_visit(struct clientmem *m, bool dirty_only, clientmem_fn fn, void *ctx);
/* Puts a stored client back (at start). */
void clientmem_restore(struct clientmem *m, const struct cidr *key,
                       const struct clientmem_rec *r);

#endif
