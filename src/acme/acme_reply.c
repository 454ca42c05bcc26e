/*
 * acme/acme_reply.c: parsers of the CA's replies (see acme_reply.h). jansson reads the
 * JSON; this file checks the shapes RFC 8555 and RFC 9773 give and copies bounded
 * strings into the caller's structs. Owns nothing.
 */
#include "acme/acme_reply.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/slice.h"
#include "http/h1_date.h"

static const char *const reply_status_names[] = {
    [ACME_ST_UNKNOWN] = "unknown",       [ACME_ST_PENDING] = "pending",
    [ACME_ST_READY] = "ready",           [ACME_ST_PROCESSING] = "processing",
    [ACME_ST_VALID] = "valid",           [ACME_ST_INVALID] = "invalid",
    [ACME_ST_DEACTIVATED] = "deactivated", [ACME_ST_EXPIRED] = "expired",
    [ACME_ST_REVOKED] = "revoked",
};

const char *
acme_reply_status_name(enum acme_status st)
{
    return (unsigned)st < sizeof(reply_status_names) / sizeof(reply_status_names[0])
               ? reply_status_names[st] : "unknown";
}

static enum acme_status
reply_status(const char *s)
{
    for (unsigned i = 1; i < sizeof(reply_status_names) / sizeof(reply_status_names[0]); i++)
        if (strcmp(s, reply_status_names[i]) == 0)
            return (enum acme_status)i;
    return ACME_ST_UNKNOWN;
}

/* Copies string member `key` of o into out (size n). Missing: "" and 0 unless required.
 * Returns -1 when it is not a string, too long, or contains a control character. */
static int
reply_str(json_t *o, const char *key, char *out, size_t n, bool required)
{
    json_t *v = json_object_get(o, key);
    const char *s;
    size_t len;

    out[0] = '\0';
    if (!v)
        return required ? -1 : 0;
    if (!json_is_string(v))
        return -1;
    s = json_string_value(v);
    len = json_string_length(v);
    if (len >= n || strlen(s) != len)
        return -1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return -1;
    memcpy(out, s, len + 1);
    return 0;
}

/* The "status" member of o into *st; -1 when missing or not one RFC 8555 names. */
static int
reply_status_of(json_t *o, enum acme_status *st)
{
    char s[32];

    if (reply_str(o, "status", s, sizeof(s), true) < 0)
        return -1;
    *st = reply_status(s);
    return *st == ACME_ST_UNKNOWN ? -1 : 0;
}

/* A URL member: as reply_str, and it must be absolute http(s). */
static int
reply_url(json_t *o, const char *key, char *out, bool required)
{
    if (reply_str(o, key, out, ACME_URL_MAX, required) < 0)
        return -1;
    if (out[0] && strncmp(out, "https://", 8) != 0 && strncmp(out, "http://", 7) != 0)
        return -1;
    return 0;
}

/* Loads an object; NULL (with *why) when the bytes are not a JSON object. */
static json_t *
reply_load(const char *p, size_t n, const char **why)
{
    json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);

    if (!json_is_object(j)) {
        json_decref(j);
        *why = "reply: not a JSON object";
        return NULL;
    }
    return j;
}

#define REPLY_FAIL(msg)                                                                   \
    do {                                                                                  \
        *why = (msg);                                                                     \
        json_decref(j);                                                                   \
        return -EBADMSG;                                                                  \
    } while (0)

int
acme_reply_directory(const char *p, size_t n, struct acme_directory *out, const char **why)
{
    json_t *j = reply_load(p, n, why), *meta;

    memset(out, 0, sizeof(*out));
    if (!j)
        return -EBADMSG;
    if (reply_url(j, "newNonce", out->new_nonce, true) < 0)
        REPLY_FAIL("directory: newNonce missing or not a URL");
    if (reply_url(j, "newAccount", out->new_account, true) < 0)
        REPLY_FAIL("directory: newAccount missing or not a URL");
    if (reply_url(j, "newOrder", out->new_order, true) < 0)
        REPLY_FAIL("directory: newOrder missing or not a URL");
    if (reply_url(j, "renewalInfo", out->renewal_info, false) < 0)
        REPLY_FAIL("directory: renewalInfo not a URL");
    /* Informational only (Pebble's is a data: URL): kept when it is a sane string. */
    if ((meta = json_object_get(j, "meta")) && json_is_object(meta))
        reply_str(meta, "termsOfService", out->terms_of_service, ACME_URL_MAX, false);
    json_decref(j);
    return 0;
}

