/* tests/unit/acme/acme_crypto_test.c: JWS, CSR, tls-alpn-01 certificates and the state
 * files, checked with OpenSSL's own verifiers rather than against our own output. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "acme/acme_jws.h"
#include "acme/acme_store.h"
#include "acme/acme_x509.h"
#include "check.h"

/* base64url back to bytes (the test's own decoder, through OpenSSL's base64). */
static size_t
unb64url(const char *s, unsigned char *out)
{
    char tmp[2048];
    size_t n = strlen(s), i;

    for (i = 0; i < n; i++)
        tmp[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    while (i % 4)
        tmp[i++] = '=';
    tmp[i] = '\0';
    int len = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)i);
    return (size_t)len - (n % 4 == 2 ? 2 : n % 4 == 3 ? 1 : 0);
}

TEST(acme_jws_signature_verifies_with_the_account_key)
{
    EVP_PKEY *k = acme_jws_key_new();
    char *jws = acme_jws_sign(k, NULL, "nonce-1", "https://ca.test/new-acct", "{\"a\":1}");
    json_t *j = json_loads(jws, 0, NULL);
    const char *prot = json_string_value(json_object_get(j, "protected"));
    const char *pay = json_string_value(json_object_get(j, "payload"));
    const char *sig = json_string_value(json_object_get(j, "signature"));
    unsigned char raw[128], hdr[1024];

    EXPECT_TRUE(prot && pay && sig);
    EXPECT_EQ(unb64url(sig, raw), 64);
    size_t hn = unb64url(prot, hdr);
    json_t *h = json_loadb((char *)hdr, hn, 0, NULL);
    EXPECT_STREQ(json_string_value(json_object_get(h, "alg")), "ES256");
    EXPECT_STREQ(json_string_value(json_object_get(h, "nonce")), "nonce-1");
    EXPECT_STREQ(json_string_value(json_object_get(json_object_get(h, "jwk"), "crv")), "P-256");
    EXPECT_TRUE(json_object_get(h, "kid") == NULL);

    /* r||s back to DER, verified by OpenSSL over "protected.payload". */
    ECDSA_SIG *es = ECDSA_SIG_new();
    ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
    unsigned char *der = NULL;
    int dl = i2d_ECDSA_SIG(es, &der);
    char input[2048];
    snprintf(input, sizeof(input), "%s.%s", prot, pay);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EXPECT_EQ(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k), 1);
    EXPECT_EQ(EVP_DigestVerify(md, der, (size_t)dl, (unsigned char *)input, strlen(input)), 1);
    input[0] ^= 1;
    EXPECT_TRUE(EVP_DigestVerify(md, der, (size_t)dl, (unsigned char *)input, strlen(input)) != 1);

    char *kidjws = acme_jws_sign(k, "https://ca.test/acct/1", "n2", "https://ca.test/x", "");
    json_t *j2 = json_loads(kidjws, 0, NULL);
    EXPECT_STREQ(json_string_value(json_object_get(j2, "payload")), "");  /* POST-as-GET */

    char tp[48];
    EXPECT_EQ(acme_jws_thumbprint(k, tp), 0);
    EXPECT_EQ(strlen(tp), 43);                      /* 32 bytes, base64url, no padding */
    size_t pn;
    char *pem = acme_jws_key_pem(k, &pn);
    EVP_PKEY *k2 = acme_jws_key_read(pem, pn);
    char tp2[48];
    EXPECT_EQ(acme_jws_thumbprint(k2, tp2), 0);
    EXPECT_STREQ(tp, tp2);

    OPENSSL_free(der);
    EVP_MD_CTX_free(md);
    ECDSA_SIG_free(es);
    json_decref(h);
    json_decref(j);
    json_decref(j2);
    free(jws);
    free(kidjws);
    free(pem);
    EVP_PKEY_free(k);
    EVP_PKEY_free(k2);
}

