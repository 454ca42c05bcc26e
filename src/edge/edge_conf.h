/*
 * edge/edge_conf.h: the edge's part of the stack file (listeners, rules, target groups,
 * access_log, edge), turned from conf nodes into plain structs and validated. The struct
 * is immutable once built; a reload builds a new one. Every string is owned by it.
 */
#ifndef EDGE_EDGE_CONF_H
#define EDGE_EDGE_CONF_H
#include <stdbool.h>
#include <stdint.h>

#include "conf/ctx.h"
#include "conf/node.h"
#include "core/sock.h"

enum edge_algorithm {
    EDGE_ALG_ROUND_ROBIN = 0,
    EDGE_ALG_LEAST_OUTSTANDING,     /* least_outstanding_requests */
    EDGE_ALG_WEIGHTED_RANDOM,       /* weighted_random */
};

/* What a target group's targets speak (`protocol:`; uproto.h has the implementations).
 * https is HTTP/1.1 over TLS (uptls.c): the same uproto, a TLS transport under it. */
enum edge_tg_protocol {
    EDGE_TG_PROTO_HTTP = 0,         /* HTTP/1.1, keep-alive */
    EDGE_TG_PROTO_HTTPS,            /* HTTP/1.1 over TLS */
    EDGE_TG_PROTO_FASTCGI,          /* FastCGI responder (uproto_fcgi.c) */
};

/* target_groups.X.tls: how tierd checks a TLS target (protocol: https). */
struct edge_tg_tls_conf {
    char *ca;                       /* PEM bundle; NULL: the system's trust store */
    char *sni;                      /* NULL: the target's host name, none for an address */
    bool verify;                    /* default true */
};

/* target_groups.*.fastcgi: where scripts are, and the extra params. */
struct edge_fcgi_conf {
    char *root;                 /* absolute, resolved (realpath), no trailing '/' */
    char *index;                /* the front controller, relative to root */
    char *split_path;           /* ".php": a script's name ends there */
    unsigned nparams;
    char **param_names, **param_values;
};

enum edge_log_format { EDGE_LOG_COMBINED = 0, EDGE_LOG_JSON };

enum edge_tls_version { EDGE_TLS_1_2 = 0, EDGE_TLS_1_3 };
enum edge_acme_challenge { EDGE_ACME_HTTP_01 = 0, EDGE_ACME_TLS_ALPN_01 };

/* Protocols a TLS listener may offer by ALPN. */
enum { EDGE_ALPN_H2 = 1u << 0, EDGE_ALPN_HTTP11 = 1u << 1 };

struct edge_tls_cert_conf {
    char *cert;                 /* PEM file: the certificate, then its chain */
    char *key;                  /* PEM file: the private key */
};

/* listeners[].tls.acme, validated here and consumed by the ACME client. */
struct edge_acme_conf {
    char *email;                /* NULL: none (the CA may not need one) */
    unsigned ndomains;
    char **domains;             /* lower case, as written; the first names the certificate */
    char *directory;            /* the CA's directory URL; default Let's Encrypt production */
    char *ca_bundle;            /* NULL: the system's trust store */
    enum edge_acme_challenge challenge;
    char *state_dir;            /* the top-level state_dir, where account and certs live */
};

struct edge_tls_conf {
    unsigned ncerts;
    struct edge_tls_cert_conf *certs;   /* the first is the default */
    struct edge_acme_conf *acme;        /* NULL: no automatic certificates */
    enum edge_tls_version min_version;  /* default 1.2 */
    char *ciphers;                      /* TLS 1.2 list (OpenSSL syntax) */
    char *ciphersuites;                 /* TLS 1.3 list */
    unsigned alpn;                      /* EDGE_ALPN_* as written; 0 = absent (default) */
    bool alpn_h2_first;                 /* h2 written before http/1.1 */
    bool hsts;                          /* send Strict-Transport-Security */
    uint64_t hsts_max_age_ms;
    bool hsts_include_subdomains, hsts_preload;
    char *hsts_value;                   /* the header's value, built once */
};

struct edge_target_conf {
    char *addr_text;            /* as written, normalised "ip:port" */
    struct sock_addr addr;
    unsigned weight;            /* 1 unless given (the target-group issue uses it) */
};

/* Active health checks (ALB HealthCheck* fields). Absent block: enabled = false, and
 * targets are taken as healthy from registration (passive checks still apply). */
struct edge_health_conf {
    bool enabled;
    char *path;                 /* "/" ; may include ?query */
    uint64_t interval_ms;       /* 5s..300s; default 30s */
    uint64_t timeout_ms;        /* 2s..120s, below interval; default 5s */
    unsigned healthy_threshold;     /* 2..10; default 5 */
    unsigned unhealthy_threshold;   /* 2..10; default 2 */
    char *matcher;              /* "200", "200,202", "200-399"; codes 200..499; default "200" */
    uint16_t matcher_lo[8], matcher_hi[8];  /* parsed ranges */
    unsigned nmatchers;
};

