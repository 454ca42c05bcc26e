/*
 * edge/edge_keys.c: the edge's key table (see edge_keys.h). Target group defaults and
 * ranges follow ALB (HealthCheck* fields, target group attributes); timeouts and limits are
 * nginx's where nginx has one. Bounds are the readers' bounds; a rule that spans two keys
 * (timeout below interval, slow_start only with round_robin) stays in the reader.
 */
#include "edge/edge_keys.h"

#include <stdint.h>

/* Indexed by enum edge_algorithm and enum edge_log_format (edge_conf.h). */
static const char *const algorithms[] = {
    "round_robin", "least_outstanding_requests", "weighted_random", NULL,
};
/* Indexed by enum edge_tls_version and enum edge_acme_challenge (edge_conf.h). */
static const char *const tls_versions[] = { "1.2", "1.3", NULL };
static const char *const acme_challenges[] = { "http-01", "tls-alpn-01", NULL };
/* Indexed by enum edge_tg_protocol (edge_conf.h). */
static const char *const tg_protocols[] = { "http", "https", "fastcgi", NULL };
static const char *const log_formats[] = { "combined", "json", NULL };
/* daemon/accessroll.c maps these, in this order, to syslog's facility codes. */
static const char *const syslog_facilities[] = { "user", "daemon", "local0", "local1", "local2",
                                                 "local3", "local4", "local5", "local6",
                                                 "local7", NULL };

#define SEC 1000ULL
#define DAY (86400 * SEC)
#define ANY UINT64_MAX          /* no upper bound (a lower bound alone needs one) */

