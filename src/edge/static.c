/*
 * edge/static.c: the static-file action. Maps a request path to a file under the
 * configured root (never outside it), decides the response as nginx's static, index and
 * gzip_static modules would (conditionals, one byte range, precompressed siblings) and
 * writes the response head into the caller's buffer. Owns nothing past the call: the
 * caller takes the open file in static_reply.fd. Does not send bytes and does not log;
 * docs/internals/static.md has the rules and the comparison with nginx.
 */
#include "edge/static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/hex.h"
#include "edge/internal.h"

#define STATIC_DATE_LEN 29          /* "Sun, 06 Nov 1994 08:49:37 GMT" */
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

/* ---- dates -------------------------------------------------------------------------- */

static const char month_names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
static const char day_names[] = "ThuFriSatSunMonTueWed";     /* day 0 was a Thursday */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms);
 * pure arithmetic, so no gmtime_r/timegm and no time zone. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void
put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
}

/* Writes the IMF-fixdate of t (Unix seconds, 1970..9999) into out[0..29). */
static void
date_format(int64_t t, char *out)
{
    if (t < 0)
        t = 0;
    int64_t days = t / 86400;
    unsigned secs = (unsigned)(t % 86400);
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    unsigned y = (unsigned)(yoe + era * 400 + (m <= 2));

    memcpy(out, day_names + (days % 7) * 3, 3);
    memcpy(out + 3, ", ", 2);
    put2(out + 5, d);
    out[7] = ' ';
    memcpy(out + 8, month_names + (m - 1) * 3, 3);
    out[11] = ' ';
    put2(out + 12, y / 100);
    put2(out + 14, y % 100);
    out[16] = ' ';
    put2(out + 17, secs / 3600);
    out[19] = ':';
    put2(out + 20, secs / 60 % 60);
    out[22] = ':';
    put2(out + 23, secs % 60);
    memcpy(out + 25, " GMT", 4);
}

/* Reads exactly n digits at *p. */
static int
digits(const char **p, const char *end, unsigned n, unsigned *v)
{
    *v = 0;
    for (unsigned i = 0; i < n; i++, (*p)++) {
        if (*p >= end || **p < '0' || **p > '9')
            return -1;
        *v = *v * 10 + (unsigned)(**p - '0');
    }
    return 0;
}

static int
month_parse(const char **p, const char *end, unsigned *m)
{
    if (end - *p < 3)
        return -1;
    for (unsigned i = 0; i < 12; i++)
        if (memcmp(*p, month_names + i * 3, 3) == 0) {
            *m = i + 1;
            *p += 3;
            return 0;
        }
    return -1;
}

static bool
lit(const char **p, const char *end, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
        return false;
    *p += n;
    return true;
}

/* Parses an HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, and the obsolete RFC 850 and
 * asctime forms recipients must accept. Returns Unix seconds, or -1 if invalid. */
static int64_t
date_parse(struct slice s)
{
    const char *p = s.p, *end = s.p + s.len;
    unsigned d, m, y, hh, mm, ss;

    while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
        p++;                            /* the day name, not checked (nor by nginx) */
    if (lit(&p, end, ", ")) {
        if (digits(&p, end, 2, &d) < 0)
            return -1;
        if (lit(&p, end, " ")) {        /* IMF-fixdate: 06 Nov 1994 */
            if (month_parse(&p, end, &m) < 0 || !lit(&p, end, " ") ||
                digits(&p, end, 4, &y) < 0)
                return -1;
        } else if (lit(&p, end, "-")) { /* RFC 850: 06-Nov-94 */
            if (month_parse(&p, end, &m) < 0 || !lit(&p, end, "-") ||
                digits(&p, end, 2, &y) < 0)
                return -1;
            y += y < 70 ? 2000 : 1900;
        } else {
            return -1;
        }
        if (!lit(&p, end, " ") || digits(&p, end, 2, &hh) < 0 || !lit(&p, end, ":") ||
            digits(&p, end, 2, &mm) < 0 || !lit(&p, end, ":") || digits(&p, end, 2, &ss) < 0 ||
            !lit(&p, end, " GMT") || p != end)
            return -1;
    } else if (lit(&p, end, " ")) {     /* asctime: Nov  6 08:49:37 1994 */
        if (month_parse(&p, end, &m) < 0 || !lit(&p, end, " "))
            return -1;
        if (lit(&p, end, " ")) {
            if (digits(&p, end, 1, &d) < 0)
                return -1;
        } else if (digits(&p, end, 2, &d) < 0) {
            return -1;
        }
        if (!lit(&p, end, " ") || digits(&p, end, 2, &hh) < 0 || !lit(&p, end, ":") ||
            digits(&p, end, 2, &mm) < 0 || !lit(&p, end, ":") || digits(&p, end, 2, &ss) < 0 ||
            !lit(&p, end, " ") || digits(&p, end, 4, &y) < 0 || p != end)
            return -1;
    } else {
        return -1;
    }
    static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    if (d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap) || hh > 23 || mm > 59 ||
        ss > 60 || y < 1970)
        return -1;
    return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
}