TEST(acme_x509_alpn_certificate_carries_the_key_authorization_digest)
{
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    unsigned char md[32];
    const char *ka = "token123.thumbprint456";

    EXPECT_EQ(acme_x509_alpn_cert("shop.test", ka, &x, &k), 0);
    EXPECT_EQ(X509_check_host(x, "shop.test", 0, 0, NULL), 1);
    EXPECT_EQ(X509_check_private_key(x, k), 1);
    ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
    int i = X509_get_ext_by_OBJ(x, oid, -1);
    EXPECT_TRUE(i >= 0);
    X509_EXTENSION *e = X509_get_ext(x, i);
    EXPECT_EQ(X509_EXTENSION_get_critical(e), 1);
    ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(e);
    const unsigned char *p = ASN1_STRING_get0_data(v);
    EXPECT_EQ(ASN1_STRING_length(v), 34);
    EXPECT_EQ(p[0], 0x04);
    EXPECT_EQ(p[1], 32);
    SHA256((const unsigned char *)ka, strlen(ka), md);
    EXPECT_EQ(memcmp(p + 2, md, 32), 0);
    ASN1_OBJECT_free(oid);
    X509_free(x);
    EVP_PKEY_free(k);
}

TEST(acme_x509_csr_names_every_domain)
{
    EVP_PKEY *k = acme_jws_key_new();
    const char *const d[] = { "shop.test", "www.shop.test" };
    char *b = acme_x509_csr(k, d, 2);
    unsigned char der[4096];
    size_t n = unb64url(b, der);
    const unsigned char *p = der;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)n);

    EXPECT_TRUE(req != NULL);
    EXPECT_EQ(X509_REQ_verify(req, k), 1);
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *san = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
    EXPECT_EQ(sk_GENERAL_NAME_num(san), 2);
    GENERAL_NAME *g = sk_GENERAL_NAME_value(san, 1);
    EXPECT_STREQ((const char *)ASN1_STRING_get0_data(g->d.dNSName), "www.shop.test");
    GENERAL_NAMES_free(san);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(req);
    free(b);
    EVP_PKEY_free(k);
}

TEST(acme_store_writes_private_files_atomically)
{
    char dir[] = "/tmp/acme_store_XXXXXX", sub[128], path[160];
    struct stat st;
    char *b;
    size_t n;

    EXPECT_TRUE(mkdtemp(dir) != NULL);
    snprintf(sub, sizeof(sub), "%s/acme/shop.test", dir);
    EXPECT_EQ(acme_store_mkdir(sub), 0);
    EXPECT_EQ(stat(sub, &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/key.pem", sub);
    umask(0);                                       /* a careless umask changes nothing */
    EXPECT_EQ(acme_store_write(path, "old", 3), 0);
    EXPECT_EQ(acme_store_write(path, "new-key", 7), 0);
    umask(022);
    EXPECT_EQ(stat(path, &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600);
    EXPECT_EQ(acme_store_read(path, 100, &b, &n), 0);
    EXPECT_EQ(n, 7);
    EXPECT_STREQ(b, "new-key");
    free(b);
    EXPECT_EQ(acme_store_read(path, 3, &b, &n), -EFBIG);
    snprintf(path, sizeof(path), "%s/none", sub);
    EXPECT_EQ(acme_store_read(path, 100, &b, &n), -ENOENT);
    /* No temporary file left behind. */
    snprintf(path, sizeof(path), "rm -r %s", dir);
    EXPECT_EQ(system(path), 0);
}

/* RFC 9773 §4.1's example: keyIdentifier 69:88:5B:..:D4 and serial 0x0087654321 give
 * "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE". */
TEST(acme_x509_ari_id_matches_the_rfc_example)
{
    static const unsigned char keyid[] = { 0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40,
                                           0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0,
                                           0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4 };
    EVP_PKEY *k = acme_jws_key_new();
    X509 *x = X509_new();
    AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
    BIGNUM *bn = NULL;
    struct acme_cert_info info;

    aki->keyid = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(aki->keyid, keyid, sizeof(keyid));
    BN_hex2bn(&bn, "87654321");
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, k);
    X509_add1_ext_i2d(x, NID_authority_key_identifier, aki, 0, X509V3_ADD_DEFAULT);
    X509_sign(x, k, EVP_sha256());
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    char *pem;
    long n = BIO_get_mem_data(b, &pem);
    EXPECT_EQ(acme_x509_info(pem, (size_t)n, &info), 0);
    EXPECT_STREQ(info.ari_id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    EXPECT_EQ(info.not_after_s - info.not_before_s, 86400);
    BIO_free(b);
    BN_free(bn);
    AUTHORITY_KEYID_free(aki);
    X509_free(x);
    EVP_PKEY_free(k);
}
