/*
 * acme/acme_x509.h: the X.509 pieces of ACME, all through OpenSSL: the CSR sent at
 * finalize (RFC 8555 §7.4), the self-signed tls-alpn-01 validation certificate with its
 * acmeIdentifier extension (RFC 8737 §3), and what we need to know about an issued
 * chain (validity, the ARI certificate identifier of RFC 9773 §4.1).
 */
#ifndef ACME_ACME_X509_H
#define ACME_ACME_X509_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct acme_cert_info {
    int64_t not_before_s;
    int64_t not_after_s;
    char ari_id[200];           /* base64url(AKI keyIdentifier) "." base64url(serial); "" if
                                   the certificate has no AKI */
};

/* A DER CSR for domains (the first is also the subject CN) signed by key, as base64url.
 * Returns a new malloc'd string, or NULL. */
char *acme_x509_csr(EVP_PKEY *key, const char *const *domains, unsigned n);
/* A self-signed certificate for domain whose critical acmeIdentifier extension holds
 * SHA-256(key_authz), with a new P-256 key. Returns 0 and two new references, or -ENOMEM. */
int acme_x509_alpn_cert(const char *domain, const char *key_authz, X509 **cert,
                        EVP_PKEY **key);
/* Reads the leaf (first) certificate of a PEM chain of n bytes. Returns 0, or -EBADMSG
 * when it holds no certificate. */
int acme_x509_info(const char *pem, size_t n, struct acme_cert_info *out);
/* Whether the leaf of the PEM chain is for key and names every one of domains. */
bool acme_x509_chain_fits(const char *pem, size_t n, EVP_PKEY *key, const char *const *domains,
                          unsigned ndomains);

#endif
