/*
 * edge/edge_keys.h: every key of the edge's sections (listeners with their rules,
 * target_groups, access_log, edge), once (conf/keys.h says what an entry holds).
 * edge_conf.c and tg_conf.c read through these entries, the policy rules and `plan` consult
 * them, and docs/stack-file.md is held to them by a test.
 */
#ifndef EDGE_EDGE_KEYS_H
#define EDGE_EDGE_KEYS_H
#include "conf/keys.h"

/* Listener and target group names: they appear in logs, metrics and the control API. */
#define EDGE_KEYS_NAME_MAX 64

/* TLS defaults: Mozilla's "intermediate" profile (v5.7), and Let's Encrypt production. */
#define EDGE_TLS_CIPHERS_DEFAULT                                                              \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"   \
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"
#define EDGE_TLS_SUITES_DEFAULT                                                               \
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define EDGE_ACME_DIRECTORY_DEFAULT "https://acme-v02.api.letsencrypt.org/directory"

enum edge_key {
    EK_LISTENERS = 0,
    EK_L_NAME,
    EK_L_ADDRESS,
    EK_L_RULES,
    EK_R_MATCH,
    EK_M_PATH_PREFIX,
    EK_M_HOST,
    EK_M_METHOD,
    EK_M_HEADER,
    EK_M_HEADER_NAME,
    EK_M_HEADER_VALUE,
    EK_R_FORWARD,
    EK_R_STATIC,
    EK_S_ROOT,
    EK_S_INDEX,
    EK_S_CACHE_MAX_AGE,
    EK_TGS,
    EK_TG,
    EK_TG_TARGETS,
    EK_TG_T_ADDRESS,
    EK_TG_T_WEIGHT,
    EK_TG_ALGORITHM,
    EK_TG_HC,
    EK_HC_ENABLED,
    EK_HC_PATH,
    EK_HC_INTERVAL,
    EK_HC_TIMEOUT,
    EK_HC_HEALTHY,
    EK_HC_UNHEALTHY,
    EK_HC_MATCHER,
    EK_TG_DEREG_DELAY,
    EK_TG_SLOW_START,
    EK_TG_INITIAL_WAIT,
    EK_TG_STICKINESS,
    EK_ST_ENABLED,
    EK_ST_DURATION,
    EK_TG_PROTOCOL,
    EK_TG_TLS,
    EK_TT_CA,
    EK_TT_VERIFY,
    EK_TT_SNI,
    EK_ACCESS_LOG,
    EK_AL_PATH,
    EK_AL_FORMAT,
    EK_EDGE,
    EK_WORKERS,
    EK_TIMEOUTS,
    EK_T_CLIENT_HEADER,     /* the timeouts in the order of struct edge_timeouts */
    EK_T_CLIENT_BODY,
    EK_T_KEEPALIVE,
    EK_T_SEND,
    EK_T_UPSTREAM_CONNECT,
    EK_T_UPSTREAM_READ,
    EK_T_TUNNEL,
    EK_T_SHUTDOWN,
    EK_LIMITS,
    EK_LIM_HEADER_BYTES,
    EK_LIM_HEADERS,
    EK_LIM_BODY_BYTES,
    /* access_log rotation and shipping, read by daemon/accessroll.c (kept last: appended). */
    EK_AL_MAX_SIZE,
    EK_AL_RETENTION,
    EK_AL_SYSLOG,
    EK_AL_SL_SOCKET,
    EK_AL_SL_FACILITY,
    EK_AL_SL_TAG,
    /* TLS termination (edge/tls_conf.c reads these) and the redirect action (appended). */
    EK_L_TLS,
    EK_TLS_CERTS,
    EK_TLS_C_CERT,
    EK_TLS_C_KEY,
    EK_TLS_ACME,
    EK_ACME_EMAIL,
    EK_ACME_DOMAINS,
    EK_ACME_DIRECTORY,
    EK_ACME_CA_BUNDLE,
    EK_ACME_CHALLENGE,
    EK_TLS_MIN_VERSION,
    EK_TLS_CIPHERS,
    EK_TLS_CIPHERSUITES,
    EK_TLS_ALPN,
    EK_TLS_HSTS,
    EK_HSTS_MAX_AGE,
    EK_HSTS_INCLUDE_SUB,
    EK_HSTS_PRELOAD,
    EK_R_REDIRECT,
    EK_RD_SCHEME,
    EK_RD_HOST,
    EK_RD_PORT,
    EK_RD_PATH,
    EK_RD_QUERY,
    EK_RD_STATUS,
    /* listeners[].http2, read by h2conf.c (appended). */
    EK_L_HTTP2,
    EK_H2_MAX_STREAMS,
    EK_H2_MAX_HEADER_LIST,
    EK_H2_MAX_FIELDS,
    EK_H2_MAX_RESETS,
    EK_H2_MAX_CONTINUATIONS,
    EK_H2_MAX_REQUESTS,
    EK_H2_IDLE_TIMEOUT,
    EK_H2_H2C,
    EK_H2_MAX_MALFORMED,
    /* target_groups.*.protocol and .fastcgi, read by tg_conf.c (appended). */
    EK_TG_FASTCGI,
    EK_FC_ROOT,
    EK_FC_INDEX,
    EK_FC_SPLIT_PATH,
    EK_FC_PARAMS,
    EK_FC_PARAM,
    EK_COUNT
};

extern const struct conf_key edge_keys[EK_COUNT];
extern const struct conf_keytab edge_keytab;

#endif
