/*
 * fuzz/stack_file.c: the stack file is typed by people and may come from anywhere, so its
 * loader, the edge section reader and then every section reader (daemon/stack.c, all of
 * them driven by their key tables) get arbitrary bytes. Properties: no crash, no leak,
 * every failure comes with at least one diagnostic, every diagnostic is one line, and a
 * successful build holds what edge_conf promises (listeners with rules that resolve).
 */
#include <stdint.h>
#include <string.h>

#include "conf/node.h"
#include "core/err.h"
#include "daemon/stack.h"
#include "edge/edge_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
check_diags(const struct diag *d)
{
    for (unsigned i = 0; i < d->n; i++)
        BUG_ON(strchr(d->msgs[i], '\n') != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct diag d;
    struct edge_conf *built = NULL, c;

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("fuzz.yaml", (const char *)data, len, &d);
    if (!doc) {
        BUG_ON(diag_count(&d) == 0);
        check_diags(&d);
        diag_fini(&d);
        return 0;
    }
    BUG_ON(diag_count(&d) != 0);
    if (edge_conf_build(doc->root, &(struct conf_ctx){ .d = &d }, &built) < 0) {
        BUG_ON(diag_count(&d) == 0);
        BUG_ON(built != NULL);
    } else {
        c = *built;
        BUG_ON(diag_count(&d) != 0);
        BUG_ON(c.nlisteners == 0 || c.workers < 1 || c.workers > 256);
        for (unsigned i = 0; i < c.nlisteners; i++) {
            const struct edge_listener_conf *l = &c.listeners[i];
            BUG_ON(!l->name || !l->addr_text || l->nrules == 0);
            for (unsigned j = 0; j < l->nrules; j++) {
                BUG_ON(l->rules[j].tg_index >= c.ntgs);
                BUG_ON(strcmp(c.tgs[l->rules[j].tg_index].name, l->rules[j].forward) != 0);
            }
        }
        /* A group may have no targets: an auto scaling group registers them later. */
        for (unsigned i = 0; i < c.ntgs; i++)
            BUG_ON(c.tgs[i].ntargets && !c.tgs[i].targets);
        edge_conf_free(built);
    }
    check_diags(&d);
    conf_doc_free(doc);
    diag_fini(&d);

    diag_init(&d);
    struct stack *st = stack_load_mem("fuzz.yaml", (const char *)data, len, &d);
    BUG_ON((st == NULL) != (diag_count(&d) > 0));
    BUG_ON(st && (!st->edge || !st->ctl || !st->shield || !st->fleet || !st->watch ||
                  !st->state_dir));
    check_diags(&d);
    stack_free(st);
    diag_fini(&d);
    return 0;
}
