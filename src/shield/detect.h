/*
 * shield/detect.h: the detectors, shared by the live shield and `tierd analyze`. Pure
 * over events with the caller's clock: no sockets, no threads, no I/O. Per-client (an
 * IPv4 address, or an IPv6 address's /ipv6_prefix) leaky buckets (CrowdSec semantics:
 * capacity C, one event leaks per leak interval, the C+1-th event in a burst overflows)
 * for each signal in ../shared/reference/shield.md:
 * 404/4xx bursts and many distinct paths (path brute force), sensitive-file probes,
 * scanner user agents, traversal/injection probes, many distinct Host values (vhost
 * fuzzing), 401/403/422 bursts on login paths (credential stuffing).
 *
 * Not thread-safe: the live shield shards addresses over several detect tables, each
 * behind its own lock; analyze uses one.
 */
#ifndef SHIELD_DETECT_H
#define SHIELD_DETECT_H
#include <stdbool.h>
#include <stdint.h>

#include "core/slice.h"
#include "shield/shield.h"

struct detect;

/* Capacities and leak intervals; defaults documented in docs/shield.md. */
struct detect_params {
    unsigned not_found_capacity;        /* 404/4xx responses */
    uint64_t not_found_leak_ms;
    unsigned distinct_paths_capacity;   /* distinct paths that answered 4xx */
    uint64_t distinct_paths_leak_ms;
    unsigned sensitive_capacity;        /* /.env, /.git/config, /wp-login.php, ... */
    uint64_t sensitive_leak_ms;
    unsigned hosts_capacity;            /* distinct Host values */
    uint64_t hosts_leak_ms;
    unsigned login_capacity;            /* 401/403/422 on login paths */
    uint64_t login_leak_ms;
    bool scanner_user_agents;           /* one request from nikto, sqlmap, ... trips */
    bool injection_probes;              /* traversal / SQLi / XSS patterns, capacity below */
    unsigned injection_capacity;
    uint64_t injection_leak_ms;
    const char *const *login_paths;     /* NULL-terminated prefixes; borrowed */
    unsigned max_addresses;             /* table size limit; least recently seen evicted */
    unsigned ipv6_prefix;               /* an IPv6 address counts as its /N (N in 1..128;
                                           128: per address); IPv4 is per address */
};

void detect_params_default(struct detect_params *p);

enum detect_kind { DETECT_REQUEST = 0, DETECT_RESPONSE };

struct detect_event {
    enum detect_kind kind;
    struct shield_addr addr;
    struct slice method, path, query, host, user_agent;
    int status;                 /* DETECT_RESPONSE only */
    uint64_t now_ms;
    bool static_asset;          /* never counts */
};

struct detect_hit {
    const char *detector;       /* "path_bruteforce", "sensitive_files", "scanner_ua",
                                   "injection", "vhost_fuzzing", "login_bruteforce" */
    char evidence[256];         /* counts and samples, human-readable */
};

/* Returns a new table with a copy of p (login_paths stays borrowed), or NULL. */
struct detect *detect_new(const struct detect_params *p);
void detect_free(struct detect *d);
/* Feeds one event. Returns true when a detector overflows for ev->addr's client (the
 * address, or its /ipv6_prefix: cidr_client()), filling *hit; that client's buckets then
 * reset (the caller bans it). */
bool detect_feed(struct detect *d, const struct detect_event *ev, struct detect_hit *hit);
/* True for paths every scanner probes (exposed for analyze's report and tests). */
bool detect_is_sensitive_path(struct slice path);
/* True when one of prefixes (NULL-terminated; NULL holds none) holds path by segment:
 * "/login" holds "/login" and "/login/x", not "/logins". */
bool detect_path_in(const char *const *prefixes, struct slice path);
/* detect_is_sensitive_path() through d's cache of paths and queries (the detectors fill
 * it as they see each request). Not thread-safe: d's owner calls it. */
bool detect_path_sensitive(struct detect *d, struct slice path, struct slice query);
bool detect_is_scanner_ua(struct slice ua);
bool detect_is_injection(struct slice path, struct slice query);
/* True for static-asset extensions (CrowdSec's list: .js, .css, .png, ...). */
bool detect_is_static_path(struct slice path);
/* The prefix length an IPv6 address is counted by (d's ipv6_prefix; 128: per address). */
unsigned detect_ipv6_prefix(const struct detect *d);
/* Addresses dropped because the table was full (added for the shield's counters). */
uint64_t detect_evictions(const struct detect *d);

#endif
