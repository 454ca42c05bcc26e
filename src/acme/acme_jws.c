/*
 * acme/acme_jws.c: account keys, JWK, thumbprints and ES256 flattened JWS (see
 * acme_jws.h). Owns nothing beyond what each call returns.
 */
#include "acme/acme_jws.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

char *
acme_jws_b64url(const void *in, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);

    if (!out)
        return NULL;
    int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    /* Standard alphabet to the URL-safe one, padding dropped (RFC 7515 §2). */
    while (len > 0 && out[len - 1] == '=')
        len--;
    out[len] = '\0';
    for (int i = 0; i < len; i++)
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
    return out;
}

EVP_PKEY *
acme_jws_key_new(void)
{
    return EVP_EC_gen("P-256");
}

char *
acme_jws_key_pem(EVP_PKEY *k, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p, *out = NULL;
    long n;

    if (!b)
        return NULL;
    if (PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1 &&
        (n = BIO_get_mem_data(b, &p)) > 0 && (out = malloc((size_t)n + 1))) {
        memcpy(out, p, (size_t)n);
        out[n] = '\0';
        *len = (size_t)n;
    }
    BIO_free(b);
    return out;
}

EVP_PKEY *
acme_jws_key_read(const char *pem, size_t n)
{
    BIO *b = BIO_new_mem_buf(pem, (int)n);
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    if (k && !EVP_PKEY_is_a(k, "EC")) {
        EVP_PKEY_free(k);
        return NULL;
    }
    return k;
}

/* x and y of a P-256 public key, 32 bytes each; 0 or -1. */
static int
jws_point(EVP_PKEY *k, unsigned char x[32], unsigned char y[32])
{
    unsigned char pt[65];
    size_t n = 0;

    if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt),
                                        &n) != 1 || n != 65 || pt[0] != 4)
        return -1;
    memcpy(x, pt + 1, 32);
    memcpy(y, pt + 33, 32);
    return 0;
}

char *
acme_jws_jwk(EVP_PKEY *k)
{
    unsigned char x[32], y[32];
    char *bx, *by, *out = NULL;

    if (jws_point(k, x, y) < 0)
        return NULL;
    bx = acme_jws_b64url(x, 32);
    by = acme_jws_b64url(y, 32);
    if (bx && by && asprintf(&out, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                             bx, by) < 0)
        out = NULL;
    free(bx);
    free(by);
    return out;
}

int
acme_jws_thumbprint(EVP_PKEY *k, char out[48])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    char *jwk = acme_jws_jwk(k), *b;

    if (!jwk)
        return -EINVAL;
    SHA256((const unsigned char *)jwk, strlen(jwk), md);
    free(jwk);
    if (!(b = acme_jws_b64url(md, sizeof(md))))
        return -EINVAL;
    snprintf(out, 48, "%s", b);
    free(b);
    return 0;
}

/* ES256 of msg as JWS wants it: r || s, 32 bytes each (RFC 7518 §3.4), base64url. */
static char *
jws_es256(EVP_PKEY *k, const char *msg)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[80], raw[64];
    const unsigned char *p = der;
    size_t n = sizeof(der);
    ECDSA_SIG *sig = NULL;
    char *out = NULL;

    if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
        EVP_DigestSign(md, der, &n, (const unsigned char *)msg, strlen(msg)) == 1 &&
        (sig = d2i_ECDSA_SIG(NULL, &p, (long)n)) &&
        BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32) == 32 &&
        BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32) == 32)
        out = acme_jws_b64url(raw, sizeof(raw));
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(md);
    return out;
}

char *
acme_jws_sign(EVP_PKEY *k, const char *kid, const char *nonce, const char *url,
              const char *payload)
{
    json_t *prot = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "nonce", nonce, "url", url);
    char *ptext = NULL, *p64 = NULL, *b64 = NULL, *input = NULL, *sig = NULL, *out = NULL;

    if (!prot)
        return NULL;
    if (kid) {
        json_object_set_new(prot, "kid", json_string(kid));
    } else {
        char *jwk = acme_jws_jwk(k);
        json_t *j = jwk ? json_loads(jwk, 0, NULL) : NULL;
        free(jwk);
        if (!j)
            goto out;
        json_object_set_new(prot, "jwk", j);
    }
    if (!(ptext = json_dumps(prot, JSON_COMPACT)) ||
        !(p64 = acme_jws_b64url(ptext, strlen(ptext))) ||
        !(b64 = acme_jws_b64url(payload, strlen(payload))) ||
        asprintf(&input, "%s.%s", p64, b64) < 0) {
        input = NULL;
        goto out;
    }
    if (!(sig = jws_es256(k, input)))
        goto out;
    json_t *jws = json_pack("{s:s, s:s, s:s}", "protected", p64, "payload", b64, "signature",
                            sig);
    if (jws) {
        out = json_dumps(jws, JSON_COMPACT);
        json_decref(jws);
    }
out:
    json_decref(prot);
    free(ptext);
    free(p64);
    free(b64);
    free(input);
    free(sig);
    return out;
}
