/*
 * edge/tls_cert.h: certificates as files and names (tls_cert.c): reading a certificate and
 * its key and holding one to the other, the names a certificate covers (RFC 6125 matching),
 * and picking the certificate group for a server name. No SSL_CTX here (tls.c).
 */
#ifndef EDGE_TLS_CERT_H
#define EDGE_TLS_CERT_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum tls_key_type { TLS_KEY_OTHER = 0, TLS_KEY_EC, TLS_KEY_RSA };

/* What a certificate says about itself. Owns names. */
struct tls_cert_info {
    enum tls_key_type key_type;
    time_t not_before, not_after;
    unsigned nnames;
    char **names;               /* DNS names of subjectAltName, lower case (else the CN) */
};

/* Reads the PEM certificate at cert and the PEM key at key. 0 and *info filled; or
 * -ENOENT/-EACCES/-EBADMSG (the certificate) or -EKEYREJECTED (the key is unreadable or
 * does not match) with a sentence in why. */
int tls_cert_inspect(const char *cert, const char *key, struct tls_cert_info *info,
                     char *why, size_t whylen);
void tls_cert_info_fini(struct tls_cert_info *info);
/* RFC 6125 §6.4: pattern "*.example.com" covers exactly one more label on the left. */
bool tls_cert_name_match(const char *pattern, const char *host);
bool tls_cert_covers(const struct tls_cert_info *info, const char *host);
bool tls_cert_same_names(const struct tls_cert_info *a, const struct tls_cert_info *b);
/* The index among infos[0..n) of the first certificate covering host (an exact name
 * before a wildcard one); 0 (the default) when host is NULL or none covers it. */
unsigned tls_cert_pick(const struct tls_cert_info *infos, unsigned n, const char *host);
/* 0 when OpenSSL accepts list as a TLS 1.2 cipher list (suites13: a 1.3 suite list) and
 * it keeps at least one cipher; else -EINVAL with why. */
int tls_cert_cipher_list_ok(const char *list, bool suites13, char *why, size_t whylen);

#endif
