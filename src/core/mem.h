/*
 * core/mem.h: allocation for start-up paths, where failure means exit with a message.
 * The request path uses plain malloc and fails the request instead.
 */
#ifndef CORE_MEM_H
#define CORE_MEM_H
#include <stddef.h>

void *mem_alloc_or_exit(size_t n);     /* zeroed */
void *mem_realloc_or_exit(void *p, size_t n);
char *mem_strdup_or_exit(const char *s);

/* The object that embeds `ptr` as its `member` (a timer, a defer, a list link): how a
 * callback that receives the embedded part finds its owner. */
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#endif