struct edge_tg_conf {
    char *name;
    unsigned ntargets;
    struct edge_target_conf *targets;
    enum edge_algorithm algorithm;
    enum edge_tg_protocol protocol;     /* http (0, what calloc gives) */
    struct edge_fcgi_conf *fastcgi;     /* protocol fastcgi only, else NULL */
    struct edge_tg_tls_conf tls;        /* with protocol https */
    struct edge_health_conf health;
    uint64_t deregistration_delay_ms;   /* 0..3600s; default 300s (ALB) */
    uint64_t slow_start_ms;             /* 0 (off) or 30s..900s; round_robin only */
    uint64_t initial_wait_ms;           /* 0..60s; default 5s: how long a request waits
                                           while every target is still `initial` */
    bool stickiness;                    /* stickiness.enabled; default false */
    uint64_t stickiness_ms;             /* stickiness.duration 1s..7d; default 1d */
};

/* A rule matches when every condition it has matches. Patterns for host and header
 * values are case-insensitive globs with '*' and '?' (as ALB's host-header conditions). */
struct edge_match {
    char *path_prefix;          /* NULL = any */
    char *host;                 /* NULL = any; port in Host is ignored when matching */
    char *method;               /* NULL = any; exact, case-sensitive */
    char *header_name;          /* NULL = no header condition */
    char *header_value;         /* glob */
};

/* The static action (the S3 role): files under root, never outside it. */
struct edge_static_conf {
    char *root;                 /* directory; must exist */
    char *index;                /* file served for a directory path; default "index.html" */
    uint64_t cache_max_age_ms;  /* Cache-Control: max-age; default 0 = no header */
};

/* ALB's redirect action. Each part is a template that may use #{protocol}, #{host},
 * #{port}, #{path} (without its leading '/') and #{query} (without '?'). */
struct edge_redirect_conf {
    char *scheme;               /* "http", "https" or "#{protocol}" */
    char *host;                 /* default "#{host}" */
    char *port;                 /* NULL: the request's port when the scheme is kept,
                                   else the new scheme's default (left out of the URL) */
    char *path;                 /* default "/#{path}"; starts with '/' */
    char *query;                /* default "#{query}" */
    unsigned status;            /* 301 or 302 */
};

/* A rule has exactly one action: forward (to a target group), static, or redirect. */
struct edge_rule {
    bool has_match;
    struct edge_match match;
    char *forward;              /* target group name; NULL for a static rule */
    unsigned tg_index;          /* index into edge_conf.tgs */
    struct edge_static_conf *static_files;  /* NULL for a forward rule */
    struct edge_redirect_conf *redirect;    /* NULL unless a redirect rule */
};

/* listeners[].http2 (h2conf.c reads it; h2sess.c enforces it). */
struct edge_http2_conf {
    uint64_t max_concurrent_streams;    /* SETTINGS_MAX_CONCURRENT_STREAMS (100) */
    uint64_t max_header_list_size;      /* decoded bytes of one header block, 32 per
                                           field included (64k) */
    uint64_t max_header_fields;         /* fields of one header block (100) */
    uint64_t max_resets_per_second;     /* RST_STREAM from the client (100) */
    uint64_t max_continuations;         /* CONTINUATION frames of one header block (8) */
    uint64_t max_requests_per_connection;   /* then GOAWAY (1000) */
    uint64_t idle_timeout_ms;           /* no open stream: GOAWAY and close (60s) */
    bool h2c;                           /* prior knowledge on a plain listener (false) */
    uint64_t max_malformed_requests;    /* streams reset as malformed, then cut off (10) */
};

struct edge_listener_conf {
    struct edge_http2_conf http2;
    char *name;
    char *addr_text;
    struct sock_addr addr;
    unsigned nrules;
    struct edge_rule *rules;
    struct edge_tls_conf *tls;  /* NULL: plain HTTP */
};

struct edge_timeouts {
    uint64_t client_header_ms;  /* whole request head, from its first byte: 408 (10s) */
    uint64_t client_body_ms;    /* gap between two body reads: 408 (30s) */
    uint64_t keepalive_ms;      /* idle client connection between requests (75s) */
    uint64_t send_ms;           /* gap between two writes to the client (60s) */
    uint64_t upstream_connect_ms;   /* 504 (5s) */
    uint64_t upstream_read_ms;  /* gap between reads from the target: 504 before the
                                   response head, close after (60s) */
    uint64_t tunnel_ms;         /* idle upgraded connection (1h) */
    uint64_t shutdown_ms;       /* SIGTERM drain deadline (30s) */
};

struct edge_limits {
    uint64_t header_bytes;      /* 16k: whole request head; 431 */
    uint64_t headers;           /* 100 field lines; 431 */
    uint64_t body_bytes;        /* 10m; 413. 0 = unlimited */
};

struct edge_conf {
    unsigned nlisteners;
    struct edge_listener_conf *listeners;
    unsigned ntgs;
    struct edge_tg_conf *tgs;
    struct {
        bool enabled;
        char *path;
        enum edge_log_format format;
    } access_log;
    unsigned workers;           /* resolved: "auto" becomes the number of online CPUs */
    struct edge_timeouts timeouts;
    struct edge_limits limits;
};


/* Reads the edge sections of `root` (a map) into *out with defaults for what is absent.
 * Returns 0, or -EINVAL after adding one diagnostic per problem (all are reported).
 * On failure *out is left empty (nothing to free). */
int edge_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
                    struct edge_conf **out);
/* Releases what a conf owns (edge/gen.c keeps a moved copy in storage of its own). */
void edge_conf_fini(struct edge_conf *c);
void edge_conf_free(struct edge_conf *c);
/* Returns the index of the target group named `name`, or -1. */
int edge_conf_tg_find(const struct edge_conf *c, const char *name);

#endif
