/*
 * ctl/ctl_auth.c: what a TCP listener checks before routing: the bearer token, the Host
 * (against DNS rebinding) and the Origin (against web pages). The token comparison takes the
 * same time whatever the presented value holds, so the token cannot be guessed byte by
 * byte from response times. Does not read the environment (ctl.c does, at start).
 */
#include "ctl/internal.h"

#include <string.h>

bool
ctl_auth_equal(const char *presented, size_t len, const char *secret)
{
    size_t slen = strlen(secret);
    unsigned char diff = slen == len && slen > 0 ? 0 : 1;

    /* As many steps as the secret has bytes, whatever was presented: no early exit. */
    for (size_t j = 0; j < slen; j++)
        diff |= (unsigned char)(secret[j] ^ (j < len ? presented[j] : 0));
    return diff == 0;
}

const char *
ctl_auth_cred_match(const char *presented, size_t len, const struct ctl_cred *creds, unsigned n)
{
    const char *hit = NULL;

    for (unsigned i = 0; i < n; i++)
        if (ctl_auth_equal(presented, len, creds[i].secret) && !hit)
            hit = creds[i].name;
    return hit;
}

const char *
ctl_auth_bearer_who(const char *value, size_t len, const struct ctl_cred *creds, unsigned n)
{
    static const char scheme[] = "bearer ";
    const size_t k = sizeof(scheme) - 1;

    if (len <= k)
        return NULL;
    /* The scheme is case-insensitive (RFC 9110 11.1); the token is not. */
    for (size_t i = 0; i < k; i++) {
        char c = value[i];
        if ((c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c) != scheme[i])
            return NULL;
    }
    return ctl_auth_cred_match(value + k, len - k, creds, n);
}

bool
ctl_auth_bearer_ok(const char *value, size_t len, const char *token)
{
    const struct ctl_cred one = { "", token };

    return ctl_auth_bearer_who(value, len, &one, 1) != NULL;
}

static bool
eq_nocase(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

bool
ctl_auth_host_ok(const char *value, size_t len, const char *own)
{
    size_t olen = strlen(own);

    if (eq_nocase(value, len, own, olen))
        return true;
    /* RFC 9110 7.2: the port may be left out when it is the scheme's default. */
    return olen > 3 && strcmp(own + olen - 3, ":80") == 0 &&
           eq_nocase(value, len, own, olen - 3);
}

bool
ctl_auth_origin_ok(const char *value, size_t len, const char *const *origins, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (eq_nocase(value, len, origins[i], strlen(origins[i])))
            return true;
    return false;
}