/* ---- request fields ----------------------------------------------------------------- */

/* The first field named `name`, or false. */
static bool
field_get(const struct h1_request *r, const char *name, struct slice *v)
{
    for (unsigned i = 0; i < r->nheaders; i++)
        if (slice_eq_lit_nocase(r->headers[i].name, name)) {
            *v = r->headers[i].value;
            return true;
        }
    return false;
}

static bool
is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* The next comma-separated element of a list field, OWS trimmed; false at the end. */
static bool
list_next(struct slice v, size_t *pos, struct slice *elem)
{
    size_t i = *pos;

    while (i < v.len && (is_ows(v.p[i]) || v.p[i] == ','))
        i++;
    if (i >= v.len)
        return false;
    size_t start = i;
    bool quoted = false;
    for (; i < v.len && (quoted || v.p[i] != ','); i++)
        if (v.p[i] == '"')
            quoted = !quoted;
    size_t end = i;
    while (end > start && is_ows(v.p[end - 1]))
        end--;
    *elem = slice_make(v.p + start, end - start);
    *pos = i;
    return true;
}

/* Compares an entity-tag from a request with ours (always strong, quoted). */
static bool
etag_eq(struct slice tag, const char *ours, bool weak_ok)
{
    if (tag.len >= 2 && tag.p[0] == 'W' && tag.p[1] == '/') {
        if (!weak_ok)
            return false;               /* strong comparison: a weak tag never matches */
        tag.p += 2;
        tag.len -= 2;
    }
    return slice_eq(tag, slice_make(ours, strlen(ours)));
}

/* If-Match (strong) or If-None-Match (weak) over every field line of that name: true when
 * one member is "*" or matches. */
static bool
etag_list_match(const struct h1_request *r, const char *name, const char *etag, bool weak_ok)
{
    for (unsigned i = 0; i < r->nheaders; i++) {
        if (!slice_eq_lit_nocase(r->headers[i].name, name))
            continue;
        struct slice v = r->headers[i].value, e;
        size_t pos = 0;
        while (list_next(v, &pos, &e))
            if ((e.len == 1 && e.p[0] == '*') || etag_eq(e, etag, weak_ok))
                return true;
    }
    return false;
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
        while (list_next(v, &pos, &e)) {
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

/* ---- ranges ------------------------------------------------------------------------- */

enum range_result {
    RANGE_WHOLE = 0,                    /* no usable Range: 200 with the whole file */
    RANGE_ONE,                          /* 206 with [*start, *start + *len) */
    RANGE_NONE,                         /* 416: nothing satisfiable, or malformed */
};

static bool
range_num(struct slice v, size_t *i, uint64_t *n)
{
    size_t start = *i;

    *n = 0;
    for (; *i < v.len && v.p[*i] >= '0' && v.p[*i] <= '9'; (*i)++) {
        if (*n > (UINT64_MAX - 9) / 10)
            return false;
        *n = *n * 10 + (uint64_t)(v.p[*i] - '0');
    }
    return *i > start;
}

/* Parses a Range value against a representation of `size` bytes as nginx's range filter
 * does: another unit is ignored (200); a malformed bytes= set or one with no satisfiable
 * range is 416; unsatisfiable members of a set are dropped. Several satisfiable ranges
 * get the whole file with 200, which RFC 9110 §14.2 allows: the reply is one span of one
 * file, so multipart/byteranges (nginx's answer) cannot be expressed. */
static enum range_result
range_parse(struct slice v, uint64_t size, uint64_t *start, uint64_t *len)
{
    unsigned found = 0;
    size_t i = 6;

    if (v.len < 6 || !slice_eq_lit_nocase(slice_make(v.p, 6), "bytes="))
        return RANGE_WHOLE;
    for (;;) {
        uint64_t a = 0, b = 0;
        bool suffix = false, open_end = false;

        while (i < v.len && is_ows(v.p[i]))
            i++;
        if (i < v.len && v.p[i] == '-') {
            suffix = true;
            i++;
            while (i < v.len && is_ows(v.p[i]))
                i++;
            if (!range_num(v, &i, &b))
                return RANGE_NONE;
        } else {
            if (!range_num(v, &i, &a))
                return RANGE_NONE;
            while (i < v.len && is_ows(v.p[i]))
                i++;
            if (i >= v.len || v.p[i++] != '-')
                return RANGE_NONE;
            while (i < v.len && is_ows(v.p[i]))
                i++;
            if (!range_num(v, &i, &b))
                open_end = true;
            else if (b < a)
                return RANGE_NONE;
        }
        while (i < v.len && is_ows(v.p[i]))
            i++;
        if (i < v.len && v.p[i] != ',')
            return RANGE_NONE;

        bool ok = false;
        if (suffix) {
            if (b > 0 && size > 0) {    /* "-0" selects nothing */
                a = b >= size ? 0 : size - b;
                b = size - 1;
                ok = true;
            }
        } else if (a < size) {
            if (open_end || b >= size)
                b = size - 1;
            ok = true;
        }
        if (ok && found++ == 0) {
            *start = a;
            *len = b - a + 1;
        }
        if (i >= v.len)
            break;
        i++;                            /* ',' */
    }
    if (found == 0)
        return RANGE_NONE;
    return found == 1 ? RANGE_ONE : RANGE_WHOLE;
}

/* ---- files -------------------------------------------------------------------------- */

/* 0 unknown, 1 openat2 works, -1 the kernel (or a seccomp filter) lacks it. */
static atomic_int openat2_state;

static int
openat2_beneath(int dirfd, const char *rel, int flags, uint64_t resolve)
{
    struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC), .resolve = resolve };

    for (int tries = 0; tries < 4; tries++) {
        long fd = syscall(SYS_openat2, dirfd, *rel ? rel : ".", &how, sizeof(how));
        if (fd >= 0)
            return (int)fd;
        if (errno != EAGAIN)            /* EAGAIN: a concurrent rename; retry */
            return -errno;
    }
    return -EAGAIN;
}

