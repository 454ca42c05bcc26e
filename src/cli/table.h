/*
 * cli/table.h: human-readable tables with aligned columns, for the CLI's default output.
 */
#ifndef CLI_TABLE_H
#define CLI_TABLE_H
#include <stdio.h>

#define TABLE_COLS_MAX 12

struct table {
    unsigned ncols, nrows, cap;
    char **cells;               /* nrows * ncols, owned; row 0 is the header */
};

/* Starts a table with its header row (ncols strings); exits on allocation failure. */
void table_init(struct table *t, unsigned ncols, const char *const *header);
/* Adds a row of ncols cells (copied; NULL prints as "-"). */
void table_add(struct table *t, const char *const *cells);
/* Prints every row, columns padded to their widest cell and separated by two spaces. */
void table_print(const struct table *t, FILE *out);
void table_fini(struct table *t);

#endif