const struct conf_key edge_keys[EK_COUNT] = {
    /* At least one listener, each with at least one rule. */
    [EK_LISTENERS] = { "listeners", KT_LIST, CONF_KEY_REQUIRED, NULL, 1, ANY, NULL },
    [EK_L_NAME] = { "listeners[].name", KT_STRING, CONF_KEY_REQUIRED, NULL, 0,
                    EDGE_KEYS_NAME_MAX, NULL },
    [EK_L_ADDRESS] = { "listeners[].address", KT_STRING, CONF_KEY_REQUIRED, NULL, 0, 0, NULL },
    [EK_L_RULES] = { "listeners[].rules", KT_LIST, CONF_KEY_REQUIRED, NULL, 1, ANY, NULL },
    /* Absent: the rule matches every request (the listener's default action). */
    [EK_R_MATCH] = { "listeners[].rules[].match", KT_MAP, 0, NULL, 0, 0, NULL },
    [EK_M_PATH_PREFIX] = { "listeners[].rules[].match.path_prefix", KT_STRING, 0, NULL, 0, 0,
                           NULL },
    [EK_M_HOST] = { "listeners[].rules[].match.host", KT_STRING, 0, NULL, 0, 0, NULL },
    [EK_M_METHOD] = { "listeners[].rules[].match.method", KT_STRING, 0, NULL, 0, 0, NULL },
    [EK_M_HEADER] = { "listeners[].rules[].match.header", KT_MAP, 0, NULL, 0, 0, NULL },
    [EK_M_HEADER_NAME] = { "listeners[].rules[].match.header.name", KT_STRING,
                           CONF_KEY_REQUIRED, NULL, 0, 0, NULL },
    [EK_M_HEADER_VALUE] = { "listeners[].rules[].match.header.value", KT_STRING,
                            CONF_KEY_REQUIRED, NULL, 0, 0, NULL },
    /* A rule has exactly one of forward and static (the reader checks). */
    [EK_R_FORWARD] = { "listeners[].rules[].forward", KT_STRING, 0, NULL, 0, 0, NULL },
    [EK_R_STATIC] = { "listeners[].rules[].static", KT_MAP, 0, NULL, 0, 0, NULL },
    [EK_S_ROOT] = { "listeners[].rules[].static.root", KT_STRING, CONF_KEY_REQUIRED, NULL, 0,
                    0, NULL },
    [EK_S_INDEX] = { "listeners[].rules[].static.index", KT_STRING, 0, "index.html", 0, 0,
                     NULL },
    [EK_S_CACHE_MAX_AGE] = { "listeners[].rules[].static.cache_max_age", KT_DURATION, 0, "0",
                             0, 365 * DAY, NULL },

    [EK_TGS] = { "target_groups", KT_NAMED, 0, NULL, 0, 0, NULL },
    [EK_TG] = { "target_groups.*", KT_MAP, 0, NULL, 0, 0, NULL },
    /* Each item is an address, or a map { address, weight }. None is valid: instances
     * register at run time. */
    [EK_TG_TARGETS] = { "target_groups.*.targets", KT_LIST, 0, NULL, 0, 0, NULL },
    [EK_TG_T_ADDRESS] = { "target_groups.*.targets[].address", KT_STRING, CONF_KEY_REQUIRED,
                          NULL, 0, 0, NULL },
    [EK_TG_T_WEIGHT] = { "target_groups.*.targets[].weight", KT_UINT, 0, "1", 1, 999, NULL },
    [EK_TG_ALGORITHM] = { "target_groups.*.algorithm", KT_ENUM, 0, "round_robin", 0, 0,
                          algorithms },
    /* Absent: no active checks. Present: on, unless enabled: false. */
    [EK_TG_HC] = { "target_groups.*.health_check", KT_MAP, 0, NULL, 0, 0, NULL },
    [EK_HC_ENABLED] = { "target_groups.*.health_check.enabled", KT_BOOL, 0, "true", 0, 0,
                        NULL },
    [EK_HC_PATH] = { "target_groups.*.health_check.path", KT_STRING, 0, "/", 0, 1024, NULL },
    /* timeout must also be below interval (the reader checks). */
    [EK_HC_INTERVAL] = { "target_groups.*.health_check.interval", KT_DURATION, 0, "30s",
                         5 * SEC, 300 * SEC, NULL },
    [EK_HC_TIMEOUT] = { "target_groups.*.health_check.timeout", KT_DURATION, 0, "5s", 2 * SEC,
                        120 * SEC, NULL },
    [EK_HC_HEALTHY] = { "target_groups.*.health_check.healthy_threshold", KT_UINT, 0, "5", 2,
                        10, NULL },
    [EK_HC_UNHEALTHY] = { "target_groups.*.health_check.unhealthy_threshold", KT_UINT, 0, "2",
                          2, 10, NULL },
    /* "200", "200,202", "200-299": codes 200..499, at most 8 parts (the reader parses). */
    [EK_HC_MATCHER] = { "target_groups.*.health_check.matcher", KT_STRING, 0, "200", 0, 0,
                        NULL },
    [EK_TG_DEREG_DELAY] = { "target_groups.*.deregistration_delay", KT_DURATION, 0, "300s", 0,
                            3600 * SEC, NULL },
    /* 0 (off) or 30s..900s, and only with round_robin (the reader checks both). */
    [EK_TG_SLOW_START] = { "target_groups.*.slow_start", KT_DURATION, 0, "0", 0, 900 * SEC,
                           NULL },
    /* With health checks: how long a request waits while every target is still
     * `initial` (a group starting up) before it gets 503; 0 fails open at once. */
    [EK_TG_INITIAL_WAIT] = { "target_groups.*.initial_wait", KT_DURATION, 0, "5s", 0,
                             60 * SEC, NULL },
    [EK_TG_STICKINESS] = { "target_groups.*.stickiness", KT_MAP, 0, NULL, 0, 0, NULL },
    [EK_ST_ENABLED] = { "target_groups.*.stickiness.enabled", KT_BOOL, 0, "false", 0, 0,
                        NULL },
    [EK_ST_DURATION] = { "target_groups.*.stickiness.duration", KT_DURATION, 0, "1d", SEC,
                         7 * DAY, NULL },
    /* https: TLS to the targets (uptls.c), HTTP/1.1 on top. */
    [EK_TG_PROTOCOL] = { "target_groups.*.protocol", KT_ENUM, 0, "http", 0, 0, tg_protocols },
    /* Only with protocol: https (the reader checks). ca absent: the system's trust store;
     * sni absent: the target's host name (none for an IP address). */
    [EK_TG_TLS] = { "target_groups.*.tls", KT_MAP, 0, NULL, 0, 0, NULL },
    [EK_TT_CA] = { "target_groups.*.tls.ca", KT_STRING, 0, NULL, 0, 0, NULL },
    [EK_TT_VERIFY] = { "target_groups.*.tls.verify", KT_BOOL, 0, "true", 0, 0, NULL },
    [EK_TT_SNI] = { "target_groups.*.tls.sni", KT_STRING, 0, NULL, 0, 253, NULL },

    /* Absent: no access log. path: "off" turns it off too. */
    [EK_ACCESS_LOG] = { "access_log", KT_MAP, 0, NULL, 0, 0, NULL },
    [EK_AL_PATH] = { "access_log.path", KT_STRING, CONF_KEY_REQUIRED, NULL, 0, 0, NULL },
    [EK_AL_FORMAT] = { "access_log.format", KT_ENUM, 0, "combined", 0, 0, log_formats },

    [EK_EDGE] = { "edge", KT_MAP, 0, NULL, 0, 0, NULL },
    /* "auto" (the online CPUs, at most 256) or 1..256. The threads are made at start. */
    [EK_WORKERS] = { "edge.workers", KT_ANY, CONF_KEY_RESTART, "auto", 1, 256, NULL },
    /* Every timeout is more than 0. */
    [EK_TIMEOUTS] = { "edge.timeouts", KT_MAP, 0, NULL, 0, 0, NULL },
    [EK_T_CLIENT_HEADER] = { "edge.timeouts.client_header", KT_DURATION, 0, "10s", 1, ANY,
                             NULL },
    [EK_T_CLIENT_BODY] = { "edge.timeouts.client_body", KT_DURATION, 0, "30s", 1, ANY, NULL },
    [EK_T_KEEPALIVE] = { "edge.timeouts.keepalive", KT_DURATION, 0, "75s", 1, ANY, NULL },
    [EK_T_SEND] = { "edge.timeouts.send", KT_DURATION, 0, "60s", 1, ANY, NULL },
    [EK_T_UPSTREAM_CONNECT] = { "edge.timeouts.upstream_connect", KT_DURATION, 0, "5s", 1, ANY,
                                NULL },
    [EK_T_UPSTREAM_READ] = { "edge.timeouts.upstream_read", KT_DURATION, 0, "60s", 1, ANY,
                             NULL },
    [EK_T_TUNNEL] = { "edge.timeouts.tunnel", KT_DURATION, 0, "1h", 1, ANY, NULL },
    [EK_T_SHUTDOWN] = { "edge.timeouts.shutdown", KT_DURATION, 0, "30s", 1, ANY, NULL },
    [EK_LIMITS] = { "edge.limits", KT_MAP, 0, NULL, 0, 0, NULL },
    [EK_LIM_HEADER_BYTES] = { "edge.limits.header_bytes", KT_SIZE, 0, "16k", 1024, 1024 * 1024,
                              NULL },
    [EK_LIM_HEADERS] = { "edge.limits.headers", KT_UINT, 0, "100", 1, 256, NULL },
    /* 0 means unlimited. */
    [EK_LIM_BODY_BYTES] = { "edge.limits.body_bytes", KT_SIZE, 0, "10m", 0, 0, NULL },

    /* tierd rotates the access log itself (for hosts without logrotate): past max_size,
     * and, with retention, at each UTC midnight; retention deletes older rotated files.
     * Absent: tierd never rotates (logrotate and SIGUSR1 do). */
    [EK_AL_MAX_SIZE] = { "access_log.max_size", KT_SIZE, 0, NULL, 4096, 1ULL << 40, NULL },
    [EK_AL_RETENTION] = { "access_log.retention", KT_DURATION, 0, NULL, 60 * SEC,
                          3660 * DAY, NULL },
    /* Each line also goes to a syslog socket (journald's /dev/log on systemd hosts). */
    [EK_AL_SYSLOG] = { "access_log.syslog", KT_MAP, 0, NULL, 0, 0, NULL },
    [EK_AL_SL_SOCKET] = { "access_log.syslog.socket", KT_STRING, 0, "/dev/log", 0, 107,
                          NULL },
    [EK_AL_SL_FACILITY] = { "access_log.syslog.facility", KT_ENUM, 0, "local7", 0, 0,
                            syslog_facilities },
    [EK_AL_SL_TAG] = { "access_log.syslog.tag", KT_STRING, 0, "tierd-access", 0, 32, NULL },

    /* Present: the listener speaks TLS only. It needs certificates, acme, or both. */
    [EK_L_TLS] = { "listeners[].tls", KT_MAP, 0, NULL, 0, 0, NULL },
    /* The first is the default (no SNI, or a name none covers); at most 16. */
    [EK_TLS_CERTS] = { "listeners[].tls.certificates", KT_LIST, 0, NULL, 0, 16, NULL },
    [EK_TLS_C_CERT] = { "listeners[].tls.certificates[].cert", KT_STRING, CONF_KEY_REQUIRED,
                        NULL, 0, 4096, NULL },
    [EK_TLS_C_KEY] = { "listeners[].tls.certificates[].key", KT_STRING, CONF_KEY_REQUIRED,
                       NULL, 0, 4096, NULL },
    /* Automatic certificates (RFC 8555), kept under the top-level state_dir, which must
     * then be written: without it every restart would issue again. */
    [EK_TLS_ACME] = { "listeners[].tls.acme", KT_MAP, 0, NULL, 0, 0, NULL },
    [EK_ACME_EMAIL] = { "listeners[].tls.acme.email", KT_STRING, 0, NULL, 0, 254, NULL },
    [EK_ACME_DOMAINS] = { "listeners[].tls.acme.domains", KT_LIST, CONF_KEY_REQUIRED, NULL, 1,
                          100, NULL },
    [EK_ACME_DIRECTORY] = { "listeners[].tls.acme.directory", KT_STRING, 0,
                            EDGE_ACME_DIRECTORY_DEFAULT, 0, 2048, NULL },
    [EK_ACME_CA_BUNDLE] = { "listeners[].tls.acme.ca_bundle", KT_STRING, 0, NULL, 0, 4096,
                            NULL },
    [EK_ACME_CHALLENGE] = { "listeners[].tls.acme.challenge", KT_ENUM, 0, "http-01", 0, 0,
                            acme_challenges },
    [EK_TLS_MIN_VERSION] = { "listeners[].tls.min_version", KT_ENUM, 0, "1.2", 0, 0,
                             tls_versions },
    /* OpenSSL cipher lists; the defaults are Mozilla's "intermediate" profile. */
    [EK_TLS_CIPHERS] = { "listeners[].tls.ciphers", KT_STRING, 0, EDGE_TLS_CIPHERS_DEFAULT, 0,
                         2048, NULL },
    [EK_TLS_CIPHERSUITES] = { "listeners[].tls.ciphersuites", KT_STRING, 0,
                              EDGE_TLS_SUITES_DEFAULT, 0, 2048, NULL },
    /* Protocols offered by ALPN, in preference order: h2 and http/1.1 (absent: both, h2
     * first; h2 is HTTP/2, h2sess.c). */
    [EK_TLS_ALPN] = { "listeners[].tls.alpn", KT_LIST, 0, NULL, 1, 2, NULL },
    /* Absent: no Strict-Transport-Security header. */
    [EK_TLS_HSTS] = { "listeners[].tls.hsts", KT_MAP, 0, NULL, 0, 0, NULL },
    [EK_HSTS_MAX_AGE] = { "listeners[].tls.hsts.max_age", KT_DURATION, 0, "365d", 0,
                          2 * 365 * DAY, NULL },
    [EK_HSTS_INCLUDE_SUB] = { "listeners[].tls.hsts.include_subdomains", KT_BOOL, 0, "false",
                              0, 0, NULL },
    [EK_HSTS_PRELOAD] = { "listeners[].tls.hsts.preload", KT_BOOL, 0, "false", 0, 0, NULL },

    /* ALB's redirect action: each part defaults to the request's own (#{protocol},
     * #{host}, #{port}, /#{path}, #{query}); at least one must change. */
    [EK_R_REDIRECT] = { "listeners[].rules[].redirect", KT_MAP, 0, NULL, 0, 0, NULL },
    [EK_RD_SCHEME] = { "listeners[].rules[].redirect.scheme", KT_STRING, 0, "#{protocol}", 0,
                       16, NULL },
    [EK_RD_HOST] = { "listeners[].rules[].redirect.host", KT_STRING, 0, "#{host}", 0, 128,
                     NULL },
    [EK_RD_PORT] = { "listeners[].rules[].redirect.port", KT_STRING, 0, NULL, 0, 16, NULL },
    [EK_RD_PATH] = { "listeners[].rules[].redirect.path", KT_STRING, 0, "/#{path}", 0, 128,
                     NULL },
    [EK_RD_QUERY] = { "listeners[].rules[].redirect.query", KT_STRING, 0, "#{query}", 0, 128,
                      NULL },
    [EK_RD_STATUS] = { "listeners[].rules[].redirect.status", KT_UINT, 0, "301", 301, 302,
                       NULL },

    /* HTTP/2 on a listener (h2sess.c): by ALPN over TLS, with prior knowledge on a plain
     * listener only with h2c. The limits are on by default; a client that breaks one is
     * sent GOAWAY and reported to the shield. Defaults follow nginx and the published
     * defences against Rapid Reset, CONTINUATION floods and HPACK bombs. */
    [EK_L_HTTP2] = { "listeners[].http2", KT_MAP, 0, NULL, 0, 0, NULL },
    [EK_H2_MAX_STREAMS] = { "listeners[].http2.max_concurrent_streams", KT_UINT, 0, "100", 1,
                            1000, NULL },
    [EK_H2_MAX_HEADER_LIST] = { "listeners[].http2.max_header_list_size", KT_SIZE, 0, "64k",
                                1024, 1024 * 1024, NULL },
    [EK_H2_MAX_FIELDS] = { "listeners[].http2.max_header_fields", KT_UINT, 0, "100", 8, 1000,
                           NULL },
    [EK_H2_MAX_RESETS] = { "listeners[].http2.max_resets_per_second", KT_UINT, 0, "100", 1,
                           100000, NULL },
    [EK_H2_MAX_CONTINUATIONS] = { "listeners[].http2.max_continuations", KT_UINT, 0, "8", 1,
                                  1000, NULL },
    [EK_H2_MAX_REQUESTS] = { "listeners[].http2.max_requests_per_connection", KT_UINT, 0,
                             "1000", 1, 10000000, NULL },
    [EK_H2_IDLE_TIMEOUT] = { "listeners[].http2.idle_timeout", KT_DURATION, 0, "60s", SEC,
                             DAY, NULL },
    [EK_H2_H2C] = { "listeners[].http2.h2c", KT_BOOL, 0, "false", 0, 0, NULL },
    [EK_H2_MAX_MALFORMED] = { "listeners[].http2.max_malformed_requests", KT_UINT, 0, "10", 0,
                              100000, NULL },

    /* What the group's targets speak (uproto.h). fastcgi needs the fastcgi block and the
     * block needs fastcgi (the reader checks both). */
    [EK_TG_FASTCGI] = { "target_groups.*.fastcgi", KT_MAP, 0, NULL, 0, 0, NULL },
    /* An absolute directory that exists (the reader checks). */
    [EK_FC_ROOT] = { "target_groups.*.fastcgi.root", KT_STRING, CONF_KEY_REQUIRED, NULL, 0,
                     4096, NULL },
    [EK_FC_INDEX] = { "target_groups.*.fastcgi.index", KT_STRING, 0, "index.php", 0, 255,
                      NULL },
    [EK_FC_SPLIT_PATH] = { "target_groups.*.fastcgi.split_path", KT_STRING, 0, ".php", 0, 32,
                           NULL },
    [EK_FC_PARAMS] = { "target_groups.*.fastcgi.params", KT_NAMED, 0, NULL, 0, 64, NULL },
    [EK_FC_PARAM] = { "target_groups.*.fastcgi.params.*", KT_STRING, 0, NULL, 0, 4096, NULL },
};

const struct conf_keytab edge_keytab = { "edge", edge_keys, EK_COUNT };
