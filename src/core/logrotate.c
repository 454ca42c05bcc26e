/*
 * core/logrotate.c: rename-based rotation and age-based retention of one log file (see
 * logrotate.h). It owns no state: the caller decides when (logrotate_is_due()), then
 * renames and tells the writers to reopen, then prunes. Rename keeps every open
 * descriptor valid, so a writer that has not reopened yet appends to the rotated file and
 * loses nothing.
 */
#include "core/logrotate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOGROTATE_STAMP_LEN 16         /* "20261207T232400Z" */
#define LOGROTATE_DAY_MS (86400ull * 1000)

bool
logrotate_is_due(uint64_t size, uint64_t mtime_ms, uint64_t now_ms, uint64_t max_size,
                 bool daily)
{
    if (size == 0)
        return false;
    if (max_size && size >= max_size)
        return true;
    return daily && mtime_ms / LOGROTATE_DAY_MS < now_ms / LOGROTATE_DAY_MS;
}

static int
digits(const char *s, size_t n, int *out)
{
    int v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int
logrotate_parse(const char *base, const char *name, uint64_t *wall_ms)
{
    size_t bl = strlen(base);
    const char *s = name + bl + 1;
    int y, mo, d, h, mi, se, seq;
    struct tm tm = { 0 };

    if (strncmp(name, base, bl) != 0 || name[bl] != '.' || strlen(s) < LOGROTATE_STAMP_LEN)
        return -EINVAL;
    if (digits(s, 4, &y) || digits(s + 4, 2, &mo) || digits(s + 6, 2, &d) || s[8] != 'T' ||
        digits(s + 9, 2, &h) || digits(s + 11, 2, &mi) || digits(s + 13, 2, &se) ||
        s[15] != 'Z')
        return -EINVAL;
    s += LOGROTATE_STAMP_LEN;
    /* ".N" for a second rotation within one second; nothing else (".gz" is someone else's). */
    if (*s && (s[0] != '.' || !s[1] || strlen(s + 1) > 6 || digits(s + 1, strlen(s + 1), &seq)))
        return -EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -EINVAL;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    if (t < 0)
        return -EINVAL;
    *wall_ms = (uint64_t)t * 1000;
    return 0;
}

int
logrotate_rotate(const char *path, uint64_t now_ms, char *out, size_t n)
{
    time_t sec = (time_t)(now_ms / 1000);
    struct tm tm;
    char stamp[LOGROTATE_STAMP_LEN + 1];
    struct stat st;

    if (!gmtime_r(&sec, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
        return -EINVAL;
    for (unsigned seq = 0; seq < 1000; seq++) {
        int len = seq ? snprintf(out, n, "%s.%s.%u", path, stamp, seq)
                      : snprintf(out, n, "%s.%s", path, stamp);
        if (len < 0 || (size_t)len >= n)
            return -ENAMETOOLONG;
        if (lstat(out, &st) == 0)
            continue;
        if (errno != ENOENT)
            return -errno;
        /* A race with another rotator of the same file is not ours to win: tierd has one. */
        return rename(path, out) == 0 ? 0 : -errno;
    }
    return -EEXIST;
}

int
logrotate_prune(const char *path, uint64_t now_ms, uint64_t retention_ms)
{
    char dir[4096], victim[4096 + 256];
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    int removed = 0;
    uint64_t at;

    if (slash) {
        size_t dl = slash == path ? 1 : (size_t)(slash - path);
        if (dl >= sizeof(dir))
            return -ENAMETOOLONG;
        memcpy(dir, path, dl);
        dir[dl] = '\0';
    } else {
        snprintf(dir, sizeof(dir), ".");
    }
    DIR *dp = opendir(dir);
    if (!dp)
        return -errno;
    for (struct dirent *e; (e = readdir(dp));) {
        if (logrotate_parse(base, e->d_name, &at) < 0 || at + retention_ms >= now_ms)
            continue;
        snprintf(victim, sizeof(victim), "%s/%s", dir, e->d_name);
        if (unlink(victim) == 0)
            removed++;
    }
    closedir(dp);
    return removed;
}
