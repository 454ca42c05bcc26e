/*
 * acme/acme_flow.h: the ACME protocol with one CA (RFC 8555 §7): directory, nonces with
 * badNonce retries, the account, an order with its authorizations and challenges,
 * finalize with a CSR, polling, and the chain's download; and renewalInfo (RFC 9773).
 * Runs on the ACME thread and blocks it (never an edge loop). The challenge answers are
 * published through hooks so the edge can serve them while the CA validates.
 */
#ifndef ACME_ACME_FLOW_H
#define ACME_ACME_FLOW_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "acme/acme_http.h"
#include "acme/acme_reply.h"

enum acme_chal_kind { ACME_HTTP01 = 0, ACME_TLSALPN01 };

struct acme_flow_hooks {
    /* Publishes (add) or withdraws the answer to one challenge: for http-01 the token and
     * its key authorization; for tls-alpn-01 the domain and the key authorization. */
    void (*publish)(void *ctx, enum acme_chal_kind kind, const char *domain,
                    const char *token, const char *key_authz, bool add);
    /* Waits ms; returns -ECANCELED when the client is stopping. */
    int (*sleep)(void *ctx, uint64_t ms);
    void *ctx;
};

struct acme_flow {
    struct acme_http http;
    struct acme_flow_hooks hooks;
    EVP_PKEY *account;          /* borrowed */
    char thumbprint[48];
    char directory_url[ACME_URL_MAX];
    char email[256];            /* "" for none */
    struct acme_directory dir;
    bool have_dir;
    char kid[ACME_URL_MAX];     /* "" until the account is known */
    char nonce[256];
    int64_t retry_after_s;      /* the last reply's Retry-After, -1 when none */
};

/* The issued chain and its key, PEM, malloc'd (the caller frees both). */
struct acme_issued {
    char *chain;
    size_t chain_len;
    char *key;
    size_t key_len;
};

int acme_flow_init(struct acme_flow *f, const char *directory_url, const char *ca_bundle,
                   const char *email, EVP_PKEY *account, const struct acme_flow_hooks *hooks,
                   const atomic_bool *stop);
void acme_flow_fini(struct acme_flow *f);
/* Orders a certificate for domains with challenges of `kind`; `replaces` is the ARI id of
 * the certificate it renews or NULL. Returns 0 and *out, -ECANCELED when stopped, or
 * another negative errno with the reason (the CA's problem detail where it gave one) in
 * err. */
int acme_flow_issue(struct acme_flow *f, const char *const *domains, unsigned ndomains,
                    enum acme_chal_kind kind, const char *replaces, struct acme_issued *out,
                    char *err, size_t errlen);
/* Fetches the suggested renewal window of ari_id. Returns 0 and *out (f->retry_after_s
 * says when to ask again), -ENOTSUP when the CA has no ARI, or -EBADMSG/-EIO with err. */
int acme_flow_renewal_info(struct acme_flow *f, const char *ari_id,
                           struct acme_renewal_info *out, char *err, size_t errlen);

#endif
