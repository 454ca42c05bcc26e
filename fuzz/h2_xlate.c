/*
 * fuzz/h2_xlate.c: the HTTP/2-to-HTTP/1.1 translation (edge/h2xlate.c) on arbitrary
 * frames. The input is the client's bytes after the connection preface, fed to a real
 * nghttp2 server session (so HPACK decoding is nghttp2's) with its own HTTP messaging
 * checks off, so that the translation alone stands between odd header blocks and the
 * targets. Each translated head must be one complete HTTP/1.1 request that the HTTP/1
 * parser reads back with the same method and target, nothing after it (no smuggled second
 * request), and a framing that matches the stream (no body when it ended with the head).
 * A later block on a stream whose head left it open is its trailers: what h2xlate_trailer()
 * keeps must make, after a last chunk, a trailer section the chunked decoder takes whole,
 * with only fields allowed in a trailer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "core/err.h"
#include "edge/h2xlate.h"
#include "http/h1.h"

static struct h1_request req;

struct fz {
    struct h2xlate xl;
    bool open, broken;
    bool trailing;      /* the head of stream `id` was translated; more blocks: trailers */
    int32_t id;
};

static void
fz_check_trailers(struct fz *z)
{
    struct buf sec = { 0 };
    struct h1_chunked c;
    struct slice d, tr = { 0 }, name, value;
    bool done = false;
    const char *why = NULL;

    BUG_ON(buf_append_str(&sec, "0\r\n") < 0);
    if (buf_len(&z->xl.fields))
        BUG_ON(buf_append(&sec, buf_head(&z->xl.fields), buf_len(&z->xl.fields)) < 0);
    BUG_ON(buf_append(&sec, "\r\n", 2) < 0);
    h1_chunked_init(&c, 0);
    ssize_t n = h1_chunked_parse(&c, buf_head(&sec), buf_len(&sec), &d, &done, &why);
    BUG_ON(n != (ssize_t)buf_len(&sec) || !done);
    tr = c.trailer;
    BUG_ON(tr.len != buf_len(&z->xl.fields));
    while (h1_trailer_next(&tr, &name, &value))
        BUG_ON(!h1_trailer_allowed(name));
    BUG_ON(tr.len != 0);
    buf_fini(&sec);
}

static void
fz_check(struct fz *z, bool end_stream)
{
    struct buf out = { 0 };
    bool chunked = false;
    char method[64], target[256];

    snprintf(method, sizeof(method), "%s", z->xl.method ? z->xl.method : "");
    snprintf(target, sizeof(target), "%s",
             z->xl.method && strcmp(z->xl.method, "CONNECT") == 0
                 ? (z->xl.authority ? z->xl.authority : "")
                 : (z->xl.path ? z->xl.path : ""));
    bool fits = z->xl.method && strlen(z->xl.method) < sizeof(method) &&
                strlen(target) < sizeof(target) - 1;
    if (h2xlate_head(&z->xl, end_stream, &out, &chunked) == H2XLATE_OK) {
        struct h1_limits lim = { 8192, 1 << 20, H1_HEADERS_MAX };
        const char *why = "";
        BUG_ON(buf_len(&out) < 4 || memcmp(buf_head(&out) + buf_len(&out) - 4, "\r\n\r\n", 4));
        ssize_t n = h1_parse_request(buf_head(&out), buf_len(&out), &lim, &req, &why);
        BUG_ON(n == -EAGAIN);
        if (n > 0) {
            BUG_ON((size_t)n != buf_len(&out));     /* exactly one request */
            if (fits) {
                BUG_ON(!slice_eq(req.method, slice_make(method, strlen(method))));
                BUG_ON(!slice_eq(req.target, slice_make(target, strlen(target))));
            }
            if (end_stream)
                BUG_ON(req.framing == H1_FRAMING_CHUNKED);
            if (chunked)
                BUG_ON(req.framing != H1_FRAMING_CHUNKED);
        }
    }
    buf_fini(&out);
    h2xlate_fini(&z->xl);
    z->open = false;
}

static int
on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    struct fz *z = user;

    (void)ng;
    if (z->trailing && f->hd.stream_id == z->id) {
        h2xlate_init(&z->xl);
        z->open = true;
        z->broken = false;
        return 0;
    }
    z->trailing = false;
    if (z->open)
        h2xlate_fini(&z->xl);
    h2xlate_init(&z->xl);
    z->open = true;
    z->broken = false;
    z->id = f->hd.stream_id;
    return 0;
}

static int
on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
          const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
    struct fz *z = user;
    struct h2xlate_limits lim = { 65536, 100 };

    (void)ng;
    (void)flags;
    if (!z->open || z->broken || f->hd.stream_id != z->id)
        return 0;
    if ((z->trailing ? h2xlate_trailer(&z->xl, &lim, name, nlen, value, vlen)
                     : h2xlate_add(&z->xl, &lim, name, nlen, value, vlen)) != H2XLATE_OK)
        z->broken = true;
    return 0;
}

static int
on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    struct fz *z = user;

    (void)ng;
    if (f->hd.type == NGHTTP2_HEADERS && z->open && f->hd.stream_id == z->id) {
        bool end = f->hd.flags & NGHTTP2_FLAG_END_STREAM;
        if (z->broken) {
            h2xlate_fini(&z->xl);
            z->open = z->trailing = false;
        } else if (z->trailing) {
            fz_check_trailers(z);
            h2xlate_fini(&z->xl);
            z->open = z->trailing = false;
        } else {
            fz_check(z, end);
            z->trailing = !end;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    static nghttp2_session_callbacks *cb;
    static nghttp2_option *opt;
    struct fz z = { 0 };
    nghttp2_session *ng;

    if (!cb) {
        nghttp2_session_callbacks_new(&cb);
        nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
        nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
        nghttp2_option_new(&opt);
        nghttp2_option_set_no_http_messaging(opt, 1);
        nghttp2_option_set_max_continuations(opt, 8);
    }
    if (nghttp2_session_server_new2(&ng, cb, &z, opt) != 0)
        return 0;
    if (nghttp2_session_mem_recv(ng, (const uint8_t *)preface, 24) == 24)
        nghttp2_session_mem_recv(ng, data, len);
    if (z.open)
        h2xlate_fini(&z.xl);
    nghttp2_session_del(ng);
    return 0;
}
