/*
 * ctl/ctl_auth.c: bearer-token checking for the TCP listener. The comparison takes the
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
