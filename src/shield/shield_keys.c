/*
 * shield/shield_keys.c: the shield's key table (see shield_keys.h). The rate-based rule
 * follows AWS WAF (its windows, limits and block status); bounds are the reader's bounds.
 * Every key applies on reload; only the nftables names replace something (the kernel
 * table is dropped and created anew under the new names).
 */
#include "shield/shield_keys.h"

#include "shield/geo.h"

/* Indexed by enum shield_mode and enum shield_rate_key (internal.h). */
static const char *const modes[] = { "block", "count", NULL };
static const char *const rate_keys[] = { "ip", "ip_24", "forwarded_ip", NULL };

#define SEC 1000ULL
#define DAY (86400 * SEC)

const struct conf_key shield_keys[SK_COUNT] = {
    [SK_SHIELD] = { "shield", KT_MAP, 0, NULL, 0, 0, NULL },
    [SK_MODE] = { "shield.mode", KT_ENUM, 0, "block", 0, 0, modes },
    /* Lists of CIDRs; max: entries per list. */
    [SK_ALLOW] = { "shield.allow", KT_LIST, 0, NULL, 0, 1000000, NULL },
    [SK_DENY] = { "shield.deny", KT_LIST, 0, NULL, 0, 1000000, NULL },
    [SK_TRUSTED_PROXIES] = { "shield.trusted_proxies", KT_LIST, 0, NULL, 0, 1000000, NULL },
    [SK_MAX_CONNS] = { "shield.max_connections_per_ip", KT_UINT, 0, "0", 0, 1000000, NULL },
    /* How many leading bits of an IPv6 client address make one client for the detectors,
     * their bans and the rate keys: a /64 is one subnet (one host picks any address in it
     * by SLAAC or privacy extensions, RFC 8981), so per address a scanner rotates out of
     * reach. 128 is per address. Not wider than /32, the smallest block a registry
     * allocates to a provider (RIPE-738): a wider ban would take out whole ISPs. */
    [SK_IPV6_PREFIX] = { "shield.ipv6_prefix", KT_UINT, 0, "64", 32, 128, NULL },
    /* Absent: no rate-based rule. */
    [SK_RATE] = { "shield.rate_limit", KT_MAP, 0, NULL, 0, 0, NULL },
    /* WAF's EvaluationWindowSec: only 60s, 120s, 300s or 600s (the reader checks which). */
    [SK_RATE_WINDOW] = { "shield.rate_limit.window", KT_DURATION, 0, "300s", 60 * SEC,
                         600 * SEC, NULL },
    [SK_RATE_LIMIT] = { "shield.rate_limit.limit", KT_UINT, CONF_KEY_REQUIRED, NULL, 10,
                        2000000000, NULL },
    [SK_RATE_KEY] = { "shield.rate_limit.key", KT_ENUM, 0, "ip", 0, 0, rate_keys },
    /* 403 (WAF's block) or 429: the reader refuses what lies between. */
    [SK_RATE_STATUS] = { "shield.rate_limit.status", KT_UINT, 0, "403", 403, 429, NULL },
    [SK_SCANNERS] = { "shield.scanners", KT_MAP, 0, NULL, 0, 0, NULL },
    [SK_SC_ENABLED] = { "shield.scanners.enabled", KT_BOOL, 0, "true", 0, 0, NULL },
    [SK_SC_BAN] = { "shield.scanners.ban", KT_DURATION, 0, "1h", SEC, 365 * DAY, NULL },
    [SK_SC_REPEAT_FACTOR] = { "shield.scanners.repeat_ban_factor", KT_UINT, 0, "2", 1, 100,
                              NULL },
    /* Not below ban (the reader checks). */
    [SK_SC_MAX_BAN] = { "shield.scanners.max_ban", KT_DURATION, 0, "7d", SEC, 365 * DAY,
                        NULL },
    /* Path prefixes, each starting with '/'; max: entries. */
    [SK_LOGIN_PATHS] = { "shield.login_paths", KT_LIST, 0, NULL, 0, 64, NULL },
    [SK_NFT] = { "shield.nftables", KT_MAP, 0, NULL, 0, 0, NULL },
    [SK_NFT_ENABLED] = { "shield.nftables.enabled", KT_BOOL, 0, "false", 0, 0, NULL },
    /* nftables names: a letter, then letters, digits, '_' or '-' (the reader checks). */
    [SK_NFT_TABLE] = { "shield.nftables.table", KT_STRING, CONF_KEY_REPLACE, "tierd", 0, 32,
                       NULL },
    [SK_NFT_SET] = { "shield.nftables.set", KT_STRING, CONF_KEY_REPLACE, "banned", 0, 32,
                     NULL },
    /* How long the shield remembers a client it has not seen again (clientmem.h): the
     * evidence of slow scans and of range bans. Kept in shield.db across restarts. */
    [SK_CLIENT_MEMORY] = { "shield.client_memory", KT_DURATION, 0, "24h", 10 * SEC, 30 * DAY,
                           NULL },
    [SK_SLOW] = { "shield.slow_scan", KT_MAP, 0, NULL, 0, 0, NULL },
    [SK_SLOW_ENABLED] = { "shield.slow_scan.enabled", KT_BOOL, 0, "true", 0, 0, NULL },
    /* Probes of sensitive or missing paths, with no page or asset ever served, ... */
    [SK_SLOW_PROBES] = { "shield.slow_scan.probes", KT_UINT, 0, "10", 3, 100000, NULL },
    /* ... spread from the first to the last over at least this long. */
    [SK_SLOW_OVER] = { "shield.slow_scan.over", KT_DURATION, 0, "1h", SEC, 7 * DAY, NULL },
    [SK_RANGE] = { "shield.range_bans", KT_MAP, 0, NULL, 0, 0, NULL },
    /* false: a range that meets the rule is recorded (counted_only), not banned. */
    [SK_RANGE_ENABLED] = { "shield.range_bans.enabled", KT_BOOL, 0, "false", 0, 0, NULL },
    /* Never below 8 offenders and 25 % of the clients seen (issue 17). */
    [SK_RANGE_MIN_OFFENDERS] = { "shield.range_bans.min_offenders", KT_UINT, 0, "8", 8, 65536,
                                 NULL },
    [SK_RANGE_MIN_SHARE] = { "shield.range_bans.min_share_percent", KT_UINT, 0, "25", 25, 100,
                             NULL },
    [SK_RANGE_BAN] = { "shield.range_bans.ban", KT_DURATION, 0, "1h", SEC, 30 * DAY, NULL },
    /* CrowdSec's local API: tierd streams its decisions as a bouncer (api_key) and, with
     * machine credentials, pushes its own bans as alerts. */
    [SK_CS] = { "shield.crowdsec", KT_MAP, 0, NULL, 0, 0, NULL },
    [SK_CS_URL] = { "shield.crowdsec.url", KT_STRING, CONF_KEY_REQUIRED, NULL, 0, 2048, NULL },
    [SK_CS_API_KEY] = { "shield.crowdsec.api_key", KT_STRING,
                        CONF_KEY_REQUIRED | CONF_KEY_SENSITIVE | CONF_KEY_ENV_REF, NULL, 0, 256,
                        NULL },
    /* Absent: a bouncer only (nothing pushed). */
    [SK_CS_MACHINE] = { "shield.crowdsec.machine", KT_MAP, 0, NULL, 0, 0, NULL },
    [SK_CS_M_LOGIN] = { "shield.crowdsec.machine.login", KT_STRING, CONF_KEY_REQUIRED, NULL, 0,
                        128, NULL },
    [SK_CS_M_PASSWORD] = { "shield.crowdsec.machine.password", KT_STRING,
                           CONF_KEY_REQUIRED | CONF_KEY_SENSITIVE | CONF_KEY_ENV_REF, NULL, 0,
                           256, NULL },
    /* How often decisions are pulled and bans pushed. */
    [SK_CS_POLL] = { "shield.crowdsec.poll_interval", KT_DURATION, 0, "10s", SEC, 3600 * SEC,
                     NULL },
    /* Countries: absent, no country is looked up anywhere. The databases are Tor's geoip
     * format (Debian's tor-geoipdb by default), read at start and on every reload; "" for
     * database6 reads no IPv6 ranges. */
    [SK_GEO] = { "shield.geo", KT_MAP, 0, NULL, 0, 0, NULL },
    [SK_GEO_DATABASE] = { "shield.geo.database", KT_STRING, 0, GEO_DEFAULT_V4, 0, 4096, NULL },
    [SK_GEO_DATABASE6] = { "shield.geo.database6", KT_STRING, 0, GEO_DEFAULT_V6, 0, 4096,
                           NULL },
    /* ISO 3166-1 alpha-2 codes; max: entries. A country in both is an error. */
    [SK_GEO_BLOCK] = { "shield.geo.block", KT_LIST, 0, NULL, 0, 300, NULL },
    [SK_GEO_COUNT] = { "shield.geo.count", KT_LIST, 0, NULL, 0, 300, NULL },
    /* Scope (WAF's scope-down): listener names and path prefixes; empty, all of them. */
    [SK_GEO_LISTENERS] = { "shield.geo.listeners", KT_LIST, 0, NULL, 0, 64, NULL },
    [SK_GEO_PATHS] = { "shield.geo.paths", KT_LIST, 0, NULL, 0, 64, NULL },
};

const struct conf_keytab shield_keytab = { "shield", shield_keys, SK_COUNT };
