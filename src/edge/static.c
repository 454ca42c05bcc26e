/*
 * edge/static.c: the static-file action. Maps a request path to a file under the
 * configured root (never outside it), decides the response as nginx's static, index and
 * gzip_static modules would (conditionals, one byte range, precompressed siblings) and
 * writes the response head into the caller's buffer. Owns nothing past the call: the
 * caller takes the open file in static_reply.fd; staticfs.c opens files and keeps the
 * roots open. Does not send bytes and does not log; docs/internals/static.md has the
 * rules and the comparison with nginx.
 */
#include "edge/static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hex.h"
#include "edge/forward.h"
#include "edge/staticfs.h"
#include "http/h1_cond.h"
#include "http/h1_date.h"
#include "http/h1_list.h"
#include "http/h1_range.h"

#define STATIC_ETAG_MAX 40          /* quotes, two 16-digit hex numbers, '-' */
#define STATIC_HEAD_MAX_BYTES 1024  /* a success head is at most ~600 bytes */

/* ---- path --------------------------------------------------------------------------- */

/* Decoding cannot create a '/' (an encoded one is refused), so segment boundaries are the
 * same before and after decoding: "%2e%2e" is a ".." segment, as in nginx. */
int
static_path_normalise(const char *path, size_t len, char *out, size_t outlen)
{
    size_t o = 0;

    if (len == 0 || path[0] != '/' || outlen == 0)
        return -EINVAL;
    for (size_t i = 1; i <= len; i++) {
        size_t seg = o;

        for (; i < len && path[i] != '/'; i++) {
            unsigned char c = (unsigned char)path[i];
            if (c == '%') {
                int hi = i + 2 < len ? hex_digit(path[i + 1]) : -1;
                int lo = hi >= 0 ? hex_digit(path[i + 2]) : -1;
                if (lo < 0)
                    return -EINVAL;
                c = (unsigned char)(hi << 4 | lo);
                if (c == '/' || c == '\\')
                    return -EINVAL;     /* encoded slashes: refused, not decoded */
                i += 2;
            }
            if (c == '\0')
                return -EINVAL;
            if (o + 1 >= outlen)
                return -ENAMETOOLONG;
            out[o++] = (char)c;
        }
        /* path[i] is '/' or the end. RFC 3986 §5.2.4 on one segment: out[0..seg) is
         * empty or ends with '/', so dropping a segment keeps a directory form. */
        size_t n = o - seg;
        if (n == 0)
            continue;                   /* "//" or the trailing slash */
        if (n == 1 && out[seg] == '.') {
            o = seg;
            continue;
        }
        if (n == 2 && out[seg] == '.' && out[seg + 1] == '.') {
            if (seg == 0)
                return -EACCES;         /* would climb above the root */
            o = seg - 1;
            while (o > 0 && out[o - 1] != '/')
                o--;
            continue;
        }
        if (i < len) {
            if (o + 1 >= outlen)
                return -ENAMETOOLONG;
            out[o++] = '/';
        }
    }
    out[o] = '\0';
    return 0;
}

/* ---- media types -------------------------------------------------------------------- */

struct mime {
    const char *ext;
    const char *type;
};

/* The common web types, as /etc/nginx/mime.types names them where it has them. Text
 * types carry a charset (nginx adds one only with its charset directive). */
static const struct mime mime_table[] = {
    { "html", "text/html; charset=utf-8" },
    { "htm", "text/html; charset=utf-8" },
    { "css", "text/css; charset=utf-8" },
    { "js", "application/javascript; charset=utf-8" },
    { "mjs", "application/javascript; charset=utf-8" },
    { "json", "application/json; charset=utf-8" },
    { "txt", "text/plain; charset=utf-8" },
    { "xml", "text/xml; charset=utf-8" },
    { "svg", "image/svg+xml; charset=utf-8" },
    { "csv", "text/csv; charset=utf-8" },
    { "md", "text/markdown; charset=utf-8" },
    { "png", "image/png" },
    { "jpg", "image/jpeg" },
    { "jpeg", "image/jpeg" },
    { "gif", "image/gif" },
    { "webp", "image/webp" },
    { "avif", "image/avif" },
    { "ico", "image/x-icon" },
    { "woff", "font/woff" },
    { "woff2", "font/woff2" },
    { "ttf", "font/ttf" },
    { "otf", "font/otf" },
    { "pdf", "application/pdf" },
    { "wasm", "application/wasm" },
    { "mp4", "video/mp4" },
    { "webm", "video/webm" },
    { "mp3", "audio/mpeg" },
    { "ogg", "audio/ogg" },
    { "zip", "application/zip" },
    { "gz", "application/gzip" },
    { "tar", "application/x-tar" },
    { "map", "application/json" },
};

