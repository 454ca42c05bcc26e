/*
 * acme/acme_flow.c: the ACME protocol as a client (see acme_flow.h). Borrows the account
 * key and the hooks; owns the curl handle and the nonce. Each step checks what the CA
 * answered against RFC 8555 before acting on it; a failure names the step and carries the
 * CA's problem detail.
 */
#include "acme/acme_flow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "acme/acme_jws.h"
#include "acme/acme_x509.h"
#include "core/log.h"

#define FLOW_NONCE_RETRIES 10
#define FLOW_POLL_TRIES 60
#define FLOW_POLL_MS 1000

int
acme_flow_init(struct acme_flow *f, const char *directory_url, const char *ca_bundle,
               const char *email, EVP_PKEY *account, const struct acme_flow_hooks *hooks,
               const atomic_bool *stop)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->directory_url, sizeof(f->directory_url), "%s", directory_url);
    snprintf(f->email, sizeof(f->email), "%s", email ? email : "");
    f->account = account;
    f->hooks = *hooks;
    f->retry_after_s = -1;
    if (acme_jws_thumbprint(account, f->thumbprint) < 0)
        return -EINVAL;
    return acme_http_init(&f->http, ca_bundle, stop);
}

void
acme_flow_fini(struct acme_flow *f)
{
    acme_http_fini(&f->http);
}

/* Puts the CA's problem detail of a failed reply into err after `what`. */
static void
flow_problem(const struct acme_http_reply *r, const char *what, char *err, size_t errlen)
{
    struct acme_problem pb;
    const char *why;

    if (r->len && acme_reply_problem(r->body, r->len, &pb, &why) == 0)
        snprintf(err, errlen, "%s: HTTP %ld %s: %s", what, r->status, pb.type, pb.detail);
    else
        snprintf(err, errlen, "%s: HTTP %ld", what, r->status);
}

static void
flow_take_reply_meta(struct acme_flow *f, const struct acme_http_reply *r)
{
    if (r->nonce[0])
        snprintf(f->nonce, sizeof(f->nonce), "%s", r->nonce);
    f->retry_after_s = acme_reply_retry_after(r->retry_after, (int64_t)time(NULL));
}

static int
flow_directory(struct acme_flow *f, char *err, size_t errlen)
{
    struct acme_http_reply r;
    const char *why;
    int rc;

    if (f->have_dir)
        return 0;
    if ((rc = acme_http_request(&f->http, "GET", f->directory_url, NULL, &r, err, errlen)) < 0)
        goto out;
    if (r.status != 200) {
        flow_problem(&r, "directory", err, errlen);
        rc = -EIO;
    } else if (acme_reply_directory(r.body, r.len, &f->dir, &why) < 0) {
        snprintf(err, errlen, "%s: %s", f->directory_url, why);
        rc = -EBADMSG;
    } else {
        f->have_dir = true;
    }
out:
    acme_http_reply_fini(&r);
    return rc;
}

static int
flow_new_nonce(struct acme_flow *f, char *err, size_t errlen)
{
    struct acme_http_reply r;
    int rc = acme_http_request(&f->http, "HEAD", f->dir.new_nonce, NULL, &r, err, errlen);

    if (rc == 0 && !r.nonce[0]) {
        snprintf(err, errlen, "newNonce: HTTP %ld without a Replay-Nonce", r.status);
        rc = -EIO;
    }
    if (rc == 0)
        snprintf(f->nonce, sizeof(f->nonce), "%s", r.nonce);
    acme_http_reply_fini(&r);
    return rc;
}

/* A signed POST of payload to url ("" is POST-as-GET): takes a fresh nonce each time and
 * retries a badNonce rejection with the nonce that came with it (RFC 8555 §6.5). Returns
 * 0 with *r (any HTTP status), or a negative errno with err. */
static int
flow_post(struct acme_flow *f, const char *url, const char *payload, bool use_jwk,
          struct acme_http_reply *r, char *err, size_t errlen)
{
    for (int attempt = 0;; attempt++) {
        int rc;
        if (!f->nonce[0] && (rc = flow_new_nonce(f, err, errlen)) < 0)
            return rc;
        char *jws = acme_jws_sign(f->account, use_jwk ? NULL : f->kid, f->nonce, url, payload);
        f->nonce[0] = '\0';     /* each nonce is good for one request */
        if (!jws) {
            snprintf(err, errlen, "cannot sign the request to %s", url);
            return -ENOMEM;
        }
        rc = acme_http_request(&f->http, "POST", url, jws, r, err, errlen);
        free(jws);
        if (rc < 0)
            return rc;
        flow_take_reply_meta(f, r);
        struct acme_problem pb;
        const char *why;
        if (r->status == 400 && attempt < FLOW_NONCE_RETRIES &&
            acme_reply_problem(r->body, r->len, &pb, &why) == 0 &&
            strcmp(pb.type, "urn:ietf:params:acme:error:badNonce") == 0) {
            log_debug("acme", "badNonce from the CA, retrying url=%s", url);
            acme_http_reply_fini(r);
            continue;
        }
        return 0;
    }
}

