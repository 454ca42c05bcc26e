/*
 * cli/planview.c: renders a plan in Terraform's style from the daemon's JSON; knows the
 * wire shape only (resources with address, kind, name, symbol, attributes, notes).
 */
#include "cli/planview.h"

#include <string.h>

struct style {
    const char *green, *yellow, *red, *bold, *dim, *reset;
};

static const char *
str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static const char *
color_of(const struct style *st, const char *sym)
{
    if (strcmp(sym, "+") == 0)
        return st->green;
    if (strcmp(sym, "~") == 0)
        return st->yellow;
    return st->red;
}

/* The symbol, right-aligned in `width` columns ("-/+" is red then green). */
static void
print_symbol(FILE *out, const struct style *st, const char *sym, int width)
{
    fprintf(out, "%*s", width - (int)strlen(sym), "");
    if (strcmp(sym, "-/+") == 0)
        fprintf(out, "%s-%s/%s+%s", st->red, st->reset, st->green, st->reset);
    else
        fprintf(out, "%s%s%s", color_of(st, sym), sym, st->reset);
}

static const char *
verb_of(const char *action)
{
    if (strcmp(action, "create") == 0)
        return "will be created";
    if (strcmp(action, "update") == 0)
        return "will be updated in place";
    if (strcmp(action, "replace") == 0)
        return "must be replaced";
    if (strcmp(action, "delete") == 0)
        return "will be destroyed";
    return "has no changes";
}

static void
print_resource(FILE *out, const struct style *st, json_t *r)
{
    const char *sym = str(r, "symbol"), *kind = str(r, "kind"), *name = str(r, "name");
    bool restart = json_is_true(json_object_get(r, "requires_restart"));
    json_t *a, *note;
    size_t i;

    fprintf(out, "  %s# %s%s %s%s\n", st->bold, str(r, "address"), st->reset,
            verb_of(str(r, "action")), restart ? " (requires restart)" : "");
    print_symbol(out, st, sym, 3);
    if (strcmp(kind, name) == 0)
        fprintf(out, " %s {\n", kind);
    else
        fprintf(out, " %s \"%s\" {\n", kind, name);
    json_array_foreach(json_object_get(r, "attributes"), i, a) {
        json_t *o = json_object_get(a, "old"), *n = json_object_get(a, "new");
        const char *asym = json_is_null(o) ? "+" : json_is_null(n) ? "-" : "~";
        print_symbol(out, st, asym, 7);
        fprintf(out, " %s: ", str(a, "path"));
        if (strcmp(asym, "+") == 0)
            fprintf(out, "%s", json_string_value(n));
        else if (strcmp(asym, "-") == 0)
            fprintf(out, "%s %s-> null%s", json_string_value(o), st->dim, st->reset);
        else
            fprintf(out, "%s -> %s", json_string_value(o), json_string_value(n));
        if (json_is_true(json_object_get(a, "forces_replacement")))
            fprintf(out, " %s# forces replacement%s", st->red, st->reset);
        if (json_is_true(json_object_get(a, "requires_restart")))
            fprintf(out, " %s# requires restart%s", st->yellow, st->reset);
        fputc('\n', out);
    }
    if (json_array_size(json_object_get(r, "notes")))
        fputc('\n', out);
    json_array_foreach(json_object_get(r, "notes"), i, note)
        fprintf(out, "        %s# %s%s\n", st->dim, json_string_value(note), st->reset);
    fprintf(out, "    }\n\n");
}

void
planview_print(json_t *plan, const char *file, bool color, FILE *out)
{
    static const struct style plain = { "", "", "", "", "", "" };
    static const struct style ansi = { "\033[32m", "\033[33m", "\033[31m", "\033[1m",
                                       "\033[2m", "\033[0m" };
    const struct style *st = color ? &ansi : &plain;
    json_t *list = json_object_get(plan, "resources"), *r;
    bool used[4] = { false };
    static const char *const syms[] = { "+", "~", "-/+", "-" };
    static const char *const words[] = { "create", "update in place",
                                         "destroy and then create replacement", "destroy" };
    size_t i;

    if (!json_is_true(json_object_get(plan, "changes"))) {
        fprintf(out, "%sNo changes.%s The running configuration matches %s.\n", st->bold,
                st->reset, file);
        return;
    }
    json_array_foreach(list, i, r)
        for (int k = 0; k < 4; k++)
            if (strcmp(str(r, "symbol"), syms[k]) == 0)
                used[k] = true;
    fprintf(out, "tierd compared %s with the running configuration. Resource actions are "
                 "indicated with the following symbols:\n", file);
    for (int k = 0; k < 4; k++) {
        if (!used[k])
            continue;
        print_symbol(out, st, syms[k], 3);
        fprintf(out, " %s\n", words[k]);
    }
    fprintf(out, "\ntierd will perform the following actions:\n\n");
    json_array_foreach(list, i, r)
        print_resource(out, st, r);
    fprintf(out, "%s%s%s\n", st->bold, str(plan, "summary_text"), st->reset);
}
