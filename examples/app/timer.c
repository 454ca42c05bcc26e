/*
 * examples/app/timer.c: the min-heap of timer.h. Insert and remove are O(log n), so
 * thousands of sleeping or lingering connections cost nothing per loop iteration.
 */
#include "timer.h"
#include "conn.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static void
timer_set(struct timer_heap *h, size_t i, struct conn *c)
{
    h->items[i] = c;
    c->timer_idx = i;
}

static void
timer_up(struct timer_heap *h, size_t i)
{
    struct conn *c = h->items[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->items[parent]->timer_at_ms <= c->timer_at_ms)
            break;
        timer_set(h, i, h->items[parent]);
        i = parent;
    }
    timer_set(h, i, c);
}

static void
timer_down(struct timer_heap *h, size_t i)
{
    struct conn *c = h->items[i];

    for (;;) {
        size_t kid = 2 * i + 1;
        if (kid >= h->len)
            break;
        if (kid + 1 < h->len && h->items[kid + 1]->timer_at_ms < h->items[kid]->timer_at_ms)
            kid++;
        if (c->timer_at_ms <= h->items[kid]->timer_at_ms)
            break;
        timer_set(h, i, h->items[kid]);
        i = kid;
    }
    timer_set(h, i, c);
}

int
timer_add(struct timer_heap *h, struct conn *c)
{
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        struct conn **items = realloc(h->items, cap * sizeof(*items));
        if (!items)
            return -ENOMEM;
        h->items = items;
        h->cap = cap;
    }
    h->items[h->len] = c;
    c->timer_idx = h->len++;
    timer_up(h, c->timer_idx);
    return 0;
}

void
timer_remove(struct timer_heap *h, struct conn *c)
{
    size_t i = c->timer_idx;

    if (i == SIZE_MAX)
        return;
    c->timer_idx = SIZE_MAX;
    struct conn *last = h->items[--h->len];
    if (i == h->len)
        return;
    timer_set(h, i, last);
    timer_up(h, i);
    timer_down(h, last->timer_idx);
}

struct conn *
timer_peek(const struct timer_heap *h)
{
    return h->len ? h->items[0] : NULL;
}

void
timer_heap_fini(struct timer_heap *h)
{
    free(h->items);
    *h = (struct timer_heap){ 0 };
}