/* The extension is what follows the last '.' of the last component, compared without
 * case (nginx lower-cases it too): "A.HTML" is HTML, ".hidden" has extension "hidden". */
const char *
static_mime_type(const char *name)
{
    const char *dot = NULL;

    for (const char *p = name; *p; p++) {
        if (*p == '/')
            dot = NULL;
        else if (*p == '.')
            dot = p;
    }
    if (dot) {
        struct slice ext = slice_make(dot + 1, strlen(dot + 1));
        for (size_t i = 0; i < sizeof(mime_table) / sizeof(mime_table[0]); i++)
            if (slice_eq_lit_nocase(ext, mime_table[i].ext))
                return mime_table[i].type;
    }
    return "application/octet-stream";
}

/* ---- request fields ----------------------------------------------------------------- */

static bool
is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* True when some Accept-Encoding line accepts `coding` with a non-zero q. "*" is not
 * taken as acceptance, nor "x-gzip": nginx's gzip_static looks for the token only. */
static bool
accepts_coding(const struct h1_request *r, const char *coding)
{
    for (unsigned i = 0; i < r->nheaders; i++) {
        if (!slice_eq_lit_nocase(r->headers[i].name, "Accept-Encoding"))
            continue;
        struct slice v = r->headers[i].value, e;
        size_t pos = 0;
        while (h1_list_next(v, &pos, &e)) {
            size_t n = 0;
            while (n < e.len && e.p[n] != ';' && !is_ows(e.p[n]))
                n++;
            if (!slice_eq_lit_nocase(slice_make(e.p, n), coding))
                continue;
            /* Parameters: only q matters; q=0, 0., 0.0, 0.00 or 0.000 refuses. */
            bool refused = false;
            for (size_t j = n; j < e.len;) {
                while (j < e.len && (is_ows(e.p[j]) || e.p[j] == ';'))
                    j++;
                if (j + 1 < e.len && (e.p[j] == 'q' || e.p[j] == 'Q') && e.p[j + 1] == '=') {
                    j += 2;
                    refused = j < e.len && e.p[j] == '0';
                    if (refused && ++j < e.len && e.p[j] == '.')
                        for (j++; j < e.len && e.p[j] == '0'; j++)
                            ;
                    if (j < e.len && e.p[j] >= '0' && e.p[j] <= '9')
                        refused = false;
                }
                while (j < e.len && e.p[j] != ';')
                    j++;
            }
            if (!refused)
                return true;
        }
    }
    return false;
}

/* nginx's mapping of open errors (ngx_http_static_handler). */
static int
status_of_errno(int rc)
{
    switch (rc) {
    case -ENOENT:
    case -ENOTDIR:
    case -ENAMETOOLONG:
        return 404;
    case -EACCES:
    case -EPERM:
    case -ELOOP:
    case -EXDEV:                        /* a symlink leading outside the root */
        return 403;
    default:
        return 500;
    }
}

/* ---- responses ---------------------------------------------------------------------- */

static void
put_date(struct buf *b, const char *name, int64_t t)
{
    char d[H1_DATE_LEN];

    h1_date_format(t, d);
    buf_append_str(b, name);
    buf_append(b, d, sizeof(d));
    buf_append(b, "\r\n", 2);
}

/* An error or redirect with forward_local_response()'s page; `extra` (header lines, may
 * be NULL) is consumed. A HEAD response keeps Content-Length and drops the page. */
