/*
 * acme/acme_reply.h: the CA's JSON replies turned into plain structs (RFC 8555 §7.1:
 * directory, order, authorization, challenge, problem; RFC 9773 §4.2: renewalInfo).
 * Pure functions over bytes the CA sent, which we do not trust: lengths are bounded,
 * URLs must be https or http, tokens base64url. Fuzzed by fuzz/acme_reply.c.
 */
#ifndef ACME_ACME_REPLY_H
#define ACME_ACME_REPLY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACME_URL_MAX 512
#define ACME_NAME_MAX 256
#define ACME_AUTHZ_MAX 100      /* identifiers per order (Let's Encrypt allows 100) */
#define ACME_CHAL_MAX 8

enum acme_status {
    ACME_ST_UNKNOWN = 0,
    ACME_ST_PENDING,
    ACME_ST_READY,
    ACME_ST_PROCESSING,
    ACME_ST_VALID,
    ACME_ST_INVALID,
    ACME_ST_DEACTIVATED,
    ACME_ST_EXPIRED,
    ACME_ST_REVOKED,
};

struct acme_directory {
    char new_nonce[ACME_URL_MAX];
    char new_account[ACME_URL_MAX];
    char new_order[ACME_URL_MAX];
    char renewal_info[ACME_URL_MAX];    /* "" when the CA has no ARI */
    char terms_of_service[ACME_URL_MAX];
};

struct acme_order {
    enum acme_status status;
    char finalize[ACME_URL_MAX];
    char certificate[ACME_URL_MAX];     /* "" until valid */
    unsigned nauthz;
    char authz[ACME_AUTHZ_MAX][ACME_URL_MAX];
    char error[512];                    /* the order's problem detail, if any */
};

struct acme_challenge {
    char type[32];
    char url[ACME_URL_MAX];
    char token[128];
    enum acme_status status;
};

struct acme_authz {
    enum acme_status status;
    char identifier[ACME_NAME_MAX];     /* a DNS name */
    bool wildcard;
    unsigned nchal;
    struct acme_challenge chal[ACME_CHAL_MAX];
    char error[512];                    /* the first failed challenge's problem detail */
};

struct acme_problem {
    char type[128];                     /* urn:ietf:params:acme:error:badNonce */
    char detail[512];
};

/* ARI's suggested renewal window, Unix seconds. */
struct acme_renewal_info {
    int64_t start_s;
    int64_t end_s;
    char explanation[ACME_URL_MAX];
};

/* Each parser reads the n bytes of JSON at p into *out. Returns 0, or -EBADMSG with the
 * reason in *why (a static string naming the field). */
int acme_reply_directory(const char *p, size_t n, struct acme_directory *out, const char **why);
int acme_reply_order(const char *p, size_t n, struct acme_order *out, const char **why);
int acme_reply_authz(const char *p, size_t n, struct acme_authz *out, const char **why);
int acme_reply_problem(const char *p, size_t n, struct acme_problem *out, const char **why);
int acme_reply_renewal_info(const char *p, size_t n, struct acme_renewal_info *out,
                            const char **why);
/* An RFC 3339 date-time ("2025-01-02T04:00:00Z", fractions and offsets allowed) as Unix
 * seconds; -1 when it is not one. */
int64_t acme_reply_time(const char *s);
/* A Retry-After value (delay-seconds or an HTTP-date) as seconds from now_s, at least 0;
 * -1 when absent or malformed. */
int64_t acme_reply_retry_after(const char *v, int64_t now_s);
const char *acme_reply_status_name(enum acme_status st);

#endif