static int
flow_account(struct acme_flow *f, char *err, size_t errlen)
{
    struct acme_http_reply r;
    json_t *p;
    char *payload;
    int rc;

    if (f->kid[0])
        return 0;
    p = json_pack("{s:b}", "termsOfServiceAgreed", 1);
    if (f->email[0]) {
        char mail[300];
        snprintf(mail, sizeof(mail), "mailto:%s", f->email);
        json_object_set_new(p, "contact", json_pack("[s]", mail));
    }
    payload = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    if (!payload)
        return -ENOMEM;
    rc = flow_post(f, f->dir.new_account, payload, true, &r, err, errlen);
    free(payload);
    if (rc < 0)
        return rc;
    if ((r.status != 200 && r.status != 201) || !r.location[0]) {
        flow_problem(&r, "newAccount", err, errlen);
        rc = -EIO;
    } else {
        snprintf(f->kid, sizeof(f->kid), "%s", r.location);
    }
    acme_http_reply_fini(&r);
    return rc;
}

typedef int (*flow_parse_fn)(const char *p, size_t n, void *out, const char **why);

static int
flow_parse_order(const char *p, size_t n, void *out, const char **why)
{
    return acme_reply_order(p, n, out, why);
}

static int
flow_parse_authz(const char *p, size_t n, void *out, const char **why)
{
    return acme_reply_authz(p, n, out, why);
}

/* POST-as-GET of url (an order or an authorization, `what` in messages), its reply parsed
 * into out. */
static int
flow_get(struct acme_flow *f, const char *url, const char *what, flow_parse_fn parse, void *out,
         char *err, size_t errlen)
{
    struct acme_http_reply r;
    const char *why;
    int rc = flow_post(f, url, "", false, &r, err, errlen);

    if (rc < 0)
        return rc;
    if (r.status != 200) {
        flow_problem(&r, what, err, errlen);
        rc = -EIO;
    } else if (parse(r.body, r.len, out, &why) < 0) {
        snprintf(err, errlen, "%s: %s", url, why);
        rc = -EBADMSG;
    }
    acme_http_reply_fini(&r);
    return rc;
}

static int
flow_get_order(struct acme_flow *f, const char *url, struct acme_order *o, char *err,
               size_t errlen)
{
    return flow_get(f, url, "order", flow_parse_order, o, err, errlen);
}

static int
flow_get_authz(struct acme_flow *f, const char *url, struct acme_authz *a, char *err,
               size_t errlen)
{
    return flow_get(f, url, "authorization", flow_parse_authz, a, err, errlen);
}

/* The wait before poll number i (0 first): the CA's Retry-After within 1..10 s, else
 * 1 s; a fifth of that before the first poll, as validation is often quick. */
static uint64_t
flow_poll_ms(const struct acme_flow *f, int i)
{
    if (i == 0)
        return FLOW_POLL_MS / 5;
    if (f->retry_after_s >= 1 && f->retry_after_s <= 10)
        return (uint64_t)f->retry_after_s * 1000;
    return FLOW_POLL_MS;
}

/* Answers the pending authorization at url with a challenge of kind, then polls it until
 * the CA decides. */