static int
reply_error_detail(json_t *o, char *out, size_t n)
{
    json_t *e = json_object_get(o, "error");
    json_t *d = json_is_object(e) ? json_object_get(e, "detail") : NULL;
    json_t *t = json_is_object(e) ? json_object_get(e, "type") : NULL;

    out[0] = '\0';
    if (json_is_string(d))
        snprintf(out, n, "%s%s%s", json_is_string(t) ? json_string_value(t) : "",
                 json_is_string(t) ? ": " : "", json_string_value(d));
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
    return 0;
}

int
acme_reply_order(const char *p, size_t n, struct acme_order *out, const char **why)
{
    json_t *j = reply_load(p, n, why), *a, *v;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (!j)
        return -EBADMSG;
    if (reply_status_of(j, &out->status) < 0)
        REPLY_FAIL("order: status missing or unknown");
    if (reply_url(j, "finalize", out->finalize, true) < 0)
        REPLY_FAIL("order: finalize missing or not a URL");
    if (reply_url(j, "certificate", out->certificate, false) < 0)
        REPLY_FAIL("order: certificate not a URL");
    if (out->status == ACME_ST_VALID && !out->certificate[0])
        REPLY_FAIL("order: valid without a certificate URL");
    a = json_object_get(j, "authorizations");
    if (!json_is_array(a))
        REPLY_FAIL("order: authorizations missing or not a list");
    if (json_array_size(a) > ACME_AUTHZ_MAX)
        REPLY_FAIL("order: more than 100 authorizations");
    json_array_foreach(a, i, v) {
        if (!json_is_string(v) || json_string_length(v) >= ACME_URL_MAX ||
            strncmp(json_string_value(v), "http", 4) != 0)
            REPLY_FAIL("order: an authorization is not a URL");
        snprintf(out->authz[out->nauthz++], ACME_URL_MAX, "%s", json_string_value(v));
    }
    reply_error_detail(j, out->error, sizeof(out->error));
    json_decref(j);
    return 0;
}

/* A token is base64url (RFC 8555 §8.1) and long enough to carry 128 bits. */
static bool
reply_token_ok(const char *t)
{
    size_t n = strlen(t);

    if (n < 22)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)t[i]) && t[i] != '-' && t[i] != '_')
            return false;
    return true;
}

int
acme_reply_authz(const char *p, size_t n, struct acme_authz *out, const char **why)
{
    json_t *j = reply_load(p, n, why), *id, *cs, *c, *w;
    char st[32], type[16];
    size_t i;

    memset(out, 0, sizeof(*out));
    if (!j)
        return -EBADMSG;
    if (reply_status_of(j, &out->status) < 0)
        REPLY_FAIL("authorization: status missing or unknown");
    id = json_object_get(j, "identifier");
    if (!json_is_object(id) || reply_str(id, "type", type, sizeof(type), true) < 0 ||
        strcmp(type, "dns") != 0 ||
        reply_str(id, "value", out->identifier, sizeof(out->identifier), true) < 0 ||
        !out->identifier[0])
        REPLY_FAIL("authorization: identifier missing or not a DNS name");
    w = json_object_get(j, "wildcard");
    out->wildcard = json_is_true(w);
    cs = json_object_get(j, "challenges");
    if (!json_is_array(cs))
        REPLY_FAIL("authorization: challenges missing or not a list");
    json_array_foreach(cs, i, c) {
        struct acme_challenge *ch = &out->chal[out->nchal];
        if (out->nchal == ACME_CHAL_MAX)
            break;      /* more kinds than we know: the first few are enough */
        if (!json_is_object(c) || reply_str(c, "type", ch->type, sizeof(ch->type), true) < 0 ||
            reply_url(c, "url", ch->url, true) < 0 ||
            reply_str(c, "status", st, sizeof(st), true) < 0)
            REPLY_FAIL("authorization: a challenge lacks type, url or status");
        ch->status = reply_status(st);
        if (reply_str(c, "token", ch->token, sizeof(ch->token), false) < 0 ||
            (ch->token[0] && !reply_token_ok(ch->token)))
            REPLY_FAIL("authorization: a challenge token is not base64url");
        if (!out->error[0])
            reply_error_detail(c, out->error, sizeof(out->error));
        out->nchal++;
    }
    json_decref(j);
    return 0;
}

