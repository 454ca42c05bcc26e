/*
 * examples/app/timer.h: a binary min-heap of connections ordered by conn->timer_at_ms. Each
 * connection has at most one timer; conn->timer_idx is its slot (SIZE_MAX when unarmed).
 * The heap borrows the connections; it owns only its array.
 */
#ifndef APP_TIMER_H
#define APP_TIMER_H

#include <stddef.h>

struct conn;

struct timer_heap {
    struct conn **items;
    size_t len;
    size_t cap;
};

/* Adds c (not yet in the heap) at c->timer_at_ms; 0 or -ENOMEM. */
int timer_add(struct timer_heap *h, struct conn *c);
/* Removes c if it is in the heap. */
void timer_remove(struct timer_heap *h, struct conn *c);
/* The earliest timer, or NULL. */
struct conn *timer_peek(const struct timer_heap *h);
void timer_heap_fini(struct timer_heap *h);

#endif
