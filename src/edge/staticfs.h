/*
 * edge/staticfs.h: opening files beneath a static root (staticfs.c), never outside it
 * whatever symlinks are crossed: openat2(RESOLVE_BENEATH) relative to an O_PATH descriptor
 * of the root, and a realpath() fallback where openat2 is missing. Each worker thread
 * keeps its roots open for the second they were opened in. Used by static.c only.
 */
#ifndef EDGE_STATICFS_H
#define EDGE_STATICFS_H
#include <stdatomic.h>
#include <stdint.h>

#include "edge/edge_conf.h"

#define STATICFS_NOSIB_SLOTS 128

/* One root as a worker thread has it open; valid during second made_s only. */
struct staticfs_root {
    const struct edge_static_conf *conf;    /* NULL: free slot */
    char *root;                 /* a copy of conf->root */
    int fd;                     /* O_PATH, or -1 (the realpath() fallback) */
    int64_t made_s;
    uint64_t nosib[STATICFS_NOSIB_SLOTS];    /* hashes of paths without siblings; 0 empty */
};

/* 0 unknown, 1 openat2 works, -1 the kernel (or a seccomp filter) lacks it. */
extern atomic_int staticfs_openat2_state;

/* Borrows the root entry of conf for second now_s (opening the root again when the entry
 * is from an earlier second); the entry stays the thread's. NULL with *err (a negative
 * errno) when the root cannot be opened; nothing is cached then. */
struct staticfs_root *staticfs_root_get(const struct edge_static_conf *conf, int64_t now_s,
                                        int *err);
/* Opens root-relative rel with flags so that nothing outside root can be reached; rootfd
 * is the entry's fd, or -1 for the realpath() fallback. An fd, or a negative errno
 * (-EXDEV: it would leave the root). */
int staticfs_open(const char *root, int rootfd, const char *rel, int flags);
/* FNV-1a of a root-relative path, never 0 (0 marks an empty nosib slot). */
uint64_t staticfs_path_hash(const char *rel);

#endif
