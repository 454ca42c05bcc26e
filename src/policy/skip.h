/*
 * policy/skip.h: skip comments in the raw text of a stack file.
 *
 *     # tierd:skip=TD-EDGE-001,TD-EDGE-007 the host firewall admits only the office VPN
 *     # tierd:skip=TD-TG-001 reason="health is checked by the app server" until=2026-06-30
 *
 * A skip applies to findings of the rules it names that are reported on its own line
 * (a trailing comment) or on the first line below the run of comment-only lines it
 * sits in. Skips in the comment block at the top of the file, before the first key,
 * apply to the whole file. YAML drops comments, so this reads the text, not the nodes.
 */
#ifndef POLICY_SKIP_H
#define POLICY_SKIP_H
#include <stdbool.h>
#include <stddef.h>

struct skip {
    unsigned line;              /* of the comment, 1-based */
    bool file_wide;
    char *ids;                  /* owned: "TD-EDGE-001,TD-EDGE-007" */
    char *reason;               /* owned; "" when none was given */
    char until[11];             /* "YYYY-MM-DD" or "" */
};

struct skip_list {
    struct skip *v;
    unsigned n, cap;
    unsigned char *kind;        /* per line (index = line): SKIP_LINE_* */
    unsigned nlines;
};

enum skip_line_kind { SKIP_LINE_BLANK = 0, SKIP_LINE_COMMENT, SKIP_LINE_CONTENT };

/* Parses every skip comment in text. The list owns what it holds; skip_list_fini()
 * releases it. Never fails (startup allocation: exits on out of memory). */
void skip_list_parse(struct skip_list *l, const char *text, size_t len);
void skip_list_fini(struct skip_list *l);
/* The skip for rule `id` at `line`: the same line first, then the comment lines just
 * above it (nearest first), then the file-wide ones. Borrowed; NULL when none. */
const struct skip *skip_find(const struct skip_list *l, const char *id, unsigned line);
/* True when the skip names `id` among its comma-separated ids. */
bool skip_names(const struct skip *s, const char *id);

#endif
