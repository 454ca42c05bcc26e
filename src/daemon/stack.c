/*
 * daemon/stack.c: reads a stack file and asks each subsystem to build its section.
 * Knows the top-level keys of every subsystem, so it alone reports unknown ones.
 */
#include "daemon/stack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/node.h"
#include "conf/value.h"
#include "core/mem.h"
#include "daemon/keytabs.h"

/* The sections are the tables' top-level entries: a key is named once, in its table. */
static void
check_top_level(const struct conf_node *root, struct diag *d)
{
    const char *keys[64];
    unsigned n = 0;

    for (const struct conf_keytab *const *t = keytabs_all; *t; t++)
        for (unsigned i = 0; i < (*t)->n && n < 63; i++)
            if (!strpbrk((*t)->keys[i].path, ".["))
                keys[n++] = (*t)->keys[i].path;
    keys[n] = NULL;
    conf_check_keys(root, keys, "the stack file", d);
}

/* Reads the whole file (so the text parsed is the text kept); NULL when it cannot be read
 * or is too large, and conf_doc_load_file() then says why. */
static char *
read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t cap = 0;

    *len = 0;
    if (!f)
        return NULL;
    for (;;) {
        if (cap - *len < 4096) {
            cap = cap ? cap * 2 : 8192;
            text = mem_realloc_or_exit(text, cap + 1);
        }
        size_t got = fread(text + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0 || *len > (16u << 20))
            break;
    }
    if (ferror(f) || *len > (16u << 20)) {
        fclose(f);
        free(text);
        return NULL;
    }
    fclose(f);
    text[*len] = '\0';
    return text;
}

/* Builds a stack from text (taken: kept as s->text, or freed); NULL text means the file
 * could not be read, and conf_doc_load_file() then says why. */
static struct stack *
load_text(const char *path, char *text, size_t len, bool check_only, struct diag *d)
{
    struct conf_doc *doc = text ? conf_doc_load_mem(path, text, len, d)
                                : conf_doc_load_file(path, d);
    struct stack *s;

    if (!doc) {
        free(text);
        return NULL;
    }
    if (!doc->root || doc->root->kind != CONF_MAP) {
        if (doc->root)
            diag_at(d, doc->root, "the stack file must be a map of sections (listeners:, "
                                  "target_groups:, ...), not %s", conf_kind_name(doc->root->kind));
        else
            diag_add(d, path, 1, 1, "the stack file is empty; it needs at least listeners: "
                                    "and target_groups: (see examples/demo.yaml)");
        conf_doc_free(doc);
        free(text);
        return NULL;
    }
    s = mem_alloc_or_exit(sizeof(*s));
    s->path = mem_strdup_or_exit(path);
    s->text = text;
    s->text_len = len;
    check_top_level(doc->root, d);
    struct conf_ctx cx = { .d = d, .check_only = check_only };
    int rc = edge_conf_build(doc->root, &cx, &s->edge);
    if (ctl_conf_build(doc->root, &cx, &s->ctl) < 0)
        rc = -EINVAL;
    if (shield_conf_build(doc->root, &cx, &s->shield) < 0)
        rc = -EINVAL;
    /* The fleet's groups register into the edge's target groups: pass their names. */
    const char *tgs[257];
    unsigned ntg = 0;
    for (unsigned i = 0; s->edge && i < s->edge->ntgs && ntg < 256; i++)
        tgs[ntg++] = s->edge->tgs[i].name;
    tgs[ntg] = NULL;
    cx.target_groups = tgs;
    /* Launch templates name databases in ${db:NAME.FIELD}. */
    if (data_conf_build(doc->root, &cx, &s->data) < 0)
        rc = -EINVAL;
    const char *dbs[257];
    unsigned ndb = 0;
    for (unsigned i = 0; s->data && i < s->data->n && ndb < 256; i++)
        dbs[ndb++] = s->data->dbs[i].name;
    dbs[ndb] = NULL;
    cx.databases = dbs;
    if (fleet_conf_build(doc->root, &cx, &s->fleet) < 0)
        rc = -EINVAL;
    /* Alarms name groups and target groups in their dimensions. */
    const char *groups[257];
    unsigned ng = 0;
    for (unsigned i = 0; s->fleet && i < s->fleet->ngroups && ng < 256; i++)
        groups[ng++] = s->fleet->groups[i].name;
    groups[ng] = NULL;
    cx.groups = groups;
    if (watch_conf_build(doc->root, &cx, &s->watch) < 0)
        rc = -EINVAL;
    if (!(s->roll = accessroll_conf_build(doc->root, d)))
        rc = -EINVAL;
    const char *sdir = NULL;
    if (conf_key_string(doc->root, &stack_keys[DK_STATE_DIR], &sdir, d) < 0)
        rc = -EINVAL;
    s->state_dir = mem_strdup_or_exit(sdir ? sdir : "");
    conf_doc_free(doc);
    if (rc < 0 || diag_count(d) > 0) {
        stack_free(s);
        return NULL;
    }
    return s;
}

struct stack *
stack_load(const char *path, bool check_only, struct diag *d)
{
    size_t len;
    char *text = read_text(path, &len);

    return load_text(path, text, len, check_only, d);
}

struct stack *
stack_load_mem(const char *name, const char *text, size_t len, struct diag *d)
{
    char *copy = mem_alloc_or_exit(len + 1);

    memcpy(copy, text, len);
    copy[len] = '\0';
    return load_text(name, copy, len, false, d);
}

void
stack_free(struct stack *s)
{
    if (!s)
        return;
    edge_conf_free(s->edge);
    ctl_conf_free(s->ctl);
    if (s->shield)
        shield_conf_free(s->shield);
    if (s->fleet)
        fleet_conf_free(s->fleet);
    if (s->watch)
        watch_conf_free(s->watch);
    accessroll_conf_free(s->roll);
    data_conf_free(s->data);
    free(s->state_dir);
    free(s->path);
    free(s->text);
    free(s);
}
