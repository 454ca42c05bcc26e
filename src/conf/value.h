/*
 * conf/value.h: typed readers for scalar nodes and structural checks. Each reader returns
 * 0, or -EINVAL after adding one diagnostic that says what was expected and how to fix it.
 */
#ifndef CONF_VALUE_H
#define CONF_VALUE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/node.h"

/* Reports a diagnostic unless n has kind k ("listeners: expected a list, got a map"). */
int conf_expect(const struct conf_node *n, enum conf_kind k, const char *what, struct diag *d);
/* Reports every key of `map` not in `allowed` (NULL-terminated), suggesting the closest
 * allowed key when it is near ("unknown key \"timout\" in edge; did you mean \"timeouts\"?"). */
void conf_check_keys(const struct conf_node *map, const char *const *allowed, const char *what,
                     struct diag *d);
/* Reports a missing required key at the map's position. Returns the value or NULL. */
const struct conf_node *conf_require(const struct conf_node *map, const char *key,
                                     const char *what, struct diag *d);

/* True for YAML's null: a plain empty scalar ("key:" with nothing after it), "~" or "null". */
bool conf_is_null(const struct conf_node *n);

int conf_string(const struct conf_node *n, const char **out, struct diag *d);
int conf_bool(const struct conf_node *n, bool *out, struct diag *d);
/* Decimal integer in [min, max]. */
int conf_uint(const struct conf_node *n, uint64_t min, uint64_t max, uint64_t *out,
              struct diag *d);
/* "300ms", "5s", "1m", "1h", "1d" (combinations like "1m30s" too); a bare 0 is 0. */
int conf_duration_ms(const struct conf_node *n, uint64_t *out, struct diag *d);
/* "512", "8k", "1m", "2g" (powers of 1024, case-insensitive, optional trailing "b"). */
int conf_size_bytes(const struct conf_node *n, uint64_t *out, struct diag *d);
/* Pure text forms, for tests and other parsers: 0 or -EINVAL. */
int conf_parse_duration_ms(const char *s, uint64_t *out);
int conf_parse_size_bytes(const char *s, uint64_t *out);
/* Writes ms in its largest exact unit ("5s", "1500ms", "2m", "0") for messages; returns buf. */
const char *conf_duration_text(uint64_t ms, char *buf, size_t len);

/* Levenshtein distance, capped at cap+1 (for "did you mean"). */
unsigned conf_edit_distance(const char *a, const char *b, unsigned cap);
/* Returns the candidate closest to `word` within a small distance, or NULL. */
const char *conf_suggest(const char *word, const char *const *candidates);

#endif
