/*
 * shield/shield_keys.h: every key of the stack file's `shield:` section, once (conf/keys.h
 * says what an entry holds). shield_conf.c reads through these entries, the policy rules
 * and `plan` consult them, and docs/stack-file.md is held to them by a test.
 */
#ifndef SHIELD_SHIELD_KEYS_H
#define SHIELD_SHIELD_KEYS_H
#include "conf/keys.h"

enum shield_key {
    SK_SHIELD = 0,
    SK_MODE,
    SK_ALLOW,
    SK_DENY,
    SK_TRUSTED_PROXIES,
    SK_MAX_CONNS,
    SK_IPV6_PREFIX,
    SK_RATE,
    SK_RATE_WINDOW,
    SK_RATE_LIMIT,
    SK_RATE_KEY,
    SK_RATE_STATUS,
    SK_SCANNERS,
    SK_SC_ENABLED,
    SK_SC_BAN,
    SK_SC_REPEAT_FACTOR,
    SK_SC_MAX_BAN,
    SK_LOGIN_PATHS,
    SK_NFT,
    SK_NFT_ENABLED,
    SK_NFT_TABLE,
    SK_NFT_SET,
    SK_CLIENT_MEMORY,
    SK_SLOW,
    SK_SLOW_ENABLED,
    SK_SLOW_PROBES,
    SK_SLOW_OVER,
    SK_RANGE,
    SK_RANGE_ENABLED,
    SK_RANGE_MIN_OFFENDERS,
    SK_RANGE_MIN_SHARE,
    SK_RANGE_BAN,
    /* Shared bans through CrowdSec's local API (shield/crowdsec.c). */
    SK_CS,
    SK_CS_URL,
    SK_CS_API_KEY,
    SK_CS_MACHINE,
    SK_CS_M_LOGIN,
    SK_CS_M_PASSWORD,
    SK_CS_POLL,
    /* Countries (shield/geo.c, read by geo_conf.c): AWS WAF's geo match statement. */
    SK_GEO,
    SK_GEO_DATABASE,
    SK_GEO_DATABASE6,
    SK_GEO_BLOCK,
    SK_GEO_COUNT,
    SK_GEO_LISTENERS,
    SK_GEO_PATHS,
    SK_COUNT
};

extern const struct conf_key shield_keys[SK_COUNT];
extern const struct conf_keytab shield_keytab;

#endif
