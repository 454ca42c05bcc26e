/*
 * shield/analyze_input.c: the lines of one access log for `tierd analyze`: a path or "-"
 * (stdin), plain or gzip'd. zlib decides by the magic bytes (1f 8b) and reads anything
 * else as is (gzdopen's transparent mode), so rotated logs such as access.log.2.gz need no
 * flag and stdin works either way. Lines are handed out of one large buffer without a copy.
 * It does not parse lines (analyze_parse.c).
 */
#include "shield/analyze.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#define INPUT_CHUNK_BYTES (1024 * 1024)
#define INPUT_GZBUF_BYTES (256 * 1024)

static int
input_open(const char *path, char *err, size_t errlen)
{
    struct stat st;
    int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        int rc = -errno;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return rc;
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot read %s: it is a directory", path);
        close(fd);
        return -EISDIR;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return fd;
}

/* Hands out the complete lines of buf[0, have); returns where the unfinished one starts. */
static size_t
input_lines(char *buf, size_t have, analyze_line_fn fn, void *ctx,
            struct analyze_input_info *info, bool *skipping)
{
    size_t start = 0;

    for (;;) {
        char *nl = memchr(buf + start, '\n', have - start);
        if (!nl)
            return start;
        size_t end = (size_t)(nl - buf);
        info->lines++;
        if (*skipping) {
            *skipping = false;  /* the end of an over-long line, already reported */
        } else {
            size_t len = end - start;
            if (len && buf[start + len - 1] == '\r')
                len--;
            fn(ctx, buf + start, len, info->lines);
        }
        start = end + 1;
    }
}

int
analyze_input_read(const char *path, analyze_line_fn fn, void *ctx,
                   struct analyze_input_info *info, char *err, size_t errlen)
{
    size_t cap = INPUT_CHUNK_BYTES, have = 0;
    bool skipping = false;
    int rc = 0;

    memset(info, 0, sizeof(*info));
    int fd = input_open(path, err, errlen);
    if (fd < 0)
        return fd;
    gzFile g = gzdopen(fd, "rb");
    char *buf = malloc(cap);
    if (!g || !buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        if (g)
            gzclose(g);
        else
            close(fd);
        free(buf);
        return -ENOMEM;
    }
    gzbuffer(g, INPUT_GZBUF_BYTES);
    for (;;) {
        if (have == cap) {
            /* No newline in a full buffer: grow up to the line limit, then skip the line. */
            if (cap < 2 * (size_t)ANALYZE_LINE_MAX_BYTES) {
                char *n = realloc(buf, cap * 2);
                if (!n) {
                    snprintf(err, errlen, "%s: out of memory", path);
                    rc = -ENOMEM;
                    break;
                }
                buf = n;
                cap *= 2;
            } else {
                if (!skipping)
                    fn(ctx, NULL, 0, info->lines + 1);
                skipping = true;
                have = 0;
            }
        }
        int n = gzread(g, buf + have, (unsigned)(cap - have));
        if (n < 0) {
            int zerr;
            const char *msg = gzerror(g, &zerr);
            snprintf(err, errlen, "cannot read %s: %s", path,
                     zerr == Z_ERRNO ? strerror(errno) : msg);
            rc = zerr == Z_ERRNO && errno ? -errno : -EIO;
            break;
        }
        if (n == 0) {
            int zerr;
            gzerror(g, &zerr);
            if (zerr == Z_BUF_ERROR)
                info->truncated = true;
            else if (zerr != Z_OK) {
                snprintf(err, errlen, "cannot read %s: %s", path, gzerror(g, &zerr));
                rc = -EIO;
                break;
            }
            if (have > 0) {
                info->lines++;
                if (!skipping)
                    fn(ctx, buf, have && buf[have - 1] == '\r' ? have - 1 : have, info->lines);
            }
            break;
        }
        info->bytes += (uint64_t)n;
        have += (size_t)n;
        size_t used = input_lines(buf, have, fn, ctx, info, &skipping);
        if (used) {
            memmove(buf, buf + used, have - used);
            have -= used;
        }
    }
    info->gzip = !gzdirect(g);
    gzclose(g);
    free(buf);
    return rc;
}
