/*
 * acme/acme_x509.c: CSRs, tls-alpn-01 certificates and issued-chain facts (see
 * acme_x509.h). OpenSSL builds and parses; this file only says what goes in.
 */
#include "acme/acme_x509.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "acme/acme_jws.h"

/* "DNS:a,DNS:b" for a subjectAltName; NULL when too long. */
static char *
x509_san(const char *const *domains, unsigned n)
{
    size_t len = 1;
    char *s, *p;

    for (unsigned i = 0; i < n; i++)
        len += strlen(domains[i]) + 5;
    if (!(s = p = malloc(len)))
        return NULL;
    *p = '\0';
    for (unsigned i = 0; i < n; i++)
        p += sprintf(p, "%sDNS:%s", i ? "," : "", domains[i]);
    return s;
}

char *
acme_x509_csr(EVP_PKEY *key, const char *const *domains, unsigned n)
{
    X509_REQ *req = X509_REQ_new();
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *ext = NULL;
    X509_NAME *name;
    unsigned char *der = NULL;
    char *san = x509_san(domains, n), *out = NULL;
    int len;

    if (!req || !exts || !san || n == 0)
        goto out;
    name = X509_REQ_get_subject_name(req);
    if (X509_REQ_set_version(req, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)domains[0],
                                   -1, -1, 0) != 1 ||
        !(ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san)) ||
        !sk_X509_EXTENSION_push(exts, ext))
        goto out;
    ext = NULL;
    if (X509_REQ_add_extensions(req, exts) != 1 || X509_REQ_set_pubkey(req, key) != 1 ||
        X509_REQ_sign(req, key, EVP_sha256()) <= 0 || (len = i2d_X509_REQ(req, &der)) <= 0)
        goto out;
    out = acme_jws_b64url(der, (size_t)len);
out:
    OPENSSL_free(der);
    X509_EXTENSION_free(ext);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(req);
    free(san);
    return out;
}

int
acme_x509_alpn_cert(const char *domain, const char *key_authz, X509 **certp, EVP_PKEY **keyp)
{
    unsigned char md[SHA256_DIGEST_LENGTH], inner[2 + SHA256_DIGEST_LENGTH], serial[16];
    EVP_PKEY *key = acme_jws_key_new();
    X509 *x = X509_new();
    ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);     /* id-pe-acmeIdentifier */
    ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext = NULL, *san = NULL;
    BIGNUM *bn = NULL;
    char *sanv = NULL;
    int rc = -ENOMEM;

    if (!key || !x || !oid || !val || asprintf(&sanv, "DNS:%s", domain) < 0) {
        sanv = NULL;
        goto out;
    }
    /* The extension's value is the DER of an OCTET STRING of the 32-byte digest. */
    SHA256((const unsigned char *)key_authz, strlen(key_authz), md);
    inner[0] = V_ASN1_OCTET_STRING;
    inner[1] = SHA256_DIGEST_LENGTH;
    memcpy(inner + 2, md, sizeof(md));
    if (RAND_bytes(serial, sizeof(serial)) != 1)
        goto out;
    serial[0] &= 0x7f;
    X509_NAME *name = X509_get_subject_name(x);
    if (ASN1_OCTET_STRING_set(val, inner, sizeof(inner)) != 1 ||
        !(ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 1, val)) ||
        !(san = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, sanv)) ||
        X509_set_version(x, 2) != 1 || !(bn = BN_bin2bn(serial, sizeof(serial), NULL)) ||
        !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 7 * 86400) ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)domain, -1,
                                   -1, 0) != 1 ||
        X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1 ||
        X509_add_ext(x, san, -1) != 1 || X509_add_ext(x, ext, -1) != 1 ||
        X509_sign(x, key, EVP_sha256()) <= 0)
        goto out;
    *certp = x;
    *keyp = key;
    x = NULL;
    key = NULL;
    rc = 0;
out:
    BN_free(bn);
    free(sanv);
    X509_EXTENSION_free(ext);
    X509_EXTENSION_free(san);
    ASN1_OCTET_STRING_free(val);
    ASN1_OBJECT_free(oid);
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

static X509 *
x509_leaf(const char *pem, size_t n)
{
    BIO *b = BIO_new_mem_buf(pem, (int)n);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    return x;
}

static int64_t
x509_time(const ASN1_TIME *t)
{
    struct tm tm;

    if (ASN1_TIME_to_tm(t, &tm) != 1)
        return -1;
    return (int64_t)timegm(&tm);
}

int
acme_x509_info(const char *pem, size_t n, struct acme_cert_info *out)
{
    X509 *x = x509_leaf(pem, n);
    AUTHORITY_KEYID *aki;

    memset(out, 0, sizeof(*out));
    if (!x)
        return -EBADMSG;
    out->not_before_s = x509_time(X509_get0_notBefore(x));
    out->not_after_s = x509_time(X509_get0_notAfter(x));
    aki = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
    if (aki && aki->keyid) {
        const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
        char *a = acme_jws_b64url(ASN1_STRING_get0_data(aki->keyid),
                                  (size_t)ASN1_STRING_length(aki->keyid));
        /* The serial's DER content octets, sign byte included (RFC 9773 §4.1). */
        unsigned char *der = NULL;
        int dl = i2d_ASN1_INTEGER((ASN1_INTEGER *)sn, &der);
        char *s = dl > 2 ? acme_jws_b64url(der + 2, (size_t)dl - 2) : NULL;
        if (a && s && dl < 128)
            snprintf(out->ari_id, sizeof(out->ari_id), "%s.%s", a, s);
        free(a);
        free(s);
        OPENSSL_free(der);
    }
    AUTHORITY_KEYID_free(aki);
    X509_free(x);
    return out->not_before_s < 0 || out->not_after_s < 0 ? -EBADMSG : 0;
}

bool
acme_x509_chain_fits(const char *pem, size_t n, EVP_PKEY *key, const char *const *domains,
                     unsigned ndomains)
{
    X509 *x = x509_leaf(pem, n);
    bool ok = x && X509_check_private_key(x, key) == 1;

    for (unsigned i = 0; ok && i < ndomains; i++)
        ok = X509_check_host(x, domains[i], 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
    X509_free(x);
    return ok;
}
