/*
 * edge/staticfs.c: files beneath a static root (staticfs.h). Owns, per worker thread, an
 * O_PATH descriptor of every root served in the current second and the set of paths
 * found without precompressed siblings; static.c decides what to answer.
 */
#include "edge/staticfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

atomic_int staticfs_openat2_state;

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
int
staticfs_open(const char *root, int rootfd, const char *rel, int flags)
{
    char full[PATH_MAX], rroot[PATH_MAX];
    size_t off;
    int fd, rc;

    if (rootfd >= 0) {
        fd = openat2_beneath(rootfd, rel, flags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        if (fd == -ENOSYS) {
            /* Taken away after the probe (a seccomp filter): use the fallback from now. */
            atomic_store_explicit(&staticfs_openat2_state, -1, memory_order_relaxed);
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
staticfs_root_open(const char *root, int *rootfd)
{
    *rootfd = -1;
    if (atomic_load_explicit(&staticfs_openat2_state, memory_order_relaxed) < 0)
        return 0;
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (atomic_load_explicit(&staticfs_openat2_state, memory_order_relaxed) == 0) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
        long probe = syscall(SYS_openat2, fd, ".", &how, sizeof(how));
        if (probe < 0 && (errno == ENOSYS || errno == EPERM)) {
            atomic_store_explicit(&staticfs_openat2_state, -1, memory_order_relaxed);
            close(fd);
            return 0;
        }
        if (probe >= 0)
            close((int)probe);
        atomic_store_explicit(&staticfs_openat2_state, 1, memory_order_relaxed);
    }
    *rootfd = fd;
    return 0;
}

/* ---- per-thread cache of roots ---------------------------------------------------- */

/* Each worker thread keeps an O_PATH descriptor of every static root it serves, so a
 * request costs one open (the file's) instead of three (root, file, root close), and
 * remembers which files have neither a .br nor a .gz sibling, so those are not probed
 * again. Both last for the wall-clock second they were made in: a root replaced by a
 * rename or a symlink swap, or a sibling added, is seen within a second (as with nginx's
 * open_file_cache, whose validity is 60 s). Keyed by the rule's conf and its root path, so
 * a reload's new generation never reuses an old entry for a different root. */
#define STATICFS_ROOTS_MAX 8

static _Thread_local struct staticfs_root roots[STATICFS_ROOTS_MAX];
static _Thread_local unsigned roots_next;
static _Thread_local bool roots_registered;
/* Its destructor closes and frees a thread's entries when the thread ends. */
static pthread_key_t roots_key;
static pthread_once_t roots_once = PTHREAD_ONCE_INIT;

static void
staticfs_root_drop(struct staticfs_root *e)
{
    if (e->fd >= 0)
        close(e->fd);
    free(e->root);
    *e = (struct staticfs_root){ .fd = -1 };
}

static void
staticfs_roots_free(void *arg)
{
    struct staticfs_root *r = arg;

    for (unsigned i = 0; i < STATICFS_ROOTS_MAX; i++)
        if (r[i].conf)
            staticfs_root_drop(&r[i]);
}

static void
staticfs_roots_key_make(void)
{
    if (pthread_key_create(&roots_key, staticfs_roots_free) != 0)
        roots_key = (pthread_key_t)-1;
}

/* The root entry for conf, valid in second now_s; NULL with *err when the root cannot be
 * opened (nothing is cached then, and the next request tries again). */
struct staticfs_root *
staticfs_root_get(const struct edge_static_conf *conf, int64_t now_s, int *err)
{
    struct staticfs_root *e = NULL;

    for (unsigned i = 0; i < STATICFS_ROOTS_MAX; i++)
        if (roots[i].conf == conf && strcmp(roots[i].root, conf->root) == 0) {
            e = &roots[i];
            break;
        }
    if (e && e->made_s == now_s)
        return e;
    if (e) {
        staticfs_root_drop(e);
    } else {
        for (unsigned i = 0; i < STATICFS_ROOTS_MAX && !e; i++)
            if (!roots[i].conf)
                e = &roots[i];
        if (!e) {
            e = &roots[roots_next++ % STATICFS_ROOTS_MAX];
            staticfs_root_drop(e);
        }
    }
    int fd, rc = staticfs_root_open(conf->root, &fd);
    char *copy = rc < 0 ? NULL : strdup(conf->root);
    if (!copy) {
        if (rc == 0 && fd >= 0)
            close(fd);
        *err = rc < 0 ? rc : -ENOMEM;
        return NULL;
    }
    *e = (struct staticfs_root){ .conf = conf, .root = copy, .fd = fd, .made_s = now_s };
    if (!roots_registered) {
        pthread_once(&roots_once, staticfs_roots_key_make);
        if (roots_key != (pthread_key_t)-1)
            pthread_setspecific(roots_key, roots);
        roots_registered = true;
    }
    return e;
}

/* FNV-1a of a root-relative path, never 0 (0 marks an empty slot). */
uint64_t
staticfs_path_hash(const char *rel)
{
    uint64_t h = 14695981039346656037ull;

    for (; *rel; rel++)
        h = (h ^ (unsigned char)*rel) * 1099511628211ull;
    return h | 1;
}
