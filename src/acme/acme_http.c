/*
 * acme/acme_http.c: HTTPS to the CA with libcurl (see acme_http.h). Owns the easy handle.
 */
#include "acme/acme_http.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define ACME_HTTP_TIMEOUT_MS 30000L

int
acme_http_init(struct acme_http *h, const char *ca_bundle, const atomic_bool *stop)
{
    memset(h, 0, sizeof(*h));
    if (!(h->easy = curl_easy_init()))
        return -ENOMEM;
    h->ca_bundle = ca_bundle;
    h->stop = stop;
    return 0;
}

void
acme_http_fini(struct acme_http *h)
{
    if (h->easy)
        curl_easy_cleanup(h->easy);
    h->easy = NULL;
}

void
acme_http_reply_fini(struct acme_http_reply *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static size_t
http_on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
    struct acme_http_reply *r = ctx;
    size_t n = size * nmemb;

    if (r->len + n > ACME_HTTP_BODY_MAX)
        return 0;                   /* aborts: the CA never sends this much */
    char *b = realloc(r->body, r->len + n + 1);
    if (!b)
        return 0;
    memcpy(b + r->len, p, n);
    r->body = b;
    r->len += n;
    b[r->len] = '\0';
    return n;
}

/* Copies the value of header line p (size n) into out when its name is `name`. */
static void
http_header_value(const char *p, size_t n, const char *name, char *out, size_t outlen)
{
    size_t k = strlen(name);

    if (n <= k || strncasecmp(p, name, k) != 0 || p[k] != ':')
        return;
    p += k + 1;
    n -= k + 1;
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && isspace((unsigned char)p[n - 1]))
        n--;
    if (n < outlen) {
        memcpy(out, p, n);
        out[n] = '\0';
    }
}

static size_t
http_on_header(char *p, size_t size, size_t nmemb, void *ctx)
{
    struct acme_http_reply *r = ctx;
    size_t n = size * nmemb;

    http_header_value(p, n, "Replay-Nonce", r->nonce, sizeof(r->nonce));
    http_header_value(p, n, "Location", r->location, sizeof(r->location));
    http_header_value(p, n, "Retry-After", r->retry_after, sizeof(r->retry_after));
    http_header_value(p, n, "Content-Type", r->content_type, sizeof(r->content_type));
    return n;
}

static int
http_on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const struct acme_http *h = ctx;

    return h->stop && atomic_load(h->stop) ? 1 : 0;
}

int
acme_http_request(struct acme_http *h, const char *method, const char *url,
                  const char *body, struct acme_http_reply *r, char *err, size_t errlen)
{
    CURL *c = h->easy;
    struct curl_slist *hdr = NULL;
    char ebuf[CURL_ERROR_SIZE] = "";

    memset(r, 0, sizeof(*r));
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");     /* RFC 8555 §6.1 */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ACME_HTTP_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "tierd-acme/1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, http_on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    if (h->ca_bundle)
        curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_bundle);
    hdr = curl_slist_append(hdr, "Accept-Language: en");
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "POST") == 0) {
        hdr = curl_slist_append(hdr, "Content-Type: application/jose+json");
        hdr = curl_slist_append(hdr, "Expect:");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hdr);
    if (rc == CURLE_ABORTED_BY_CALLBACK && h->stop && atomic_load(h->stop))
        return -ECANCELED;
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s %s: %s", method, url, ebuf[0] ? ebuf : curl_easy_strerror(rc));
        return -EIO;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (!r->body && (r->body = malloc(1)))
        r->body[0] = '\0';
    return r->body ? 0 : -ENOMEM;
}
