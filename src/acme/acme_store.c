/*
 * acme/acme_store.c: atomic, durable, private files for the ACME state (see
 * acme_store.h). Owns no state of its own.
 */
#include "acme/acme_store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
acme_store_mkdir(const char *dir)
{
    char parent[4096];

    if (strlen(dir) >= sizeof(parent))
        return -ENAMETOOLONG;
    /* state_dir exists (the daemon makes it at start): at most state_dir/acme is missing
     * above a certificate's directory. */
    memcpy(parent, dir, strlen(dir) + 1);
    if (mkdir(dirname(parent), 0700) < 0 && errno != EEXIST)
        return -errno;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int
store_fsync_dir(const char *path)
{
    char d[4096];
    int fd, rc = 0;

    snprintf(d, sizeof(d), "%s", path);
    if ((fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -errno;
    if (fsync(fd) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

int
acme_store_write(const char *path, const void *p, size_t n)
{
    char tmp[4200];
    const char *c = p;
    int fd, rc = 0;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
        return -ENAMETOOLONG;
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
        return -errno;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = -errno;
            break;
        }
        c += w;
        n -= (size_t)w;
    }
    if (rc == 0 && fchmod(fd, 0600) < 0)    /* a file left over by an older umask */
        rc = -errno;
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    return store_fsync_dir(path);
}

int
acme_store_read(const char *path, size_t max, char **out, size_t *len)
{
    FILE *f = fopen(path, "rbe");
    char *b;
    size_t n;

    if (!f)
        return -errno;
    if (!(b = malloc(max + 1))) {
        fclose(f);
        return -ENOMEM;
    }
    n = fread(b, 1, max + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(b);
        return -EIO;
    }
    if (n > max) {
        free(b);
        return -EFBIG;
    }
    b[n] = '\0';
    *out = b;
    *len = n;
    return 0;
}
