/*
 * daemon/applylog.h: the history of applies, in state_dir/daemon.db (SQLite): every
 * `tierd apply` and every SIGHUP reload, accepted or refused, with who asked and the
 * plan's summary. A row is durable (synchronous=FULL) before applylog_record() returns.
 */
#ifndef DAEMON_APPLYLOG_H
#define DAEMON_APPLYLOG_H
#include <jansson.h>
#include <stdint.h>

struct applylog;

/* Opens (creating) state_dir/daemon.db; a new log, or NULL with the reason in err. */
struct applylog *applylog_new(const char *state_dir, char *err, size_t errlen);
void applylog_free(struct applylog *l);
/* Appends one apply: wall clock time, who ("uid=1000 pid=42", "SIGHUP"), the stack file
 * it came from, the plan summary ("Plan: 1 to add, ...") and the result ("applied", or
 * why it was refused). Returns its id (> 0), or a negative errno after logging why. */
int64_t applylog_record(struct applylog *l, uint64_t wall_ms, const char *who, const char *path,
                        const char *summary, const char *result);
/* The last `limit` applies, newest first, as a new JSON array of objects {id, time (RFC
 * 3339), time_ms, who, path, summary, result}. */
json_t *applylog_list(struct applylog *l, unsigned limit);

#endif
