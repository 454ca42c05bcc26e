/*
 * edge/tls_cert.c: certificate files and the names they cover (tls_cert.h): reads a PEM
 * certificate and key with OpenSSL, holds the key to the certificate, reports dates, key
 * type and DNS names, matches names as RFC 6125 says, and picks which certificate answers
 * a server name. Pure apart from reading the two files; owns nothing past its calls.
 */
#include "edge/tls_cert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/mem.h"

#define TLS_CERT_FILE_MAX_BYTES (1 << 20)

static void
tls_cert_add_name(struct tls_cert_info *info, const unsigned char *s, int len)
{
    if (len <= 0 || len > 253 || memchr(s, 0, (size_t)len))
        return;
    char *n = mem_alloc_or_exit((size_t)len + 1);
    for (int i = 0; i < len; i++)
        n[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
    n[len] = '\0';
    info->names = realloc(info->names, (info->nnames + 1) * sizeof(*info->names));
    if (!info->names)
        mem_alloc_or_exit(SIZE_MAX);    /* exits with the message */
    info->names[info->nnames++] = n;
}

static void
tls_cert_read_names(struct tls_cert_info *info, X509 *x)
{
    GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);

    if (sans) {
        for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
            const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
            if (g->type == GEN_DNS)
                tls_cert_add_name(info, ASN1_STRING_get0_data(g->d.dNSName),
                                  ASN1_STRING_length(g->d.dNSName));
        }
        GENERAL_NAMES_free(sans);
        if (info->nnames)
            return;
    }
    /* No DNS subjectAltName: clients fall back to the common name (RFC 6125 §6.4.4). */
    X509_NAME *subj = X509_get_subject_name(x);
    int i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
    if (i >= 0) {
        ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
        tls_cert_add_name(info, ASN1_STRING_get0_data(cn), ASN1_STRING_length(cn));
    }
}

static time_t
tls_cert_time(const ASN1_TIME *t)
{
    struct tm tm;

    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    return timegm(&tm);
}

static const char *
tls_cert_errstr(void)
{
    static __thread char buf[160];
    unsigned long e = ERR_get_error();

    ERR_clear_error();
    if (!e)
        return "no detail";
    ERR_error_string_n(e, buf, sizeof(buf));
    return buf;
}

/* Certificates and keys are small regular files: anything else (a FIFO, a device, a
 * directory, a huge file) is refused before it is read, so nothing blocks or runs long. */
static int
tls_cert_file_ok(const char *path, const char *what, char *why, size_t whylen)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        int rc = -errno;
        snprintf(why, whylen, "cannot read %s %.200s: %s; check the path and that tierd may "
                 "read it", what, path, strerror(errno));
        return rc;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > TLS_CERT_FILE_MAX_BYTES) {
        snprintf(why, whylen, "%s %.200s is not a PEM file (%s); give the file itself", what,
                 path, S_ISREG(st.st_mode) ? "larger than 1 MiB" : "not a regular file");
        return -EBADMSG;
    }
    return 0;
}

int
tls_cert_inspect(const char *cert, const char *key, struct tls_cert_info *info, char *why,
                 size_t whylen)
{
    FILE *f;
    X509 *x = NULL;
    EVP_PKEY *pk = NULL;
    int rc = 0;

    memset(info, 0, sizeof(*info));
    ERR_clear_error();
    if ((rc = tls_cert_file_ok(cert, "certificate", why, whylen)) < 0)
        return rc;
    if (tls_cert_file_ok(key, "key", why, whylen) < 0)
        return -EKEYREJECTED;
    if (!(f = fopen(cert, "r"))) {
        rc = -errno;
        snprintf(why, whylen, "cannot read certificate %.200s: %s; check the path and that "
                 "tierd may read it", cert, strerror(errno));
        return rc;
    }
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x) {
        snprintf(why, whylen, "%.200s holds no PEM certificate (%s); give the file that starts "
                 "with -----BEGIN CERTIFICATE-----", cert, tls_cert_errstr());
        return -EBADMSG;
    }
    if (!(f = fopen(key, "r"))) {
        snprintf(why, whylen, "cannot read key %.200s: %s; check the path and that tierd may "
                 "read it", key, strerror(errno));
        rc = -EKEYREJECTED;
        goto out;
    }
    pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!pk) {
        snprintf(why, whylen, "%.200s holds no PEM private key (%s); give an unencrypted key "
                 "file that starts with -----BEGIN PRIVATE KEY-----", key, tls_cert_errstr());
        rc = -EKEYREJECTED;
        goto out;
    }
    if (X509_check_private_key(x, pk) != 1) {
        ERR_clear_error();
        snprintf(why, whylen, "key %.200s does not match certificate %.200s; give the key the "
                 "certificate was made for", key, cert);
        rc = -EKEYREJECTED;
        goto out;
    }
    info->key_type = EVP_PKEY_base_id(pk) == EVP_PKEY_EC ? TLS_KEY_EC :
                     EVP_PKEY_base_id(pk) == EVP_PKEY_RSA ? TLS_KEY_RSA : TLS_KEY_OTHER;
    info->not_before = tls_cert_time(X509_get0_notBefore(x));
    info->not_after = tls_cert_time(X509_get0_notAfter(x));
    tls_cert_read_names(info, x);
