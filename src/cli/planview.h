/*
 * cli/planview.h: prints a plan (the JSON of POST /v1/plan, docs/api.md) the way
 * `terraform plan` does: one block per resource with its symbol, changed attributes with
 * old and new values, side effects as comments, and the summary line.
 */
#ifndef CLI_PLANVIEW_H
#define CLI_PLANVIEW_H
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Prints plan (borrowed) to out; color adds ANSI colors (only for a terminal). */
void planview_print(json_t *plan, const char *file, bool color, FILE *out);

#endif
