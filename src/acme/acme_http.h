/*
 * acme/acme_http.h: one HTTPS exchange with the CA through libcurl's easy interface, on
 * the ACME thread (never on an edge loop). Keeps the headers ACME needs (Replay-Nonce,
 * Location, Retry-After) and a bounded body. A stop flag aborts a transfer in progress.
 */
#ifndef ACME_ACME_HTTP_H
#define ACME_ACME_HTTP_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "acme/acme_reply.h"

#define ACME_HTTP_BODY_MAX (1u << 20)

struct acme_http_reply {
    long status;
    char *body;                 /* NUL-terminated, malloc'd */
    size_t len;
    char nonce[256];
    char location[ACME_URL_MAX];
    char retry_after[64];
    char content_type[128];
};

struct acme_http {
    void *easy;                 /* CURL *, reused so connections stay open */
    const char *ca_bundle;      /* borrowed; NULL: the system's trust store */
    const atomic_bool *stop;    /* borrowed; true aborts the transfer */
};

/* Prepares h; 0 or -ENOMEM. */
int acme_http_init(struct acme_http *h, const char *ca_bundle, const atomic_bool *stop);
void acme_http_fini(struct acme_http *h);
/* Sends method (GET, HEAD or POST with a JOSE body) to url and fills *r (which the caller
 * frees with acme_http_reply_fini, whatever the result). Returns 0 when an HTTP reply came
 * (any status), -ECANCELED when stopped, -EIO with the reason in err otherwise. */
int acme_http_request(struct acme_http *h, const char *method, const char *url,
                      const char *body, struct acme_http_reply *r, char *err, size_t errlen);
void acme_http_reply_fini(struct acme_http_reply *r);

#endif