out:
    EVP_PKEY_free(pk);
    X509_free(x);
    return rc;
}

void
tls_cert_info_fini(struct tls_cert_info *info)
{
    for (unsigned i = 0; i < info->nnames; i++)
        free(info->names[i]);
    free(info->names);
    memset(info, 0, sizeof(*info));
}

bool
tls_cert_name_match(const char *pattern, const char *host)
{
    if (!pattern || !host || !*host)
        return false;
    size_t hl = strlen(host);
    if (host[hl - 1] == '.')        /* an absolute name: compare without the root */
        hl--;
    if (strncmp(pattern, "*.", 2) != 0)
        return strlen(pattern) == hl && strncasecmp(pattern, host, hl) == 0;
    /* The wildcard stands for exactly one whole label, never empty, never a dot. */
    const char *dot = memchr(host, '.', hl);
    if (!dot || dot == host)
        return false;
    size_t rest = hl - (size_t)(dot - host);
    return strlen(pattern + 1) == rest && strncasecmp(pattern + 1, dot, rest) == 0;
}

bool
tls_cert_covers(const struct tls_cert_info *info, const char *host)
{
    for (unsigned i = 0; i < info->nnames; i++)
        if (tls_cert_name_match(info->names[i], host))
            return true;
    return false;
}

bool
tls_cert_same_names(const struct tls_cert_info *a, const struct tls_cert_info *b)
{
    if (a->nnames != b->nnames)
        return false;
    for (unsigned i = 0; i < a->nnames; i++) {
        bool found = false;
        for (unsigned j = 0; j < b->nnames && !found; j++)
            found = strcmp(a->names[i], b->names[j]) == 0;
        if (!found)
            return false;
    }
    return true;
}

unsigned
tls_cert_pick(const struct tls_cert_info *infos, unsigned n, const char *host)
{
    int wild = -1;

    if (!host)
        return 0;
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < infos[i].nnames; j++) {
            const char *p = infos[i].names[j];
            if (!tls_cert_name_match(p, host))
                continue;
            if (p[0] != '*')
                return i;
            if (wild < 0)
                wild = (int)i;
        }
    return wild >= 0 ? (unsigned)wild : 0;
}

int
tls_cert_cipher_list_ok(const char *list, bool suites13, char *why, size_t whylen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    int ok;

    if (!ctx) {
        snprintf(why, whylen, "OpenSSL cannot make a context: %s", tls_cert_errstr());
        return -ENOMEM;
    }
    ERR_clear_error();
    ok = suites13 ? SSL_CTX_set_ciphersuites(ctx, list) : SSL_CTX_set_cipher_list(ctx, list);
    SSL_CTX_free(ctx);
    if (ok == 1)
        return 0;
    ERR_clear_error();
    snprintf(why, whylen, "OpenSSL accepts no cipher in \"%.120s\"; write a list like \"%s\" "
             "(see `openssl ciphers -v%s`)", list,
             suites13 ? "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384" :
                        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
             suites13 ? " -tls1_3" : "");
    return -EINVAL;
}
