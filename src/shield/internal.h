/*
 * shield/internal.h: types shared by the files of src/shield/ (configuration, the ban
 * store, the nftables mirror, the facade). Nothing outside src/shield/ includes it, except
 * the shield's unit tests.
 */
#ifndef SHIELD_INTERNAL_H
#define SHIELD_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shield/cidr.h"
#include "shield/detect.h"
#include "shield/shield.h"

enum shield_mode { SHIELD_MODE_BLOCK = 0, SHIELD_MODE_COUNT };
enum shield_rate_key { SHIELD_KEY_IP = 0, SHIELD_KEY_IP_24, SHIELD_KEY_FORWARDED_IP };
/* shield_conf.geo_action, by geo_code_index(). */
enum shield_geo_action { SHIELD_GEO_NONE = 0, SHIELD_GEO_BLOCK, SHIELD_GEO_COUNT };
/* Values in shield_conf.firewall: the longest matching prefix decides. */
enum shield_fw { SHIELD_FW_ALLOW = 0, SHIELD_FW_DENY = 1 };

/* One generation of the `shield:` section; immutable once built. Defaults and bounds are
 * the entries of shield_keys.c. */
struct shield_conf {
    bool enabled;                       /* false: no `shield:` section */
    enum shield_mode mode;
    struct cidrset *firewall;           /* allow and deny (enum shield_fw) */
    struct cidrset *trusted;            /* trusted_proxies (value 0) */
    unsigned nallow, ndeny, ntrusted;
    uint64_t max_connections_per_ip;    /* 0: no limit */
    unsigned ipv6_prefix;               /* an IPv6 client is its /N (32..128) for detectors,
                                           bans and rate keys; IPv4 is per address */
    bool rate_enabled;
    uint64_t rate_window_ms, rate_limit;
    enum shield_rate_key rate_key;
    int rate_status;                    /* 403 (WAF's block) or 429 */
    bool scanners_enabled;
    uint64_t ban_ms, max_ban_ms;
    unsigned repeat_ban_factor;
    char **login_paths;                 /* NULL-terminated; detect borrows it */
    unsigned nlogin;
    bool nft_enabled;
    char *nft_table, *nft_set;          /* the sets are <set>_v4 and <set>_v6 */
    struct detect_params detect;
    uint64_t client_memory_ms;          /* clientmem: how long a client is remembered */
    bool slow_enabled;
    unsigned slow_probes;
    uint64_t slow_over_ms;
    bool range_enabled;                 /* false: proposals recorded counted_only */
    unsigned range_min_offenders, range_min_share;
    uint64_t range_ban_ms;
    /* shield.crowdsec (absent: cs_url NULL). Secrets as written: "${env:NAME}" is expanded
     * by the CrowdSec thread when it starts, never stored expanded here. */
    char *cs_url, *cs_api_key, *cs_login, *cs_password;
    uint64_t cs_poll_ms;
    /* shield.geo (absent: geo NULL, and no country anywhere). */
    struct geo *geo;                    /* owned; immutable once built */
    char *geo_path, *geo_path6;         /* as resolved (relative to the stack file) */
    uint8_t geo_action[26 * 26];        /* enum shield_geo_action by geo_code_index() */
    unsigned ngeo_block, ngeo_count;
    char **geo_listeners, **geo_paths;  /* NULL-terminated; NULL: every listener, path */
};

/* shield/geo_conf.c: reads shield.geo into c (loading the databases), reporting against
 * the nodes; a database older than GEO_STALE_S is a warning. */
void geo_conf_read(struct shield_conf *c, const struct conf_node *root,
                   const struct conf_node *sh, struct diag *d);
void geo_conf_fini(struct shield_conf *c);
/* True when the geo rule applies to a request on that listener and path. */
bool geo_conf_in_scope(const struct shield_conf *c, struct slice listener, struct slice path);

/* Time sources, replaceable by tests: the verdict calls' now_ms is mono_ms's time base,
 * bans are stored in wall_ms's. */
struct shield_clock {
    uint64_t (*mono_ms)(void);
    uint64_t (*wall_ms)(void);
};
/* shield_new with a given clock (tests simulate restarts hours apart). */
struct shield *shield_new_clock(const char *state_dir, const struct shield_clock *clk,
                                char *errbuf, size_t errlen);

/* Waits until every detection queued before the call has been stored and enforced. */
void shield_sync(struct shield *s);

/* A conf with the shield off, as shield_conf_build returns for a missing section. */
struct shield_conf *shield_conf_new_off(void);
/* Ban duration for an address banned n times before: base * factor^n, capped. */
uint64_t shield_conf_ban_ms(const struct shield_conf *c, unsigned n);

#endif
