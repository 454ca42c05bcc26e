/*
 * cli/table.c: aligned-column tables. Cells are copied in; widths are computed when
 * printing (in bytes: the daemon's strings are ASCII).
 */
#include "cli/table.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

static void
add_row(struct table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = mem_realloc_or_exit(t->cells, sizeof(char *) * t->cap * t->ncols);
    }
    for (unsigned i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = mem_strdup_or_exit(cells[i] ? cells[i] : "-");
    t->nrows++;
}

void
table_init(struct table *t, unsigned ncols, const char *const *header)
{
    memset(t, 0, sizeof(*t));
    t->ncols = ncols < TABLE_COLS_MAX ? ncols : TABLE_COLS_MAX;
    add_row(t, header);
}

void
table_add(struct table *t, const char *const *cells)
{
    add_row(t, cells);
}

void
table_print(const struct table *t, FILE *out)
{
    size_t w[TABLE_COLS_MAX] = { 0 };

    for (unsigned r = 0; r < t->nrows; r++)
        for (unsigned c = 0; c < t->ncols; c++) {
            size_t n = strlen(t->cells[r * t->ncols + c]);
            if (n > w[c])
                w[c] = n;
        }
    for (unsigned r = 0; r < t->nrows; r++) {
        for (unsigned c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            if (c + 1 == t->ncols)
                fprintf(out, "%s\n", s);            /* no trailing spaces */
            else
                fprintf(out, "%-*s  ", (int)w[c], s);
        }
    }
}

void
table_fini(struct table *t)
{
    for (unsigned i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof(*t));
}
