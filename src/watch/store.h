/*
 * watch/store.h: watch's SQLite database (state_dir/watch.db, WAL, synchronous=FULL):
 * alarm states and history, the delivery queue with every attempt, and 60 s aggregates
 * of every series (kept 15 days). Used from the watch thread only.
 */
#ifndef WATCH_STORE_H
#define WATCH_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watch/alarm_run.h"
#include "watch/internal.h"
#include "watch/series.h"

#define STORE_MINUTES_KEEP_S (15 * 86400)
#define STORE_HISTORY_KEEP_MS (14ull * 86400 * 1000)

struct store;

/* Opens (creating) the database; NULL with a message in errbuf. */
struct store *store_open(const char *path, char *errbuf, size_t errlen);
void store_close(struct store *db);

/* An alarm's saved state; false when none is saved. reason: ALARM_RUN_REASON_MAX bytes. */
struct store_alarm {
    char hash[17];
    enum alarm_state state;
    char reason[ALARM_RUN_REASON_MAX];
    uint64_t updated_ms, config_ms;
};
bool store_alarm_get(struct store *db, const char *name, struct store_alarm *out);
/* Saves a (new or changed) alarm's configuration hash and state. */
int store_alarm_put(struct store *db, const char *name, const struct store_alarm *a);
/* Forgets the alarms not named in keep (NULL-terminated): removed from the stack file. */
void store_alarm_retain(struct store *db, const char *const *keep);

/* One notification to send. */
struct store_delivery {
    int64_t id;
    char message_id[37];
    const char *alarm, *topic, *endpoint, *subject, *message, *body;
    enum watch_sub_kind kind;
    uint64_t queued_ms;
    unsigned attempts;
};
/* Records a transition in one durable transaction: the deliveries first, then the
 * alarm's new state and a history row with the datapoints (JSON). 0, or -EIO with
 * nothing written. */
int store_transition(struct store *db, const struct watch_alarm_conf *a,
                     const struct alarm_transition *t, const char *datapoints_json,
                     const struct store_delivery *dl, unsigned ndl);

/* Calls fn for up to `limit` pending deliveries due at now_ms, oldest first, skipping
 * the ids in `skip`. The strings are valid during the call only. */
typedef void (*store_delivery_fn)(void *ctx, const struct store_delivery *d);
unsigned store_due(struct store *db, uint64_t now_ms, unsigned limit, const int64_t *skip,
                   unsigned nskip, store_delivery_fn fn, void *ctx);
/* The earliest next_ms of a pending delivery; false when none is pending. */
bool store_next_due(struct store *db, uint64_t *next_ms);
/* Records an attempt: status "delivered", "pending" (with next_ms) or "failed". */
int store_attempt(struct store *db, int64_t id, uint64_t at_ms, const char *status,
                  const char *result, uint64_t next_ms);
/* Counts of deliveries by status, for metrics: pending, delivered, failed. */
void store_delivery_counts(struct store *db, uint64_t *pending, uint64_t *delivered,
                           uint64_t *failed);

/* Alarm history rows, newest first. */
typedef void (*store_history_fn)(void *ctx, uint64_t at_ms, const char *old_state,
                                 const char *new_state, const char *reason);
void store_history(struct store *db, const char *alarm, unsigned limit, store_history_fn fn,
                   void *ctx);

/* Writes the minute starting at t0_s of every series (one transaction). */
int store_minutes_put(struct store *db, struct series_reg *reg, int64_t t0_s);
/* Calls fn for each stored minute of series named `name` in [t0_s, t1_s). */
typedef void (*store_minute_fn)(void *ctx, const char *key, int kind, int64_t t_s,
                                const struct series_agg *agg, const void *hist, size_t len);
void store_minutes_get(struct store *db, const char *name, int64_t t0_s, int64_t t1_s,
                       store_minute_fn fn, void *ctx);
/* Deletes minutes, history and finished deliveries past their retention. */
void store_prune(struct store *db, uint64_t now_ms);

#endif
