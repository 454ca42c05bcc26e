/*
 * shield/shield.h: request filtering, the facade the edge and the daemon use.
 *
 * The edge asks for verdicts at three points, from any worker thread:
 *   - shield_accept(): at accept(), before a byte is read (deny list, bans, per-IP
 *     connection cap);
 *   - shield_request(): once a request head is parsed (rate-based rules, scanner
 *     signals carried by the request itself: sensitive paths, scanner user agents,
 *     traversal/injection probes, unknown Host values);
 *   - shield_response(): once the status is known (bursts of 404/4xx, 401/403/422 on
 *     login paths).
 * Verdict calls never block on I/O: a detector that trips queues the ban to the shield's
 * own thread, which writes it durably (SQLite) and only then makes it effective (and
 * mirrors it into nftables when enabled). Per-address state lives in sharded tables
 * shared by all workers. In `count` mode every decision is recorded, nothing is blocked.
 *
 * Addresses are given as struct shield_addr (16 bytes, IPv4 mapped into IPv6) so that
 * callers never format strings on the request path.
 */
#ifndef SHIELD_SHIELD_H
#define SHIELD_SHIELD_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf/ctx.h"
#include "conf/node.h"
#include "core/slice.h"

struct shield;
struct shield_conf;

struct shield_addr {
    uint8_t b[16];              /* IPv6, or ::ffff:a.b.c.d for IPv4 */
};

enum shield_verdict {
    SHIELD_ALLOW = 0,
    SHIELD_DENY,                /* refuse: close at accept, or answer `status` */
};

struct shield_decision {
    enum shield_verdict verdict;
    int status;                 /* 403 or 429 for a refused request; 0 at accept */
    const char *rule;           /* "deny", "ban", "rate_limit", "geo", "max_connections", ... */
    char country[3];            /* shield_request(): the client's, "" when unknown or no geo */
};

/* A request as the shield sees it (borrowed slices into the request head). */
struct shield_request_info {
    struct shield_addr client;  /* after trusted_proxies / X-Forwarded-For resolution */
    struct slice method;
    struct slice path;          /* raw, without query */
    struct slice query;
    struct slice host;
    struct slice user_agent;
    bool static_asset;          /* served by a static rule: never counts */
    bool health_checker;        /* from a health checker (never counts) */
    struct shield_addr peer;    /* added: the TCP peer, for rate_limit key ip / ip_24 when
                                   it differs from client; all zero: same as client */
    struct slice listener;      /* the listener's name (shield.geo.listeners); may be empty */
};

/* Reads `shield:` (absent: the shield is off) into a new conf; NULL after diagnostics. */
int shield_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
                      struct shield_conf **out);
void shield_conf_free(struct shield_conf *c);

/* Returns a new shield with `state_dir` for its database (bans survive restarts), or
 * NULL with a message in errbuf. Loads unexpired bans. Starts its thread. */
struct shield *shield_new(const char *state_dir, char *errbuf, size_t errlen);
/* Swaps in a new configuration (takes ownership); running state (bans, counters) stays. */
void shield_apply(struct shield *s, struct shield_conf *conf);
void shield_free(struct shield *s);

void shield_addr_from_sockaddr(struct shield_addr *out, const struct sockaddr_storage *ss);
/* The client address of a request: the socket peer, or, when the peer is one of
 * trusted_proxies, the right-most X-Forwarded-For entry not in trusted_proxies
 * (malformed entries stop the walk at the last trusted hop). xff: every X-Forwarded-For
 * field value in order. */
void shield_client_addr(struct shield *s, const struct shield_addr *peer,
                        const struct slice *xff, unsigned nxff, struct shield_addr *out);
/* True when the shield is configured on (a `shield:` section), so the edge can skip the
 * per-request work entirely when it is off. */
bool shield_enabled(const struct shield *s);

/* Verdicts. Thread-safe; now_ms is the caller's loop time. */
struct shield_decision shield_accept(struct shield *s, const struct shield_addr *peer,
                                     uint64_t now_ms);
/* Call when an accepted connection closes (the per-IP connection count). */
void shield_release(struct shield *s, const struct shield_addr *peer);
struct shield_decision shield_request(struct shield *s, const struct shield_request_info *r,
                                      uint64_t now_ms);
void shield_response(struct shield *s, const struct shield_request_info *r, int status,
                     uint64_t now_ms);

/* Bans as operators see them (the control API and `tierd bans`). */
struct shield_ban_info {
    char addr[64];              /* "203.0.113.7" or a CIDR */
    char reason[64];            /* detector or "manual" */
    char evidence[256];
    int64_t start_s, expiry_s;  /* Unix seconds */
    bool counted_only;          /* recorded in count mode: not enforced */
    char country[3];            /* of the address (a range: its first), "" unknown or no geo */
};
typedef void (*shield_ban_fn)(void *ctx, const struct shield_ban_info *b);
void shield_bans_visit(struct shield *s, shield_ban_fn fn, void *ctx);
/* Adds a ban (durably, before returning 0). -EINVAL for a bad address. */
int shield_ban_add(struct shield *s, const char *addr_or_cidr, int64_t duration_s,
                   const char *reason);
/* A number that changes whenever a ban becomes effective (cheap: no store read), so that a
 * poller knows when shield_bans_visit() has something new. */
uint64_t shield_ban_generation(struct shield *s);
/* -ENOENT when no such ban. */
int shield_ban_remove(struct shield *s, const char *addr_or_cidr);

/* The clients the shield remembers (clientmem.h) that probed (sensitive or nonexistent
 * paths) or were refused, most probes first, at most max (<= 100). Thread-safe. */
struct shield_offender_info {
    char addr[64];              /* the client key: an address, or an IPv6 /N */
    uint32_t probes, requests, good;
    bool refused;               /* the shield refused it (a detector ban, the rate limit) */
    int64_t last_s;             /* last seen, Unix seconds */
};
#define SHIELD_OFFENDERS_MAX 100
typedef void (*shield_offender_fn)(void *ctx, const struct shield_offender_info *o);
void shield_offenders_visit(struct shield *s, unsigned max, shield_offender_fn fn, void *ctx);

/* Counters per rule and detector, for the watch subsystem and the control API. */
typedef void (*shield_counter_fn)(void *ctx, const char *name, uint64_t value);
void shield_counters_visit(struct shield *s, shield_counter_fn fn, void *ctx);

/* `tierd analyze ACCESS_LOG [--format combined|json|combined_host] [--json]`: the same
 * detectors over an existing access log. Returns the process exit code. */
int shield_analyze_main(int argc, char **argv);

#endif
