/*
 * fuzz/h1_response.c: the response-head parser on arbitrary bytes (apps are untrusted).
 * Checks consumed <= len, head_len == return value, slices inside the input, that the
 * head alone parses the same, and that a response to HEAD is framed the same way except
 * that it never has a body.
 */
#include "http/h1.h"

#include <errno.h>
#include <stdint.h>

#include "core/err.h"

static struct h1_response resp, head;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    const char *p = (const char *)data;
    const char *why = NULL;
    ssize_t n = h1_parse_response(p, len, NULL, false, &resp, &why);
    ssize_t h = h1_parse_response(p, len, NULL, true, &head, &why);

    BUG_ON(n != h);
    if (n == -EBADMSG)
        BUG_ON(why == NULL);
    if (n <= 0) {
        BUG_ON(n != -EAGAIN && n != -EBADMSG);
        return 0;
    }
    BUG_ON((size_t)n > len || resp.head_len != (size_t)n);
    BUG_ON(resp.status < 100 || resp.status > 599);
    BUG_ON(!slice_inside(resp.reason, data, len));
    BUG_ON(resp.nheaders > H1_HEADERS_MAX);
    for (unsigned i = 0; i < resp.nheaders; i++) {
        BUG_ON(!slice_inside(resp.headers[i].name, data, len));
        BUG_ON(!slice_inside(resp.headers[i].value, data, len));
    }
    BUG_ON(head.framing != H1_FRAMING_NONE);
    BUG_ON(resp.framing == H1_FRAMING_CLOSE && resp.keep_alive);
    BUG_ON((resp.status < 200 || resp.status == 204 || resp.status == 304) &&
           resp.framing != H1_FRAMING_NONE);
    BUG_ON(h1_parse_response(p, (size_t)n, NULL, false, &head, &why) != n);
    return 0;
}