static int
flow_authorize(struct acme_flow *f, const char *url, enum acme_chal_kind kind, char *err,
               size_t errlen)
{
    static const char *const types[] = { "http-01", "tls-alpn-01" };
    struct acme_authz *a = malloc(sizeof(*a));
    struct acme_http_reply r;
    const struct acme_challenge *ch = NULL;
    char keyauth[256], token[128], domain[ACME_NAME_MAX], chal_url[ACME_URL_MAX];
    int rc;

    if (!a)
        return -ENOMEM;
    if ((rc = flow_get_authz(f, url, a, err, errlen)) < 0)
        goto out;
    if (a->status == ACME_ST_VALID)
        goto out;               /* reused from an earlier order (RFC 8555 §7.1.3) */
    if (a->status != ACME_ST_PENDING) {
        snprintf(err, errlen, "authorization for %s is %s%s%s", a->identifier,
                 acme_reply_status_name(a->status), a->error[0] ? ": " : "", a->error);
        rc = -EPERM;
        goto out;
    }
    for (unsigned i = 0; i < a->nchal && !ch; i++)
        if (strcmp(a->chal[i].type, types[kind]) == 0 && a->chal[i].token[0])
            ch = &a->chal[i];
    if (!ch) {
        snprintf(err, errlen, "the CA offers no %s challenge for %s; set challenge: to another type",
                 types[kind], a->identifier);
        rc = -ENOTSUP;
        goto out;
    }
    /* Copied: each poll parses the authorization again, and the CA may list its
     * challenges in another order. */
    snprintf(token, sizeof(token), "%s", ch->token);
    snprintf(domain, sizeof(domain), "%s", a->identifier);
    snprintf(chal_url, sizeof(chal_url), "%s", ch->url);
    snprintf(keyauth, sizeof(keyauth), "%s.%s", token, f->thumbprint);
    f->hooks.publish(f->hooks.ctx, kind, domain, token, keyauth, true);
    log_info("acme", "answering challenge type=%s domain=%s", types[kind], domain);
    rc = flow_post(f, chal_url, "{}", false, &r, err, errlen);
    if (rc == 0 && r.status != 200) {
        flow_problem(&r, "challenge", err, errlen);
        rc = -EIO;
    }
    acme_http_reply_fini(&r);
    for (int i = 0; rc == 0 && i < FLOW_POLL_TRIES; i++) {
        if ((rc = f->hooks.sleep(f->hooks.ctx, flow_poll_ms(f, i))) < 0 ||
            (rc = flow_get_authz(f, url, a, err, errlen)) < 0)
            break;
        if (a->status == ACME_ST_VALID)
            break;
        if (a->status != ACME_ST_PENDING) {
            snprintf(err, errlen, "%s challenge for %s failed: %s", types[kind], domain,
                     a->error[0] ? a->error : acme_reply_status_name(a->status));
            rc = -EPERM;
        } else if (i == FLOW_POLL_TRIES - 1) {
            snprintf(err, errlen, "%s challenge for %s: still pending after %d polls",
                     types[kind], domain, FLOW_POLL_TRIES);
            rc = -ETIMEDOUT;
        }
    }
    f->hooks.publish(f->hooks.ctx, kind, domain, token, keyauth, false);
out:
    free(a);
    return rc;
}

/* Polls order o (at url) while it is in one of the `while_st` states. */
static int
flow_poll_order(struct acme_flow *f, const char *url, struct acme_order *o,
                enum acme_status s1, enum acme_status s2, char *err, size_t errlen)
{
    int rc = 0;

    for (int i = 0; (o->status == s1 || o->status == s2) && rc == 0; i++) {
        if (i == FLOW_POLL_TRIES) {
            snprintf(err, errlen, "order still %s after %d polls",
                     acme_reply_status_name(o->status), FLOW_POLL_TRIES);
            return -ETIMEDOUT;
        }
        if ((rc = f->hooks.sleep(f->hooks.ctx, flow_poll_ms(f, i))) == 0)
            rc = flow_get_order(f, url, o, err, errlen);
    }
    return rc;
}

static int
flow_new_order(struct acme_flow *f, const char *const *domains, unsigned n,
               const char *replaces, struct acme_order *o, char *url, char *err, size_t errlen)
{
    json_t *ids = json_array(), *p;
    struct acme_http_reply r;
    const char *why;
    char *payload;
    int rc;

    for (unsigned i = 0; i < n; i++)
        json_array_append_new(ids, json_pack("{s:s, s:s}", "type", "dns", "value", domains[i]));
    p = json_pack("{s:o}", "identifiers", ids);
    if (replaces && replaces[0] && f->dir.renewal_info[0])
        json_object_set_new(p, "replaces", json_string(replaces));
    payload = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    if (!payload)
        return -ENOMEM;
    rc = flow_post(f, f->dir.new_order, payload, false, &r, err, errlen);
    free(payload);
    if (rc < 0)
        return rc;
    if (r.status != 201 || !r.location[0]) {
        flow_problem(&r, "newOrder", err, errlen);
        rc = -EIO;
    } else if (acme_reply_order(r.body, r.len, o, &why) < 0) {
        snprintf(err, errlen, "newOrder: %s", why);
        rc = -EBADMSG;
    } else {
        snprintf(url, ACME_URL_MAX, "%s", r.location);
    }
    acme_http_reply_fini(&r);
    return rc;
}

static int
flow_finalize(struct acme_flow *f, struct acme_order *o, const char *url,
              const char *const *domains, unsigned n, EVP_PKEY *key, char *err, size_t errlen)
{
    struct acme_http_reply r;
    const char *why;
    char *csr = acme_x509_csr(key, domains, n), *payload = NULL;
    int rc;

    if (!csr || asprintf(&payload, "{\"csr\":\"%s\"}", csr) < 0) {
        free(csr);
        snprintf(err, errlen, "cannot build the CSR");
        return -ENOMEM;
    }
    free(csr);
    rc = flow_post(f, o->finalize, payload, false, &r, err, errlen);
    free(payload);
    if (rc < 0)
        return rc;
    if (r.status != 200) {
        flow_problem(&r, "finalize", err, errlen);
        rc = -EIO;
    } else if (acme_reply_order(r.body, r.len, o, &why) < 0) {
        snprintf(err, errlen, "finalize: %s", why);
        rc = -EBADMSG;
    }
    acme_http_reply_fini(&r);
    if (rc == 0)
        rc = flow_poll_order(f, url, o, ACME_ST_PROCESSING, ACME_ST_READY, err, errlen);
    if (rc == 0 && o->status != ACME_ST_VALID) {
        snprintf(err, errlen, "order is %s after finalize%s%s", acme_reply_status_name(o->status),
                 o->error[0] ? ": " : "", o->error);
        rc = -EPERM;
    }
    return rc;
}

