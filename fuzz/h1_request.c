/*
 * fuzz/h1_request.c: the request-head parser on arbitrary bytes. Checks that what it
 * accepts is self-consistent: consumed <= len, head_len == return value, every slice
 * inside the input, a refused head carries a status, a prefix of an accepted head is only
 * incomplete, and tighter limits never accept what default limits refuse. The incremental
 * prefix check agrees with the parser: it finds the same end of an accepted head, never
 * refuses what the parser would still wait for, refuses only what the parser refuses, and
 * gives the same answer whether fed at once or in pieces.
 */
#include "http/h1.h"

#include <errno.h>
#include <stdint.h>

#include "core/err.h"

static struct h1_request req, small;

static void
check_inside(const struct h1_request *r, const uint8_t *data, size_t len)
{
    BUG_ON(!slice_inside(r->method, data, len) || r->method.len == 0);
    BUG_ON(!slice_inside(r->target, data, len) || r->target.len == 0);
    BUG_ON(!slice_inside(r->query, data, len));
    BUG_ON(!slice_inside(r->host, data, len));
    /* an absolute-form target without a path gets a static "/" (or "*" for OPTIONS) */
    BUG_ON(!slice_inside(r->path, data, len) &&
           !(r->absolute_form && r->path.len == 1 && (r->path.p[0] == '/' ||
                                                      r->path.p[0] == '*')));
    BUG_ON(r->nheaders > H1_HEADERS_MAX);
    for (unsigned i = 0; i < r->nheaders; i++) {
        BUG_ON(!slice_inside(r->headers[i].name, data, len) || r->headers[i].name.len == 0);
        BUG_ON(!slice_inside(r->headers[i].value, data, len));
    }
}

/* The prefix check on p[0..len), fed in pieces whose sizes come from the input itself. */
static ssize_t
prefix_in_pieces(const char *p, size_t len, int *status)
{
    struct h1_request_prefix s;
    const char *why = NULL;
    ssize_t rc = -EAGAIN;
    size_t k = 0;

    h1_request_prefix_init(&s);
    while (k < len) {
        k += 1 + (unsigned char)p[k] % 13;
        if (k > len)
            k = len;
        rc = h1_request_prefix_check(&s, p, k, NULL, status, &why);
        if (rc == -EBADMSG)
            BUG_ON(why == NULL);
        if (rc != -EAGAIN)
            break;
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    const char *p = (const char *)data;
    const char *why = NULL;
    ssize_t n = h1_parse_request(p, len, NULL, &req, &why);

    if (n > 0) {
        BUG_ON((size_t)n > len || req.head_len != (size_t)n);
        BUG_ON(req.version_minor != 0 && req.version_minor != 1);
        BUG_ON(req.framing == H1_FRAMING_CLOSE);
        BUG_ON(req.version_minor == 1 && req.host.len == 0 && !req.absolute_form);
        check_inside(&req, data, len);
        /* the head alone parses the same; any shorter prefix is merely incomplete */
        BUG_ON(h1_parse_request(p, (size_t)n, NULL, &small, &why) != n);
        size_t k = (size_t)data[len / 2] * (size_t)n / 256;
        BUG_ON(h1_parse_request(p, k, NULL, &small, &why) != -EAGAIN);
    } else if (n == -EBADMSG) {
        BUG_ON(why == NULL);
        int s = req.error_status;
        BUG_ON(s != 400 && s != 405 && s != 414 && s != 417 && s != 431 && s != 501 &&
               s != 505);
    } else {
        BUG_ON(n != -EAGAIN);
    }

    struct h1_request_prefix pfx;
    int pst = 0, pst2 = 0;
    h1_request_prefix_init(&pfx);
    ssize_t pn = h1_request_prefix_check(&pfx, p, len, NULL, &pst, &why);
    BUG_ON(prefix_in_pieces(p, len, &pst2) != pn || (pn == -EBADMSG && pst2 != pst));
    if (n > 0)
        BUG_ON(pn != n);                /* the same end of the head */
    if (n == -EAGAIN)
        BUG_ON(pn != -EAGAIN);          /* never refuses what may still become valid */
    if (pn == -EBADMSG) {
        BUG_ON(n != -EBADMSG);          /* refuses only what the parser refuses */
        BUG_ON(pst != 400 && pst != 405 && pst != 414 && pst != 431 && pst != 505);
    }
    if (pn > 0)
        BUG_ON(n == -EAGAIN);           /* a head it saw end is judged by the parser */

    struct h1_limits lim = { .line_max_bytes = 48, .head_max_bytes = 200, .headers_max = 4 };
    ssize_t m = h1_parse_request(p, len, &lim, &small, &why);
    if (m > 0) {
        BUG_ON(m != n);
        check_inside(&small, data, len);
    }
    /* the same agreement where the limits (414, 431) are within reach */
    h1_request_prefix_init(&pfx);
    pn = h1_request_prefix_check(&pfx, p, len, &lim, &pst, &why);
    if (m > 0)
        BUG_ON(pn != m);
    if (m == -EAGAIN)
        BUG_ON(pn != -EAGAIN);
    if (pn == -EBADMSG)
        BUG_ON(m != -EBADMSG);
    return 0;
}
