/*
 * fleet/instlog.c: size-rotated log files of instances (see instlog.h). Owns its fd and
 * path; knows nothing about pipes or processes.
 */
#include "fleet/instlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"

struct instlog {
    int fd;
    char *path;
    uint64_t size, max_bytes;
    unsigned keep;
};

/* mkdir -p of the directory part of path. */
static void
instlog_mkdirs(const char *path)
{
    char *p = mem_strdup_or_exit(path);

    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        mkdir(p, 0750);
        *s = '/';
    }
    free(p);
}

static int
instlog_reopen(struct instlog *l)
{
    struct stat st;

    if (l->fd >= 0)
        close(l->fd);
    l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (l->fd < 0)
        return -errno;
    l->size = fstat(l->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    return 0;
}

struct instlog *
instlog_open(const char *path, uint64_t max_bytes, unsigned keep)
{
    struct instlog *l = mem_alloc_or_exit(sizeof(*l));

    l->fd = -1;
    l->path = mem_strdup_or_exit(path);
    l->max_bytes = max_bytes;
    l->keep = keep ? keep : 1;
    instlog_mkdirs(path);
    int rc = instlog_reopen(l);
    if (rc < 0) {
        instlog_close(l);
        errno = -rc;
        return NULL;
    }
    return l;
}

/* path.(keep-1) is dropped, path.i -> path.i+1, path -> path.1. */
static int
instlog_rotate(struct instlog *l)
{
    size_t n = strlen(l->path) + 16;
    char *from = mem_alloc_or_exit(n), *to = mem_alloc_or_exit(n);

    for (unsigned i = l->keep - 1; i >= 1; i--) {
        if (i == 1)
            snprintf(from, n, "%s", l->path);
        else
            snprintf(from, n, "%s.%u", l->path, i - 1);
        snprintf(to, n, "%s.%u", l->path, i);
        rename(from, to);
    }
    if (l->keep == 1)
        unlink(l->path);
    free(from);
    free(to);
    return instlog_reopen(l);
}

int
instlog_write(struct instlog *l, const void *p, size_t n)
{
    if (l->fd < 0)
        return -EBADF;
    if (l->size && l->size + n > l->max_bytes) {
        int rc = instlog_rotate(l);
        if (rc < 0)
            return rc;
    }
    while (n > 0) {
        ssize_t w = write(l->fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p = (const char *)p + w;
        n -= (size_t)w;
        l->size += (uint64_t)w;
    }
    return 0;
}

void
instlog_close(struct instlog *l)
{
    if (!l)
        return;
    if (l->fd >= 0)
        close(l->fd);
    free(l->path);
    free(l);
}