static int
reply_local(struct buf *head, int status, bool is_head, int64_t now_s, struct buf *extra,
            struct static_reply *out)
{
    struct buf tmp = { 0 };
    struct buf *ex = extra ? extra : &tmp;
    size_t before = buf_len(head);
    int rc;

    put_date(ex, "Date: ", now_s);
    rc = buf_append(ex, "", 1);
    if (rc == 0)
        rc = forward_local_response(head, status, out->close, buf_head(ex));
    buf_consume(ex, buf_len(ex));
    buf_release(ex);
    if (rc < 0)
        return rc;
    if (is_head) {
        const char *p = buf_head(head) + before;
        const char *e = memmem(p, buf_len(head) - before, "\r\n\r\n", 4);
        if (e)
            head->wpos = (uint32_t)(e + 4 - head->data);
    }
    out->status = status;
    return 0;
}

/* nginx's escaping of a path for Location (NGX_ESCAPE_URI). */
static bool
uri_must_escape(unsigned char c)
{
    return c <= 0x20 || c >= 0x7f || strchr("\"#%<>?\\^`{|}", c) != NULL;
}

/* 301 to the directory with a slash: "http://<Host>/<path>/?<query>" as nginx writes it
 * (absolute_redirect); relative when the request had no Host. nginx puts its listening
 * port in place of the Host field's port; we keep the Host field as the client sent it. */
static int
reply_redirect(struct buf *head, const struct h1_request *r, const char *rel, bool is_head,
               int64_t now_s, uint64_t max_age_s, bool with_cc, struct static_reply *out)
{
    static const char hex[] = "0123456789ABCDEF";
    struct buf ex = { 0 };

    buf_append_str(&ex, "Location: ");
    if (r->host.len) {
        buf_append_str(&ex, "http://");
        buf_append(&ex, r->host.p, r->host.len);
    }
    buf_append(&ex, "/", 1);
    for (const unsigned char *p = (const unsigned char *)rel; *p; p++) {
        if (uri_must_escape(*p)) {
            char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
            buf_append(&ex, e, 3);
        } else {
            buf_append(&ex, p, 1);
        }
    }
    buf_append(&ex, "/", 1);
    if (r->query.len) {
        buf_append(&ex, "?", 1);
        buf_append(&ex, r->query.p, r->query.len);
    }
    buf_append(&ex, "\r\n", 2);
    if (with_cc) {
        buf_append_str(&ex, "Cache-Control: max-age=");
        buf_append_u64(&ex, max_age_s);
        buf_append(&ex, "\r\n", 2);
    }
    return reply_local(head, 301, is_head, now_s, &ex, out);
}

