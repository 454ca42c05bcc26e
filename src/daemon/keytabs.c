/*
 * daemon/keytabs.c: questions about the whole file answered from every key table
 * (daemon/keytabs.h). The tables themselves live with their subsystems; the list is in
 * daemon/stack_keys.c.
 */
#include "daemon/keytabs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf/ref.h"
#include "core/mem.h"

const struct conf_key *
keytabs_lookup(const struct conf_node *n)
{
    return n && n->path ? conf_key_lookup(keytabs_all, n->path) : NULL;
}

bool
keytabs_hide(const struct conf_node *n)
{
    const struct conf_key *k;

    if (!n || n->kind != CONF_SCALAR || !(k = keytabs_lookup(n)))
        return false;
    return (k->flags & CONF_KEY_SENSITIVE) && !conf_ref_has(n->str) && n->str[0];
}

struct redact {
    const struct conf_node **hidden;
    unsigned n, cap;
};

static void
redact_collect(struct redact *r, const struct conf_node *n)
{
    if (!n)
        return;
    if (n->kind == CONF_SCALAR) {
        if (!keytabs_hide(n))
            return;
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 8;
            r->hidden = mem_realloc_or_exit(r->hidden, r->cap * sizeof(*r->hidden));
        }
        r->hidden[r->n++] = n;
        return;
    }
    for (unsigned i = 0; i < n->n; i++)
        redact_collect(r, n->kind == CONF_MAP ? n->pairs[i].value : n->items[i]);
}

static int
redact_cmp(const void *a, const void *b)
{
    const struct conf_node *x = *(const struct conf_node *const *)a;
    const struct conf_node *y = *(const struct conf_node *const *)b;

    return x->start < y->start ? -1 : x->start > y->start;
}

char *
keytabs_redact(const char *text, size_t len, const struct conf_node *root, size_t *out_len)
{
    struct redact r = { 0 };
    size_t at = 0, o = 0, mark = strlen(CONF_SENSITIVE) + 2;

    redact_collect(&r, root);
    if (r.n)                            /* qsort(NULL, 0, ...) is undefined */
        qsort(r.hidden, r.n, sizeof(*r.hidden), redact_cmp);
    char *out = mem_alloc_or_exit(len + r.n * mark + 1);
    for (unsigned i = 0; i < r.n; i++) {
        const struct conf_node *n = r.hidden[i];
        if (n->start < at || n->end > len || n->end < n->start)
            continue;                   /* not from this text: leave it (never happens) */
        memcpy(out + o, text + at, n->start - at);
        o += n->start - at;
        o += (size_t)sprintf(out + o, "\"%s\"", CONF_SENSITIVE);
        at = n->end;
    }
    memcpy(out + o, text + at, len - at);
    o += len - at;
    out[o] = '\0';
    free(r.hidden);
    *out_len = o;
    return out;
}

static const char *const type_names[] = {
    [KT_MAP] = "map", [KT_NAMED] = "map of names", [KT_LIST] = "list",
    [KT_STRING] = "string", [KT_BOOL] = "bool", [KT_UINT] = "integer",
    [KT_NUMBER] = "number", [KT_DURATION] = "duration", [KT_SIZE] = "size",
    [KT_ENUM] = "enum", [KT_ANY] = "value",
};

static void
keytabs_flags(unsigned f, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s%s", f & CONF_KEY_REQUIRED ? "required," : "",
             f & CONF_KEY_SENSITIVE ? "sensitive," : "", f & CONF_KEY_REPLACE ? "replace," : "",
             f & CONF_KEY_RESTART ? "restart," : "", f & CONF_KEY_ENV_REF ? "env_ref," : "");
    size_t n = strlen(buf);
    if (n)
        buf[n - 1] = '\0';
}

void
keytabs_print(bool json)
{
    json_t *arr = json ? json_array() : NULL;
    char flags[96];

    for (const struct conf_keytab *const *t = keytabs_all; *t; t++)
        for (unsigned i = 0; i < (*t)->n; i++) {
            const struct conf_key *k = &(*t)->keys[i];
            keytabs_flags(k->flags, flags, sizeof(flags));
            if (!json) {
                printf("%s\t%s\t%s\t%s\n", k->path, type_names[k->type], k->def ? k->def : "-",
                       flags[0] ? flags : "-");
                continue;
            }
            json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:I, s:I, s:b, s:b, s:b, s:b, s:b}",
                                  "path", k->path, "subsystem", (*t)->name,
                                  "type", type_names[k->type], "default", k->def,
                                  "min", (json_int_t)k->min, "max", (json_int_t)k->max,
                                  "required", !!(k->flags & CONF_KEY_REQUIRED),
                                  "sensitive", !!(k->flags & CONF_KEY_SENSITIVE),
                                  "forces_replacement", !!(k->flags & CONF_KEY_REPLACE),
                                  "requires_restart", !!(k->flags & CONF_KEY_RESTART),
                                  "env_ref", !!(k->flags & CONF_KEY_ENV_REF));
            if (k->words) {
                json_t *w = json_array();
                for (unsigned j = 0; k->words[j]; j++)
                    json_array_append_new(w, json_string(k->words[j]));
                json_object_set_new(o, "values", w);
            }
            json_array_append_new(arr, o);
        }
    if (json) {
        char *s = json_dumps(arr, JSON_INDENT(2));
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(arr);
    }
}
