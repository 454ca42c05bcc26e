/*
 * fuzz/fcgi_response.c: what a FastCGI application sends back, on arbitrary bytes: the
 * record headers (as uproto_fcgi.c walks them), END_REQUEST's content, and the CGI head
 * parsed from the STDOUT content gathered. Checks consumed <= len, slices inside the
 * gathered bytes, a status in 200..599 (a CGI head is never interim), and that a HEAD
 * request is framed the same except that it never has a body.
 */
#include "http/fcgi.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"

static struct h1_response resp, head;
static char out[1 << 17];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    size_t at = 0, n = 0;
    const char *why = NULL;

    while (at < len) {
        struct fcgi_header h;
        ssize_t k = fcgi_header_parse(data + at, len - at, 1, &h, &why);
        if (k < 0) {
            BUG_ON(k != -EAGAIN && k != -EBADMSG);
            BUG_ON(k == -EBADMSG && !why);
            break;
        }
        BUG_ON(k != FCGI_HEADER_LEN);
        size_t rest = len - at - FCGI_HEADER_LEN;
        size_t have = rest < h.content_len ? rest : h.content_len;
        if (h.type == FCGI_STDOUT && n + have <= sizeof(out)) {
            memcpy(out + n, data + at + FCGI_HEADER_LEN, have);
            n += have;
        }
        if (h.type == FCGI_END_REQUEST && have == 8) {
            uint32_t app;
            int rc = fcgi_end_parse(data + at + FCGI_HEADER_LEN, &app, &why);
            BUG_ON(rc != 0 && rc != -EBADMSG);
            break;
        }
        at += FCGI_HEADER_LEN + (size_t)h.content_len + h.padding_len;
    }

    ssize_t r = fcgi_cgi_head_parse(out, n, NULL, false, &resp, &why);
    ssize_t q = fcgi_cgi_head_parse(out, n, NULL, true, &head, &why);
    BUG_ON(r != q);
    if (r <= 0) {
        BUG_ON(r != -EAGAIN && r != -EBADMSG);
        return 0;
    }
    BUG_ON((size_t)r > n || resp.head_len != (size_t)r);
    BUG_ON(resp.status < 200 || resp.status > 599);
    BUG_ON(!slice_inside(resp.reason, out, n));
    for (unsigned i = 0; i < resp.nheaders; i++) {
        BUG_ON(!slice_inside(resp.headers[i].name, out, n));
        BUG_ON(!slice_inside(resp.headers[i].value, out, n));
    }
    BUG_ON(head.framing != H1_FRAMING_NONE);
    BUG_ON(resp.framing == H1_FRAMING_CHUNKED);
    return 0;
}