/* realpath(root/rel) and realpath(root) into the caller's buffers; 0 when the first lies
 * under the second (its offset past the root in *off), -EXDEV when it does not. */
static int
resolve_under(const char *root, const char *rel, char *full, char *rroot, size_t *off)
{
    char path[PATH_MAX];
    size_t rl = strlen(root), n = strlen(rel);

    if (rl + 1 + n + 1 > sizeof(path))
        return -ENAMETOOLONG;
    memcpy(path, root, rl);
    path[rl] = '/';
    memcpy(path + rl + 1, rel, n + 1);
    if (!realpath(root, rroot) || !realpath(path, full))
        return -errno;
    rl = strlen(rroot);
    if (rl == 1)                        /* root is "/" */
        rl = 0;
    if (strncmp(full, rroot, rl) != 0 || (full[rl] != '/' && full[rl] != '\0'))
        return -EXDEV;
    *off = full[rl] == '/' ? rl + 1 : rl;
    return 0;
}

/* Opens root-relative `rel` so that nothing outside the root can be reached, whatever
 * symlinks it crosses; symlinks whose target stays inside are followed. Returns an fd or
 * a negative errno (-EXDEV: it would leave the root). rootfd is -1 without openat2. */
static int
file_open(const char *root, int rootfd, const char *rel, int flags)
{
    char full[PATH_MAX], rroot[PATH_MAX];
    size_t off;
    int fd, rc;

    if (rootfd >= 0) {
        fd = openat2_beneath(rootfd, rel, flags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        if (fd == -ENOSYS) {
            /* Taken away after the probe (a seccomp filter): use the fallback from now. */
            atomic_store_explicit(&openat2_state, -1, memory_order_relaxed);
            goto fallback;
        }
        if (fd != -EXDEV)
            return fd;
        /* RESOLVE_BENEATH refuses every absolute symlink, even one that lands inside
         * the root. Resolve it by name, then open the resolved path without following
         * any symlink, so a link swapped in meanwhile fails (ELOOP) instead of escaping. */
        rc = resolve_under(root, rel, full, rroot, &off);
        if (rc < 0)
            return rc;
        return openat2_beneath(rootfd, full + off, flags, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    }
fallback:
    /* No openat2: a component can change between realpath() and open(); only the last
     * one is protected (O_NOFOLLOW). */
    rc = resolve_under(root, rel, full, rroot, &off);
    if (rc < 0)
        return rc;
    fd = open(full, flags | O_CLOEXEC | O_NOFOLLOW);
    return fd >= 0 ? fd : -errno;
}

/* An O_PATH descriptor of the root for openat2, or -1 to use the realpath() fallback. */
static int
root_open(const char *root, int *rootfd)
{
    *rootfd = -1;
    if (atomic_load_explicit(&openat2_state, memory_order_relaxed) < 0)
        return 0;
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (atomic_load_explicit(&openat2_state, memory_order_relaxed) == 0) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
        long probe = syscall(SYS_openat2, fd, ".", &how, sizeof(how));
        if (probe < 0 && (errno == ENOSYS || errno == EPERM)) {
            atomic_store_explicit(&openat2_state, -1, memory_order_relaxed);
            close(fd);
            return 0;
        }
        if (probe >= 0)
            close((int)probe);
        atomic_store_explicit(&openat2_state, 1, memory_order_relaxed);
    }
    *rootfd = fd;
    return 0;
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
    char d[STATIC_DATE_LEN];

    date_format(t, d);
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
precompressed_pick(const char *root, int rootfd, const struct h1_request *r, char *path,
                   size_t n, int *fd, struct stat *st, const char **coding, bool *vary)
{
    static const char *const names[2] = { "br", "gzip" };
    static const char *const exts[2] = { ".br", ".gz" };

    for (int i = 0; i < 2 && !*coding; i++) {
        bool want = r->version_minor >= 1 && accepts_coding(r, names[i]);
        if (!want && *vary)
            continue;
        memcpy(path + n, exts[i], 4);
        int sfd = file_open(root, rootfd, path, want ? O_RDONLY | O_NONBLOCK : O_PATH);
        struct stat sst;
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
}

/* Decides 412/304 (RFC 9110 §13.2.2 order): 0 to go on, or the status to answer. */
static int
preconditions(const struct h1_request *r, const char *etag, int64_t mtime)
{
    struct slice v;
    int64_t t;

    if (field_get(r, "If-Match", &v)) {
        if (!etag_list_match(r, "If-Match", etag, false))
            return 412;
    } else if (field_get(r, "If-Unmodified-Since", &v)) {
        /* An invalid date is ignored (nginx answers 412 to it). */
        t = date_parse(v);
        if (t >= 0 && mtime > t)
            return 412;
    }
    if (field_get(r, "If-None-Match", &v)) {
        if (etag_list_match(r, "If-None-Match", etag, true))
            return 304;
    } else if (field_get(r, "If-Modified-Since", &v)) {
        /* "not modified since" means mtime <= date, as nginx's if_modified_since before
         * (its default, exact, differs only for dates the client did not get from us). */
        t = date_parse(v);
        if (t >= 0 && mtime <= t)
            return 304;
    }
    return 0;
}

/* If-Range (RFC 9110 §13.1.5): an entity-tag must match strongly, a date exactly. */
static bool
if_range_holds(struct slice v, const char *etag, int64_t mtime)
{
    if (v.len && (v.p[0] == '"' || v.p[0] == 'W'))
        return etag_eq(v, etag, false);
    return date_parse(v) == mtime;
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
    rc = root_open(conf->root, &rootfd);
    if (rc < 0)
        return reply_local(head, status_of_errno(rc), is_head, now_s, NULL, out);

    size_t n = strlen(rel);
    if (n == 0 || rel[n - 1] == '/') {
        /* A directory: its index, never a listing. */
        fd = file_open(conf->root, rootfd, rel, O_PATH | O_DIRECTORY);
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
        fd = file_open(conf->root, rootfd, rel, O_RDONLY | O_NONBLOCK);
        if (fd == -ENOENT)
            fd = -EACCES;               /* no index: 403, as nginx */
        if (fd < 0)
            goto fail_open;
        name = index;
    } else {
        /* O_NONBLOCK: opening a fifo must not wait for a writer. */
        fd = file_open(conf->root, rootfd, rel, O_RDONLY | O_NONBLOCK);
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
        if (rootfd >= 0)
            close(rootfd);
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
    precompressed_pick(conf->root, rootfd, r, rel, n, &fd, &st, &coding, &vary);
    if (rootfd >= 0)
        close(rootfd);

    etag_format(&st, etag);
    status = preconditions(r, etag, st.st_mtime);
    if (status == 412) {
        close(fd);
        return reply_local(head, 412, is_head, now_s, NULL, out);
    }

    uint64_t size = (uint64_t)st.st_size, start = 0, len = size;
    struct slice v;
    if (status == 0) {
        status = 200;
        /* nginx's gzip_static turns ranges off for precompressed replies; so do we. */
        if (!coding && field_get(r, "Range", &v)) {
            struct slice ir;
            if (!field_get(r, "If-Range", &ir) || if_range_holds(ir, etag, st.st_mtime)) {
                uint64_t s = 0, l = 0;
                switch (range_parse(v, size, &s, &l)) {
                case RANGE_ONE:
                    status = 206;
                    start = s;
                    len = l;
                    break;
                case RANGE_NONE: {
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
                case RANGE_WHOLE:
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
    if (rootfd >= 0)
        close(rootfd);
    return reply_local(head, status_of_errno(fd), is_head, now_s, NULL, out);
}
