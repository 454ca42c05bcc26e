/*
 * acme/acme_jws.h: the account key and the JSON Web Signatures ACME requests carry
 * (RFC 8555 §6.2, RFC 7515/7517/7638): ES256 over P-256, base64url without padding, the
 * JWK thumbprint of the key authorization. OpenSSL does the cryptography; this file only
 * lays out the bytes the RFCs ask for.
 */
#ifndef ACME_ACME_JWS_H
#define ACME_ACME_JWS_H
#include <stddef.h>

#include <openssl/evp.h>

/* Returns a new malloc'd base64url (no padding) of n bytes; NULL when out of memory. */
char *acme_jws_b64url(const void *in, size_t n);
/* A new ECDSA P-256 key, or NULL. */
EVP_PKEY *acme_jws_key_new(void);
/* The key as PEM (PKCS#8), malloc'd with its length in *len; NULL on failure. */
char *acme_jws_key_pem(EVP_PKEY *k, size_t *len);
/* Reads a PEM private key of n bytes; NULL when it is not one. */
EVP_PKEY *acme_jws_key_read(const char *pem, size_t n);
/* The public JWK in the member order RFC 7638 hashes: {"crv","kty","x","y"}. malloc'd. */
char *acme_jws_jwk(EVP_PKEY *k);
/* The RFC 7638 thumbprint (base64url SHA-256 of the JWK); 0 or -EINVAL. */
int acme_jws_thumbprint(EVP_PKEY *k, char out[48]);
/* A flattened JWS (RFC 7515 §7.2.2) of payload for url with nonce: protected header with
 * "kid" when kid is not NULL, else with the "jwk". payload "" is POST-as-GET. Returns a
 * new malloc'd JSON text, or NULL. */
char *acme_jws_sign(EVP_PKEY *k, const char *kid, const char *nonce, const char *url,
                    const char *payload);

#endif
