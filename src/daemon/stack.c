/*
 * daemon/stack.c: reads a stack file and asks each subsystem to build its section.
 * Knows the top-level keys of every subsystem, so it alone reports unknown ones.
 */
#include "daemon/stack.h"

#include <stdlib.h>
#include <string.h>

#include "conf/node.h"
#include "conf/value.h"
#include "core/mem.h"

static void
check_top_level(const struct conf_node *root, struct diag *d)
{
    const char *keys[32];
    unsigned n = 0;

    for (const char *const *k = edge_conf_keys; *k && n < 31; k++)
        keys[n++] = *k;
    keys[n] = NULL;
    conf_check_keys(root, keys, "the stack file", d);
}

struct stack *
stack_load(const char *path, struct diag *d)
{
    struct conf_doc *doc = conf_doc_load_file(path, d);
    struct stack *s;

    if (!doc)
        return NULL;
    if (!doc->root || doc->root->kind != CONF_MAP) {
        if (doc->root)
            diag_at(d, doc->root, "the stack file must be a map of sections (listeners:, "
                                  "target_groups:, ...), not %s", conf_kind_name(doc->root->kind));
        else
            diag_add(d, path, 1, 1, "the stack file is empty; it needs at least listeners: "
                                    "and target_groups: (see examples/demo.yaml)");
        conf_doc_free(doc);
        return NULL;
    }
    s = mem_alloc_or_exit(sizeof(*s));
    s->path = mem_strdup_or_exit(path);
    check_top_level(doc->root, d);
    unsigned before = diag_count(d);
    int rc = edge_conf_build(doc->root, &s->edge, d);
    conf_doc_free(doc);
    if (rc < 0 || diag_count(d) > 0) {
        (void)before;
        stack_free(s);
        return NULL;
    }
    return s;
}

void
stack_free(struct stack *s)
{
    if (!s)
        return;
    edge_conf_fini(&s->edge);
    free(s->path);
    free(s);
}
