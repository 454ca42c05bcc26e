/*
 * acme/acme_store.h: the ACME state on disk under state_dir/acme/: the account key and,
 * per certificate, its chain and key. Every write is atomic and durable (a temporary file,
 * fsync, rename, fsync of the directory) and mode 0600, directories 0700: a crash leaves
 * the old file or the new one, never half of either.
 */
#ifndef ACME_ACME_STORE_H
#define ACME_ACME_STORE_H
#include <stddef.h>

/* Creates dir and its parent with mode 0700 where missing (the grandparent must exist);
 * 0 or a negative errno. */
int acme_store_mkdir(const char *dir);
/* Replaces path with the n bytes at p, atomically and durably, mode 0600. 0 or -errno. */
int acme_store_write(const char *path, const void *p, size_t n);
/* Reads a whole file of at most max bytes into a new malloc'd NUL-terminated buffer and
 * sets *len. Returns 0, -ENOENT when absent, -EFBIG above max, or another -errno. */
int acme_store_read(const char *path, size_t max, char **out, size_t *len);

#endif