static char *
put_hex(char *p, uint64_t v)
{
    char tmp[16];
    int n = 0;

    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* nginx's ETag: "<mtime hex>-<size hex>". */
static void
etag_format(const struct stat *st, char *out)
{
    char *p = out;

    *p++ = '"';
    p = put_hex(p, (uint64_t)st->st_mtime);
    *p++ = '-';
    p = put_hex(p, (uint64_t)st->st_size);
    *p++ = '"';
    *p = '\0';
}

/* Looks for <path>.br and <path>.gz (path has room for 3 more bytes). Sets *vary when one
 * exists; when the client accepts its coding, takes it: *fd and *st become the sibling's
 * (the original fd is closed) and *coding names it. HTTP/1.0 clients get no coding, as
 * with nginx's gzip_http_version 1.1. */
static void
precompressed_pick(struct staticfs_root *e, int rootfd, const struct h1_request *r, char *path,
                   size_t n, int *fd, struct stat *st, const char **coding, bool *vary)
{
    static const char *const names[2] = { "br", "gzip" };
    static const char *const exts[2] = { ".br", ".gz" };
    uint64_t h = staticfs_path_hash(path);
    uint64_t *slot = &e->nosib[h % STATICFS_NOSIB_SLOTS];
    int absent = 0;

    if (*slot == h)
        return;                         /* neither exists (checked this second) */
    for (int i = 0; i < 2 && !*coding; i++) {
        bool want = r->version_minor >= 1 && accepts_coding(r, names[i]);
        if (!want && *vary)
            continue;
        memcpy(path + n, exts[i], 4);
        int sfd = staticfs_open(e->root, rootfd, path, want ? O_RDONLY | O_NONBLOCK : O_PATH);
        struct stat sst;
        if (sfd == -ENOENT)
            absent++;
        if (sfd < 0)
            continue;
        if (fstat(sfd, &sst) == 0 && S_ISREG(sst.st_mode)) {
            *vary = true;
            if (want) {
                close(*fd);
                *fd = sfd;
                *st = sst;
                *coding = names[i];
                break;
            }
        }
        close(sfd);
    }
    path[n] = '\0';
    if (absent == 2)
        *slot = h;
}

int
static_serve(const struct edge_static_conf *conf, const struct h1_request *r,
             bool keep_alive, int64_t now_s, struct buf *head, struct static_reply *out)
{
    char rel[PATH_MAX];
    const char *index = conf->index && *conf->index ? conf->index : "index.html";
    const char *name, *coding = NULL;
    char etag[STATIC_ETAG_MAX];
    bool is_head = slice_eq(r->method, SLICE_LIT("HEAD"));
    bool vary = false, with_cc = conf->cache_max_age_ms > 0;
    uint64_t max_age_s = conf->cache_max_age_ms / 1000;
    struct stat st;
    struct staticfs_root *e;
    int rootfd, fd, rc, status;

    *out = (struct static_reply){ .fd = -1, .close = !keep_alive };
    if (!is_head && !slice_eq(r->method, SLICE_LIT("GET"))) {
        struct buf ex = { 0 };
        buf_append_str(&ex, "Allow: GET, HEAD\r\n");
        return reply_local(head, 405, false, now_s, &ex, out);
    }
    rc = static_path_normalise(r->path.p, r->path.len, rel, sizeof(rel) - 4);
    if (rc == -ENAMETOOLONG)
        return reply_local(head, 404, is_head, now_s, NULL, out);
    if (rc < 0)                         /* nginx: 400 for a bad escape and for climbing */
        return reply_local(head, 400, is_head, now_s, NULL, out);
    e = staticfs_root_get(conf, now_s, &rc);
    if (!e)
        return reply_local(head, status_of_errno(rc), is_head, now_s, NULL, out);
    /* The entry's fd is borrowed; a seccomp filter may have taken openat2 away since. */
    rootfd = atomic_load_explicit(&staticfs_openat2_state, memory_order_relaxed) < 0 ? -1 : e->fd;

    size_t n = strlen(rel);
    if (n == 0 || rel[n - 1] == '/') {
        /* A directory: its index, never a listing. */
        fd = staticfs_open(e->root, rootfd, rel, O_PATH | O_DIRECTORY);
        if (fd < 0)
            goto fail_open;
        close(fd);
        size_t il = strlen(index);
        if (n + il + 4 > sizeof(rel)) {
            fd = -ENAMETOOLONG;
            goto fail_open;
        }
        memcpy(rel + n, index, il + 1);
        n += il;
        fd = staticfs_open(e->root, rootfd, rel, O_RDONLY | O_NONBLOCK);
        if (fd == -ENOENT)
            fd = -EACCES;               /* no index: 403, as nginx */
        if (fd < 0)
            goto fail_open;
        name = index;
    } else {
        /* O_NONBLOCK: opening a fifo must not wait for a writer. */
        fd = staticfs_open(e->root, rootfd, rel, O_RDONLY | O_NONBLOCK);
        if (fd < 0)
            goto fail_open;
        name = rel;
    }
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        close(fd);
        fd = rc;
        goto fail_open;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        if (name == index)              /* the index itself is a directory */
            return reply_local(head, 403, is_head, now_s, NULL, out);
        return reply_redirect(head, r, rel, is_head, now_s, max_age_s, with_cc, out);
    }
    if (!S_ISREG(st.st_mode)) {
        /* Devices, fifos, sockets: nginx answers 404 ("not a regular file"). */
        close(fd);
        fd = -ENOENT;
        goto fail_open;
    }
    precompressed_pick(e, rootfd, r, rel, n, &fd, &st, &coding, &vary);

    etag_format(&st, etag);
    status = h1_cond_check(r, etag, st.st_mtime);
    if (status == 412) {
        close(fd);
        return reply_local(head, 412, is_head, now_s, NULL, out);
    }

    uint64_t size = (uint64_t)st.st_size, start = 0, len = size;
    struct slice v;
    if (status == 0) {
        status = 200;
        /* nginx's gzip_static turns ranges off for precompressed replies; so do we. */
        if (!coding && h1_request_field_get(r, "Range", &v)) {
            struct slice ir;
            if (!h1_request_field_get(r, "If-Range", &ir) || h1_cond_if_range(ir, etag, st.st_mtime)) {
                uint64_t s = 0, l = 0;
                switch (h1_range_parse(v, size, &s, &l)) {
                case H1_RANGE_ONE:
                    status = 206;
                    start = s;
                    len = l;
                    break;
                case H1_RANGE_NONE: {
                    struct buf ex = { 0 };
                    close(fd);
                    buf_append_str(&ex, "Content-Range: bytes */");
                    buf_append_u64(&ex, size);
                    buf_append(&ex, "\r\n", 2);
                    if (with_cc) {      /* nginx's expires reaches 416 too */
                        buf_append_str(&ex, "Cache-Control: max-age=");
                        buf_append_u64(&ex, max_age_s);
                        buf_append(&ex, "\r\n", 2);
                    }
                    return reply_local(head, 416, is_head, now_s, &ex, out);
                }
                case H1_RANGE_WHOLE:
                    break;
                }
            }
        }
    }

    if (buf_reserve(head, STATIC_HEAD_MAX_BYTES) < 0) {
        close(fd);
        return -ENOMEM;
    }
    buf_append_str(head, "HTTP/1.1 ");
    buf_append_u64(head, (uint64_t)status);
    buf_append(head, " ", 1);
    buf_append_str(head, h1_reason(status));
    buf_append_str(head, "\r\nServer: tierd\r\n");
    put_date(head, "Date: ", now_s);
    if (status != 304) {
        buf_append_str(head, "Content-Type: ");
        buf_append_str(head, static_mime_type(name));
        buf_append_str(head, "\r\nContent-Length: ");
        buf_append_u64(head, len);
        buf_append(head, "\r\n", 2);
    }
    put_date(head, "Last-Modified: ", st.st_mtime);
    if (!keep_alive)
        buf_append_str(head, "Connection: close\r\n");
    else if (r->version_minor == 0)
        buf_append_str(head, "Connection: keep-alive\r\n");
    buf_append_str(head, "ETag: ");
    buf_append_str(head, etag);
    buf_append(head, "\r\n", 2);
    if (status == 206) {
        buf_append_str(head, "Content-Range: bytes ");
        buf_append_u64(head, start);
        buf_append(head, "-", 1);
        buf_append_u64(head, start + len - 1);
        buf_append(head, "/", 1);
        buf_append_u64(head, size);
        buf_append(head, "\r\n", 2);
    }
    if (coding && status != 304) {
        buf_append_str(head, "Content-Encoding: ");
        buf_append_str(head, coding);
        buf_append(head, "\r\n", 2);
    }
    if (vary)
        buf_append_str(head, "Vary: Accept-Encoding\r\n");
    if (with_cc) {
        buf_append_str(head, "Cache-Control: max-age=");
        buf_append_u64(head, max_age_s);
        buf_append(head, "\r\n", 2);
    }
    if (status == 200 && !coding)       /* nginx leaves it out of 206 and precompressed */
        buf_append_str(head, "Accept-Ranges: bytes\r\n");
    buf_append(head, "\r\n", 2);

    out->status = status;
    if (status == 304 || is_head || len == 0) {
        close(fd);
        return 0;
    }
    out->fd = fd;
    out->offset = (off_t)start;
    out->length = len;
    return 0;

fail_open:
    return reply_local(head, status_of_errno(fd), is_head, now_s, NULL, out);
}
