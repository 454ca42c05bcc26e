/*
 * cli/ask.h: what the operator verbs with sub-verbs and options (bans, shield, groups,
 * instances, refresh) share: their argument parsing, one control-API call with the CLI's
 * error handling, and small JSON-to-cell helpers for tables.
 */
#ifndef CLI_ASK_H
#define CLI_ASK_H
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli/client.h"

#define ASK_POS_MAX 4
#define ASK_VALUES_MAX 4

struct ask_opts {
    char socket[PATH_MAX];              /* resolved socket path */
    bool json;                          /* --json: print the API's JSON as it came */
    const char *pos[ASK_POS_MAX];       /* positional arguments, borrowed from argv */
    unsigned npos;
    const char *values[ASK_VALUES_MAX]; /* values of the verb's own options, or NULL */
};

/* Parses argv (argv[0] is the verb): --json, --socket PATH, the options named in `names`
 * (NULL-terminated, at most ASK_VALUES_MAX, each taking one value as "--x V" or "--x=V",
 * stored in o->values in the same order) and at most max_pos positional arguments.
 * Returns -1 on success, else 2 after printing the problem and the usage text. */
int ask_parse(int argc, char **argv, const char *const *names, unsigned max_pos,
              struct ask_opts *o);
/* Prints "tierd: MESSAGE" and the usage text to stderr; returns 2. */
int ask_usage_error(const char *what, const char *arg);

/* Sends `method path` (with a JSON body when not NULL). With --json prints the body as it
 * came. Returns 0 with *r filled (the caller finis it), else the exit code: 1 when the
 * daemon refused (its message printed), 3 when it cannot be reached. */
int ask_call(const struct ask_opts *o, const char *method, const char *path, const char *body,
             struct client_reply *r);

/* The shape of a listing verb with no options: parses argv, GETs path, and with --json
 * prints the body. Returns -1 with *r filled when the caller should print its table (and
 * then fini r), else the exit code (2 usage, 1 refused, 3 unreachable, 0 after --json). */
int ask_get_view(int argc, char **argv, const char *path, struct ask_opts *o,
                 struct client_reply *r);

/* Cells for tables: the string at key ("-" when absent or empty); an integer or real as
 * text in buf; an instant in Unix seconds as UTC ISO 8601 ("-" for 0). */
const char *ask_str(json_t *obj, const char *key);
const char *ask_num(json_t *obj, const char *key, char *buf, size_t n);
const char *ask_time(long long unix_s, char *buf, size_t n);
/* A span of seconds as "1d 2h", "3h 4m", "5m 6s" or "7s". */
const char *ask_span(long long s, char *buf, size_t n);
/* Percent-encodes a path segment (every byte but letters, digits and "-_.~:"). */
void ask_segment(const char *s, char *out, size_t n);

#endif