int
acme_reply_problem(const char *p, size_t n, struct acme_problem *out, const char **why)
{
    json_t *j = reply_load(p, n, why);

    memset(out, 0, sizeof(*out));
    if (!j)
        return -EBADMSG;
    json_t *t = json_object_get(j, "type"), *d = json_object_get(j, "detail");
    if (!json_is_string(t))
        REPLY_FAIL("problem: type missing");
    snprintf(out->type, sizeof(out->type), "%s", json_string_value(t));
    if (json_is_string(d))
        snprintf(out->detail, sizeof(out->detail), "%s", json_string_value(d));
    for (char *c = out->detail; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
    json_decref(j);
    return 0;
}

int
acme_reply_renewal_info(const char *p, size_t n, struct acme_renewal_info *out,
                        const char **why)
{
    json_t *j = reply_load(p, n, why), *w;
    char start[64], end[64];

    memset(out, 0, sizeof(*out));
    if (!j)
        return -EBADMSG;
    w = json_object_get(j, "suggestedWindow");
    if (!json_is_object(w))
        REPLY_FAIL("renewalInfo: suggestedWindow missing");
    if (reply_str(w, "start", start, sizeof(start), true) < 0 ||
        (out->start_s = acme_reply_time(start)) < 0)
        REPLY_FAIL("renewalInfo: suggestedWindow.start is not an RFC 3339 time");
    if (reply_str(w, "end", end, sizeof(end), true) < 0 ||
        (out->end_s = acme_reply_time(end)) < 0)
        REPLY_FAIL("renewalInfo: suggestedWindow.end is not an RFC 3339 time");
    if (out->end_s <= out->start_s)
        REPLY_FAIL("renewalInfo: suggestedWindow ends before it starts");
    if (reply_url(j, "explanationURL", out->explanation, false) < 0)
        REPLY_FAIL("renewalInfo: explanationURL is not a URL");
    json_decref(j);
    return 0;
}

/* Reads exactly `digits` decimal digits at *s; -1 when they are not there. */
static int
reply_num(const char **s, int digits)
{
    int v = 0;

    for (int i = 0; i < digits; i++, (*s)++) {
        if (!isdigit((unsigned char)**s))
            return -1;
        v = v * 10 + (**s - '0');
    }
    return v;
}

int64_t
acme_reply_time(const char *s)
{
    struct tm tm = { 0 };
    int y, mo, d, h, mi, sec, off = 0;

    if ((y = reply_num(&s, 4)) < 1970 || *s++ != '-' || (mo = reply_num(&s, 2)) < 1 ||
        mo > 12 || *s++ != '-' || (d = reply_num(&s, 2)) < 1 || d > 31 ||
        (*s != 'T' && *s != 't') || !*s++ || (h = reply_num(&s, 2)) < 0 || h > 23 ||
        *s++ != ':' || (mi = reply_num(&s, 2)) < 0 || mi > 59 || *s++ != ':' ||
        (sec = reply_num(&s, 2)) < 0 || sec > 60)
        return -1;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return -1;
        while (isdigit((unsigned char)*s))
            s++;
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1, oh, om;
        if ((oh = reply_num(&s, 2)) < 0 || oh > 23 || *s++ != ':' ||
            (om = reply_num(&s, 2)) < 0 || om > 59)
            return -1;
        off = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (*s)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d)     /* 31 February */
        return -1;
    return (int64_t)t - off < 0 ? -1 : (int64_t)t - off;
}

int64_t
acme_reply_retry_after(const char *v, int64_t now_s)
{
    if (!v || !*v)
        return -1;
    if (isdigit((unsigned char)v[0])) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (errno || *end || n > 365ull * 86400)
            return -1;
        return (int64_t)n;
    }
    int64_t t = h1_date_parse(slice_make(v, strlen(v)));
    if (t < 0)
        return -1;
    return t > now_s ? t - now_s : 0;
}
