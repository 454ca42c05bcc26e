/*
 * ctl/ctl_auth.c: what a TCP listener checks before routing: the bearer token, the Host
 * (against DNS rebinding) and the Origin (against web pages). The token comparison takes the
 * same time whatever the presented value holds, so the token cannot be guessed byte by
 * byte from response times. Does not read the environment (ctl.c does, at start).
 */
#include "ctl/internal.h"

#include <string.h>

bool
ctl_auth_bearer_ok(const char *value, size_t len, const char *token)
{
    static const char scheme[] = "Bearer ";
    size_t tlen = strlen(token);
    unsigned char diff = 0;

    if (tlen == 0 || len != sizeof(scheme) - 1 + tlen)
        return false;
    /* The scheme is case-insensitive (RFC 9110 11.1); the token is not. */
    for (size_t i = 0; i < sizeof(scheme) - 1; i++) {
        char c = value[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        char w = scheme[i];
        if (w >= 'A' && w <= 'Z')
            w = (char)(w - 'A' + 'a');
        diff |= (unsigned char)(c ^ w);
    }
    for (size_t i = 0; i < tlen; i++)
        diff |= (unsigned char)(value[sizeof(scheme) - 1 + i] ^ token[i]);
    return diff == 0;
}

const char *
ctl_auth_cred_match(const char *presented, size_t len, const struct ctl_cred *creds, unsigned n)
{
    const char *hit = NULL;

    for (unsigned i = 0; i < n; i++) {
        size_t slen = strlen(creds[i].secret);
        unsigned char diff = slen == len && slen > 0 ? 0 : 1;
        /* Compare as many bytes as the secret has whatever the lengths: no early exit. */
        for (size_t j = 0; j < slen; j++)
            diff |= (unsigned char)(creds[i].secret[j] ^ (j < len ? presented[j] : 0));
        if (diff == 0 && !hit)
            hit = creds[i].name;
    }
    return hit;
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
