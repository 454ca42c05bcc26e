/*
 * acme/acme.h: automatic certificates (RFC 8555), the facade for daemon/. One ACME
 * thread issues what is missing at start, renews at two thirds of the lifetime or when
 * the CA's renewalInfo (RFC 9773) says, and retries failures with backoff; it never
 * touches an edge loop. Certificates and the account key live in state_dir/acme/,
 * written atomically, mode 0600:
 *
 *   state_dir/acme/account.key            the account's P-256 key, reused across runs
 *   state_dir/acme/<name>/cert.pem        the chain as the CA sent it (leaf first)
 *   state_dir/acme/<name>/key.pem         the certificate's P-256 key
 *
 * where <name> is the first domain. A renewed certificate replaces the files only once it
 * is complete; until then the old one keeps serving. After each install the `installed`
 * callback tells the TLS layer to reload.
 *
 * While the CA validates, the edge answers challenges from this object: the port-80
 * listener calls acme_http01_answer() for /.well-known/acme-challenge/TOKEN before its
 * rules, and the TLS layer asks acme_alpn_cert() when a client offers ALPN acme-tls/1.
 * Both are thread-safe (edge workers are threads).
 */
#ifndef ACME_ACME_H
#define ACME_ACME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acme/acme_flow.h"

#define ACME_DEFAULT_DIRECTORY "https://acme-v02.api.letsencrypt.org/directory"
#define ACME_DOMAINS_MAX 100
#define ACME_PATH_MAX 1400

/* One certificate to keep: what an acme: block of a listener asks for. */
struct acme_cert_conf {
    char *listener;             /* for messages */
    char *domains[ACME_DOMAINS_MAX];
    unsigned ndomains;
    char *email;                /* NULL: no contact */
    char *directory;            /* NULL: ACME_DEFAULT_DIRECTORY */
    char *ca_bundle;            /* NULL: the system's trust store */
    enum acme_chal_kind challenge;
};

struct acme_conf {
    unsigned n;
    struct acme_cert_conf *certs;
};

/* Called on the ACME thread after a new certificate for `name` is on disk, under the
 * client's lock: it must only hand the news to another thread (a loop_wake). */
typedef void (*acme_installed_fn)(void *ctx, const char *name, const char *cert_path,
                                  const char *key_path);

/* A certificate as `tierd certs` shows it; strings valid during the callback only. */
struct acme_cert_view {
    const char *name;
    const char *listener;
    const char *domains;        /* comma-separated */
    const char *challenge;      /* "http-01" or "tls-alpn-01" */
    const char *state;          /* "missing", "issuing", "valid", "renewing", "failed" */
    const char *cert_path;
    bool has_cert;
    int64_t not_before_s, not_after_s;
    int64_t next_renewal_s;     /* when the next attempt or renewal is due */
    bool ari;                   /* the renewal time comes from the CA's renewalInfo */
    unsigned failures;          /* consecutive */
    const char *last_error;     /* "" when the last attempt succeeded */
    int64_t last_success_s;     /* 0 when none since start */
};
typedef void (*acme_cert_fn)(void *ctx, const struct acme_cert_view *v);

/* Copies the file paths of certificate `name` into cert and key (ACME_PATH_MAX each). */
void acme_cert_paths(const char *state_dir, const char *name, char *cert, char *key);
/* The name of c's certificate: its first domain, with anything but [A-Za-z0-9.-]
 * replaced by '_' (a wildcard "*.shop.example" becomes "_.shop.example"). */
void acme_cert_name(const struct acme_cert_conf *c, char *out, size_t outlen);
void acme_conf_free(struct acme_conf *c);
/* Whether state_dir holds a usable certificate for domains (the first names it): both
 * files there, the chain's leaf for the key, naming the first domain (a certificate
 * ordered before a reload added names still serves those it has), not expired at now_s.
 * Fills cert and key (ACME_PATH_MAX each) either way. For the TLS layer's list of
 * certificates; reads files, so not for an edge loop. */
bool acme_cert_ready(const char *state_dir, char *const *domains, unsigned ndomains,
                     int64_t now_s, char *cert, char *key);

/* Returns a new client keeping its state in state_dir/acme, or NULL with a message in err.
 * Nothing is written until a certificate is configured: then the thread creates the
 * directory and the account key when missing. */
struct acme *acme_new(const char *state_dir, char *err, size_t errlen);
void acme_set_installed(struct acme *a, acme_installed_fn fn, void *ctx);
/* Replaces the certificates to keep (takes ownership of conf's contents and zeroes it).
 * A certificate whose name and domains stay keeps its schedule. Thread-safe. */
void acme_apply(struct acme *a, struct acme_conf *conf);
/* Starts and stops the ACME thread; stop aborts a transfer in progress. */
int acme_start(struct acme *a);
void acme_stop(struct acme *a);
void acme_free(struct acme *a);

/* The key authorization for http-01 token (copied into out, NUL-terminated), or false
 * when no challenge with that token is being validated. Thread-safe, never blocks on the
 * network. */
bool acme_http01_answer(struct acme *a, const char *token, char *out, size_t outlen);
/* The tls-alpn-01 validation certificate for servername: true and two new references
 * (the caller frees them), or false when none is being validated. Thread-safe. */
bool acme_alpn_cert(struct acme *a, const char *servername, X509 **cert, EVP_PKEY **key);
/* Calls fn for every certificate, in configuration order, under the lock (fn must not
 * call back into acme). Thread-safe. */
void acme_visit(struct acme *a, acme_cert_fn fn, void *ctx);

#endif
