/*
 * fleet/backoff.h: crash-loop back-off of one group's launches. Pure: the caller says
 * when an instance started, exited or stayed healthy, with its own clock.
 *
 * An instance that exits within BACKOFF_FAST_EXIT_MS of its start doubles the delay
 * before the next launch, from BACKOFF_MIN_MS up to BACKOFF_MAX_MS; an instance that has
 * stayed healthy for BACKOFF_RESET_MS resets it. Other exits (after a long run) relaunch
 * at once, as AWS replaces a failed instance without delay.
 */
#ifndef FLEET_BACKOFF_H
#define FLEET_BACKOFF_H
#include <stdbool.h>
#include <stdint.h>

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define BACKOFF_FAST_EXIT_MS 10000
#define BACKOFF_RESET_MS 60000

struct backoff {
    uint64_t delay_ms;          /* the delay the next fast exit waits; 0 = none yet */
    uint64_t not_before_ms;     /* no launch before this time */
    unsigned fast_exits;        /* consecutive fast exits */
};

void backoff_init(struct backoff *b);
/* An instance started at started_ms exited at now_ms. Returns the delay it imposes. */
uint64_t backoff_exited(struct backoff *b, uint64_t started_ms, uint64_t now_ms);
/* An instance has been healthy since healthy_since_ms; resets after BACKOFF_RESET_MS. */
void backoff_healthy(struct backoff *b, uint64_t healthy_since_ms, uint64_t now_ms);
/* True when a launch may happen now. */
bool backoff_may_launch(const struct backoff *b, uint64_t now_ms);
/* The delay the next fast exit would impose (for messages). */
uint64_t backoff_next_ms(const struct backoff *b);

#endif