static int
flow_download(struct acme_flow *f, const struct acme_order *o, const char *const *domains,
              unsigned n, EVP_PKEY *key, struct acme_issued *out, char *err, size_t errlen)
{
    struct acme_http_reply r;
    int rc = flow_post(f, o->certificate, "", false, &r, err, errlen);

    if (rc < 0)
        return rc;
    if (r.status != 200) {
        flow_problem(&r, "certificate", err, errlen);
        rc = -EIO;
    } else if (!acme_x509_chain_fits(r.body, r.len, key, domains, n)) {
        snprintf(err, errlen, "certificate: the CA's chain does not match our key and names");
        rc = -EBADMSG;
    } else {
        out->chain = r.body;
        out->chain_len = r.len;
        r.body = NULL;
    }
    acme_http_reply_fini(&r);
    return rc;
}

int
acme_flow_issue(struct acme_flow *f, const char *const *domains, unsigned ndomains,
                enum acme_chal_kind kind, const char *replaces, struct acme_issued *out,
                char *err, size_t errlen)
{
    struct acme_order *o = malloc(sizeof(*o));
    char url[ACME_URL_MAX];
    EVP_PKEY *key = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!o)
        return -ENOMEM;
    if ((rc = flow_directory(f, err, errlen)) < 0 || (rc = flow_account(f, err, errlen)) < 0 ||
        (rc = flow_new_order(f, domains, ndomains, replaces, o, url, err, errlen)) < 0)
        goto out;
    /* Copied out: polling the authorizations does not touch the order. */
    for (unsigned i = 0; i < o->nauthz && rc == 0; i++)
        rc = flow_authorize(f, o->authz[i], kind, err, errlen);
    if (rc < 0)
        goto out;
    if ((rc = flow_get_order(f, url, o, err, errlen)) < 0 ||
        (rc = flow_poll_order(f, url, o, ACME_ST_PENDING, ACME_ST_PENDING, err, errlen)) < 0)
        goto out;
    if (o->status != ACME_ST_READY && o->status != ACME_ST_VALID) {
        snprintf(err, errlen, "order is %s%s%s", acme_reply_status_name(o->status),
                 o->error[0] ? ": " : "", o->error);
        rc = -EPERM;
        goto out;
    }
    if (!(key = acme_jws_key_new())) {
        rc = -ENOMEM;
        goto out;
    }
    if (o->status == ACME_ST_READY &&
        (rc = flow_finalize(f, o, url, domains, ndomains, key, err, errlen)) < 0)
        goto out;
    if ((rc = flow_download(f, o, domains, ndomains, key, out, err, errlen)) < 0)
        goto out;
    if (!(out->key = acme_jws_key_pem(key, &out->key_len))) {
        free(out->chain);
        out->chain = NULL;
        rc = -ENOMEM;
    }
out:
    EVP_PKEY_free(key);
    free(o);
    return rc;
}

int
acme_flow_renewal_info(struct acme_flow *f, const char *ari_id, struct acme_renewal_info *out,
                       char *err, size_t errlen)
{
    struct acme_http_reply r;
    const char *why;
    char url[ACME_URL_MAX + 256];
    int rc;

    if ((rc = flow_directory(f, err, errlen)) < 0)
        return rc;
    if (!f->dir.renewal_info[0] || !ari_id[0])
        return -ENOTSUP;
    size_t n = strlen(f->dir.renewal_info);
    snprintf(url, sizeof(url), "%s%s%s", f->dir.renewal_info,
             n && f->dir.renewal_info[n - 1] == '/' ? "" : "/", ari_id);
    if ((rc = acme_http_request(&f->http, "GET", url, NULL, &r, err, errlen)) < 0)
        return rc;
    f->retry_after_s = acme_reply_retry_after(r.retry_after, (int64_t)time(NULL));
    if (r.status != 200) {
        flow_problem(&r, "renewalInfo", err, errlen);
        rc = -EIO;
    } else if (acme_reply_renewal_info(r.body, r.len, out, &why) < 0) {
        snprintf(err, errlen, "%s", why);
        rc = -EBADMSG;
    }
    acme_http_reply_fini(&r);
    return rc;
}
