/*
 * fuzz/acme_reply.c: the parsers of an ACME CA's replies (directory, order, authorization,
 * problem, renewalInfo) and of Retry-After and RFC 3339 times, on arbitrary bytes: a CA,
 * or whoever sits between us and it with a trusted certificate, controls them. The first
 * byte picks the parser. Properties: no crash; every string comes back NUL-terminated
 * inside its field; counts stay within their arrays; a parsed window ends after it
 * starts; challenge tokens are base64url only (they end up in URL paths).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_terminated(const char *s, size_t n)
{
    if (!memchr(s, '\0', n))
        abort();
}

static void
fuzz_token_ok(const char *t)
{
    for (; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
              *t == '-' || *t == '_'))
            abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct acme_order o;
    static struct acme_authz a;
    struct acme_directory d;
    struct acme_problem p;
    struct acme_renewal_info ri;
    const char *why = NULL;
    const char *s = (const char *)data + 1;
    size_t n = size ? size - 1 : 0;
    int rc;

    if (size == 0)
        return 0;
    switch (data[0] % 6) {
    case 0:
        if ((rc = acme_reply_directory(s, n, &d, &why)) == 0) {
            fuzz_terminated(d.new_nonce, sizeof(d.new_nonce));
            fuzz_terminated(d.renewal_info, sizeof(d.renewal_info));
            if (strncmp(d.new_order, "http", 4) != 0)
                abort();
        }
        break;
    case 1:
        if ((rc = acme_reply_order(s, n, &o, &why)) == 0) {
            if (o.nauthz > ACME_AUTHZ_MAX || o.status == ACME_ST_UNKNOWN)
                abort();
            for (unsigned i = 0; i < o.nauthz; i++)
                fuzz_terminated(o.authz[i], sizeof(o.authz[i]));
            fuzz_terminated(o.error, sizeof(o.error));
            if (o.status == ACME_ST_VALID && !o.certificate[0])
                abort();
        }
        break;
    case 2:
        if ((rc = acme_reply_authz(s, n, &a, &why)) == 0) {
            if (a.nchal > ACME_CHAL_MAX || !a.identifier[0])
                abort();
            for (unsigned i = 0; i < a.nchal; i++) {
                fuzz_terminated(a.chal[i].token, sizeof(a.chal[i].token));
                fuzz_token_ok(a.chal[i].token);
            }
        }
        break;
    case 3:
        if ((rc = acme_reply_problem(s, n, &p, &why)) == 0)
            fuzz_terminated(p.detail, sizeof(p.detail));
        break;
    case 4:
        if ((rc = acme_reply_renewal_info(s, n, &ri, &why)) == 0 &&
            (ri.end_s <= ri.start_s || ri.start_s < 0))
            abort();
        break;
    default: {
        char buf[128];
        size_t k = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
        memcpy(buf, s, k);
        buf[k] = '\0';
        if (acme_reply_time(buf) < -1 || acme_reply_retry_after(buf, 1767225600) < -1)
            abort();
        rc = 0;
        break;
    }
    }
    if (rc != 0 && (rc != -EBADMSG || !why))
        abort();
    return 0;
}
